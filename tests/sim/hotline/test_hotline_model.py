"""The hotline model: determinism, event-log invariants, common random numbers, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import Simulation, run_scenario
from sim.errors import ScenarioError

SHORT = [("horizon_s", 4 * 3600.0), ("warmup_s", 600.0), ("replications", 2)]


def _calls(loaded, replication: int = 0):  # type: ignore[no-untyped-def]
    rep = Simulation(loaded, replication=replication).run()
    return rep, rep.tables["calls"].to_pydict()


def _busy_at(arrival: np.ndarray, answered: np.ndarray, handle: np.ndarray) -> np.ndarray:
    """Agents busy just before each arrival, recomputed from the call log."""
    ok = ~np.isnan(answered)
    start, end = answered[ok], answered[ok] + handle[ok]
    return np.array([np.sum((start < t) & (end > t)) for t in arrival])


def test_same_seed_same_result_and_replications_differ() -> None:
    loaded = load_scenario("hotline_support", SHORT)
    a = run_scenario(loaded)
    b = run_scenario(loaded)
    assert a.kpis == b.kpis
    r0, r1 = a.replications
    assert r0.kpis != r1.kpis
    assert set(a.kpis) == set(loaded.model.kpis)


def test_queue_log_is_first_come_first_served() -> None:
    loaded = load_scenario("hotline_support", SHORT + [
        ("calls.handle_s", 250.0), ("agents", 20)])
    rep, calls = _calls(loaded)
    arrival = np.array(calls["arrival_s"])
    answered = np.array(calls["answered_s"])
    handle = np.array(calls["handle_s"])
    assert np.all(np.diff(arrival) > 0)
    assert np.all(answered >= arrival)
    # with identical handling times, FCFS means calls are answered in arrival order
    assert np.all(np.diff(answered) >= 0)
    busy = _busy_at(arrival, answered, handle)
    assert busy.max() <= 20
    waited = answered > arrival
    # a caller waits exactly when every agent is busy on arrival
    assert np.array_equal(waited, busy == 20)
    assert waited.any() and not waited.all()
    assert rep.kpis["blocked"] == 0 and rep.kpis["unanswered"] == 0


def test_lost_calls_are_those_arriving_to_a_full_group() -> None:
    loaded = load_scenario("hotline_blocking", SHORT)
    rep, calls = _calls(loaded)
    arrival = np.array(calls["arrival_s"])
    answered = np.array(calls["answered_s"])
    handle = np.array(calls["handle_s"])
    status = np.array(calls["status"])
    blocked = status == "blocked"
    assert np.array_equal(np.isnan(answered), blocked)
    assert np.all(answered[~blocked] == arrival[~blocked])  # nobody waits
    assert np.array_equal(blocked, _busy_at(arrival, answered, handle) == 22)
    assert 0 < rep.kpis["blocking_rate"] < 0.5
    assert rep.kpis["wait_prob"] == 0.0


def test_staffing_changes_do_not_shift_the_calls() -> None:
    base = load_scenario("hotline_support", SHORT)
    more = load_scenario("hotline_support", SHORT + [("agents", 30)])
    _, a = _calls(base)
    _, b = _calls(more)
    assert a["arrival_s"] == b["arrival_s"] and a["handle_s"] == b["handle_s"]
    assert np.nansum(b["wait_s"]) < np.nansum(a["wait_s"])


def test_batches_cover_the_measured_window() -> None:
    loaded = load_scenario("hotline_support", SHORT + [("batches", 5)])
    rep = Simulation(loaded).run()
    batches = rep.tables["batches"].to_pydict()
    assert batches["t_start_s"][0] == 600.0 and batches["t_end_s"][-1] == 4 * 3600.0
    assert sum(batches["calls"]) == rep.kpis["calls"]
    series = rep.series["hotline"].to_pydict()
    assert series["t_s"][0] == 0.0 and len(series["t_s"]) >= 4


def test_bad_scenario_lists_every_problem() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario("hotline_support", [("agents", 0), ("calls.per_h", -5),
                                          ("when_busy", "hang_up"), ("agent", 3)])
    text = str(err.value)
    assert "hotline_support.yaml" in text
    assert "agents: Input should be greater than or equal to 1 (got 0)" in text
    assert "calls.per_h: Input should be greater than 0 (got -5)" in text
    assert "when_busy:" in text and "'hang_up'" in text
    assert "agent: unknown field" in text


def test_negative_handling_time_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"calls\.handle_s: must not be negative \(got -3"):
        load_scenario("hotline_support", [("calls.handle_s", -3.0)])
    with pytest.raises(ScenarioError, match=r"calls\.handle_s: mean handling time must be > 0"):
        load_scenario("hotline_support", [("calls.handle_s", 0.0)])


def test_cli_runs_the_scenario(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["run", "hotline_blocking", "--quiet", "--replications", "1",
                 "--set", "horizon_s=7200", "--out", str(tmp_path), "--name", "r"])
    assert code == 0
    assert (tmp_path / "r" / "tables" / "calls.parquet").is_file()
    assert "blocking_rate" in capsys.readouterr().out


def test_golden_kpis() -> None:
    """KPIs of a short hotline_support run are checked in; a change must be deliberate.

    Regenerate golden_hotline_support.json only when the model is meant to change.
    """
    import json
    from pathlib import Path

    golden = json.loads((Path(__file__).parent / "golden_hotline_support.json").read_text())
    result = run_scenario(load_scenario("hotline_support", SHORT))
    assert result.kpis == pytest.approx(golden, rel=1e-9, abs=1e-9)
