"""Emit -> ingest recovers a run's end state; drift flags what changed; forks continue a run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sim.results.rundir import read_json, read_table
from tests.twins.conftest import write_stream
from twins.config import vehicle_device_id
from twins.drift import findings, measure_drift
from twins.emit import EmitOptions, generate, read_truth, write_jsonl
from twins.fork import city_fork_point, fork, nearest_nodes, twin_nodes
from twins.ingest import Twin
from twins.setup import init_from_run

DATA = Path(__file__).parent / "data"


def emit_to(path: Path, run: Path, fmt: str, **kw: object) -> pa.Table:
    table = generate(read_truth(run), EmitOptions(**kw))  # type: ignore[arg-type]
    write_stream(path, table, fmt)
    return table


@pytest.mark.parametrize("fmt", ["jsonl", "jt808"])
def test_ingesting_a_generated_stream_recovers_the_end_state(small_run: Path, tmp_path: Path,
                                                             fmt: str) -> None:
    root = tmp_path / "twin"
    init_from_run(root, small_run)
    stream = emit_to(tmp_path / f"s.{fmt}", small_run, fmt, loss=0.02, duplicate=0.03,
                     reorder_s=5.0)
    keys = pc.binary_join_element_wise(stream.column("device"),
                                       pc.cast(stream.column("ts_s"), pa.string()),
                                       pc.cast(stream.column("seq"), pa.string()), "|")
    injected_dups = stream.num_rows - len(pc.unique(keys))
    with Twin(root) as twin:
        rep = twin.ingest([tmp_path / f"s.{fmt}"])
        st = twin.device_states()
        nodes = twin_nodes(twin)
    assert rep.read == stream.num_rows == rep.accepted + rep.quarantined
    # heartbeat copies may take another clock stamp; every location copy is caught
    assert injected_dups * 0.9 <= rep.reasons["duplicate of an accepted record"] <= injected_dups
    truth = read_table(small_run, "tables/vehicles.parquet", 0).to_pylist()
    by_dev = {r["device"]: r for r in st.to_pylist()}
    lon = np.array([by_dev[vehicle_device_id(t["vehicle"])]["lon"] for t in truth])
    lat = np.array([by_dev[vehicle_device_id(t["vehicle"])]["lat"] for t in truth])
    node = nearest_nodes(nodes, lon, lat)
    same_state = same_node = odo_ok = fuel_ok = 0
    for t, n in zip(truth, node, strict=True):
        got = by_dev[vehicle_device_id(t["vehicle"])]
        same_state += got["state"] == t["state"]
        same_node += int(n) == t["node"]
        odo_ok += abs(got["odometer_km"] - t["odometer_km"]) <= 0.1
        # JT/T 808 has no item for the fuel used (0x02 is the gauge, which the model lacks)
        fuel_ok += (got["fuel_used_l"] is None and got["fuel_l"] is None if fmt == "jt808"
                    else abs(got["fuel_used_l"] - t["fuel_l"]) <= 0.1)
    n = len(truth)
    assert same_state == n
    assert same_node >= 0.95 * n  # GPS error 8 m against 400 m blocks
    assert odo_ok == n and fuel_ok == n


def test_drift_names_the_terminal_profile_that_changed(small_run: Path, tmp_path: Path) -> None:
    truth = read_truth(small_run)
    root = tmp_path / "ok"
    init_from_run(root, small_run)
    with (tmp_path / "ok.jsonl").open("w") as fh:
        write_jsonl(generate(truth, EmitOptions(loss=0.01)), fh)
    with Twin(root) as twin:
        twin.ingest([tmp_path / "ok.jsonl"])
        measures = measure_drift(twin)
        assert findings(measures, twin) == []
    names = {m.measure for m in measures}
    assert names == {"message_rate", "pickup_time_s", "trip_time_s"}
    # the real terminals report every 40 s, not 30 s as the profile says
    for fleet, prof in list(truth.terminals.items()):
        truth.terminals[fleet] = prof.model_copy(update={"report_interval_s": 40.0})
    root = tmp_path / "slow"
    init_from_run(root, small_run)
    with (tmp_path / "slow.jsonl").open("w") as fh:
        write_jsonl(generate(truth, EmitOptions()), fh)
    with Twin(root) as twin:
        twin.ingest([tmp_path / "slow.jsonl"])
        found = findings(measure_drift(twin), twin)
    assert [f.recalibrate for f in found] == ["vehicle_terminal/jt808_basic@1.report_interval_s"]
    assert found[0].drift == pytest.approx(30 / 40 - 1, abs=0.03)


def test_boxes_online_drift(tmp_path: Path) -> None:
    from tests.twins.conftest import make_twin

    boxes = [(f"stb-{i}", "stb", "tianyi_hd_stb", i) for i in range(40)]
    root = make_twin(tmp_path / "twin", boxes, epoch="2024-01-01T00:00:00+08:00")
    t0 = 1704038400.0 + 20 * 3600  # 20:00 local
    lines = []
    for w in range(6):
        for i in range(40):
            node = "olt-a" if i < 20 else "olt-b"
            online = i < 20 or i < 30  # olt-a: all 20 online; olt-b: 10 of 20
            lines.append(f'{{"device":"stb-{i}","ts_s":{t0 + 600 * w + i},"seq":{w},'
                         f'"online":{str(online).lower()},"access_node":"{node}",'
                         f'"firmware":"V1.2"}}')
    (tmp_path / "stb.jsonl").write_text("\n".join(lines) + "\n")
    pred = ["measure,key,t_s,value"] + [f"boxes_online,{k},{72000 + 600 * w},{v}"
                                        for w in range(6) for k, v in (("olt-a", 19),
                                                                        ("olt-b", 20))]
    (tmp_path / "pred.csv").write_text("\n".join(pred) + "\n")
    with Twin(root) as twin:
        twin.ingest([tmp_path / "stb.jsonl"])
        ms = measure_drift(twin, predictions=tmp_path / "pred.csv")
        found = findings(ms, twin, threshold=0.2)
        found_loose = findings(ms, twin, threshold=0.6)
    by_key = {m.key: m for m in ms if m.measure == "boxes_online"}
    assert by_key["olt-a"].observed == 20 and by_key["olt-b"].observed == 10
    assert [f.key for f in found] == ["olt-b"]
    assert "boxes_per_site" in found[0].recalibrate and "tianyi_hd_stb" in found[0].recalibrate
    assert found_loose == []


def true_state_at(run: Path, t_s: float, clock_s: float, nodes: pa.Table):  # type: ignore[no-untyped-def]
    """The run's own fleet state at ``t_s``, as a model initial state (the ground truth).

    State, odometer and fuel come from the last event at or before ``t_s``; the node is the
    one nearest the vehicle's exact (noise-free) position at ``t_s``.
    """
    from sim.city.state import CityInitialState, VehicleInit

    ev = read_table(run, "tables/vehicle_events.parquet", 0).to_pylist()
    last: dict[int, dict] = {}
    for e in sorted(ev, key=lambda e: e["t_s"]):
        if e["t_s"] <= t_s:
            last[e["vehicle"]] = e
    exact = generate(read_truth(run), EmitOptions(noise=0.0, until_s=t_s)).to_pylist()
    where: dict[str, tuple[float, float]] = {}
    for r in sorted(exact, key=lambda r: (r["ts_s"], r["seq"])):
        if r["lon"] is not None:
            where[r["device"]] = (r["lon"], r["lat"])
    ids = sorted(last)
    pos = np.array([where[vehicle_device_id(v)] for v in ids])
    node = nearest_nodes(nodes, pos[:, 0], pos[:, 1])
    return CityInitialState(t0_s=clock_s, vehicles={
        v: VehicleInit(node=int(n), state=last[v]["state"], odometer_km=last[v]["odometer_km"],
                       fuel_l=last[v]["fuel_l"]) for v, n in zip(ids, node, strict=True)})


def busy_share(run: Path, after_s: float = 0.0) -> float:
    fleet = read_table(run, "timeseries/fleet.parquet").to_pylist()
    return float(np.mean([(f["busy"] + f["to_pickup"]) / 60 for f in fleet
                          if f["t_s"] > after_s]))


@pytest.mark.slow
def test_fork_continues_like_the_run(tmp_path: Path) -> None:
    """A twin fed with a run's first hour forks into a second hour that behaves like the run's.

    Three comparisons. (1) The fork from the twin against a fork from the run's true state at
    the same instant, with the same seeds (common random numbers): the twin's state must give
    the same continuation within a few percent. (2) A fork from a wrong state (every vehicle
    at one node) must fail comparison (1): the check has power. (3) The fork against the run's
    own second hour: requests within Poisson noise, mean wait and busy share within tolerance.
    (The model starts vehicles that were on a trip idle at their node, so the fork runs a
    little lighter than the run at first.)
    """
    from dataclasses import replace

    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run

    scenario = DATA / "fork_city.yaml"
    run = write_run(run_scenario(load_scenario(scenario)), tmp_path / "runs", name="source")
    root = tmp_path / "twin"
    init_from_run(root, run)
    emit_to(tmp_path / "first_hour.jsonl", run, "jsonl", until_s=3600.0, loss=0.01,
            duplicate=0.01, reorder_s=3.0)
    with Twin(root) as twin:
        twin.ingest([tmp_path / "first_hour.jsonl"])
        point = city_fork_point(twin, twin_nodes(twin))
        nodes = twin_nodes(twin)
    t_fork = point.t0_s - 8 * 3600
    assert t_fork == pytest.approx(3600, abs=60)
    truth = true_state_at(run, t_fork, point.t0_s, nodes)
    init = point.initial_state.vehicles
    assert len(init) == 60
    assert sum(init[v].state == e.state for v, e in truth.vehicles.items()) >= 57
    assert sum(init[v].node == e.node for v, e in truth.vehicles.items()) >= 57

    reps, seed = 3, 99
    fork_dir = fork(root, str(scenario), ["horizon_s=3600"], tmp_path / "runs", "fork",
                    seed=seed, replications=reps)
    assert read_json(fork_dir / "manifest.json")["forked_from"]["vehicles"] == 60
    one_hour = load_scenario(scenario, ["horizon_s=3600"])

    def kpis(initial: object) -> list[dict]:
        res = run_scenario(one_hour, seed=seed, replications=reps, initial_state=initial)
        return [r.kpis for r in res.replications]

    got = read_table(fork_dir, "replications.parquet").to_pylist()
    want = kpis(truth)
    wrong = kpis(replace(truth, vehicles={v: replace(e, node=0, state="idle")
                                          for v, e in truth.vehicles.items()}))

    def close(a: list[dict], b: list[dict]) -> bool:
        wa = np.mean([r["wait_mean_s"] for r in a])
        wb = np.mean([r["wait_mean_s"] for r in b])
        ua = np.mean([r["utilisation"] for r in a])
        ub = np.mean([r["utilisation"] for r in b])
        return bool(abs(wa / wb - 1) < 0.05 and abs(ua - ub) < 0.02)

    assert [r["requests"] for r in got] == [r["requests"] for r in want]  # same demand draws
    assert close(got, want)
    assert not close(wrong, want)

    req = read_table(run, "tables/requests.parquet", 0).to_pylist()
    second = [r for r in req if 3600 <= r["created_s"] < 7200]
    run_wait = float(np.mean([r["pickup_s"] - r["created_s"] for r in second
                              if r["status"] == "served"]))
    fork_requests = np.mean([r["requests"] for r in got])
    fork_wait = np.mean([r["wait_mean_s"] for r in got])
    assert abs(fork_requests - len(second)) <= 3 * np.sqrt(len(second))
    assert abs(fork_wait / run_wait - 1) < 0.35
    assert abs(busy_share(fork_dir) - busy_share(run, 3600.0)) < 0.15
