"""The dashboard's share of the bad-input corpus: broken, hostile or vanishing run folders.

Each case breaks one copy of a real city run, opens the page that reads the broken file (or
runs the CLI on it), and asserts: no exception or traceback, a message that names the file
(and the bad value where there is one), the rest of the page still drawn, and a time limit.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data
from sim.cli.main import main

APP = str(Path(dashboards_data.__file__).parent / "app.py")
LIMIT_S = 60.0
RUN = "r"
TABS = ["Charts", "Map", "Tables", "What if", "Details"]


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.warning] + [e.value for e in at.info]
    parts += [e.value for e in at.error] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


@pytest.fixture()
def root(results: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copytree(results / "taxi-nearest", folder / RUN)
    return folder


def _page(monkeypatch: pytest.MonkeyPatch, root: Path, page: str,
          run: str | None = RUN) -> AppTest:
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    if run:
        at.session_state["selected_runs"] = [run]
    at.run()
    if page != "runs":
        at.switch_page(f"views/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _link_out(path: Path, target: str = "/etc/passwd") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    path.write_text(text)


# Run-folder breakages shown on the Runs page as a labelled problem row:
# (id, how to break run folder r, text the problem must contain).
LISTING: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("kpis-not-json", lambda r: _write(r / "kpis.json", "{oops"), ["kpis.json", "unreadable"]),
    ("kpis-a-list", lambda r: _write(r / "kpis.json", "[1, 2]"),
     ["kpis.json", "not a JSON object"]),
    ("kpis-empty-file", lambda r: _write(r / "kpis.json", ""), ["kpis.json", "unreadable"]),
    ("kpis-deeply-nested", lambda r: _write(r / "kpis.json", "[" * 100000 + "]" * 100000),
     ["kpis.json", "unreadable"]),
    ("kpis-link-to-etc-passwd", lambda r: _link_out(r / "kpis.json"),
     ["kpis.json", "refused", "outside the run directory"]),
    ("kpis-missing", lambda r: (r / "kpis.json").unlink(), ["kpis.json", "missing"]),
    ("manifest-missing", lambda r: (r / "manifest.json").unlink(), ["manifest.json is missing"]),
    ("manifest-link-to-etc-passwd", lambda r: _link_out(r / "manifest.json"),
     ["manifest.json", "refused"]),
    ("manifest-not-utf8", lambda r: (r / "manifest.json").write_bytes(b"{\xff\xfe}"),
     ["manifest.json", "unreadable"]),
    ("manifest-a-string", lambda r: _write(r / "manifest.json", '"hello"'),
     ["manifest.json", "not a JSON object"]),
]


@pytest.mark.parametrize(("case", "breaks", "words"), LISTING, ids=[c[0] for c in LISTING])
def test_broken_run_is_a_labelled_row_on_the_runs_page(monkeypatch, root, case, breaks, words):
    t0 = time.monotonic()
    breaks(root / RUN)
    at = _page(monkeypatch, root, "runs", run=None)
    warnings = " ".join(w.value for w in at.warning)
    for word in words:
        assert word in warnings, (case, warnings)
    assert "root:" not in warnings  # /etc/passwd's content is never shown
    df = at.dataframe[0].value
    assert dict(zip(df["run"], df["status"], strict=True))[RUN] == "problem"
    assert time.monotonic() - t0 < LIMIT_S


# Breakages inside a readable run, shown on its Run page as a labelled section while the
# rest of the page is drawn: (id, how to break, text that must appear).
RUN_PAGE: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("sla-link-to-etc-passwd", lambda r: _link_out(r / "sla.json"), ["sla.json", "refused"]),
    ("sla-threshold-not-a-number", lambda r: _write(r / "sla.json", json.dumps(
        [{"kpi": "wait_p95_s", "op": "<=", "threshold": "eight", "passed": True,
          "name": "odd"}])), ["SLA verdict: PASS"]),
    ("scenario-link-to-etc-passwd", lambda r: _link_out(r / "scenario.yaml"),
     ["scenario", "scenario.yaml", "refused"]),
    ("scenario-not-yaml", lambda r: _write(r / "scenario.yaml", "a: [b\n"),
     ["scenario.yaml", "unreadable"]),
    ("requests-link-to-etc-passwd", lambda r: _link_out(r / "tables" / "requests.parquet"),
     ["requests.parquet", "refused"]),
    ("fleet-series-link-out", lambda r: _link_out(r / "timeseries" / "fleet.parquet"),
     ["fleet.parquet", "refused"]),
    ("plot-link-to-etc-passwd", lambda r: _link_out(r / "plots" / "x.png"),
     ["plots/x.png", "refused"]),
    ("intervals-not-json", lambda r: _write(r / "kpis_ci.json", "{"),
     ["kpis_ci.json", "intervals not shown"]),
    ("kpis-nan-and-infinity", lambda r: _write(
        r / "kpis.json", '{"service_rate": NaN, "wait_p95_s": Infinity, "requests": 5}'),
     ["KPIs"]),
    ("manifest-wrong-types", lambda r: _write(r / "manifest.json", json.dumps(
        {"kind": "city_fleet", "scenario": "city_taxi", "seed": "abc", "replications": -1,
         "created_utc": 7, "wall_s": "slow"})), ["KPIs"]),
]


@pytest.mark.parametrize(("case", "breaks", "words"), RUN_PAGE, ids=[c[0] for c in RUN_PAGE])
def test_broken_file_is_labelled_and_the_rest_of_the_run_page_works(monkeypatch, root, case,
                                                                      breaks, words):
    t0 = time.monotonic()
    breaks(root / RUN)
    at = _page(monkeypatch, root, "run")
    text = ""
    for tab in TABS:  # every tab of the page, each drawn when it is opened
        at.session_state["run_tab"] = tab
        at.run()
        assert not at.exception, (case, tab, [e.value for e in at.exception])
        text += _texts(at)
    for word in words:
        assert word in text, (case, text[-2000:])
    assert "root:x:0:0" not in text and not any("root:x" in str(c.value) for c in at.code)
    assert "KPIs" in [s.value for s in at.subheader]  # the rest of the page is drawn
    assert at.metric, "no KPI cards"
    if "kpis-nan" in case:
        values = {m.label.split(" :")[0]: m.value for m in at.metric}
        assert values["Service rate"] == "n/a" and values["95th-percentile wait"] == "n/a"
    assert time.monotonic() - t0 < LIMIT_S


def test_run_folder_deleted_while_open(monkeypatch, root):
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    shutil.copytree(root / RUN, root / "other")
    at = _page(monkeypatch, root, "run")
    assert at.selectbox(key="run_name").value == RUN
    shutil.rmtree(root / RUN)
    at.run()  # the next interaction after the folder vanished
    assert not at.exception, [e.value for e in at.exception]
    assert "no longer readable" in _texts(at) or at.selectbox(key="run_name").value == "other"
    at.selectbox(key="run_name").select("other").run()
    assert not at.exception and at.metric


def test_report_on_corrupt_runs_is_a_clean_cli_error(root, capsys):
    run = root / RUN
    _write(run / "kpis.json", "{oops")
    assert main(["report", str(run), "--html", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "kpis.json" in err and "unreadable" in err and "Traceback" not in err
    _link_out(run / "kpis.json")
    assert main(["report", str(run), "--html", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "kpis.json" in err and "refused" in err and "root:" not in err
    (run / "manifest.json").unlink()
    assert main(["report", str(run), "--html"]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["report", str(root / "missing"), "--html"]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and "not a run directory" in err


@pytest.mark.parametrize(("field", "value", "words"), [
    ("whatif_fleets.taxis.count", -5, ["fleets.taxis.count", "greater than 0", "-5"]),
    ("whatif_demand.requests_per_day", -1.0, ["demand.requests_per_day", "-2000"]),
])
def test_whatif_value_out_of_range_shows_the_cli_message(monkeypatch, root, field, value,
                                                         words):
    t0 = time.monotonic()
    at = _page(monkeypatch, root, "run")
    at.session_state["run_tab"] = "What if"
    at.run()
    at.number_input(key=field).set_value(value)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert errors.startswith("fleettwin: error: scenario file"), errors
    for word in words:
        assert word in errors, errors
    assert not (root / "whatif").exists()  # nothing was started
    assert "KPIs" in [s.value for s in at.subheader]
    assert time.monotonic() - t0 < LIMIT_S
