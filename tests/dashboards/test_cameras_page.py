"""The Camera platform page on a small shop-camera run, through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data
from sim.cli.main import main

APP = str(Path(dashboards_data.__file__).parent / "app.py")
SMALL = ["horizon_s=7200", "warmup_s=600", "provinces[0].shops=60", "provinces[1].shops=50",
         "provinces[2].shops=40", "provinces[3].shops=30", "provinces[4].shops=20",
         "power_cut.at_s=1800", "power_cut.duration_s=300", "reboot=null",
         "firmware_campaign=null"]


@pytest.fixture(scope="module")
def camera_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("camruns")
    args = ["run", "shop_cameras_trial", "--quiet", "--out", str(root), "--name", "cams"]
    assert main([*args, *sum((["--set", s] for s in SMALL), [])]) == 0
    return root


def _page(monkeypatch: pytest.MonkeyPatch, root: Path) -> AppTest:
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/cameras.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_camera_page_shows_labelled_kpis_and_tables(monkeypatch, camera_runs) -> None:  # type: ignore[no-untyped-def]
    at = _page(monkeypatch, camera_runs)
    labels = [m.label for m in at.metric]
    assert "Live-view blocking rate (阻塞率)" in labels
    assert "Operator margin per shop-month (运营商毛利)" in labels
    assert not any("_" in lab for lab in labels)  # labels, never raw KPI names
    frames = [df.value for df in at.dataframe]
    provinces = next(f for f in frames if "Province" in f.columns)
    assert sorted(provinces["Province"]) == ["Anhui", "Fujian", "Guangdong", "Jiangsu",
                                             "Shanghai"]
    money = next(f for f in frames if "Business model" in f.columns)
    assert len(money) == 4
    for f in frames:
        assert not [c for c in f.columns if "_" in str(c)], list(f.columns)
    assert len(at.selectbox(key="cam_stat").options) == 7


def test_camera_page_without_runs_says_how_to_make_one(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    at = _page(monkeypatch, tmp_path)
    assert any("fleettwin run shop_cameras_trial" in i.value for i in at.info)


def test_run_page_shows_a_camera_run(monkeypatch, camera_runs) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FLEETTWIN_RUNS", str(camera_runs))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["selected_runs"] = ["cams"]
    at.run()
    at.switch_page("views/run.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert any(lab.startswith("Live-view blocking rate (阻塞率)") for lab in labels)
    for tab in ("Map", "Tables", "What if", "Details"):
        at.session_state["run_tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])
