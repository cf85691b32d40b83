"""Streamlit glue shared by the pages: the results folder, cached readers, guarded sections.

Cached readers are keyed by the run directory's path and its modification stamp, so a run
opens fast the second time and a rewritten run is read again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import city
from dashboards.data import (
    RUNS_ENV,
    RunInfo,
    list_runs,
    read_frame,
    resolve_root,
    run_mtime_ns,
    safe_run_path,
)
from dashboards.figures import to_png
from sim.errors import RunError

log = logging.getLogger(__name__)
DEFAULT_ROOT = "runs"
SELECTED = "selected_runs"


def runs_root() -> Path:
    """The results folder: ``--runs DIR`` after the script name, else $FLEETTWIN_RUNS, else ./runs."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--runs" and i + 1 < len(argv):
            return resolve_root(argv[i + 1])
        if arg.startswith("--runs="):
            return resolve_root(arg.split("=", 1)[1])
    return resolve_root(os.environ.get(RUNS_ENV) or DEFAULT_ROOT)


def _folder_stamp(root: Path) -> tuple[tuple[str, int], ...]:
    try:
        children = sorted(root.iterdir())
    except OSError:
        return ()
    out = []
    for c in children:
        with contextlib.suppress(OSError):
            out.append((c.name, run_mtime_ns(c)))
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=8)
def _cached_runs(root: str, stamp: tuple[tuple[str, int], ...]) -> list[RunInfo]:
    return list_runs(root)


def runs(root: Path) -> list[RunInfo]:
    """The run listing, re-read when a run directory appears, vanishes or changes."""
    return _cached_runs(str(root), _folder_stamp(root))


def ok_runs(root: Path) -> list[RunInfo]:
    return [r for r in runs(root) if r.ok]


def run_by_name(root: Path, name: str) -> RunInfo | None:
    """A readable run by its name, after checking the name stays inside the folder."""
    try:
        path = safe_run_path(root, name)
    except RunError:
        return None
    return next((r for r in ok_runs(root) if r.path.resolve() == path), None)


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_frame(path: str, stamp: int, rel: str,
                  columns: tuple[str, ...] | None) -> pd.DataFrame:
    return read_frame(Path(path), rel, list(columns) if columns is not None else None)


def frame(run: RunInfo, rel: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Cached :func:`dashboards.data.read_frame` of a run's Parquet file."""
    return _cached_frame(str(run.path), run.mtime_ns, rel,
                         tuple(columns) if columns is not None else None)


@st.cache_data(show_spinner=False, max_entries=32)
def _city_pngs(path: str, stamp: int, sla: tuple[tuple[tuple[str, Any], ...], ...]
               ) -> dict[str, bytes]:
    from dashboards.plot_city import plot_demand, plot_fleet_state, plot_wait

    run = Path(path)
    verdicts = [dict(v) for v in sla]
    out: dict[str, bytes] = {}
    by_h = city.wait_by_interval(run, 3600.0)
    out["demand"] = to_png(plot_demand(by_h))
    out["wait"] = to_png(plot_wait(by_h, verdicts))
    with contextlib.suppress(RunError):
        out["fleet"] = to_png(plot_fleet_state(city.fleet_series(run)))
    return out


def city_pngs(run: RunInfo) -> dict[str, bytes]:
    """Demand, wait and fleet-state figures of a city run as PNG bytes (cached)."""
    sla = tuple(tuple(sorted(v.items())) for v in run.sla)
    return _city_pngs(str(run.path), run.mtime_ns, sla)


@st.cache_data(show_spinner=False, max_entries=16)
def _city_map_png(path: str, stamp: int) -> bytes:
    from dashboards.plot_city import plot_city_map

    return to_png(plot_city_map(city.city_map(Path(path))), dpi=100)


def city_map_png(run: RunInfo) -> bytes:
    """The run map of a city run as PNG bytes (cached)."""
    return _city_map_png(str(run.path), run.mtime_ns)


@st.cache_data(show_spinner=False, max_entries=64)
def _waits(path: str, stamp: int) -> Any:
    return city.waits_s(Path(path))


def waits(run: RunInfo) -> Any:
    """Waits of the served requests of a city run (cached)."""
    return _waits(str(run.path), run.mtime_ns)


@contextlib.contextmanager
def guarded(what: str) -> Iterator[None]:
    """Show a labelled problem instead of a traceback when a section's data is bad."""
    try:
        yield
    except RunError as exc:
        st.warning(f"{what}: {exc}", icon=":material/warning:")
    except Exception as exc:  # bad data of any shape must not take the page down
        log.warning("%s failed", what, exc_info=True)
        st.warning(f"{what}: could not be shown ({type(exc).__name__}: {exc})", icon=":material/warning:")


def selected() -> list[str]:
    """Run names chosen on the Runs page (or given as ``?run=NAME`` in the URL)."""
    chosen = list(st.session_state.get(SELECTED, []))
    for name in st.query_params.get_all("run"):
        if name not in chosen:
            chosen.append(name)
    return chosen


def set_selected(names: list[str]) -> None:
    st.session_state[SELECTED] = list(names)


def no_runs_note(root: Path) -> None:
    """The friendly first page: where runs are looked for and how to make one."""
    st.info(f"No runs yet in `{root}`.", icon=":material/info:")
    st.markdown(
        "Make a run, then reload this page:\n\n"
        "```\nfleettwin run                  # the default city taxi scenario\n"
        "fleettwin run city_logistics   # parcels and vans\n"
        "fleettwin scenarios            # every shipped scenario\n```\n"
        "`fleettwin run` writes into `./runs`; start the dashboard on another folder with "
        "`fleettwin dashboard --runs DIR`."
    )


def fmt(value: Any) -> str:
    """A KPI value for a card: thousands separated, 4 significant digits, n/a for none."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


@st.cache_data(show_spinner=False, max_entries=64)
def _series_png(path: str, stamp: int, name: str, columns: tuple[str, ...],
                sla: tuple[tuple[tuple[str, Any], ...], ...]) -> bytes:
    from dashboards.plot_series import plot_series

    df = read_frame(Path(path), f"timeseries/{name}.parquet")
    return to_png(plot_series(df, list(columns), [dict(v) for v in sla], title=name))


def series_png(run: RunInfo, name: str, columns: list[str]) -> bytes:
    """A time series figure of a run as PNG bytes (cached)."""
    sla = tuple(tuple(sorted(v.items())) for v in run.sla)
    return _series_png(str(run.path), run.mtime_ns, name, tuple(columns), sla)


@st.cache_resource(show_spinner=False)
def cjk_page_css() -> str:
    """CSS that adds the CJK glyphs of every catalogue term to the page's font (once)."""
    from dashboards.fonts import page_font_css
    from sim.results.catalogue import catalogue

    terms = "".join(e.zh or "" for kind in catalogue().values() for e in kind.values())
    try:
        return page_font_css(terms)
    except Exception:  # a broken font file must not take the app down: English labels stay
        log.warning("CJK font could not be embedded", exc_info=True)
        return ""


def kpi_entry(run: RunInfo, name: str) -> Any:
    """The catalogue entry of a run's KPI (by the run's model kind)."""
    from sim.results.catalogue import entry

    return entry(name, run.kind or None)


@st.cache_data(show_spinner=False, max_entries=16)
def _deck_data(path: str, stamp: int) -> Any:
    from dashboards.city_deck import load

    return load(Path(path))


def deck_data(run: RunInfo) -> Any:
    """Roads, requests and deadhead legs of a city run for the map (cached)."""
    return _deck_data(str(run.path), run.mtime_ns)


@st.cache_resource(show_spinner=False, max_entries=32)
def _city_map(path: str, stamp: int, window: tuple[float, float] | None
              ) -> tuple[Any, dict[str, int]]:
    from dashboards.city_deck import deck, window_counts

    data = _deck_data(path, stamp)
    return deck(data, window), window_counts(data, window)


def city_map(run: RunInfo, window: tuple[float, float] | None) -> tuple[Any, dict[str, int]]:
    """The city map for a time range and its counts (the same Deck object while cached, so
    its JSON is made once)."""
    return _city_map(str(run.path), run.mtime_ns, window)


@st.cache_data(show_spinner=False, max_entries=32)
def _wait_by_interval(path: str, stamp: int, interval_s: float) -> pd.DataFrame:
    return city.wait_by_interval(Path(path), interval_s)


def wait_by_interval(run: RunInfo, interval_s: float = 900.0) -> pd.DataFrame:
    """Requests, served, abandoned and waits per interval of a city run (cached)."""
    return _wait_by_interval(str(run.path), run.mtime_ns, interval_s)


@st.cache_data(show_spinner=False, max_entries=32)
def _fleet_series(path: str, stamp: int) -> pd.DataFrame:
    return city.fleet_series(Path(path))


def fleet_series(run: RunInfo) -> pd.DataFrame:
    """The fleet state series of a city run averaged over replications (cached)."""
    return _fleet_series(str(run.path), run.mtime_ns)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV (with a byte-order mark, so spreadsheet programs read Chinese)."""
    return df.to_csv(index=False).encode("utf-8-sig")


@st.cache_data(show_spinner=False, max_entries=8, ttl=600)
def _report_html(paths: tuple[str, ...], stamps: tuple[int, ...]) -> bytes:
    from dashboards.report_html import build_html, load_runs

    return build_html(load_runs([Path(p) for p in paths])).encode("utf-8")


def report_button(runs_: list[RunInfo], key: str) -> None:
    """A download button for the HTML report of ``runs_`` (made when clicked)."""
    paths = tuple(str(r.path) for r in runs_)
    stamps = tuple(r.mtime_ns for r in runs_)
    name = (runs_[0].name.replace("/", "_") if len(runs_) == 1 else "comparison")

    def make() -> bytes:
        try:
            return _report_html(paths, stamps)
        except RunError as exc:  # a run corrupted since the page was drawn
            return (f"<!DOCTYPE html><meta charset='utf-8'><p>Report not made: {exc}</p>"
                    ).encode()

    st.download_button("Download report (HTML)", data=make, file_name=f"{name}-report.html",
                       mime="text/html", key=key, icon=":material/download:",
                       on_click="ignore")
