"""Maintenance and repairs through the health hooks: booking, the 4S rule, downtime split."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.errors import ScenarioError
from sim.fleetops.health_schema import MaintenanceSpec, WorkshopSpec
from validation.fleetops_world import Car, profile, run, world

DEALER = WorkshopSpec(id="dealer", kind="4s", x_km=8.0, bays=2)
INDEPENDENT = WorkshopSpec(id="corner", x_km=1.0, bays=2)
NO_FAILURES = {"failure_rate_per_1000h": 0.0}


def visits(w) -> list[dict]:
    return w.recorder.event_tables()["workshop_visits"].to_pylist()


def test_vehicle_at_14999_km_with_15000_km_service_books_a_slot_at_once():
    p = profile(service_interval_km=15_000.0, **NO_FAILURES)
    w = world([Car(p, odometer_km=14_999.0)], [INDEPENDENT], months=1)
    w.health.on_start(w.state)
    visit = w.health.vh[0].visit
    assert visit is not None and visit.service
    assert w.health.n.bookings == 1
    # online booking: at least min_notice_h (24 h) ahead
    assert visit.booking is not None and visit.booking.start_s >= 24 * 3600.0


def test_without_booking_margin_the_slot_is_booked_after_the_task_that_passes_15000_km():
    p = profile(service_interval_km=15_000.0, **NO_FAILURES)
    w = world([Car(p, odometer_km=14_999.0)], [INDEPENDENT], months=1,
              maintenance=MaintenanceSpec(book_ahead_km=0.0))
    w.health.on_start(w.state)
    assert w.health.vh[0].visit is None
    w.env.run(until=9 * 3600.0)  # first task: 07:00-08:00, 25 km
    assert w.health.vh[0].visit is not None
    assert w.health.n.bookings == 1


def test_vehicle_at_14000_km_does_not_book_yet():
    p = profile(service_interval_km=15_000.0, **NO_FAILURES)
    w = world([Car(p, odometer_km=14_000.0)], [INDEPENDENT], months=1)
    w.health.on_start(w.state)
    assert w.health.vh[0].visit is None


def test_service_resets_the_due_km_and_books_downtime_by_reason():
    p = profile(service_interval_km=15_000.0, service_time_h=2.0, **NO_FAILURES)
    w = world([Car(p, odometer_km=14_999.0)], [INDEPENDENT], months=1)
    k = run(w)
    assert k["services"] == 1
    # serviced within a few days of the booking: next due 15,000 km after that odometer
    assert 30_000.0 <= w.health.vh[0].due_km <= 31_000.0
    down = w.state.downtime_s
    assert down["service"] == pytest.approx(2 * 3600.0)
    assert down["travel"] == pytest.approx(2 * 1.0 * 1.3 / 30.0 * 3600.0)
    assert k["downtime_service_h"] == pytest.approx(2.0)


def test_vehicle_in_warranty_goes_only_to_the_4s_store():
    p = profile(service_interval_km=5_000.0, failure_rate_per_1000h=5.0)
    cars = [Car(p, odometer_km=4_800.0 + 100 * i, warranty_end=dt.date(2027, 1, 1))
            for i in range(6)]
    cars += [Car(p, odometer_km=4_800.0 + 100 * i) for i in range(6)]
    w = world(cars, [DEALER, INDEPENDENT], months=2)
    run(w)
    rows = visits(w)
    in_warranty = {f"A{i:05d}" for i in range(6)}
    assert {r["workshop"] for r in rows if r["plate"] in in_warranty} == {"dealer"}
    assert {r["workshop"] for r in rows if r["plate"] not in in_warranty} == {"corner"}
    assert any(r["kind"] == "breakdown" for r in rows)


def test_repairs_in_warranty_are_paid_by_the_dealer():
    p = profile(failure_rate_per_1000h=20.0, repair_parts_cny=1000.0)
    w = world([Car(p, warranty_end=dt.date(2027, 1, 1)) for _ in range(5)], [DEALER],
              months=1)
    k = run(w)
    assert k["breakdowns"] > 0
    assert k["warranty_covered_cny"] >= 1000.0 * len(visits(w))
    tow = MaintenanceSpec().tow_cny
    assert k["maintenance_cny"] == pytest.approx(
        tow * len(visits(w)) + w.health.tables()["costs_monthly"]["maint_wear_cny"].sum())


def test_service_due_by_months_is_booked_without_km():
    p = profile(service_interval_months=6, **NO_FAILURES)
    # bought 2025-07-20: six months are up on 2026-01-20, 15 days into the run
    car = Car(p, purchase_date=dt.date(2025, 7, 20))
    w = world([car], [INDEPENDENT], months=1, shift_h=(7.0, 7.5))  # hardly drives
    k = run(w)
    assert k["services"] == 1
    # checked once a day: booked on day 1, book_ahead_days (14) before it is due
    assert visits(w)[0]["requested_s"] == 1 * 86400.0


def test_a_breakdown_waits_for_a_bay_when_the_workshop_is_full():
    p = profile(failure_rate_per_1000h=60.0, repair_time_h=6.0)
    w = world([Car(p) for _ in range(20)], [WorkshopSpec(id="tiny", bays=1)], months=1)
    k = run(w)
    assert k["downtime_waiting_h"] > 0
    assert k["downtime_repair_h"] > 0
    assert 0 < k["workshop_utilisation"] <= 1


def test_no_dealer_for_a_vehicle_in_warranty_is_a_scenario_error():
    p = profile()
    with pytest.raises(ScenarioError, match=r"workshops: 1 vehicles .* \(e.g. A00000\) but no 4S"):
        world([Car(p, warranty_end=dt.date(2027, 1, 1))], [INDEPENDENT])


def test_last_service_from_the_register_sets_the_due_km():
    p = profile(service_interval_km=10_000.0, **NO_FAILURES)
    w = world([Car(p, odometer_km=12_000.0, extra={"last_service_km": "11500"})], [INDEPENDENT])
    assert w.health.vh[0].due_km == 21_500.0


def test_bad_last_service_column_names_plate_and_value():
    p = profile(service_interval_km=10_000.0, **NO_FAILURES)
    with pytest.raises(ScenarioError, match=r"A00000\.last_service_km.*'soon'"):
        world([Car(p, extra={"last_service_km": "soon"})], [INDEPENDENT])


def test_breakdown_cancels_the_booked_slot_and_the_repair_includes_the_service():
    p = profile(service_interval_km=15_000.0, failure_rate_per_1000h=1.0, repair_time_h=2.0)
    w = world([Car(p, odometer_km=14_999.0)], [INDEPENDENT], months=1, shift_h=(0.0, 0.0))
    h, v = w.health, w.state.vehicles[0]
    h.on_start(w.state)
    booked = h.vh[0].visit
    assert booked is not None and booked.booking is not None
    shop = booked.booking.workshop
    assert sum(shop.booked.values()) == 2  # a 2 h service: two 1 h slots
    v.operating_h = h.vh[0].fault.fail_at - h.vh[0].hours_before + 0.5
    h.on_task_done(v, 3600.0, 10.0, 1.0)
    assert booked.cancelled
    # the service's slots (day 1, after 24 h notice) given back; the repair's taken today
    assert {k: n for k, n in shop.booked.items() if n} == {(0, 0): 1, (0, 1): 1}
    repair = h.vh[0].visit
    assert repair is not None and repair.breakdown and repair.service
    assert v.down_reason == "travel"  # towed at once
    w.env.run(until=3 * 86400.0)
    assert (h.n.breakdowns, h.n.services) == (1, 1)
    assert v.available and h.vh[0].visit is None


def test_utilisation_and_bookings_per_day_of_a_hand_checked_month():
    # one vehicle serviced once (exactly 2 h) at a one-bay workshop open 8-18 every day
    p = profile(service_interval_km=15_000.0, service_time_h=2.0, **NO_FAILURES)
    shop = WorkshopSpec(id="one", bays=1, open_h=8.0, close_h=18.0)
    w = world([Car(p, odometer_km=14_999.0)], [shop], months=1)
    k = run(w)
    days = w.horizon_s / 86400.0  # 2026-01-05 to 2026-02-05: 31 days
    assert days == 31
    assert k["workshop_utilisation"] == pytest.approx(2.0 / (10.0 * 31))
    assert k["bookings_per_day"] == pytest.approx(1 / 31)
    assert k["booking_lead_mean_h"] >= 24.0


def test_same_seed_same_results_and_another_seed_differs():
    from sim.fleetops.health_schema import WarningSpec

    p = profile(service_interval_km=5_000.0, failure_rate_per_1000h=10.0, failure_shape=1.5)
    cars = [Car(p, odometer_km=300.0 * i) for i in range(20)]

    def kpis(seed: int) -> dict[str, float]:
        return run(world(cars, [INDEPENDENT], months=1, seed=seed,
                         warning=WarningSpec(enabled=True)))

    first, again, other = kpis(5), kpis(5), kpis(6)
    assert first.keys() == again.keys()
    assert all(first[k] == again[k] or (first[k] != first[k] and again[k] != again[k])
               for k in first)  # equal, or both NaN
    assert (first["breakdowns"], first["warnings"]) != (other["breakdowns"], other["warnings"])
