"""The what-if launcher: declared fields, checked overrides, an ordinary run, the comparison."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

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


def _shipped_as_run(tmp_path: Path, stem: str):  # type: ignore[no-untyped-def]
    """A shipped scenario written as a run folder writes it (resolved scenario, profiles)."""
    import yaml

    from dashboards.data import RunInfo
    from sim.engine.loading import load_scenario

    loaded = load_scenario(stem)
    scenario = loaded.scenario.model_dump(mode="json", by_alias=True)
    run = tmp_path / stem
    run.mkdir()
    (run / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    profiles = {k: p.model_dump(mode="json", by_alias=True, exclude_none=True)
                for k, p in loaded.profiles.items()}
    (run / "profiles.yaml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
    return RunInfo(name=stem, path=run, kind=str(scenario["kind"]), scenario=stem), loaded


def _changed(f: whatif.Field) -> Any:
    if f.type == "choice":
        return next(c for c in f.choices if c != f.current)
    if f.type == "scale":
        return 1.5
    if f.type == "int":
        return int(f.current) + 1
    return round(float(f.current) * 1.5 + 0.5, 3)


def test_every_declared_field_resolves_and_loads_on_the_shipped_scenarios(tmp_path):
    """Each declared field of each kind is offered on a shipped scenario of that kind, with
    the value the scenario (or its profile) has, and a changed value is accepted by the
    loader and reaches the scenario the model gets."""
    import yaml

    from sim.engine.loading import available_scenarios, load_scenario

    offered: dict[str, set[str]] = {}
    for path in available_scenarios():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if raw.get("kind") not in whatif.DECLARED:
            continue
        run, loaded = _shipped_as_run(tmp_path, path.stem)
        declared = whatif.DECLARED.get(run.kind, [])
        fields = whatif.fields_for(run)
        assert bool(fields) == bool(declared), (path.stem, run.kind)
        for f in fields:
            d = next(d for d in declared if re.fullmatch(
                re.escape(d.path).replace(r"\{fleet\}", r"[^.]+"), f.path))
            offered.setdefault(run.kind, set()).add(d.path)
            new = whatif.overrides_for(fields, {f.path: _changed(f)})
            assert len(new) == 1, (path.stem, f)
            changed = load_scenario(path.stem, new)
            again = changed.scenario.model_dump(mode="json")
            value = yaml.safe_load(new[0].split("=", 1)[1])
            assert whatif._get(again, f.path) == value != f.current, (path.stem, f.path)
            if d.profile:  # the override reaches the profile the model uses
                key, _, name = d.profile.rpartition(".")
                prof = changed.profiles[key]
                assert getattr(prof, name) == value != getattr(loaded.profiles[key], name)
    for kind, declared in whatif.DECLARED.items():
        assert offered.get(kind, set()) == {d.path for d in declared}, kind


def test_rollout_fields_are_the_schema_fields(tmp_path):
    run, loaded = _shipped_as_run(tmp_path, "iptv_rollout_2016")
    fields = {f.path: f for f in whatif.fields_for(run)}
    sc = loaded.scenario
    assert fields["installation.crew_factor"].current == sc.installation.crew_factor
    assert fields["installation.crews_per_10k"].current == sc.installation.crews_per_10k
    assert fields["platform.capacity_per_h"].current == sc.platform.capacity_per_h
    assert fields["hotline.centre.agents"].current == sc.hotline.centre.agents


def test_vod_capacity_from_the_profile_unless_sized_per_box(tmp_path):
    run, loaded = _shipped_as_run(tmp_path, "iptv_firmware_campaign")
    fields = {f.path: f for f in whatif.fields_for(run)}
    streams = fields["network.profile_overrides.vod_server.streams"]
    assert streams.current == loaded.profiles["server:vod"].streams  # not set in the scenario
    run, _ = _shipped_as_run(tmp_path, "iptv_national_rollout_day")
    fields = {f.path: f for f in whatif.fields_for(run)}
    assert "network.profile_overrides.vod_server.streams" not in fields
    assert fields["network.vod_streams_per_1000_boxes"].current == 120
