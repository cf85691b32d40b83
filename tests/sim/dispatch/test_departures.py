"""When a vehicle leaves for its next stop: the waiting strategies of Mitrović-Minić and
Laporte (2004), on a hand-made schedule whose times are worked out below."""

from __future__ import annotations

import numpy as np
import pytest

from sim.dispatch import get_dispatcher
from sim.dispatch.departure import DEPARTURES
from sim.dispatch.engine import SERVED
from sim.dispatch.schedule import Requests
from tests.sim.dispatch.conftest import Host, make_engine

# Depot 0 at (0, 0); visits A (100, 0), B (150, 0), C (150, 30); travel time = distance.
# All three known at t = 0, one vehicle at the depot, due back by 2000. Windows on the start
# of service (no service time): A [500, 900], B [1000, 1300], C [0, 1400]. The one cheapest
# order is A, B, C (C after B adds 32.97, between A and B 38.31, first 111.28).
#
# Leaving the depot at 0: A reached at 100 (waits 400, may start up to 400 later), B at 550
# (waits 450, up to 300 later), C at 1030 (no wait, up to 370 later), home at 1182.97 (817.03
# to spare). Forward slack: C 370; B 450 + min(300, 370) = 750; A 400 + min(400, 750) = 800.
# Zones (a new one at each stop reached before its window opens): {A}, {B, C}.
XY = np.array([[0.0, 0.0], [100.0, 0.0], [150.0, 0.0], [150.0, 30.0]])
HOME_S = float(np.hypot(150.0, 30.0))

# Departure time from each place (depot, A, B) for each rule:
# - at_once: leaves at once and waits at the stop: 0, 500, 1000.
# - for_window: arrives as each window opens: leaves at 400 (A at 500), at A at 950 (B at
#   1000), at B at once (C has no window to wait for).
# - wait_first: leaves at the latest moment: depot at 800 (A at 900); at A (900) B would be
#   reached at 950, slack 50 + min(300, 370) = 350, leaves at 1250 (B at 1300); at B (1300) C
#   at 1330, slack min(70, 2000 - 1330 - 152.97) = 70, leaves at 1370 (C at 1400).
# - dynamic: wait first between zones, drive first within one: 800 and 1250 as wait_first,
#   then at once from B (C is in B's zone).
# - advanced_dynamic: between zones waits the window's idle plus the slack beyond it split
#   over the zones still ahead and the time after the last stop: depot 400 + (800 - 400) / 3
#   = 533.33 (A at 633.33); at A (633.33): B at 683.33, idle 316.67, slack 316.67 + min(300,
#   370) = 616.67, one zone ahead: leaves after 316.67 + 300 / 2 = 466.67, at 1100 (B at
#   1150); from B at once (C at 1180).
# - balanced: at every stop the window's idle plus the slack beyond it split over the stops
#   ahead and the way home: depot 400 + 400 / 4 = 500 (A at 600); at A (600): B at 650, idle
#   350, slack 350 + min(300, 370) = 650, leaves after 350 + 300 / 3 = 450, at 1050 (B at
#   1100); at B (1100): C at 1130, slack min(270, 2000 - 1130 - 152.97) = 270, leaves after
#   270 / 2 = 135, at 1235 (C at 1265).
EXPECTED = {
    "at_once": ([0.0, 500.0, 1000.0], [500.0, 1000.0, 1030.0]),
    "for_window": ([400.0, 950.0, 1000.0], [500.0, 1000.0, 1030.0]),
    "wait_first": ([800.0, 1250.0, 1370.0], [900.0, 1300.0, 1400.0]),
    "dynamic": ([800.0, 1250.0, 1300.0], [900.0, 1300.0, 1330.0]),
    "advanced_dynamic": ([1600.0 / 3, 1100.0, 1150.0], [1900.0 / 3, 1150.0, 1180.0]),
    "balanced": ([500.0, 1050.0, 1235.0], [600.0, 1100.0, 1265.0]),
}


class LegHost(Host):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.legs: list[tuple[int, int, float, float]] = []

    def on_leg(self, v, a, b, t0, t1, r, load):
        super().on_leg(v, a, b, t0, t1, r, load)
        self.legs.append((a, b, t0, t1))


def run(departure: str):
    T = np.linalg.norm(XY[:, None] - XY[None, :], axis=2)
    q = Requests.build(np.zeros(3), np.array([1, 2, 3]), np.full(3, -1), T,
                       pickup_window=(np.array([500.0, 1000.0, 0.0]),
                                      np.array([900.0, 1300.0, 1400.0])),
                       riders=0.0, goods=np.ones(3))
    env, e, _ = make_engine(T, get_dispatcher("insertion", batch_window_s=0.0), [0], q,
                            seats=0)
    host = LegHost(T=np.asarray(T, dtype=float))
    host.engine, e.host = e, host
    e.schedules.cap[:, 1:] = 10
    e.schedules.end_node[:] = 0
    e.schedules.end_late[:] = 2000.0
    e.departure = departure
    e.start()
    env.run()
    return e, host


@pytest.mark.parametrize("departure", DEPARTURES)
def test_each_departure_rule_leaves_when_worked_out_by_hand(departure):
    e, host = run(departure)
    assert (e.status == SERVED).all()
    assert [s[2] for s in host.stops] == [0, 1, 2]  # A, B, C
    leave, start = EXPECTED[departure]
    assert [leg[:2] for leg in host.legs] == [(0, 1), (1, 2), (2, 3)]
    assert [leg[2] for leg in host.legs] == pytest.approx(leave)
    assert list(e.pickup_s) == pytest.approx(start)
    # Every window kept, and home in time: the latest rule leaves C at 1400, home at 1552.97.
    assert (e.pickup_s <= np.array([900.0, 1300.0, 1400.0]) + 1e-6).all()
    assert e.free_at[0] + HOME_S <= 2000.0


@pytest.mark.parametrize("departure", DEPARTURES)
def test_waiting_longer_lets_a_task_revealed_meanwhile_go_first(departure):
    # Visit D (100, 0), window [500, 900], known at 0; visit E (0, 50), window [0, 700],
    # revealed at 450; one vehicle at the depot, no end depot. Leaving at once (at 0) or for
    # D's window (at 400), the vehicle is on its way to D or there when E appears (it cannot
    # turn: no road graph): E comes after D, served at 500 + 111.80 = 611.80, 100 + 111.80 =
    # 211.80 driven. With the slack rules it still waits at the depot at 450 (it would leave
    # at 800, advanced_dynamic and balanced at 400 + 400 / 2 = 600: D may start as late as
    # 900), so E goes first,
    # 50 + 111.80 = 161.80 driven. Then E has no window to wait for: dynamic and
    # advanced_dynamic leave at once (E at 500, D at 611.80); wait_first leaves at the
    # latest, E at 700 (its due time: 200 to spare against D's 288.20) and D at 900;
    # balanced waits 200 / 3 (E at 566.67), then at E half of D's 900 - 678.47 = 221.53
    # (D at 789.23).
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 50.0]])
    T = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    q = Requests.build(np.array([0.0, 450.0]), np.array([1, 2]), np.full(2, -1), T,
                       pickup_window=(np.array([500.0, 0.0]), np.array([900.0, 700.0])),
                       riders=0.0, goods=np.ones(2))
    env, e, host = make_engine(T, get_dispatcher("insertion", batch_window_s=0.0), [0], q,
                               seats=0)
    e.schedules.cap[:, 1:] = 10
    e.departure = departure
    e.start()
    env.run()
    assert (e.status == SERVED).all()
    de = float(np.hypot(100.0, 50.0))
    if departure in ("at_once", "for_window"):
        assert [s[2] for s in host.stops] == [0, 1]
        assert list(e.pickup_s) == pytest.approx([500.0, 500.0 + de])
        assert host.km == pytest.approx(100.0 + de)
    else:
        assert [s[2] for s in host.stops] == [1, 0]
        e_s = {"wait_first": 700.0, "balanced": 450.0 + 200.0 / 3 + 50.0}.get(departure, 500.0)
        d_s = {"wait_first": 900.0, "balanced": (e_s + de + 900.0) / 2}.get(departure, e_s + de)
        assert list(e.pickup_s) == pytest.approx([d_s, e_s])
        assert host.km == pytest.approx(50.0 + de)


def test_an_unknown_departure_rule_is_refused():
    with pytest.raises(ValueError, match="departure 'later'"):
        run("later")


def test_the_online_runner_takes_the_departure_rule_and_the_vehicle_cost():
    from validation.dynamic_vrp.instances import load_instance
    from validation.dynamic_vrp.online import VEHICLE_COST_UNITS, OnlineRun, ReleaseRule

    inst = load_instance("lc101")
    release = ReleaseRule().release_times(inst)
    disp = get_dispatcher("priority")
    run = OnlineRun(inst, disp, release, departure="advanced_dynamic")
    assert run.engine.departure == "advanced_dynamic"
    assert run.engine.vehicle_cost_s == VEHICLE_COST_UNITS * 60.0
    assert OnlineRun(inst, disp, release, vehicle_cost_units=120.0).engine.vehicle_cost_s \
        == 120.0 * 60.0
    with pytest.raises(ValueError, match="departure 'later' is not one of at_once"):
        OnlineRun(inst, disp, release, departure="later")
