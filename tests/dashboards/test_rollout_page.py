"""The Rollout map page with a real (small) rollout run: month slider, batches, cash flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data
from sim.cli.main import main

APP = str(Path(dashboards_data.__file__).parent / "app.py")
SMALL = Path(__file__).parents[1] / "sim" / "rollout" / "data" / "small_rollout.yaml"


@pytest.fixture(scope="module")
def rollout_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rollout_runs")
    assert main(["run", str(SMALL), "--out", str(root), "--name", "small-rollout",
                 "--quiet"]) == 0
    return root


def _page(monkeypatch: pytest.MonkeyPatch, root: Path) -> AppTest:
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("views/rollout.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _images(at: AppTest) -> int:
    def count(node) -> int:  # type: ignore[no-untyped-def]
        n = int(getattr(node, "type", "") in ("image", "imgs"))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            n += sum(count(c) for c in children.values())
        return n
    return count(at._tree)


def test_month_slider_moves_the_activated_share(monkeypatch: pytest.MonkeyPatch,
                                                rollout_results: Path) -> None:
    at = _page(monkeypatch, rollout_results)
    assert at.selectbox(key="rollout_year_run").value == "small-rollout"
    slider = at.select_slider(key="rollout_month")
    assert slider.value == "2016-12-31"
    late = at.dataframe[0].value.set_index("province")["activated / target [%]"]
    slider.set_value("2016-08-31").run()
    assert not at.exception
    early = at.dataframe[0].value.set_index("province")["activated / target [%]"]
    assert (early <= late).all() and (early < late).any()
    assert _images(at) >= 3  # the map, the cash flow and the progress of orders


def test_batch_view_and_cash_flow_of_a_province(monkeypatch: pytest.MonkeyPatch,
                                                 rollout_results: Path) -> None:
    at = _page(monkeypatch, rollout_results)
    at.radio(key="rollout_year_measure").set_value("launch batch").run()
    assert not at.exception
    at.selectbox(key="rollout_cash_province").select("Tibet").run()
    assert not at.exception
    assert set(at.selectbox(key="rollout_cash_province").options) == {
        "national", "Beijing", "Ningxia", "Tibet"}
