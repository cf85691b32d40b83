"""A telemetry generator: a city fleet run turned into the reports its terminals would send.

(An ``iptv`` run gives its set-top boxes' status reports instead: :mod:`twins.emit_stb`.)

Each vehicle's terminal reports its position every ``report_interval_s`` (drawn from its
terminal profile), plus a report at every change of operational state; while off shift it
only sends a heartbeat every ``heartbeat_s``. Positions move along the straight line between
the nodes of consecutive events of ``tables/vehicle_events.parquet``; odometer and fuel are
interpolated between events (fuel as the fuel used, ``fuel_used_l``: the model has no tank,
so no fuel gauge reading is sent, and JT/T 808 frames carry none). Speeds and alarms come
from each driver's behaviour profile (:mod:`twins.emit_behaviour`: the speed limit of the
link the vehicle is on, the leg's congestion, the driver's variation, speeding episodes,
harsh braking and acceleration, fatigue), with extra reports when an alarm starts or ends;
:func:`generate_with_truth` also returns what each vehicle truly did. With
``behaviour=None`` the speed is the odometer's rate and no alarm is set. Noise is
configurable: GPS error
(the profile's ``gps_error_m`` times ``noise``), loss, duplication, and reordering (each
report delayed by an exponential lag; the stream is in arrival order).

Report times are ``epoch_s + start_time_s + t_s`` rounded to the second (JT/T 808 has
one-second times), where ``epoch_s`` is local midnight of the simulated day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from sim.engine.rng import RngStreams
from sim.errors import DataError, Problem, RunError
from sim.results.rundir import read_json, read_table
from sim.schema.distributions import mean_of, sample
from sim.schema.profiles import VehicleTerminalProfile
from sim.terminals.schema import DEFAULT_BEHAVIOUR, Behaviour
from twins.config import DEFAULT_EPOCH, vehicle_device_id
from twins.emit_behaviour import (
    ALARM_FATIGUE,
    ALARM_OVERSPEED,
    LinkPaths,
    assign,
    inside,
    plan_driver,
)
from twins.emit_stb import BoxTruth, generate_stb, read_box_truth
from twins.jt808.frames import encode_frame
from twins.jt808.messages import MSG_HEARTBEAT, MSG_LOCATION, encode_location
from twins.records import COLUMNS, SCHEMA

MOVING = ("to_pickup", "busy")
#: Most reports one emission makes (each takes about 100 bytes in memory, several copies).
MAX_REPORTS = 20_000_000
M_PER_DEG = 111_320.0


@dataclass
class EmitOptions:
    epoch_s: float = DEFAULT_EPOCH.timestamp()
    noise: float = 1.0
    """Scale of the GPS error (1 = the terminal profile's gps_error_m)."""
    loss: float = 0.0
    duplicate: float = 0.0
    reorder_s: float = 0.0
    """Mean extra delivery delay; 0 keeps the stream in time order."""
    heartbeat_s: float = 300.0
    replication: int = 0
    seed: int | None = None
    until_s: float | None = None
    """Simulated time to stop at (default: the run's last event plus two intervals)."""
    behaviour: Behaviour | None = field(default_factory=lambda: DEFAULT_BEHAVIOUR)
    """Driver behaviour profiles (speeds on the links, alarms); None: the odometer's
    average speed and no alarms."""


@dataclass
class RunTruth:
    """What a run says about its fleet, read from its run directory."""

    events: pa.Table
    nodes: pa.Table
    vehicles: pa.Table
    edges: pa.Table | None
    terminals: dict[str, VehicleTerminalProfile]
    start_time_s: float
    horizon_s: float
    seed: int


def read_truth(run: Path, replication: int = 0) -> RunTruth | BoxTruth:
    """Read the tables of a run that the emitter and the tests need.

    A ``city_fleet`` run gives its vehicles (:class:`RunTruth`); an ``iptv`` run its boxes
    (:class:`twins.emit_stb.BoxTruth`, STB status reports).
    """
    manifest = read_json(run / "manifest.json")
    if manifest.get("kind") == "iptv":
        return read_box_truth(run, replication)
    if manifest.get("kind") != "city_fleet":
        raise RunError(f"{run}: telemetry can be emitted from city_fleet and iptv runs only "
                       f"(this run is {manifest.get('kind')!r})")
    scenario = yaml.safe_load((run / "scenario.yaml").read_text(encoding="utf-8"))
    profiles = yaml.safe_load((run / "profiles.yaml").read_text(encoding="utf-8")) or {}
    terminals = {key.split(".")[0]: VehicleTerminalProfile.model_validate(p)
                 for key, p in profiles.items() if p.get("kind") == "vehicle_terminal"}
    return RunTruth(
        events=read_table(run, "tables/vehicle_events.parquet", replication),
        nodes=read_table(run, "tables/nodes.parquet", replication),
        vehicles=read_table(run, "tables/vehicles.parquet", replication),
        edges=read_table(run, "tables/edges.parquet", replication)
        if (run / "tables" / "edges.parquet").exists() else None,
        terminals=terminals,
        start_time_s=float(scenario.get("start_time_s", 0.0)),
        horizon_s=float(scenario["horizon_s"]),
        seed=int(manifest.get("seed", 0)),
    )


def _col(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def generate(truth: RunTruth | BoxTruth, opt: EmitOptions) -> pa.Table:
    """The report stream of a run as canonical records, in arrival order."""
    if isinstance(truth, BoxTruth):
        return generate_stb(truth, opt)
    return generate_with_truth(truth, opt)[0]


#: Columns of the behaviour truth (one row per vehicle that reported).
TRUTH_COLUMNS = ("device", "driver", "behaviour", "multiplier", "km", "night_km",
                 "harsh_braking", "harsh_acceleration", "speeding", "fatigue")


def generate_with_truth(truth: RunTruth, opt: EmitOptions) -> tuple[pa.Table, pa.Table]:
    """The report stream (as :func:`generate`) and what each vehicle truly did over the
    span of its reports: km, km 22:00-06:00 and its alarm events (see
    :mod:`twins.emit_behaviour`), before the network loses, repeats or delays anything."""
    rng = RngStreams(truth.seed if opt.seed is None else opt.seed, opt.replication)
    r_sched, r_noise, r_net = rng.stream("emit.schedule"), rng.stream("emit.gps"), \
        rng.stream("emit.network")
    r_beh = rng.stream("emit.behaviour")
    ev = truth.events.sort_by([("vehicle", "ascending"), ("t_s", "ascending")])
    ev_v, ev_t, ev_node = _col(ev, "vehicle"), _col(ev, "t_s"), _col(ev, "node")
    ev_state = _col(ev, "state").astype(str)
    ev_odo, ev_fuel = _col(ev, "odometer_km"), _col(ev, "fuel_l")
    node_lon = dict(zip(_col(truth.nodes, "node"), _col(truth.nodes, "lon"), strict=True))
    node_lat = dict(zip(_col(truth.nodes, "node"), _col(truth.nodes, "lat"), strict=True))
    n_max = int(max(node_lon)) + 1
    lon_of, lat_of = np.full(n_max, np.nan), np.full(n_max, np.nan)
    lon_of[list(node_lon)] = list(node_lon.values())
    lat_of[list(node_lat)] = list(node_lat.values())
    veh = _col(truth.vehicles, "vehicle")
    fleet_of = dict(zip(veh, _col(truth.vehicles, "fleet"), strict=True))
    driver_of = dict(zip(veh, _col(truth.vehicles, "driver"), strict=True))
    beh = opt.behaviour
    drivers = assign([str(d) for d in driver_of.values()], beh, r_beh) if beh else {}
    links = LinkPaths(truth.edges) if beh and truth.edges is not None else None
    end = opt.until_s
    if end is None:
        intervals = [mean_of(p.report_interval_s) for p in truth.terminals.values()] or [30.0]
        end = max(float(ev_t.max(initial=0.0)), truth.horizon_s) + 2 * max(intervals)
    base = opt.epoch_s + truth.start_time_s
    parts: list[dict[str, Any]] = []
    truths: list[dict[str, Any]] = []
    bounds = np.r_[0, np.flatnonzero(np.diff(ev_v)) + 1, len(ev_v)]
    shortest = min((float(mean_of(p.report_interval_s)) for p in truth.terminals.values()),
                   default=30.0)
    expected = (len(bounds) - 1) * end / max(shortest, 1.0)
    if expected > MAX_REPORTS:
        raise DataError("--until-s", [Problem(
            "until_s", f"would make about {expected:,.0f} reports ({len(bounds) - 1} vehicles "
            f"every {shortest:g} s; at most {MAX_REPORTS:,}): emit a shorter span", end)])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        v = int(ev_v[a])
        prof = truth.terminals.get(str(fleet_of.get(v)))
        if prof is None:
            continue
        t, st, nd = ev_t[a:b], ev_state[a:b], ev_node[a:b]
        odo, fuel = ev_odo[a:b], ev_fuel[a:b]
        mean_iv = float(mean_of(prof.report_interval_s))
        count = int(end / mean_iv * 1.3) + 10
        gaps = np.maximum(np.asarray(sample(prof.report_interval_s, r_sched, count), float), 1.0)
        periodic = r_sched.uniform(0, mean_iv) + np.r_[0.0, np.cumsum(gaps[:-1])]
        periodic = periodic[periodic <= end]
        driver = str(driver_of.get(v, ""))
        plan = None
        extra = np.zeros(0, bool)
        if beh:
            name, mult = drivers[driver]
            leg = np.isin(st[:-1], MOVING) & (np.diff(t) > 0)
            plan = plan_driver(t, leg, odo, end, beh.profiles[name], mult, r_beh)
            extra = plan.extra_t <= end
        extra_t = plan.extra_t[extra] if plan else np.zeros(0)
        times = np.r_[t[t <= end], periodic, extra_t]
        trig = np.r_[np.ones(int((t <= end).sum()), bool), np.zeros(len(periodic), bool),
                     np.ones(len(extra_t), bool)]
        pulse = np.r_[np.zeros(len(times) - len(extra_t), np.int64),
                      plan.extra_bits[extra] if plan else np.zeros(0, np.int64)]
        order = np.argsort(times, kind="stable")
        times, trig, pulse = times[order], trig[order], pulse[order]
        i = np.clip(np.searchsorted(t, times, side="right") - 1, 0, len(t) - 1)
        j = np.minimum(i + 1, len(t) - 1)
        span = np.where(j > i, t[j] - t[i], 1.0)
        f = np.clip(np.where(j > i, (times - t[i]) / span, 0.0), 0.0, 1.0)
        state = st[i]
        moving = np.isin(state, MOVING) & (j > i)
        lon = np.where(moving, lon_of[nd[i]] + f * (lon_of[nd[j]] - lon_of[nd[i]]), lon_of[nd[i]])
        lat = np.where(moving, lat_of[nd[i]] + f * (lat_of[nd[j]] - lat_of[nd[i]]), lat_of[nd[i]])
        o = np.where(j > i, odo[i] + f * (odo[j] - odo[i]), odo[i])
        fu = np.where(j > i, fuel[i] + f * (fuel[j] - fuel[i]), fuel[i])
        dx = (lon_of[nd[j]] - lon_of[nd[i]]) * np.cos(np.radians(lat))
        dy = lat_of[nd[j]] - lat_of[nd[i]]
        heading = np.where(moving, np.degrees(np.arctan2(dx, dy)) % 360.0, 0.0)
        # Off shift the ignition is off: heartbeats only, every heartbeat_s.
        off = state == "off_shift"
        hb_slot = np.floor(times / opt.heartbeat_s)
        first_in_slot = np.r_[True, hb_slot[1:] != hb_slot[:-1]]
        keep = ~off | trig | first_in_slot
        heartbeat = off & ~trig
        err = prof.gps_error_m * opt.noise
        m = len(times)
        noise_lat = r_noise.normal(0.0, err, m) / M_PER_DEG if err > 0 else np.zeros(m)
        noise_lon = (r_noise.normal(0.0, err, m) / (M_PER_DEG * np.cos(np.radians(lat)))
                     if err > 0 else np.zeros(m))
        if plan is None:
            speed = np.where(moving, (odo[j] - odo[i]) / np.maximum(span, 1.0) * 3600.0, 0.0)
            speed = speed + np.where(moving, r_noise.normal(0.0, 1.0 * opt.noise, m), 0.0)
            alarm = np.zeros(m, np.int64)
        else:
            prof_b = beh.profiles[drivers[driver][0]]  # type: ignore[union-attr]
            speed, alarm = _speeds(times, moving, np.asarray(i), j, f, t, nd, pulse, plan, prof_b, links,
                                   odo, r_beh)
            kept = np.flatnonzero(keep & ~heartbeat)
            truths.append(_vehicle_truth(v, driver, drivers[driver], plan, t, odo, moving_legs=(
                np.isin(st[:-1], MOVING) & (np.diff(t) > 0)), t_first=times[kept].min(
                initial=np.inf), t_last=times[kept].max(initial=-np.inf),
                start_s=truth.start_time_s))
        sel = np.flatnonzero(keep)
        parts.append({
            "device": np.full(len(sel), vehicle_device_id(v)),
            "ts_s": np.round(base + times[sel]),
            "seq": np.arange(len(sel), dtype=np.int64),
            "msg": np.where(heartbeat[sel], "heartbeat", "location"),
            "lon": np.round(lon + noise_lon, 6)[sel], "lat": np.round(lat + noise_lat, 6)[sel],
            "speed_kmh": np.clip(speed, 0, 250)[sel],
            "heading_deg": heading[sel], "odometer_km": np.round(o[sel], 1),
            "fuel_used_l": np.round(fu[sel], 1), "state": state[sel],
            "alarm": alarm[sel],
            "driver": np.full(len(sel), driver),
        })
    table = _network(parts, opt, r_net, with_alarm=beh is not None)
    return table, _truth_table(truths)


def _speeds(times: np.ndarray, moving: np.ndarray, i: np.ndarray, j: np.ndarray,
            f: np.ndarray, t: np.ndarray, nd: np.ndarray, pulse: np.ndarray, plan: Any,
            prof: Any, links: LinkPaths | None, odo: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each report's speed (on its link, with the driver's variation and speeding) and its
    alarm bits."""
    m = times.size
    speed = np.zeros(m)
    limit = np.zeros(m)
    legs = np.unique(i[moving])
    for leg in legs:
        sel = np.flatnonzero(moving & (i == leg))
        dur = max(float(t[leg + 1] - t[leg]), 1.0)
        avg_kmh = float(odo[leg + 1] - odo[leg]) / dur * 3600.0
        if links is not None:
            cum, lim, free_s = links.path(int(nd[leg]), int(nd[leg + 1]))
            congestion = min(max(free_s / dur, 0.05), 1.0) if free_s > 0 else 1.0
            k = np.minimum(np.searchsorted(cum, f[sel], side="right"), cum.size - 1)
            limit[sel] = lim[k]
            speed[sel] = lim[k] * congestion
        else:
            limit[sel] = max(avg_kmh, 1.0) * 1.2
            speed[sel] = avg_kmh
    speed *= 1.0 + prof.speed_sd * rng.standard_normal(m)
    speed = np.minimum(np.maximum(speed, 0.0), 0.98 * limit)
    ep = inside(times, plan.speeding) if plan.speeding.size else np.full(m, -1)
    over = (ep >= 0) & moving
    speed[over] = limit[over] * (1.0 + plan.excess[ep[over]])
    alarm = pulse.copy()
    alarm[ep >= 0] |= ALARM_OVERSPEED
    if plan.fatigue.size:
        alarm[inside(times, plan.fatigue) >= 0] |= ALARM_FATIGUE
    return speed, alarm


def _vehicle_truth(v: int, driver: str, assigned: tuple[str, float], plan: Any,
                   t: np.ndarray, odo: np.ndarray, moving_legs: np.ndarray, t_first: float,
                   t_last: float, start_s: float) -> dict[str, Any]:
    from twins.behaviour import night_seconds

    km = night = 0.0
    if t_first <= t_last:
        o0, o1 = np.interp([t_first, t_last], t, odo)
        km = float(o1 - o0)
        for k in np.flatnonzero(moving_legs):
            a, b = max(float(t[k]), t_first), min(float(t[k + 1]), t_last)
            if b > a:
                rate = float(odo[k + 1] - odo[k]) / float(t[k + 1] - t[k])
                night += rate * night_seconds(start_s + a, start_s + b)
    row: dict[str, Any] = {"device": vehicle_device_id(v), "driver": driver,
                           "behaviour": assigned[0], "multiplier": assigned[1], "km": km,
                           "night_km": night}
    row.update(plan.counts)
    return row


def _truth_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table({c: [r[c] for r in rows] for c in TRUTH_COLUMNS}) if rows else \
        pa.table({c: pa.array([], pa.string() if c in ("device", "driver", "behaviour")
                              else pa.float64()) for c in TRUTH_COLUMNS})


def _network(parts: list[dict[str, Any]], opt: EmitOptions, r_net: np.random.Generator,
             with_alarm: bool) -> pa.Table:
    """Loss, duplication and delay; the records in arrival order."""
    names = ("device", "ts_s", "seq", "msg", "lon", "lat", "speed_kmh", "heading_deg",
             "odometer_km", "fuel_used_l", "state", "alarm", "driver")
    cols = {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in names}
    if not with_alarm:
        del cols["alarm"]
    n = len(cols["ts_s"])
    order = np.lexsort((cols["device"], cols["ts_s"]))
    kept = order[r_net.random(n) >= opt.loss] if opt.loss > 0 else order
    if opt.duplicate > 0:
        dups = kept[r_net.random(len(kept)) < opt.duplicate]
        kept = np.r_[kept, dups]
    arrival = cols["ts_s"][kept].astype(float)
    if opt.reorder_s > 0:
        arrival = arrival + r_net.exponential(opt.reorder_s, len(kept))
    final = kept[np.argsort(arrival, kind="stable")]
    hb = cols["msg"][final] == "heartbeat"
    table_cols: dict[str, Any] = {}
    for name, typ in COLUMNS.items():
        if name in cols:
            arr = cols[name][final]
            mask = hb if name in ("lon", "lat", "speed_kmh", "heading_deg", "odometer_km",
                                  "fuel_used_l", "state", "alarm") else None
            table_cols[name] = pa.array(arr if arr.dtype.kind != "U" else arr.astype(object),
                                        typ, mask=mask)
        elif name == "kind":
            table_cols[name] = pa.array(np.full(len(final), "vehicle", object), typ)
        else:
            table_cols[name] = pa.nulls(len(final), typ)
    return pa.table(table_cols, schema=SCHEMA)


def write_jsonl(table: pa.Table, out: IO[str]) -> int:
    """Write records as JSON lines (null fields left out); return the number written."""
    names = [c for c in table.column_names if table.column(c).null_count < table.num_rows]
    columns = [table.column(c).to_pylist() for c in names]
    n = 0
    for row in zip(*columns, strict=True):
        out.write(json.dumps({k: v for k, v in zip(names, row, strict=True) if v is not None},
                             separators=(",", ":")))
        out.write("\n")
        n += 1
    return n


def jt808_frames(table: pa.Table, clamped: dict[str, int] | None = None) -> Iterable[bytes]:
    """JT/T 808 frames (0x0200 location reports, 0x0002 heartbeats) for the records.

    Values beyond a field's range are clamped and counted in ``clamped`` (by field name).
    """
    if table.num_rows and pc.any(pc.not_equal(table.column("kind"), "vehicle")).as_py():
        raise RunError("JT/T 808 frames carry vehicle terminal reports only (use --format "
                       "jsonl for set-top boxes)")
    cols = {c: table.column(c).to_pylist() for c in ("device", "ts_s", "seq", "msg", "lon",
                                                       "lat", "speed_kmh", "heading_deg",
                                                       "odometer_km", "fuel_l", "state",
                                                       "alarm")}
    for k in range(table.num_rows):
        if cols["msg"][k] == "heartbeat":
            yield encode_frame(MSG_HEARTBEAT, cols["device"][k], cols["seq"][k])
            continue
        body = encode_location(cols["ts_s"][k], cols["lat"][k], cols["lon"][k],
                               cols["speed_kmh"][k] or 0.0, cols["heading_deg"][k] or 0.0,
                               alarm=cols["alarm"][k] or 0,
                               odometer_km=cols["odometer_km"][k], fuel_l=cols["fuel_l"][k],
                               state=cols["state"][k], clamped={} if clamped is None
                               else clamped)
        yield encode_frame(MSG_LOCATION, cols["device"][k], cols["seq"][k], body)


def write_jt808(table: pa.Table, out: IO[bytes], clamped: dict[str, int] | None = None) -> int:
    n = 0
    buf: list[bytes] = []
    for frame in jt808_frames(table, clamped):
        buf.append(frame)
        n += 1
        if len(buf) >= 65536:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    return n


def expected_accuracy_m(truth: RunTruth, opt: EmitOptions) -> float:
    """Largest GPS error standard deviation among the run's terminals, in metres."""
    errs = [p.gps_error_m for p in truth.terminals.values()] or [0.0]
    return max(errs) * opt.noise
