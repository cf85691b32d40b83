"""Every dashboard page through Streamlit's AppTest, on the fixture results folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data

APP = str(Path(dashboards_data.__file__).parent / "app.py")


def _app(monkeypatch: pytest.MonkeyPatch, root: Path) -> AppTest:
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    return AppTest.from_file(APP, default_timeout=120)


def _page(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _images(at: AppTest) -> int:
    """Images anywhere on the page (figures are shown as PNG images)."""
    def count(node) -> int:  # type: ignore[no-untyped-def]
        n = int(getattr(node, "type", "") in ("image", "imgs"))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            n += sum(count(c) for c in children.values())
        return n
    return count(at._tree)


def _count(at: AppTest, *types: str) -> int:
    """Elements of the given types anywhere on the page (``vega_lite_chart``, ...)."""
    def count(node) -> int:  # type: ignore[no-untyped-def]
        n = int(getattr(node, "type", "") in types)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            n += sum(count(c) for c in children.values())
        return n
    return count(at._tree)


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.warning] + [e.value for e in at.info]
    parts += [e.value for e in at.subheader] + [e.value for e in at.title]
    return "\n".join(str(p) for p in parts)


def test_runs_page_lists_runs_and_labels_problems(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Runs"
    df = at.dataframe[0].value
    names = set(df["run"])
    assert {"taxi-nearest", "taxi-batch", "national-synthetic"} <= names
    assert {"broken-manifest", ".tmp-halfway-1234abcd", "no-kpis"} <= names
    status = dict(zip(df["run"], df["status"], strict=True))
    assert status["taxi-nearest"] == "ok" and status["broken-manifest"] == "problem"
    assert status["no-kpis"] == "problem" and status[".tmp-halfway-1234abcd"] == "problem"
    warnings = " ".join(w.value for w in at.warning)
    assert "corrupt manifest" in warnings and "incomplete" in warnings
    assert "KPIs unreadable" in warnings
    # The SLA verdict column and a headline KPI (by its catalogue label) are there.
    assert "SLA" in df.columns and "95th-percentile wait" in df.columns
    assert "wait_p95_s" not in df.columns
    assert set(df.loc[df["status"] == "ok", "SLA"]) <= {"PASS", "FAIL", "UNCERTAIN", "-"}


def test_runs_page_filter_and_sort(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.run()
    at.text_input(key="runs_filter").input("taxi-b").run()
    assert list(at.dataframe[0].value["run"]) == ["taxi-batch"]
    at.text_input(key="runs_filter").input("").run()
    at.selectbox(key="runs_sort").select("run").run()
    at.toggle(key="runs_desc").set_value(False).run()
    runs = list(at.dataframe[0].value["run"])
    assert runs == sorted(runs)
    at.multiselect(key="runs_selected").select("taxi-batch").select("taxi-nearest").run()
    assert at.session_state["selected_runs"] == ["taxi-batch", "taxi-nearest"]
    assert not at.exception


def test_empty_and_missing_folder_say_how_to_make_a_run(monkeypatch, empty_results, tmp_path):
    for root in (empty_results, tmp_path / "does-not-exist"):
        for page in ("runs", "run", "compare"):
            at = _page(_app(monkeypatch, root), page)
            text = _texts(at)
            assert "No runs yet" in text and "fleettwin run" in text


def test_run_page_city(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.session_state["selected_runs"] = ["taxi-batch"]
    _page(at, "run")
    assert at.selectbox(key="run_name").value == "taxi-batch"
    labels = [m.label for m in at.metric]
    assert "95th-percentile wait <= 8.0 min" in labels  # SLA card, in words
    assert any(lab.startswith("Service rate") and "SLA" in lab for lab in labels)
    assert any(lab.startswith("Empty-running ratio (空驶率)") for lab in labels)
    run = next(r for r in __import__("dashboards.data").data.list_runs(results)
               if r.name == "taxi-batch")
    assert not set(labels) & set(run.kpis), "a raw KPI name is shown"
    values = {m.label.split(" :")[0]: m.value for m in at.metric}
    assert values["Service rate"].endswith("%") and values["Operating cost (运营成本)"][0] == "¥"
    assert any(s.value.startswith("SLA verdict") for s in at.subheader)
    assert _count(at, "vega_lite_chart") >= 3  # demand, wait, fleet state (interactive)
    assert _count(at, "deck_gl_json_chart") == 0  # only the open tab is drawn
    assert at.slider(key="time_range").value[0] < at.slider(key="time_range").value[1]
    assert not at.warning
    assert _count(at, "dataframe") == 0  # the KPI table is built when opened
    at.session_state["kpi_table"] = True
    at.run()
    kpis = at.dataframe[0].value
    assert "Empty-running ratio (空驶率)" in set(kpis["KPI"]) and len(kpis) == len(run.kpis)
    at.session_state["run_tab"] = "Map"
    at.run()
    assert _count(at, "deck_gl_json_chart") == 1  # the city map
    assert _count(at, "vega_lite_chart") == 0
    assert "Requests made in the time range" in _texts(at)
    assert not at.exception and not at.warning


def test_run_page_generic_kind_and_access_nodes(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.session_state["selected_runs"] = ["national-synthetic"]
    _page(at, "run")
    assert "pon_util" in at.multiselect(key="ts_network").value
    at.session_state["run_tab"] = "Map"
    at.run()
    assert at.selectbox(key="an_access_nodes").value == "peak_util"
    assert "Rollout map" in _texts(at)


def test_run_page_iptv(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.session_state["selected_runs"] = ["iptv-hotel"]
    _page(at, "run")
    assert at.multiselect(key="ts_channels").value == ["viewers"]
    assert "one line per channel" in _texts(at)
    assert any("PON port peak utilisation" in m.label for m in at.metric)
    assert _count(at, "vega_lite_chart") >= 3  # the series
    at.session_state["run_tab"] = "Map"
    at.run()
    assert not at.exception
    assert at.selectbox(key="an_ports").value == "peak_util"
    assert at.selectbox(key="an_olts").value == "peak_util"
    assert "Per-province table `provinces`" in _texts(at)
    assert _count(at, "vega_lite_chart") == 2  # the ports and OLTs by peak load
    assert not at.warning


def test_run_page_bad_data_is_labelled(monkeypatch, results):
    for name, expected in (("bad-parquet", "unreadable Parquet"),
                           ("old-schema", "older schema")):
        at = _app(monkeypatch, results)
        at.session_state["selected_runs"] = [name]
        _page(at, "run")
        assert at.selectbox(key="run_name").value == name
        assert expected in _texts(at)


def test_run_name_from_url_cannot_leave_the_folder(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.query_params["run"] = ["../../etc", "/etc/passwd", "taxi-nearest"]
    _page(at, "run")
    assert "Ignored run names" in _texts(at)
    assert at.selectbox(key="run_name").value == "taxi-nearest"


def test_compare_page(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.session_state["selected_runs"] = ["taxi-nearest", "taxi-batch"]
    _page(at, "compare")
    heads = [s.value for s in at.subheader]
    for h in ("KPIs", "SLA verdicts", "Scenario fields that differ", "Distributions",
              "Confidence intervals", "Time series"):
        assert h in heads
    kpis = at.dataframe[0].value.set_index("KPI")
    assert "Δ[1] vs [0]" in kpis.columns and "95th-percentile wait" in kpis.index
    assert kpis.loc["Service rate"].iloc[0].endswith("%")
    assert kpis.loc["Service rate", "Δ[1] vs [0]"].split()[1] == "pp"
    sla = at.dataframe[1].value
    assert "Service rate >= 95.0%" in set(sla["SLA"])
    diff = at.dataframe[2].value.set_index("field")
    assert "policies.dispatch.algorithm" in diff.index
    assert list(diff.loc["policies.dispatch.algorithm"]) == ["nearest_idle", "batch_matching"]
    assert _count(at, "vega_lite_chart") >= 3  # CDFs, CI, series overlay
    assert _count(at, "download_button") >= 4  # the report and a CSV per table
    assert not at.warning


def test_compare_needs_two_runs_and_handles_other_kinds(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.session_state["selected_runs"] = ["taxi-nearest"]
    _page(at, "compare")
    assert at.multiselect(key="cmp_runs").value[0] == "taxi-nearest"
    at.multiselect(key="cmp_runs").set_value(["taxi-nearest"]).run()
    assert "Choose two or more runs" in _texts(at)
    at.multiselect(key="cmp_runs").set_value(["taxi-nearest", "national-synthetic",
                                               "old-schema", "bad-parquet"]).run()
    assert not at.exception
    assert "Distributions" in [s.value for s in at.subheader]
    assert "share no table" in _texts(at)


def test_rollout_page(monkeypatch, results, empty_results):
    at = _page(_app(monkeypatch, results), "rollout")
    sources = at.selectbox(key="rollout_run").options
    assert any(o.startswith("iptv-hotel") for o in sources)
    iptv = at.selectbox(key="rollout_measure").options
    assert "pon_peak_util (simulated)" in iptv
    assert "SLA PON port peak <= 80% (verdict per province)" in iptv
    assert at.selectbox(key="rollout_measure").value == "pon_peak_util (simulated)"
    at.selectbox(key="rollout_run").select(next(o for o in sources
                                               if o.startswith("national-synthetic"))).run()
    options = at.selectbox(key="rollout_measure").options
    assert "2016 target (10,000 boxes)" in options
    assert "peak_util (simulated)" in options
    assert any("SLA verdict" in o for o in options)
    assert at.selectbox(key="rollout_measure").value == "peak_util (simulated)"
    table = at.dataframe[0].value
    assert len(table) == 31
    at.selectbox(key="rollout_measure").select("sla_pass (SLA verdict per province)").run()
    assert not at.exception
    at = _page(_app(monkeypatch, empty_results), "rollout")
    assert "No run in the results folder has a per-province table" in _texts(at)
    assert at.selectbox(key="rollout_measure").value == "2016 target (10,000 boxes)"


def test_profiles_page(monkeypatch, results):
    at = _page(_app(monkeypatch, results), "profiles")
    listing = at.dataframe[0].value
    assert {"vehicle", "stb"} <= set(listing["kind"])
    at.selectbox(key="prof_kind").select("stb").run()
    ref = next(o for o in at.selectbox(key="prof_ref").options if "tianyi_4k_stb" in o)
    at.selectbox(key="prof_ref").select(ref).run()
    assert not at.exception
    params = at.dataframe[1].value
    assert "boot_time_s" in set(params["parameter"])
    assert _images(at) >= 3  # boot time, channel change, download rate, install


def test_profiles_page_shows_calibration_reports(monkeypatch, results, tmp_path):
    from sim.cli.main import main

    samples = Path(__file__).parents[2] / "hardware_profiles" / "samples"
    out = tmp_path / "profiles"
    assert main(["calibrate", "tianyi_hd_stb", "--field", "boot_time_s", "--data",
                 str(samples / "stb_boot_time.csv"), "--out-dir", str(out),
                 "--bootstrap", "20", "--quiet"]) == 0
    monkeypatch.setenv("FLEETTWIN_PROFILES", str(out))
    at = _page(_app(monkeypatch, results), "profiles")
    options = at.selectbox(key="prof_ref").options
    at.selectbox(key="prof_ref").select(next(o for o in options if "tianyi_hd_stb@2" in o)).run()
    assert not at.exception
    text = _texts(at)
    assert "tianyi_hd_stb.v2.calibration" in text and "`boot_time_s`" in text
    reports = [j for j in at.json if '"plots"' in str(j.value)]
    assert reports and "histogram.png" in str(reports[0].value)


def test_compare_a_sweep_folder(monkeypatch, results):
    at = _page(_app(monkeypatch, results), "compare")
    at.radio(key="cmp_mode").set_value("a sweep folder").run()
    assert at.selectbox(key="cmp_group").value == "sweep-taxi"
    assert not at.exception
    points = at.dataframe[0].value
    assert len(points) == 2 and set(points["replications"]) == {2}
    assert all("±" in str(v) for v in points.iloc[:, 2])  # intervals from two replications
    assert "Sweep points" in [s.value for s in at.subheader]
    # KPI, four runs, three deltas, unit
    assert len(at.dataframe[1].value.columns) == 1 + 4 + 3 + 1


def test_origin_of_runs_is_shown(monkeypatch, results):
    at = _app(monkeypatch, results)
    at.run()
    df = at.dataframe[0].value
    origin = dict(zip(df["run"], df["origin"], strict=True))
    assert origin["taxi-batch"].startswith("--set fleets.taxis.count=60")
    assert any(o.startswith("sweep point") for o in origin.values())
