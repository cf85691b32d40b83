"""The exact event trace of a tiny scenario, checked by hand."""

from __future__ import annotations

import math

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario


def test_exact_event_trace(fixtures_dir):
    loaded = load_scenario(fixtures_dir / "tiny_trace.yaml")
    rep = run_scenario(loaded).replications[0]
    ev = rep.tables["vehicle_events"].to_pydict()
    trace = list(zip(ev["t_s"], ev["state"], ev["node"], ev["request"], strict=True))
    # R0: assigned at 0, drives 0->2 (200 s), dwell 10 + ride 2->8 (200 s) + dwell 10.
    # R1 waits for the car, which is free at 420 at node 8, drives 8->6 (200 s).
    # R2 gives up at 150 + 200 = 350 while the car is busy.
    assert trace == [
        (0.0, "idle", 0, -1),
        (0.0, "to_pickup", 0, 0),
        (200.0, "busy", 2, 0),
        (420.0, "idle", 8, -1),
        (420.0, "to_pickup", 8, 1),
        (620.0, "busy", 6, 1),
        (840.0, "idle", 0, -1),
    ]
    req = rep.tables["requests"].to_pydict()
    assert req["status"] == ["served", "served", "abandoned"]
    assert req["pickup_s"][:2] == [200.0, 620.0]
    assert req["dropoff_s"][:2] == [420.0, 840.0]
    assert req["abandoned_s"][2] == 350.0
    assert math.isnan(req["pickup_s"][2])
    k = rep.kpis
    assert k["requests"] == 3 and k["served"] == 2 and k["abandoned"] == 1
    assert k["wait_mean_s"] == (200.0 + 520.0) / 2
    # Empty km 2 + 2, loaded km 2 + 2 (Manhattan blocks of 1 km).
    assert k["deadhead_ratio"] == 0.5
    assert k["km_total"] == 8.0
