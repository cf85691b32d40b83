"""KPIs and recorded tables of a city fleet run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.city.state import BUSY, ON_DUTY_STATES, STATES
from sim.dispatch.engine import ABANDONED, REJECTED, SERVED

if TYPE_CHECKING:
    from sim.city.model import CityModel

KPI_MEANINGS = {
    "requests": "requests created after warm-up and before the horizon",
    "served": "of those, picked up and delivered",
    "abandoned": "of those, given up after waiting longer than their patience",
    "rejected": "of those, refused at once: no vehicle schedule could take them",
    "service_rate": "served / requests",
    "abandonment_rate": "abandoned / requests",
    "rejection_rate": "rejected / requests",
    "wait_mean_s": "mean time from request to pickup (served), s",
    "wait_p95_s": "95th percentile of that wait, s",
    "deadhead_ratio": "empty km (to pickups and repositioning) / all km driven",
    "utilisation": "loaded time / on-duty time (idle, to pickup, loaded, repositioning)",
    "on_time_rate": "tasks with a deadline delivered by it (abandoned count as late)",
    "on_time_rate_urgent": "the same over urgent tasks",
    "on_time_rate_ordinary": "the same over ordinary tasks",
    "occupancy": "rider-km / vehicle-km (mean riders on board per km driven)",
    "pooled_share": "served requests that shared the vehicle with another request",
    "detour_ratio": "mean ride time / direct ride time of served requests",
    "stops_per_vehicle_h": "stops served per vehicle-hour on duty",
    "km_total": "km driven (to pickup, loaded, repositioning)",
    "fuel_l": "fuel for those km, litres",
    "cost_cny": "fuel + driver hours on duty + maintenance per km, yuan",
    "revenue_cny": "fares of served trips, yuan",
    "telemetry_msgs": "terminal location reports sent while on duty",
    "telemetry_mb": "their volume, MB",
    "vehicles": "vehicles in all fleets",
}


def state_seconds(model: CityModel, t0: float, t1: float) -> np.ndarray:
    """Seconds each vehicle spent in each state within ``[t0, t1)`` (vehicles x states)."""
    t = np.asarray(model.log_t)
    v = np.asarray(model.log_v, dtype=np.int64)
    s = np.asarray(model.log_state, dtype=np.int64)
    order = np.argsort(v, kind="stable")  # the log is in time order per vehicle
    t, v, s = t[order], v[order], s[order]
    nxt = np.empty_like(t)
    nxt[:-1] = t[1:]
    last = np.ones(t.size, dtype=bool)
    last[:-1] = v[1:] != v[:-1]
    nxt[last] = max(t1, float(model.env.now))
    dur = np.clip(np.minimum(nxt, t1) - np.maximum(t, t0), 0.0, None)
    out = np.zeros((model.fleet.n, len(STATES)))
    np.add.at(out, (v, s), dur)
    return out


def _rate(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def compute_kpis(model: CityModel) -> dict[str, float]:
    sc, q, f, e = model.sc, model.req, model.fleet, model.engine
    w0, h = sc.warmup_s, sc.horizon_s
    status = e.status
    win = (q.created_s >= w0) & (q.created_s < h)
    served = win & (status == SERVED)
    abandoned = win & (status == ABANDONED)
    rejected = win & (status == REJECTED)
    n = int(win.sum())
    wait = (e.pickup_s - q.created_s)[served]
    # Driven legs: those toward a stop of a served request created in the window, and moves
    # (repositioning, idle policies) ending in the window.
    legs = np.asarray(model.legs, dtype=float).reshape(-1, 7)
    leg_r = legs[:, 4].astype(np.int64)
    is_move = leg_r < 0
    counted = np.where(is_move, (legs[:, 1] >= w0) & (legs[:, 1] < h),
                       served[np.maximum(leg_r, 0)])
    km_leg = legs[counted, 3]
    veh = legs[counted, 2].astype(np.int64)
    empty = legs[counted, 6] > 0
    km_total = float(km_leg.sum())
    fuel = float(np.sum(km_leg * f.fuel_l_per_km[veh]))
    rider_km = float(np.sum(km_leg * legs[counted, 5]))
    has_deadline = win & np.isfinite(q.deadline_s) & (served | abandoned | rejected)
    on_time = served & (e.dropoff_s <= q.deadline_s)
    secs = state_seconds(model, w0, h)
    on_duty_s = secs[:, list(ON_DUTY_STATES)].sum(axis=1)
    eco = sc.economics
    trip = served & (q.destination >= 0) & (q.trip_s > 0)
    ride = (e.dropoff_s - q.dropoff_service_s) - (e.pickup_s + q.pickup_service_s)
    stops = np.asarray(model.stop_times)
    on_duty_h = on_duty_s.sum() / 3600.0
    kpis = {
        "requests": float(n),
        "served": float(served.sum()),
        "abandoned": float(abandoned.sum()),
        "rejected": float(rejected.sum()),
        "service_rate": _rate(served.sum(), n),
        "abandonment_rate": _rate(abandoned.sum(), n),
        "rejection_rate": _rate(rejected.sum(), n),
        "wait_mean_s": float(wait.mean()) if wait.size else math.nan,
        "wait_p95_s": float(np.percentile(wait, 95)) if wait.size else math.nan,
        "deadhead_ratio": float(km_leg[empty].sum()) / km_total if km_total > 0 else math.nan,
        "utilisation": float(secs[:, BUSY].sum() / on_duty_s.sum()) if on_duty_s.sum() > 0
        else math.nan,
        "on_time_rate": _rate(on_time.sum(), has_deadline.sum()),
        "on_time_rate_urgent": _rate((on_time & q.urgent).sum(), (has_deadline & q.urgent).sum()),
        "on_time_rate_ordinary": _rate((on_time & ~q.urgent).sum(),
                                       (has_deadline & ~q.urgent).sum()),
        "occupancy": rider_km / km_total if km_total > 0 else math.nan,
        "pooled_share": _rate((served & e.pooled).sum(), served.sum()),
        "detour_ratio": float(np.mean(ride[trip] / q.trip_s[trip])) if trip.any() else math.nan,
        "stops_per_vehicle_h": _rate(float(((stops >= w0) & (stops < h)).sum()), on_duty_h),
        "km_total": km_total,
        "fuel_l": fuel,
        "cost_cny": fuel * eco.fuel_price_cny_per_l
        + on_duty_s.sum() / 3600.0 * eco.driver_cost_cny_per_h
        + float(np.sum(km_leg * f.maintenance_cny_per_km[veh])),
        "revenue_cny": float(np.sum(eco.fare_base_cny + eco.fare_per_km_cny * q.trip_km[served]
                                    + eco.urgent_surcharge_cny * q.urgent[served])),
        "telemetry_msgs": float(np.sum(on_duty_s / f.report_interval_s)),
        "vehicles": float(f.n),
    }
    kpis["telemetry_mb"] = float(np.sum(on_duty_s / f.report_interval_s * f.message_bytes)) / 1e6
    record_tables(model, secs, on_duty_s)
    return kpis


def record_tables(model: CityModel, secs: np.ndarray, on_duty_s: np.ndarray) -> None:
    from sim.city.model import STATUS_NAMES

    rec = model.ctx.recorder
    q, f, net, e = model.req, model.fleet, model.net, model.engine
    rec.add_table("requests", {
        "request": np.arange(len(q), dtype=np.int64),
        "created_s": q.created_s,
        "origin": q.origin,
        "destination": q.destination,
        "urgent": q.urgent,
        "priority": q.priority,
        "deadline_s": np.where(np.isfinite(q.deadline_s), q.deadline_s, np.nan),
        "status": STATUS_NAMES[e.status],
        "vehicle": e.vehicle_of,
        "assigned_s": e.assigned_s,
        "pickup_s": e.pickup_s,
        "dropoff_s": e.dropoff_s,
        "abandoned_s": np.where(e.status == ABANDONED, e.closed_s, np.nan),
        "rejected_s": np.where(e.status == REJECTED, e.closed_s, np.nan),
        "pickup_km": np.where(np.isfinite(e.pickup_s), model.pickup_km, np.nan),
        "trip_km": q.trip_km,
        "riders": q.riders,
        "goods_kg": q.goods_kg,
        "pooled": e.pooled,
    })
    names = np.array(STATES, dtype=object)
    rec.add_table("vehicle_events", {
        "t_s": np.asarray(model.log_t),
        "vehicle": np.asarray(model.log_v, dtype=np.int64),
        "state": names[np.asarray(model.log_state, dtype=np.int64)],
        "node": np.asarray(model.log_node, dtype=np.int64),
        "request": np.asarray(model.log_req, dtype=np.int64),
        "odometer_km": np.asarray(model.log_odo),
        "fuel_l": np.asarray(model.log_fuel),
    })
    rec.add_table("vehicles", {
        "vehicle": np.arange(f.n, dtype=np.int64),
        "fleet": f.fleet,
        "vehicle_profile": f.vehicle_profile,
        "terminal_profile": f.terminal_profile,
        "driver": f.driver,
        "state": names[f.state.astype(np.int64)],
        "node": f.node,
        "odometer_km": f.odometer_km,
        "fuel_l": f.fuel_l,
        "empty_km": f.empty_km,
        "busy_km": f.busy_km,
        "reposition_km": f.reposition_km,
        "on_duty_s": on_duty_s,
        "busy_s": secs[:, BUSY],
    })
    rec.add_table("nodes", {
        "node": np.arange(net.n_nodes, dtype=np.int64),
        "x_m": net.xy_m[:, 0], "y_m": net.xy_m[:, 1],
        "lon": net.lonlat[:, 0], "lat": net.lonlat[:, 1],
    })
    rec.add_table("edges", {k: v for k, v in net.edges.items()})
    # Fleet time series: sampled state counts plus flows per interval.
    samples = np.asarray(model.samples, dtype=float)
    t = samples[:, 0]
    edges = np.concatenate([[-np.inf], t])

    def per_interval(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        ok = np.isfinite(times)
        counts, _ = np.histogram(times[ok], bins=edges,
                                 weights=None if weights is None else weights[ok])
        return counts

    served = e.status == SERVED
    wait = np.where(served, e.pickup_s - q.created_s, np.nan)
    pick = np.where(served, e.pickup_s, np.nan)
    n_pick = per_interval(pick)
    sum_wait = per_interval(pick, np.nan_to_num(wait))
    series = {"t_s": t}
    for i, name in enumerate(STATES):
        series[name] = samples[:, 1 + i].astype(np.int64)
    series["open_requests"] = samples[:, -1].astype(np.int64)
    series["requests"] = per_interval(q.created_s)
    series["served"] = n_pick
    series["abandoned"] = per_interval(np.where(e.status == ABANDONED, e.closed_s, np.nan))
    series["rejected"] = per_interval(np.where(e.status == REJECTED, e.closed_s, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        series["wait_mean_s"] = np.where(n_pick > 0, sum_wait / np.maximum(n_pick, 1), np.nan)
    rec.add_series("fleet", series)
