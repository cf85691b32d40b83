"""Drift: what arrived compared with what the model predicted, per measure.

Measures (each a :class:`Measure` row per key; past the twin's ``drift.threshold`` in
relative terms, with at least ``drift.min_count`` observations, a :class:`Finding` names what
to recalibrate):

- ``message_rate`` per terminal profile: location reports per second per reporting terminal,
  from the median gap between consecutive reports (robust to event-triggered reports and
  losses), against the profile's ``report_interval_s``. Finding: that profile field.
- ``pickup_time_s`` and ``trip_time_s`` per vehicle profile: how long vehicles take from
  ``to_pickup`` to ``busy`` and from ``busy`` to the next state, from the reported state
  changes, against the reference run's requests (``pickup_s - assigned_s``,
  ``dropoff_s - pickup_s``). A two-sample Kolmogorov-Smirnov p-value is given with the means.
  Finding: the road speeds of the scenario's network (``world.network`` ``local_kmh``,
  ``arterial_kmh``, ``ring_kmh``), which set every travel time, naming the vehicle profile.
- ``boxes_online`` per access node and window: STBs whose latest status in the window is
  online, against a predictions table (``measure, key, t_s, value``; ``t_s`` is time of day)
  or an ``iptv`` run directory's ``timeseries/online_by_node.parquet`` (see
  :func:`predictions_from_run`). In the model a box is offline only when it was never
  installed, lost power or was bricked, so the finding names the scenario's ``site_groups``
  (``boxes_per_site``) and ``events.boot_storm`` outages and the STB profiles' ``brick_share``
  and ``upgrade_failure_prob``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from sim.errors import DataError, Problem
from sim.schema.distributions import as_distribution
from sim.schema.profiles import ProfileCatalog, VehicleTerminalProfile, default_profile_dirs
from twins.ingest import Twin

#: The boxes-online series an ``iptv`` run writes (see :mod:`sim.iptv.online`).
ONLINE_SERIES = "timeseries/online_by_node.parquet"


@dataclass
class Measure:
    measure: str
    key: str
    predicted: float
    observed: float
    count: int
    drift: float
    """observed / predicted - 1."""
    p_value: float | None = None
    unit: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Finding:
    measure: str
    key: str
    drift: float
    recalibrate: str
    message: str


def _median_of(q: Any) -> float:
    dist = as_distribution(q)
    try:
        return float(dist.scipy().median())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - families without a scipy form fall back to the mean
        return float(dist.mean())


def _profile(catalog: ProfileCatalog, ref: str) -> VehicleTerminalProfile | None:
    try:
        prof = catalog.get("vehicle_terminal", ref).profile
    except KeyError:
        return None
    return prof if isinstance(prof, VehicleTerminalProfile) else None


def _records(twin: Twin, where: str, cols: str) -> pa.Table:
    return twin.store.query(f"SELECT {cols} FROM {twin.store.records_from()} WHERE {where} "
                            "ORDER BY device, ts_s, seq")


def message_rates(twin: Twin, catalog: ProfileCatalog) -> list[Measure]:
    out: list[Measure] = []
    tab = _records(twin, "msg = 'location'", "device, ts_s, seq")
    if tab.num_rows == 0:
        return out
    dev = np.asarray(tab.column("device").to_pylist(), object)
    ts = np.asarray(tab.column("ts_s").to_numpy(zero_copy_only=False), float)
    same = dev[1:] == dev[:-1]
    gaps = np.diff(ts)[same]
    gap_dev = dev[1:][same]
    profile_of = {d.id: d.profile for d in twin.loaded.devices}
    gap_prof = np.array([profile_of.get(d) or "" for d in gap_dev], object)
    for ref in sorted(set(gap_prof) - {""}):
        prof = _profile(catalog, ref)
        if prof is None:
            continue
        expect = _median_of(prof.report_interval_s)
        g = gaps[(gap_prof == ref) & (gaps > 0) & (gaps <= 4 * expect)]
        if g.size == 0:
            continue
        seen = float(np.median(g))
        out.append(Measure("message_rate", ref, 1.0 / expect, 1.0 / seen, int(g.size),
                           expect / seen - 1.0, unit="1/s"))
    return out


def _durations(twin: Twin) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Pickup and trip durations per device entity, from reported state changes."""
    tab = _records(twin, "msg = 'location' AND state IS NOT NULL", "device, ts_s, seq, state")
    dev = np.asarray(tab.column("device").to_pylist(), object)
    ts = np.asarray(tab.column("ts_s").to_numpy(zero_copy_only=False), float)
    st = np.asarray(tab.column("state").to_pylist(), object)
    change = np.r_[True, (st[1:] != st[:-1]) | (dev[1:] != dev[:-1])]
    cd, ct, cs = dev[change], ts[change], st[change]
    nxt_same = np.r_[cd[1:] == cd[:-1], False]
    dur = np.where(nxt_same, np.r_[ct[1:], np.nan] - ct, np.nan)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for state, name in (("to_pickup", "pickup_time_s"), ("busy", "trip_time_s")):
        sel = (cs == state) & nxt_same
        if state == "to_pickup":
            sel &= np.r_[cs[1:] == "busy", False]
        out[name] = (cd[sel], dur[sel])
    return out


def arrival_times(twin: Twin, run: Path) -> list[Measure]:
    from sim.results.rundir import read_table

    req = read_table(run, "tables/requests.parquet", 0)
    served = pc.equal(req.column("status"), "served")
    req = req.filter(served)
    pred = {
        "pickup_time_s": np.asarray(pc.subtract(req.column("pickup_s"), req.column("assigned_s"))
                                    .to_numpy(zero_copy_only=False), float),
        "trip_time_s": np.asarray(pc.subtract(req.column("dropoff_s"), req.column("pickup_s"))
                                  .to_numpy(zero_copy_only=False), float),
    }
    veh = read_table(run, "tables/vehicles.parquet", 0)
    vprof = dict(zip(veh.column("vehicle").to_pylist(), veh.column("vehicle_profile").to_pylist(),
                     strict=True))
    entity = {d.id: d.entity for d in twin.loaded.devices}
    out = []
    for name, (devs, obs) in _durations(twin).items():
        profs = np.array([vprof.get(entity.get(d), "") for d in devs], object)
        p = pred[name][~np.isnan(pred[name])]
        for ref in sorted(set(profs) - {""}) or [""]:
            o = obs[(profs == ref) & ~np.isnan(obs)]
            if o.size == 0 or p.size == 0:
                continue
            pv = float(stats.ks_2samp(o, p).pvalue) if o.size > 1 and p.size > 1 else None
            out.append(Measure(name, ref or "all", float(p.mean()), float(o.mean()), int(o.size),
                               float(o.mean() / p.mean() - 1.0), pv, unit="s"))
    return out


def boxes_online(twin: Twin, predictions: pa.Table) -> list[Measure]:
    window = twin.config.drift.window_s
    tab = _records(twin, "kind = 'stb' AND online IS NOT NULL AND access_node IS NOT NULL",
                   "device, ts_s, seq, online, access_node")
    pred = predictions.filter(pc.equal(predictions.column("measure"), "boxes_online"))
    if tab.num_rows == 0 or pred.num_rows == 0:
        return []
    ts = np.asarray(tab.column("ts_s").to_numpy(zero_copy_only=False), float)
    tod = (ts - twin.config.epoch_s) % 86400.0
    w = np.floor(tod / window).astype(np.int64)
    dev = np.asarray(tab.column("device").to_pylist(), object)
    node = np.asarray(tab.column("access_node").to_pylist(), object)
    online = np.asarray(tab.column("online").to_pylist(), bool)
    # latest status of each box in each window (rows are sorted by device, time)
    last = np.r_[(dev[1:] != dev[:-1]) | (w[1:] != w[:-1]), True]
    obs: dict[tuple[str, int], int] = {}
    seen_boxes: dict[tuple[str, int], int] = {}
    for n_, w_, on in zip(node[last], w[last], online[last], strict=True):
        obs[(n_, int(w_))] = obs.get((n_, int(w_)), 0) + int(on)
        seen_boxes[(n_, int(w_))] = seen_boxes.get((n_, int(w_)), 0) + 1
    keys = pred.column("key").to_pylist()
    pw = np.floor(np.asarray(pred.column("t_s").to_numpy(zero_copy_only=False)) / window)
    pv = pred.column("value").to_pylist()
    per_node: dict[str, list[tuple[float, float, int]]] = {}
    for k, w_, v in zip(keys, pw.astype(int), pv, strict=True):
        if (k, int(w_)) in obs:
            per_node.setdefault(str(k), []).append((float(v), float(obs[(k, int(w_))]),
                                                    seen_boxes[(k, int(w_))]))
    out = []
    for k, trip in sorted(per_node.items()):
        p = float(np.mean([a for a, _, _ in trip]))
        o = float(np.mean([b for _, b, _ in trip]))
        n = int(sum(c for _, _, c in trip))  # box-window observations
        if p > 0:
            out.append(Measure("boxes_online", k, p, o, n, o / p - 1.0, unit="boxes"))
    return out


def predictions_from_run(run: Path, window_s: float, replication: int = 0) -> pa.Table:
    """Boxes-online predictions from an ``iptv`` run's ``timeseries/online_by_node.parquet``.

    Each count is the state at its run time ``t_s``; it predicts the drift window of the time
    of day (``start_hour`` + ``t_s``) that it closes, as the twin observes each box's latest
    status in a window. Of the counts falling in one window, those nearest its end are kept
    (averaged over days when the run spans several).

    Parameters
    ----------
    run : Path
        Run directory of an ``iptv`` run that recorded its boxes.
    window_s : float
        The twin's drift window.
    replication : int
        Replication of the run to read.

    Returns
    -------
    pyarrow.Table
        Columns ``measure`` (``boxes_online``), ``key`` (access node), ``t_s`` (start of the
        window, time of day), ``value`` (boxes online).
    """
    import yaml

    from sim.errors import RunError
    from sim.results.rundir import read_table

    rel = ONLINE_SERIES
    if not (run / rel).is_file():
        raise RunError(f"{run}: no {rel} (an iptv run writes it with its boxes: "
                       "--set record_boxes=true)")
    try:
        scenario = yaml.safe_load((run / "scenario.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RunError(f"{run / 'scenario.yaml'}: unreadable ({exc})") from None
    tab = read_table(run, rel, replication)
    t = np.asarray(tab.column("t_s").to_numpy(zero_copy_only=False), float)
    node = np.asarray(tab.column("access_node").to_pylist(), object)
    value = np.asarray(tab.column("online").to_numpy(zero_copy_only=False), float)
    per_day = max(1, int(round(86400.0 / window_s)))
    tod = (float(scenario.get("start_hour", 0.0) or 0.0) * 3600.0 + t) % 86400.0
    # a count at a window boundary closes the window before it
    w = (np.ceil(np.round(tod / window_s, 9)).astype(np.int64) - 1) % per_day
    phase = tod - w * window_s
    phase = np.where(phase <= 0, phase + 86400.0, phase)
    best: dict[tuple[str, int], tuple[float, list[float]]] = {}
    for k, w_, ph, v in zip(node.tolist(), w.tolist(), phase.tolist(), value.tolist(),
                            strict=True):
        cur = best.get((k, w_))
        if cur is None or ph > cur[0] + 1e-6:
            best[(k, w_)] = (ph, [v])
        elif abs(ph - cur[0]) <= 1e-6:
            cur[1].append(v)
    keys = sorted(best)
    return pa.table({
        "measure": pa.array(["boxes_online"] * len(keys), pa.string()),
        "key": pa.array([k for k, _ in keys], pa.string()),
        "t_s": pa.array([w_ * window_s for _, w_ in keys], pa.float64()),
        "value": pa.array([float(np.mean(best[k][1])) for k in keys], pa.float64()),
    })


def read_predictions(path: Path, window_s: float = 600.0) -> pa.Table:
    """Predictions from a table file (CSV or Parquet) or from an ``iptv`` run directory."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if path.is_dir():
        return predictions_from_run(path, window_s)
    try:
        tab = pq.read_table(path) if path.suffix in (".parquet", ".pq") else pcsv.read_csv(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(path, [Problem("", f"unreadable predictions: {str(exc)[:300]}",
                                       has_value=False)]) from None
    missing = [c for c in ("measure", "key", "t_s", "value") if c not in tab.column_names]
    if missing:
        raise DataError(path, [Problem("columns", "missing columns", missing)])
    problems: list[Problem] = []
    for c in ("t_s", "value"):
        col = tab.column(c)
        if pa.types.is_null(col.type):  # every value missing (or NaN, which CSV reads so)
            col = pa.nulls(len(col), pa.float64())
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            problems.append(Problem(c, "must be a column of numbers", str(col.type)))
            continue
        v = np.asarray(pc.fill_null(pc.cast(col, pa.float64()), np.nan)
                       .to_numpy(zero_copy_only=False))
        bad = ~np.isfinite(v)
        if c == "t_s":
            bad |= (v < 0) | (v >= 86400)
        what = ("must be a time of day in [0, 86400) s" if c == "t_s"
                else "must be a finite number")
        problems += [Problem(f"row {r + 2}.{c}", what, float(v[r]))
                     for r in np.flatnonzero(bad)[:5].tolist()]
    if problems:
        raise DataError(path, problems)
    return tab.set_column(tab.schema.get_field_index("key"), "key",
                          pc.cast(tab.column("key"), pa.string()))


def findings(measures: list[Measure], twin: Twin, threshold: float | None = None
             ) -> list[Finding]:
    thr = twin.config.drift.threshold if threshold is None else threshold
    min_n = twin.config.drift.min_count
    out = []
    for m in measures:
        if m.count < min_n or abs(m.drift) <= thr:
            continue
        pct = f"{m.drift:+.0%}"
        if m.measure == "message_rate":
            target = f"vehicle_terminal/{m.key}.report_interval_s"
            msg = (f"terminals of profile {m.key} report every {1 / m.observed:.1f} s "
                   f"(median) where the profile says {1 / m.predicted:.1f} s ({pct} rate)")
        elif m.measure in ("pickup_time_s", "trip_time_s"):
            target = (f"scenario world.network road speeds (local_kmh, arterial_kmh, ring_kmh) "
                      f"for vehicle/{m.key}")
            msg = (f"{m.measure.replace('_s', '').replace('_', ' ')} of {m.key} vehicles "
                   f"averages {m.observed:.0f} s against {m.predicted:.0f} s in the model ({pct})")
        else:
            stb = sorted({d.profile or "?" for d in twin.loaded.devices if d.kind == "stb"})
            target = ("scenario site_groups[].boxes_per_site and events.boot_storm outages; "
                      f"stb profiles {', '.join(stb)}: brick_share, upgrade_failure_prob")
            msg = (f"access node {m.key}: {m.observed:.1f} boxes online on average against "
                   f"{m.predicted:.1f} predicted ({pct})")
        out.append(Finding(m.measure, m.key, m.drift, target, msg))
    return out


def measure_drift(twin: Twin, run: Path | None = None, predictions: Path | None = None
                  ) -> list[Measure]:
    """Every measure the twin has data and predictions for.

    The reference run (``run``, else the twin's ``reference_run``) predicts pickup and trip
    times when it has ``tables/requests.parquet`` (city fleets) and boxes online when it has
    the boxes-online series (``iptv``) and no ``predictions`` are given; ``predictions`` is a
    table file or an ``iptv`` run directory (:func:`read_predictions`).
    """
    dirs = default_profile_dirs() + [twin.root / d for d in twin.config.profile_dirs]
    catalog = ProfileCatalog(dirs)
    out = message_rates(twin, catalog)
    ref = run or (Path(twin.config.reference_run) if twin.config.reference_run else None)
    window = twin.config.drift.window_s
    if ref is not None and (ref / "tables" / "requests.parquet").is_file():
        out += arrival_times(twin, ref)
    elif ref is not None and predictions is None and (ref / ONLINE_SERIES).is_file():
        out += boxes_online(twin, predictions_from_run(ref, window))
    elif ref is not None and not (ref / ONLINE_SERIES).is_file():
        out += arrival_times(twin, ref)  # names the missing table
    if predictions is not None:
        out += boxes_online(twin, read_predictions(predictions, window))
    return out
