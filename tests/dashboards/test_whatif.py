"""The what-if launcher: declared fields, checked overrides, an ordinary run, the comparison."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data
from dashboards import whatif
from dashboards.data import list_runs
from sim.errors import FleetTwinError

APP = str(Path(dashboards_data.__file__).parent / "app.py")


def _run(root: Path, name: str):  # type: ignore[no-untyped-def]
    return next(r for r in list_runs(root) if r.name == name)


def test_declared_fields_of_a_city_run(results):
    fields = {f.path: f for f in whatif.fields_for(_run(results, "taxi-nearest"))}
    assert fields["fleets.taxis.count"].current == 60
    assert fields["policies.dispatch.algorithm"].current == "nearest_idle"
    assert "batch_matching" in fields["policies.dispatch.algorithm"].choices
    assert fields["demand.requests_per_day"].type == "scale"
    hotline = {f.path for f in whatif.fields_for(_run(results, "hotline"))}
    assert hotline == {"agents"}


def test_overrides_only_for_changed_values(results):
    fields = whatif.fields_for(_run(results, "taxi-nearest"))
    same = {f.path: (1.0 if f.type == "scale" else f.current) for f in fields}
    assert whatif.overrides_for(fields, same) == []
    changed = dict(same, **{"demand.requests_per_day": 1.5, "fleets.taxis.count": 45})
    assert whatif.overrides_for(fields, changed) == ["fleets.taxis.count=45",
                                                     "demand.requests_per_day=3000"]


def test_plan_reruns_the_shipped_scenario_with_its_seed_and_overrides(results):
    run = _run(results, "taxi-batch")
    plan = whatif.plan(run, results, ["fleets.taxis.count=45"])
    argv = plan.argv
    assert argv[argv.index("run") + 1] == "city_taxi"
    assert argv[argv.index("--seed") + 1] == "42"
    assert argv[argv.index("--replications") + 1] == "2"
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert sets[-1] == "fleets.taxis.count=45"
    assert "policies.dispatch.algorithm=batch_matching" in sets  # the run's own overrides
    assert plan.out == results / "whatif"


def test_plan_refuses_what_the_cli_would(results):
    with pytest.raises(FleetTwinError, match="nothing to run"):
        whatif.plan(_run(results, "taxi-nearest"), results, [])
    with pytest.raises(FleetTwinError, match="shipped scenarios only"):
        whatif.plan(_run(results, "national-synthetic"), results, ["x=1"])
    with pytest.raises(FleetTwinError, match=r"fleets\.taxis\.count.*got 0"):
        whatif.plan(_run(results, "taxi-nearest"), results, ["fleets.taxis.count=0"])


def test_launch_from_the_run_page_lands_on_the_comparison(monkeypatch, results, tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    shutil.copytree(results / "taxi-nearest", root / "taxi-nearest")
    monkeypatch.setenv("FLEETTWIN_RUNS", str(root))
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["selected_runs"] = ["taxi-nearest"]
    at.run()
    at.switch_page("views/run.py")
    at.session_state["run_tab"] = "What if"
    at.run()
    at.number_input(key="whatif_fleets.taxis.count").set_value(45)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Compare"]
    new = [p for p in (root / "whatif").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(new) == 1
    name = f"whatif/{new[0].name}"
    assert at.session_state["selected_runs"] == ["taxi-nearest", name]
    manifest = json.loads((new[0] / "manifest.json").read_text())  # an ordinary run folder
    assert manifest["overrides"][-1] == "fleets.taxis.count=45" and manifest["seed"] == 42
    diff = at.dataframe[2].value.set_index("field")
    assert list(diff.loc["fleets.taxis.count"]) == ["60", "45"]
