"""KPIs and recorded tables of a city fleet run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.city.state import BUSY, ON_DUTY_STATES, STATES

if TYPE_CHECKING:
    from sim.city.model import CityModel

KPI_MEANINGS = {
    "requests": "requests created after warm-up and before the horizon",
    "served": "of those, picked up and delivered",
    "abandoned": "of those, given up after waiting longer than their patience",
    "service_rate": "served / requests",
    "abandonment_rate": "abandoned / requests",
    "wait_mean_s": "mean time from request to pickup (served), s",
    "wait_p95_s": "95th percentile of that wait, s",
    "deadhead_ratio": "empty km (to pickups and repositioning) / all km driven",
    "utilisation": "loaded time / on-duty time (idle, to pickup, loaded, repositioning)",
    "on_time_rate": "tasks with a deadline delivered by it (abandoned count as late)",
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


def compute_kpis(model: CityModel) -> dict[str, float]:
    sc, q, f = model.sc, model.req, model.fleet
    w0, h = sc.warmup_s, sc.horizon_s
    win = (q.created_s >= w0) & (q.created_s < h)
    served = win & (model.status == 2)
    abandoned = win & (model.status == 3)
    n = int(win.sum())
    wait = (model.pickup_s - q.created_s)[served]
    veh = model.vehicle_of[served]
    empty_km = model.pickup_km[served]
    loaded_km = q.trip_km[served]
    moves = np.asarray(model.moves, dtype=float).reshape(-1, 3)
    in_win = (moves[:, 0] >= w0) & (moves[:, 0] < h)
    move_veh = moves[in_win, 1].astype(np.int64)
    move_km = moves[in_win, 2]
    km = np.concatenate([empty_km + loaded_km, move_km])
    veh = np.concatenate([veh, move_veh])
    empty_total = float(empty_km.sum() + move_km.sum())
    fuel = float(np.sum(km * f.fuel_l_per_km[veh]))
    has_deadline = win & np.isfinite(q.deadline_s) & (served | abandoned)
    on_time = served & (model.dropoff_s <= q.deadline_s)
    secs = state_seconds(model, w0, h)
    on_duty_s = secs[:, list(ON_DUTY_STATES)].sum(axis=1)
    eco = sc.economics
    kpis = {
        "requests": float(n),
        "served": float(served.sum()),
        "abandoned": float(abandoned.sum()),
        "service_rate": served.sum() / n if n else math.nan,
        "abandonment_rate": abandoned.sum() / n if n else math.nan,
        "wait_mean_s": float(wait.mean()) if wait.size else math.nan,
        "wait_p95_s": float(np.percentile(wait, 95)) if wait.size else math.nan,
        "deadhead_ratio": empty_total / float(km.sum()) if km.sum() > 0 else math.nan,
        "utilisation": float(secs[:, BUSY].sum() / on_duty_s.sum()) if on_duty_s.sum() > 0
        else math.nan,
        "on_time_rate": float(on_time.sum() / has_deadline.sum()) if has_deadline.sum()
        else math.nan,
        "km_total": float(km.sum()),
        "fuel_l": fuel,
        "cost_cny": fuel * eco.fuel_price_cny_per_l
        + on_duty_s.sum() / 3600.0 * eco.driver_cost_cny_per_h
        + float(np.sum(km * f.maintenance_cny_per_km[veh])),
        "revenue_cny": float(np.sum(eco.fare_base_cny + eco.fare_per_km_cny * loaded_km
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
    q, f, net = model.req, model.fleet, model.net
    rec.add_table("requests", {
        "request": np.arange(len(q), dtype=np.int64),
        "created_s": q.created_s,
        "origin": q.origin,
        "destination": q.destination,
        "urgent": q.urgent,
        "priority": q.priority,
        "deadline_s": np.where(np.isfinite(q.deadline_s), q.deadline_s, np.nan),
        "status": STATUS_NAMES[model.status],
        "vehicle": model.vehicle_of,
        "assigned_s": model.assigned_s,
        "pickup_s": model.pickup_s,
        "dropoff_s": model.dropoff_s,
        "abandoned_s": model.abandon_s,
        "pickup_km": model.pickup_km,
        "trip_km": q.trip_km,
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

    served = model.status == 2
    wait = np.where(served, model.pickup_s - q.created_s, np.nan)
    pick = np.where(served, model.pickup_s, np.nan)
    n_pick = per_interval(pick)
    sum_wait = per_interval(pick, np.nan_to_num(wait))
    series = {"t_s": t}
    for i, name in enumerate(STATES):
        series[name] = samples[:, 1 + i].astype(np.int64)
    series["open_requests"] = samples[:, -1].astype(np.int64)
    series["requests"] = per_interval(q.created_s)
    series["served"] = n_pick
    series["abandoned"] = per_interval(model.abandon_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        series["wait_mean_s"] = np.where(n_pick > 0, sum_wait / np.maximum(n_pick, 1), np.nan)
    rec.add_series("fleet", series)
