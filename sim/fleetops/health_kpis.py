"""KPIs and cost bookings of the health part (reliability, workshops, warning, economics).

Every KPI here has an entry in ``sim/results/kpis/fleet_year_health.yaml``. Downtime is in
vehicle-hours over the whole fleet; the warning's lead time is in operating hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.fleetops.economics import COST_COLUMNS
from sim.fleetops.workshops import bay_utilisation
from sim.schema.distributions import mean_of

if TYPE_CHECKING:
    from sim.fleetops.health import Health
    from sim.fleetops.visits import Visit

H_S = 3600.0

#: Downtime reasons of the health part, and the KPI each one feeds.
DOWNTIME = {"waiting_slot": "downtime_waiting_h", "travel": "downtime_travel_h",
            "service": "downtime_service_h", "repair": "downtime_repair_h"}

#: KPI name -> meaning (the catalogue holds labels, units and formats).
HEALTH_KPIS: dict[str, str] = {
    "breakdowns": "breakdowns during the run",
    "breakdowns_expected": "breakdowns the profiles' hazards predict for the clock run",
    "breakdowns_per_100000km": "breakdowns per 100,000 fleet km",
    "services": "preventive services done",
    "bookings": "service slots booked online",
    "bookings_per_day": "service slots booked per day",
    "booking_lead_mean_h": "mean time from booking to slot",
    "bookings_deferred": "booking attempts that found no slot in the calendar window",
    "workshop_utilisation": "bay hours worked / bay hours open",
    "workshop_visits": "vehicles through a workshop (service, repair, inspection)",
    "downtime_waiting_h": "vehicle-hours waiting for a bay or slot at a workshop",
    "downtime_travel_h": "vehicle-hours driving or towed to and from workshops",
    "downtime_service_h": "vehicle-hours in a bay for service or inspection",
    "downtime_repair_h": "vehicle-hours in a bay for repair",
    "warnings": "early warnings raised",
    "warning_precision": "warnings on a developing fault / all warnings",
    "warning_recall": "faults warned before they ended / all faults that ended",
    "warning_lead_mean_h": "operating hours from a true warning to the breakdown it announced",
    "failures_avoided": "faults put right on a warning before they broke down",
    "warning_cost_cny": "repairs on warnings plus inspections that found nothing",
    "warning_saving_cny": "run-to-failure cost of the avoided breakdowns minus warning_cost",
    "maintenance_cny": "services, repairs, towing, inspections and wear parts the fleet paid",
    "warranty_covered_cny": "repairs paid by dealers under warranty",
    "cost_capital_cny": "depreciation of the fleet over the run",
    "cost_insurance_cny": "insurance over the run",
    "cost_platform_cny": "telematics platform over the run",
    "cost_drivers_cny": "driver wages over the run",
    "cost_energy_cny": "fuel and electricity over the run",
    "cost_downtime_cny": "downtime valued at downtime_cny_per_h",
    "cost_total_cny": "all costs of the run",
    "cost_per_km_cny": "all costs per fleet km",
    "fleet_value_end_cny": "book value of the fleet at the end",
}


@dataclass
class HealthCounts:
    breakdowns: int = 0
    breakdowns_warned: int = 0
    warnings_true: int = 0
    warnings_false: int = 0
    avoided: int = 0
    full_warned: int = 0  # faults watched from onset: warned
    full_missed: int = 0  # faults watched from onset: broke down unwarned
    services: int = 0
    bookings: int = 0
    booking_deferred: int = 0
    visits: int = 0
    warning_cost_cny: float = 0.0
    avoided_cost_cny: float = 0.0
    lead_h: list[float] = field(default_factory=list)
    booking_lead_h: list[float] = field(default_factory=list)
    down_h_by_month: list[float] = field(default_factory=list)


def visit_cost(h: Health, visit: Visit, hours: float) -> tuple[float, float]:
    """Parts and labour of a visit: (paid by the fleet, covered by the dealer's warranty)."""
    v, ws = visit.vehicle, visit.workshop
    p = v.profile
    labour = ws.spec.labour_cny_per_h if ws is not None else 0.0
    service_h = 0.0
    paid = covered = 0.0
    if visit.service:
        service_h = min(hours, mean_of(p.service_time_h))
        paid += p.service_parts_cny + labour * service_h
    fix_h = hours - service_h
    fix = 0.0
    if visit.breakdown:
        fix = p.repair_parts_cny + labour * fix_h
        paid += h.m.tow_cny
    elif visit.warned:
        fix = (h.m.warned_repair_share * p.repair_parts_cny if visit.extra.get("fault")
               else 0.0) + labour * fix_h
    dealer = ws is not None and ws.is_4s and h.state.in_warranty(v, h.env.now)
    if dealer and (visit.breakdown or visit.extra.get("fault")):
        covered += fix
    else:
        paid += fix
    return paid, covered


def book_visit(h: Health, visit: Visit, hours: float, end_s: float) -> None:
    """Costs and the visit row, when the vehicle leaves the bay."""
    paid, covered = visit_cost(h, visit, hours)
    kind = ("breakdown" if visit.breakdown else "warning" if visit.extra.get("fault")
            else "inspection" if visit.warned else "service")
    part = {"breakdown": "repair", "warning": "repair", "inspection": "inspection",
            "service": "service"}[kind]
    tow = h.m.tow_cny if visit.breakdown else 0.0
    h.ledger.charge(end_s, part, paid - tow)
    if tow:
        h.ledger.charge(end_s, "tow", tow)
    if covered:
        h.ledger.charge(end_s, part, covered, covered=True)
    if visit.warned:
        h.n.warning_cost_cny += paid + covered
        if visit.extra.get("fault"):
            p = visit.vehicle.profile
            labour = visit.workshop.spec.labour_cny_per_h if visit.workshop else 0.0
            h.n.avoided_cost_cny += (p.repair_parts_cny + labour * mean_of(p.repair_time_h)
                                     + h.m.tow_cny)
    h.n.visits += 1
    start = visit.extra.get("bay_start_s", end_s - hours * H_S)
    h._visits.append(visit.vehicle.plate, visit.workshop.spec.id if visit.workshop else "",
                     kind, visit.requested_s, start, end_s, hours, paid + covered,
                     covered > 0)
    down_h = (h.env.now - visit.extra.get("down_s", h.env.now)) / H_S
    m = h.ledger.month(end_s)
    h.n.down_h_by_month[m] += down_h


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def health_kpis(h: Health) -> dict[str, float]:
    n = h.n
    state = h.state
    km = float(h.ledger.km.sum())
    expected = 0.0
    for v, x0 in zip(state.vehicles, h.start_clock, strict=True):
        expected += float(h.vh[v.index].law.expected(x0, h.clock(v)))
    days = h.horizon_s / 86400.0
    warnings = n.warnings_true + n.warnings_false
    ended = n.warnings_true + (n.breakdowns - n.breakdowns_warned)
    out: dict[str, float] = {
        "breakdowns": float(n.breakdowns),
        "breakdowns_expected": expected,
        "breakdowns_per_100000km": _ratio(n.breakdowns * 1e5, km),
        "services": float(n.services),
        "bookings": float(n.bookings),
        "bookings_per_day": _ratio(n.bookings, days),
        "booking_lead_mean_h": float(np.mean(n.booking_lead_h)) if n.booking_lead_h
        else math.nan,
        "bookings_deferred": float(n.booking_deferred),
        "workshop_utilisation": bay_utilisation(h.workshops, h.horizon_s),
        "workshop_visits": float(n.visits),
    }
    for reason, name in DOWNTIME.items():
        out[name] = state.downtime_s.get(reason, 0.0) / H_S
    enabled = h.w.enabled
    out.update({
        "warnings": float(warnings) if enabled else math.nan,
        "warning_precision": _ratio(n.warnings_true, warnings) if enabled else math.nan,
        "warning_recall": _ratio(n.warnings_true, ended) if enabled else math.nan,
        "warning_lead_mean_h": float(np.mean(n.lead_h)) if n.lead_h else math.nan,
        "failures_avoided": float(n.avoided) if enabled else math.nan,
        "warning_cost_cny": n.warning_cost_cny if enabled else math.nan,
        "warning_saving_cny": n.avoided_cost_cny - n.warning_cost_cny if enabled
        else math.nan,
    })
    table = h.tables()["costs_monthly"]
    totals = {c: float(np.sum(table[c])) for c in COST_COLUMNS}
    out.update({
        "maintenance_cny": totals["maintenance_cny"],
        "warranty_covered_cny": float(np.sum(table["warranty_covered_cny"])),
        "cost_capital_cny": totals["capital_cny"],
        "cost_insurance_cny": totals["insurance_cny"],
        "cost_platform_cny": totals["platform_cny"],
        "cost_drivers_cny": totals["drivers_cny"],
        "cost_energy_cny": totals["energy_cny"],
        "cost_downtime_cny": totals["downtime_cny"],
        "cost_total_cny": float(np.sum(table["total_cny"])),
        "cost_per_km_cny": _ratio(float(np.sum(table["total_cny"])), km),
        "fleet_value_end_cny": h.book_value_end(),
    })
    return out
