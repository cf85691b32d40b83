"""Workshops: opening hours, the booking calendar, and which workshop a vehicle may use."""

from __future__ import annotations

import datetime as dt

import pytest
import simpy

from sim.fleetops.health_schema import WorkshopSpec
from sim.fleetops.state import DAY_S, FleetState, Site, Vehicle
from sim.fleetops.workshops import Workshop, allowed, choose
from validation.fleetops_world import START, profile

H = 3600.0


def shop(**spec) -> Workshop:
    return Workshop(WorkshopSpec(**{"id": "w", **spec}), simpy.Environment(), START)


def vehicle(i: int = 0, warranty_end: dt.date | None = None, pid: str = "car") -> Vehicle:
    p = profile(id=pid)
    return Vehicle(index=i, plate=f"P{i}", profile_id=pid, profile=p,
                   purchase_date=dt.date(2025, 1, 1), warranty_end=warranty_end,
                   home_node=None, depot="depot", odometer_km=0.0, operating_h=0.0)


def test_work_stops_at_closing_and_goes_on_next_opening():
    w = shop(open_h=8, close_h=18)
    # 3 h of work begun at 16:00 on day 0: 2 h today, 1 h from 08:00 on day 1
    assert w.work_end_s(16 * H, 3.0) == pytest.approx(DAY_S + 9 * H)


def test_closed_weekday_is_skipped():
    w = shop(open_h=8, close_h=18, closed_weekdays=[1])  # START is a Monday: day 1 closed
    assert w.work_end_s(17 * H, 2.0) == pytest.approx(2 * DAY_S + 9 * H)
    assert w.open_hours(0.0, 3 * DAY_S) == pytest.approx(20.0)


def test_slot_taken_by_every_bay_is_not_offered():
    w = shop(bays=1, slot_h=1.0, open_h=8, close_h=10)
    first = w.find(0.0, 1.0, days=5)
    assert first is not None and first.start_s == 8 * H
    w.reserve(first)
    second = w.find(0.0, 1.0, days=5)
    assert second is not None and second.start_s == 9 * H
    w.reserve(second)
    third = w.find(0.0, 1.0, days=5)
    assert third is not None and third.start_s == DAY_S + 8 * H


def test_two_bays_take_two_bookings_in_one_slot():
    w = shop(bays=2, open_h=8, close_h=10)
    for _ in range(2):
        b = w.find(0.0, 1.0, days=5)
        assert b is not None and b.start_s == 8 * H
        w.reserve(b)


def test_long_job_takes_consecutive_slots_of_one_day():
    w = shop(bays=1, open_h=8, close_h=12, slot_h=1.0)
    taken = w.find(9 * H, 1.0, days=5)  # 09:00-10:00
    assert taken is not None
    w.reserve(taken)
    b = w.find(0.0, 2.5, days=5)  # needs 3 slots: 10:00-13:00 does not fit, 8-9 too short
    assert b is not None and b.start_s == DAY_S + 8 * H and len(b.slots) == 3


def test_notice_pushes_the_slot_later():
    w = shop(open_h=8, close_h=18)
    b = w.find(8 * H + 24 * H, 1.0, days=5)
    assert b is not None and b.start_s == DAY_S + 8 * H


def test_in_warranty_only_a_4s_store_that_serves_the_profile():
    dealer = shop(id="d", kind="4s", profiles=["car"])
    other_dealer = shop(id="o", kind="4s", profiles=["van"])
    independent = shop(id="i")
    v = vehicle(warranty_end=dt.date(2027, 1, 1))
    assert allowed([independent, other_dealer, dealer], v, in_warranty=True) == [dealer]
    assert allowed([independent, other_dealer, dealer], v, in_warranty=False) == [independent]
    assert allowed([dealer], v, in_warranty=False) == [dealer]


def test_vehicle_in_warranty_is_booked_at_the_dealer_even_when_an_independent_is_nearer():
    env = simpy.Environment()
    near = Workshop(WorkshopSpec(id="near", x_km=0.5), env, START)
    far_dealer = Workshop(WorkshopSpec(id="dealer", kind="4s", x_km=20.0), env, START)
    v = vehicle(warranty_end=dt.date(2027, 1, 1))
    state = FleetState(env, [v], START, {"depot": Site("depot", 0.0, 0.0)})
    got = choose([near, far_dealer], state, v, 0.0, 0.0, 1.0, days=10)
    assert got is not None and got[0].workshop is far_dealer
    assert got[1] == pytest.approx(20.0 * 1.3 / 30.0 * H)  # detour 1.3 at 30 km/h
    out = vehicle(1)  # no warranty
    got = choose([near, far_dealer], state, out, 0.0, 0.0, 1.0, days=10)
    assert got is not None and got[0].workshop is near


def test_soonest_back_wins_among_allowed():
    env = simpy.Environment()
    busy = Workshop(WorkshopSpec(id="busy", bays=1, x_km=1.0), env, START)
    free = Workshop(WorkshopSpec(id="free", bays=1, x_km=5.0), env, START)
    for _ in range(10):  # the first day at "busy" is fully booked
        b = busy.find(0.0, 1.0, days=1)
        if b is None or b.start_s >= DAY_S:
            break
        busy.reserve(b)
    v = vehicle()
    state = FleetState(env, [v], START, {"depot": Site("depot", 0.0, 0.0)})
    got = choose([busy, free], state, v, 0.0, 0.0, 1.0, days=10)
    assert got is not None and got[0].workshop is free


def test_bad_workshop_in_a_scenario_names_the_field_and_value(make_fleet):
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError) as err:
        make_fleet(workshops=[{"id": "w", "open_h": 18, "close_h": 8},
                              {"id": "v", "kind": "dealer"},
                              {"id": "u", "bays": 0}])
    text = str(err.value)
    assert "workshops.0" in text or "workshops[0]" in text
    assert "close_h (8.0) must be after open_h (18.0)" in text
    assert "'dealer'" in text and "bays" in text


def test_duplicate_workshop_ids_are_an_error():
    from sim.errors import ScenarioError
    from validation.fleetops_world import Car, world

    with pytest.raises(ScenarioError, match=r"workshops\[1\]\.id.*unique.*'w'"):
        world([Car(profile())], [WorkshopSpec(id="w"), WorkshopSpec(id="w")])


def test_next_opening_skips_the_night_and_closed_days():
    w = shop(open_h=8, close_h=18, closed_weekdays=[1])  # day 1 (a Tuesday) closed
    assert w.next_open_s(10 * H) == 10 * H
    assert w.next_open_s(19 * H) == 2 * DAY_S + 8 * H
    assert w.next_open_s(3 * H) == 8 * H
