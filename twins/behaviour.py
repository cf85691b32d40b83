"""Driving behaviour and usage-based insurance from a twin's ingested telemetry.

A query over the twin's store (its committed vehicle location reports, each counted once)
gives per device and driver:

- ``km``: last odometer reading - first (JT/T 808 item 0x01, 0.1 km);
- ``night_km``: the odometer's increase between consecutive reports, spread evenly over the
  time between them, that falls between 22:00 and 06:00 local time (the twin's epoch is local
  midnight);
- ``harsh_braking`` / ``harsh_acceleration``: reports with the pulse bit 16 / 15 set (one
  report per event, see :mod:`twins.emit_behaviour`);
- ``speeding`` / ``fatigue``: episodes, i.e. reports where the overspeed bit (1) / fatigue
  bit (2) is set and was not in the device's previous report.

:func:`premium_table` prices each vehicle with :func:`sim.economics.insurance.premiums`, the
same formula the simulation uses on its truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.economics.insurance import EVENT_KINDS, InsuranceTariff, premiums
from sim.kernels.terminals import NIGHT_FROM_H, NIGHT_TO_H
from twins.emit_behaviour import (
    ALARM_FATIGUE,
    ALARM_HARSH_ACCELERATION,
    ALARM_HARSH_BRAKING,
    ALARM_OVERSPEED,
)

DAY_S = 86400.0


def night_seconds(a: float, b: float) -> float:
    """Seconds of ``[a, b)`` (seconds since a local midnight) between 22:00 and 06:00."""
    total = 0.0
    day = np.floor(a / DAY_S) * DAY_S
    while day - (24.0 - NIGHT_FROM_H) * 3600.0 < b:
        lo, hi = day - (24.0 - NIGHT_FROM_H) * 3600.0, day + NIGHT_TO_H * 3600.0
        total += max(0.0, min(b, hi) - max(a, lo))
        day += DAY_S
    return total


def _night_share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of each ``[a, b)`` at night (vectorised over whole days)."""
    out = np.zeros(a.size)
    span = b - a
    for k in np.flatnonzero(span > 0):
        out[k] = night_seconds(float(a[k]), float(b[k])) / float(span[k])
    return out


def measured(twin: str | Path) -> pa.Table:
    """Per device: driver, first and last report time, km, night km and alarm events."""
    from twins.ingest import Twin

    with Twin(twin, read_only=True) as tw:
        src = tw.store.records_from()
        rec = tw.store.query(
            f"SELECT device, ts_s, seq, odometer_km, coalesce(alarm, 0) AS alarm, driver "
            f"FROM {src} WHERE kind = 'vehicle' AND msg = 'location' "
            "ORDER BY device, ts_s, seq")
        epoch_s = tw.config.epoch_s
    return behaviour_from_records(rec, epoch_s)


def behaviour_from_records(rec: pa.Table, epoch_s: float) -> pa.Table:
    """:func:`measured` on a table of location records sorted by device, time, sequence."""

    def col(name: str) -> np.ndarray:
        return np.asarray(rec.column(name).to_numpy(zero_copy_only=False))

    dev = col("device").astype(str)
    ts = col("ts_s").astype(float) - epoch_s
    odo = np.asarray(rec.column("odometer_km").fill_null(np.nan).to_numpy(), float)
    alarm = col("alarm").astype(np.int64)
    driver = np.asarray(rec.column("driver").fill_null("").to_numpy(zero_copy_only=False),
                        dtype=object)
    bounds = np.r_[0, np.flatnonzero(dev[1:] != dev[:-1]) + 1, dev.size] if dev.size else [0]
    rows: dict[str, list] = {c: [] for c in ("device", "driver", "first_s", "last_s", "km",
                                             "night_km", *EVENT_KINDS)}
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        o, t, al = odo[a:b], ts[a:b], alarm[a:b]
        ok = ~np.isnan(o)
        o_ok, t_ok = o[ok], t[ok]
        km = float(o_ok[-1] - o_ok[0]) if o_ok.size else 0.0
        d_o = np.diff(o_ok)
        night = float(np.sum(d_o * _night_share(t_ok[:-1], t_ok[1:]))) if d_o.size else 0.0
        prev = np.r_[0, al[:-1]]
        names = [x for x in driver[a:b] if x]
        rows["device"].append(dev[a])
        rows["driver"].append(names[-1] if names else "")
        rows["first_s"].append(float(t[0]) + epoch_s)
        rows["last_s"].append(float(t[-1]) + epoch_s)
        rows["km"].append(km)
        rows["night_km"].append(night)
        rows["harsh_braking"].append(int(np.sum(al & ALARM_HARSH_BRAKING != 0)))
        rows["harsh_acceleration"].append(int(np.sum(al & ALARM_HARSH_ACCELERATION != 0)))
        rows["speeding"].append(int(np.sum((al & ALARM_OVERSPEED != 0)
                                           & (prev & ALARM_OVERSPEED == 0))))
        rows["fatigue"].append(int(np.sum((al & ALARM_FATIGUE != 0)
                                          & (prev & ALARM_FATIGUE == 0))))
    return pa.table(rows)


def premium_table(behaviour: pa.Table, tariff: InsuranceTariff | None = None,
                  days: float | None = None) -> pa.Table:
    """Each vehicle's premium and factors from a behaviour table (twin or truth).

    ``days`` is the observed span; by default the span of the reports
    (``max(last_s) - min(first_s)``).
    """
    tariff = tariff or InsuranceTariff()
    if days is None:
        first = np.asarray(behaviour.column("first_s"), float)
        last = np.asarray(behaviour.column("last_s"), float)
        days = max(float(last.max(initial=0) - first.min(initial=0)) / DAY_S, 1.0 / 24)

    def col(name: str) -> np.ndarray:
        return np.asarray(behaviour.column(name).to_numpy(zero_copy_only=False), float)

    p = premiums(tariff, col("km"), col("night_km"), {k: col(k) for k in EVENT_KINDS}, days)
    out = {"device": behaviour.column("device"), "driver": behaviour.column("driver")}
    out.update({k: pa.array(v) for k, v in p.items()})
    return pa.table(out)


def fleet_summary(prices: pa.Table) -> dict[str, float]:
    """Fleet totals: vehicles, premium total / mean / min / max, vehicles above the base."""
    p = np.asarray(prices.column("premium_cny"), float)
    f = np.asarray(prices.column("f_events"), float)
    return {"vehicles": float(p.size), "premium_total_cny": float(p.sum()),
            "premium_mean_cny": float(p.mean()) if p.size else float("nan"),
            "premium_min_cny": float(p.min(initial=np.inf)) if p.size else float("nan"),
            "premium_max_cny": float(p.max(initial=-np.inf)) if p.size else float("nan"),
            "vehicles_with_event_loading": float(np.sum(f > 1.0))}


def main(argv: list[str] | None = None) -> int:
    """``python -m twins.behaviour TWIN [--days D] [--csv FILE] [--top N]``: the fleet's
    usage-based insurance report from the twin's telemetry."""
    import argparse
    import sys

    from sim.cli.tables import render
    from sim.errors import FleetTwinError

    ap = argparse.ArgumentParser(prog="python -m twins.behaviour",
                                 description="usage-based insurance from a twin's telemetry")
    ap.add_argument("twin")
    ap.add_argument("--days", type=float, default=None,
                    help="observed span in days (default: the span of the reports)")
    ap.add_argument("--csv", type=Path, default=None, help="write every vehicle's premium")
    ap.add_argument("--top", type=int, default=10, help="vehicles listed, dearest first")
    args = ap.parse_args(argv)
    if args.days is not None and not 0 < args.days <= 3650:
        sys.stderr.write(f"error: --days must be in (0, 3650] (got {args.days!r})\n")
        return 2
    if not 0 <= args.top <= 100_000:
        sys.stderr.write(f"error: --top must be in [0, 100000] (got {args.top!r})\n")
        return 2
    try:
        beh = measured(args.twin)
        prices = premium_table(beh, days=args.days)
    except FleetTwinError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    table = beh.join(prices.drop_columns(["driver"]), "device").sort_by(
        [("premium_cny", "descending")])
    if args.csv is not None:
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, args.csv)
    cols = ["device", "driver", "km", "night_share", "events_per_100km", "f_km", "f_night",
            "f_events", "premium_cny"]
    rows = [[r[c] if not isinstance(r[c], float) else round(r[c], 3) for c in cols]
            for r in table.slice(0, args.top).to_pylist()]
    sys.stdout.write(render(cols, rows) + "\n")
    for k, v in fleet_summary(prices).items():
        sys.stdout.write(f"{k}: {v:,.2f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
