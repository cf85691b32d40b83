"""A report to hand on: one self-contained HTML file for one or several runs.

The file holds the SLA verdict, the KPI table with labels, units and meanings from the KPI
catalogue, the key charts as embedded PNG images and, for several runs, the comparison (values
side by side, deltas against the first run, coloured by the KPI's better direction). Chinese
labels use a CJK font subset embedded in the file (:func:`dashboards.fonts.font_face_css`), so
it reads the same on any machine. ``fleettwin report RUN [RUN...] --html`` writes it; the
dashboard offers the same bytes as a download. :func:`to_pdf` prints it to PDF where headless
Chromium is installed.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from dashboards.data import (
    RunInfo,
    read_run_info,
    resolve_root,
    show_time,
    sla_label,
    sla_word,
)
from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, to_png
from dashboards.fonts import HTML_FONT_STACK, font_face_css, register_cjk_font
from sim.errors import RunError
from sim.results.catalogue import KpiEntry, entry

UNCERTAIN_COLOUR = "#b7791f"
#: Most figures embedded per run (the first ones of :func:`key_figures`).
MAX_FIGURES = 6


def load_runs(paths: Sequence[Path]) -> list[RunInfo]:
    """Each path as a readable run; RunError naming the run and its problem otherwise."""
    runs = []
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            raise RunError(f"{p}: not a run directory")
        info = read_run_info(resolve_root(p.parent), resolve_root(p))
        if not info.ok:
            raise RunError(f"{p}: {info.problem}")
        runs.append(info)
    if not runs:
        raise RunError("no runs to report on")
    return runs


def key_figures(run: RunInfo) -> dict[str, Callable[[], Figure]]:
    """The run's key charts by caption, each made on demand (the same as ``report``'s PNGs)."""
    from dashboards.data import files_of
    from dashboards.report import city_figures, series_figure

    sla = run.sla
    makers: dict[str, Callable[[], Figure]] = {}
    captions = {"demand.png": "Demand over the day", "wait.png": "Wait for pickup by hour",
                "fleet_state.png": "Fleet state over time",
                "map.png": "Pickups, deadhead legs and abandonment hot spots"}
    try:
        for fname, make in city_figures(run.path, sla).items():
            makers[captions.get(fname, fname)] = make
    except RunError:
        pass
    for name in files_of(run.path, "timeseries"):
        makers.setdefault(f"Time series: {name}",
                          lambda n=name: series_figure(run.path, n, sla))  # type: ignore[misc]
    return makers


def _img(fig: Figure) -> str:
    data = base64.b64encode(to_png(fig, dpi=90)).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _e(text: Any) -> str:
    return html.escape(str(text))


def _verdict_html(run: RunInfo) -> str:
    if not run.sla:
        return '<p class="muted">No SLAs in this scenario.</p>'
    colour = {"PASS": PASS_COLOUR, "FAIL": FAIL_COLOUR}.get(run.verdict, UNCERTAIN_COLOUR)
    rows = []
    for v in run.sla:
        e = entry(str(v.get("kpi")), run.kind)
        word = sla_word(v)
        rows.append(f"<tr><td>{_e(sla_label(v, run.kind or None))}</td><td>{_e(e.title())}</td>"
                    f"<td>{_e(v.get('op', ''))} {_e(e.show(v.get('threshold')))}</td>"
                    f"<td>{_e(e.show(v.get('value')))}</td>"
                    f'<td class="{word.lower()}">{word}</td></tr>')
    return (f'<p class="verdict" style="color:{colour}">SLA verdict: {run.verdict}</p>'
            "<table><tr><th>SLA</th><th>KPI</th><th>threshold</th><th>value</th>"
            "<th>verdict</th></tr>" + "".join(rows) + "</table>")


def _kpi_rows(run: RunInfo) -> list[tuple[KpiEntry, Any]]:
    return [(entry(k, run.kind), v) for k, v in run.kpis.items()]


def _kpi_table(run: RunInfo) -> str:
    rows = "".join(f"<tr><td>{_e(e.title())}</td><td class='num'>{_e(e.show(v))}</td>"
                   f"<td>{_e(e.unit)}</td><td class='muted'>{_e(e.meaning)}</td></tr>"
                   for e, v in _kpi_rows(run))
    return ("<table><tr><th>KPI</th><th>value</th><th>unit</th><th>meaning</th></tr>"
            + rows + "</table>")


def _comparison(runs: list[RunInfo]) -> str:
    names: list[str] = []
    for r in runs:
        names += [k for k in r.kpis if k not in names]
    head = "".join(f"<th>[{i}]</th>" for i in range(len(runs)))
    head += "".join(f"<th>Δ[{i}] vs [0]</th>" for i in range(1, len(runs)))
    rows = []
    for k in names:
        e = entry(k, runs[0].kind)
        cells = "".join(f"<td class='num'>{_e(e.show(r.kpis.get(k)))}</td>" for r in runs)
        base = runs[0].kpis.get(k)
        for r in runs[1:]:
            other = r.kpis.get(k)
            cls = ""
            if isinstance(base, int | float) and isinstance(other, int | float) and \
                    other != base and e.direction:
                cls = "better" if (other - base) * e.direction > 0 else "worse"
            cells += f"<td class='num {cls}'>{_e(e.show_delta(base, other))}</td>"
        rows.append(f"<tr><td>{_e(e.title())}</td>{cells}</tr>")
    sla_names: list[str] = []
    for r in runs:
        sla_names += [str(v.get("name")) for v in r.sla if str(v.get("name")) not in sla_names]
    first = {str(v.get("name")): v for r in reversed(runs) for v in r.sla}
    for n in sla_names:
        cells = ""
        for r in runs:
            v = next((v for v in r.sla if str(v.get("name")) == n), None)
            word = "-" if v is None else sla_word(v)
            cells += f"<td class='{word.lower()}'>{word}</td>"
        cells += "<td></td>" * (len(runs) - 1)
        rows.append(f"<tr><td>SLA {_e(sla_label(first[n], runs[0].kind or None))}</td>"
                    f"{cells}</tr>")
    legend = "".join(f"<li>[{i}] {_e(r.name)} ({_e(r.scenario)}, seed {_e(r.seed)})</li>"
                     for i, r in enumerate(runs))
    return (f"<h2>Comparison</h2><ul>{legend}</ul><table><tr><th>KPI</th>{head}</tr>"
            + "".join(rows) + "</table><p class='muted'>Deltas against [0]: green better, red "
            "worse by the KPI's better direction; shares in percentage points.</p>")


CSS = """
body {{ font-family: {stack}; margin: 2em auto; max-width: 1100px; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.25em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.pass, .better {{ background: #d4edda; }} .fail, .worse {{ background: #f8d7da; }}
.uncertain {{ background: #fff3cd; }}
.muted {{ color: #666; }} .verdict {{ font-size: 1.3em; font-weight: bold; }}
img {{ max-width: 100%; margin: 0.5em 0; border: 1px solid #eee; }}
figure {{ margin: 0 0 1em 0; }} figcaption {{ color: #555; font-size: 0.9em; }}
{font_face}
"""


def build_html(runs: list[RunInfo], figures: bool = True) -> str:
    """The report of ``runs`` as one self-contained HTML document."""
    register_cjk_font()
    parts = []
    title = (f"fleettwin report: {runs[0].name}" if len(runs) == 1 else
             f"fleettwin report: {len(runs)} runs")
    if len(runs) > 1:
        parts.append(_comparison(runs))
    for r in runs:
        parts.append(f"<h2>{_e(r.name)}</h2><p class='muted'>scenario {_e(r.scenario)} · kind "
                     f"{_e(r.kind or '?')} · seed {_e(r.seed)} · {_e(r.replications)} "
                     f"replication(s) · created {_e(show_time(r.created))}</p>")
        if r.origin:
            parts.append(f"<p class='muted'>made as: {_e(r.origin)}</p>")
        parts.append(_verdict_html(r))
        parts.append("<h3>KPIs</h3>" + _kpi_table(r))
        if figures:
            shown = 0
            for caption, make in key_figures(r).items():
                if shown >= MAX_FIGURES:
                    break
                try:
                    fig = make()
                except (RunError, KeyError, ValueError) as exc:
                    parts.append(f"<p class='muted'>{_e(caption)}: not drawn ({_e(exc)})</p>")
                    continue
                parts.append(f"<figure>{_img(fig)}<figcaption>{_e(caption)}</figcaption>"
                             "</figure>")
                shown += 1
    body = "\n".join(parts)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    css = CSS.format(stack=HTML_FONT_STACK, font_face=font_face_css(body))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(title)}</title><style>{css}</style></head><body>"
            f"<h1>{_e(title)}</h1><p class='muted'>generated {stamp}</p>{body}</body></html>\n")


def pdf_converter() -> str | None:
    """Headless Chromium's path when installed (it prints HTML to PDF), else None."""
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                       "google-chrome")) if p), None)


def to_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120.0) -> Path | None:
    """Print the HTML file to PDF with headless Chromium; None when no converter exists."""
    exe = pdf_converter()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="fleettwin-pdf-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    return pdf_path if pdf_path.is_file() and pdf_path.stat().st_size > 0 else None
