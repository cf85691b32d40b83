"""``fleettwin twin ...``: init, ingest, status, drift, fork, emit, opsstream, monitor."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import sys
from pathlib import Path

from sim.errors import DataError, Problem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("twin", help="digital twins: ingest telemetry, state, drift, fork, emit")
    tsub = p.add_subparsers(dest="twin_command", metavar="TWIN_COMMAND", required=True)

    q = tsub.add_parser("init", help="create a twin folder (twin.yaml)")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("--from-run", type=Path, help="mirror the fleet of a city_fleet run or "
                   "the boxes of an iptv run")
    q.add_argument("--name")
    q.add_argument("--region", help="lon_min,lat_min,lon_max,lat_max")
    q.add_argument("--devices", type=Path, help="CSV of devices: id,kind,profile,entity")
    q.add_argument("--lateness-s", type=float, default=600.0)
    q.add_argument("--epoch", help="local midnight of the simulated day, ISO 8601 "
                   "(default 2024-01-01T00:00:00+08:00)")
    q.add_argument("--clock", choices=["wall", "none"], default="wall",
                   help="far-future check against the wall clock, or none")
    q.set_defaults(func=cmd_init)

    q = tsub.add_parser("ingest", help="ingest telemetry files (or - for stdin)")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("sources", nargs="+", metavar="SOURCE")
    q.add_argument("--format", choices=["jsonl", "csv", "parquet", "jt808"],
                   help="format of every source (default: from the suffix; stdin: jsonl)")
    q.add_argument("--reread", action="store_true",
                   help="read files from the start even if ingested before")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.add_argument("--opsstream", action="store_true", help="write each 10-minute window of "
                   "the operations stream as it completes (see `twin opsstream`)")
    q.set_defaults(func=cmd_ingest)

    q = tsub.add_parser("status", help="counts, quarantine reasons and device states")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("--devices", type=int, default=0, metavar="N", help="list N devices")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_status)

    q = tsub.add_parser("drift", help="compare arrivals with the model's predictions")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("--run", type=Path, help="reference run (default: the twin's)")
    q.add_argument("--predictions", type=Path,
                   help="table of measure,key,t_s,value, or an iptv run directory "
                   "(its boxes online per access node)")
    q.add_argument("--threshold", type=float, help="relative drift raising a finding")
    q.set_defaults(func=cmd_drift)

    q = tsub.add_parser("fork", help="simulate a scenario from the twin's current state")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("scenario", nargs="?", help="scenario (default: the twin's)")
    q.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override a scenario field (repeatable)")
    q.add_argument("--out", type=Path, default=Path("runs"), help="folder for the run")
    q.add_argument("--name", help="run directory name")
    q.add_argument("--seed", type=int)
    q.add_argument("--replications", type=int)
    q.add_argument("--quiet", action="store_true")
    q.set_defaults(func=cmd_fork)

    q = tsub.add_parser("emit", help="turn a city fleet or iptv run into a telemetry stream")
    q.add_argument("run_dir", type=Path)
    q.add_argument("--format", choices=["jsonl", "jt808"], default="jsonl")
    q.add_argument("--out", type=Path, help="file to write (default: standard output)")
    q.add_argument("--noise", type=float, default=1.0, help="GPS error scale (1 = profile)")
    q.add_argument("--loss", type=float, default=0.0, help="share of reports lost")
    q.add_argument("--duplicate", type=float, default=0.0, help="share sent twice")
    q.add_argument("--reorder-s", type=float, default=0.0, help="mean extra delay, s")
    q.add_argument("--heartbeat-s", type=float, default=300.0)
    q.add_argument("--until-s", type=float, help="stop at this simulated time")
    q.add_argument("--epoch", help="local midnight of the simulated day, ISO 8601")
    q.add_argument("--seed", type=int)
    q.add_argument("--replication", type=int, default=0)
    q.set_defaults(func=cmd_emit)

    from twins import opscli

    opscli.register(tsub)


#: Upper bounds of the numbers the twin commands take (far beyond any sensible use, far
#: below what would allocate without end).
MAX_LATENESS_S = 7 * 86400.0
MAX_EMIT_S = 366 * 86400.0
MAX_REPORTS_PER_DEVICE = 10_000_000
MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 1000


def _number(option: str, value: float | int | None, lo: float, hi: float,
            lo_open: bool = False, hi_open: bool = False) -> None:
    """Refuse a value of ``option`` that is NaN, infinite or outside ``[lo, hi]``."""
    if value is None:
        return
    name = option.lstrip("-").replace("-", "_")
    if not math.isfinite(value):
        raise DataError(option, [Problem(name, "must be a finite number", value)])
    below = value <= lo if lo_open else value < lo
    above = value >= hi if hi_open else value > hi
    if below or above:
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise DataError(option, [Problem(name, f"must be in {interval}", value)])


def _epoch(text: str | None) -> dt.datetime:
    from twins.config import DEFAULT_EPOCH

    if not text:
        return DEFAULT_EPOCH
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DataError("--epoch", [Problem("epoch", "not an ISO 8601 time", text)]) from None
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not 2000 <= value.year <= 2098:
        raise DataError("--epoch", [Problem("epoch", "must be in the years 2000-2098 (JT/T "
                                            "808 times have two-digit years)", text)])
    return value


def _writable_file(option: str, path: Path | None) -> None:
    """Refuse an output file that cannot be written, before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise DataError(option, [Problem(option.lstrip("-"), "is a folder, not a file",
                                         str(path))])
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DataError(option, [Problem(option.lstrip("-"), "folder does not exist",
                                         str(parent))])
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DataError(option, [Problem(option.lstrip("-"), "cannot be written",
                                         str(path))])


def _writable_dir(option: str, path: Path) -> None:
    """Refuse an output folder that exists as a file or cannot be written."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise DataError(option, [Problem(option.lstrip("-"), "is a file, not a folder",
                                         str(probe))])
    if probe.exists() and not os.access(probe, os.W_OK):
        raise DataError(option, [Problem(option.lstrip("-"), "cannot be written", str(probe))])


def cmd_init(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from sim.schema.loader import problems_from_validation

    _number("--lateness-s", args.lateness_s, 0, MAX_LATENESS_S)
    if args.name is not None and not re.fullmatch(r"[A-Za-z0-9_\-\.]{1,80}", args.name):
        raise DataError("--name", [Problem("name", "must be 1-80 letters, digits, '_', '-' "
                                           "or '.'", args.name)])
    if args.twin_dir.exists() and not args.twin_dir.is_dir():
        raise DataError(args.twin_dir, [Problem("", "is a file, not a folder",
                                                has_value=False)])
    _writable_dir("twin_dir", args.twin_dir)
    if args.devices is not None:
        from twins.config import read_devices_csv

        if not args.devices.is_file():
            raise DataError("--devices", [Problem("devices", "file not found",
                                                  str(args.devices))])
        problems: list[Problem] = []
        devices = read_devices_csv(args.devices, problems)
        ids = [d.id for d in devices]
        if len(set(ids)) != len(ids):
            twice = sorted({i for i in ids if ids.count(i) > 1})[:5]
            problems.append(Problem("id", "device ids given twice", twice))
        if problems:
            raise DataError(args.devices, problems)
    try:
        return _init(args)
    except ValidationError as exc:
        raise DataError(args.twin_dir, problems_from_validation(exc, {})) from None
    except OSError as exc:
        raise DataError(args.twin_dir, [Problem("", f"cannot write the twin folder: "
                                                f"{exc.strerror or exc}", has_value=False)]
                        ) from None


def _init(args: argparse.Namespace) -> int:
    from twins.config import Region
    from twins.setup import init_from_run, init_plain

    if args.from_run:
        cfg = init_from_run(args.twin_dir, args.from_run, args.name, _epoch(args.epoch),
                            args.lateness_s, args.clock)
    else:
        region = None
        if args.region:
            try:
                a, b, c, d = (float(x) for x in args.region.split(","))
                if not all(math.isfinite(v) for v in (a, b, c, d)):
                    raise ValueError("every bound must be a finite number")
                region = Region(lon_min=a, lat_min=b, lon_max=c, lat_max=d)
            except ValueError as exc:
                raise DataError("--region", [Problem("region", f"expected lon_min,lat_min,"
                                                     f"lon_max,lat_max ({exc})",
                                                     args.region)]) from None
        cfg = init_plain(args.twin_dir, args.name or args.twin_dir.name, region, args.devices,
                         args.lateness_s)
    print(f"twin {cfg.name}: {args.twin_dir / 'twin.yaml'}")
    return 0


def _print_counts(counts: dict[str, int], label: str) -> None:
    ok = counts["accepted"] + counts["quarantined"] == counts["read"]
    print(f"{label}: read {counts['read']:,}  accepted {counts['accepted']:,}  "
          f"quarantined {counts['quarantined']:,}  "
          f"(accepted + quarantined = read: {'yes' if ok else 'NO'})")


def cmd_ingest(args: argparse.Namespace) -> int:
    from sim.cli.tables import render
    from twins.ingest import Twin

    with Twin(args.twin_dir) as twin:
        writer = None
        if args.opsstream:
            from twins.opscli import StreamWriter

            writer = StreamWriter(twin)
        rep = twin.ingest(args.sources, fmt=args.format, progress=not args.quiet,
                          reread=args.reread, on_commit=writer)
        total = twin.counters()
    rate = rep.read / rep.wall_s if rep.wall_s > 0 else 0.0
    _print_counts({"read": rep.read, "accepted": rep.accepted,
                   "quarantined": rep.quarantined}, "this ingest")
    print(f"  {rep.wall_s:.2f} s, {rate:,.0f} records/s")
    if rep.reasons:
        print(render(["quarantine reason", "count"], rep.reasons.most_common()))
    _print_counts(total, "twin total")
    if writer is not None:
        print(f"operations stream: {writer.written} windows written")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import numpy as np

    from sim.cli.tables import render
    from twins.ingest import Twin

    _number("--devices", args.devices, 0, 1_000_000)
    with Twin(args.twin_dir, read_only=True) as twin:
        counts = twin.counters()
        reasons = twin.quarantine_summary()
        st = twin.device_states()
        cfg = twin.config
    last = np.asarray(st.column("last_ts_s").to_numpy(zero_copy_only=False), float)
    seen = ~np.isnan(last)
    states = st.column("state").to_pylist()
    by_state: dict[str, int] = {}
    for s, ok in zip(states, seen, strict=True):
        if ok:
            by_state[s or "-"] = by_state.get(s or "-", 0) + 1
    now = float(np.nanmax(last)) if seen.any() else None
    if args.json:
        print(json.dumps({"counters": counts, "quarantine": dict(reasons),
                          "devices": len(last), "seen": int(seen.sum()), "states": by_state,
                          "latest_ts_s": now}, indent=2))
        return 0
    print(f"twin {cfg.name} ({args.twin_dir})")
    _print_counts(counts, "records")
    if reasons:
        print(render(["quarantine reason", "count"], reasons))
    when = dt.datetime.fromtimestamp(now, cfg.epoch.tzinfo).isoformat() if now else "-"
    print(f"devices: {len(last)} known, {int(seen.sum())} reporting; latest report {when}")
    if by_state:
        print(render(["state", "devices"], sorted(by_state.items())))
    if args.devices:
        cols = ["device", "kind", "last_ts_s", "state", "lon", "lat", "odometer_km", "fuel_l"]
        rows = st.select(cols).filter(np.asarray(seen)).slice(0, args.devices).to_pylist()
        print(render(cols, [[r[c] for c in cols] for r in rows]))
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    from sim.cli.tables import render
    from twins.drift import findings, measure_drift
    from twins.ingest import Twin

    _number("--threshold", args.threshold, 0, 100, lo_open=True)
    with Twin(args.twin_dir, read_only=True) as twin:
        measures = measure_drift(twin, args.run, args.predictions)
        found = findings(measures, twin, args.threshold)
    if not measures:
        print("no drift measures: no telemetry or predictions to compare yet")
        return 0
    print(render(["measure", "key", "predicted", "observed", "n", "drift", "KS p"],
                 [[m.measure, m.key, m.predicted, m.observed, m.count, f"{m.drift:+.1%}",
                   m.p_value] for m in measures]))
    if found:
        print("findings:")
        for f in found:
            print(f"  recalibrate {f.recalibrate}: {f.message}")
        return 1
    print("no drift past the threshold")
    return 0


def cmd_fork(args: argparse.Namespace) -> int:
    from sim.cli.tables import format_kpis
    from sim.results.rundir import read_json
    from twins.fork import fork

    _number("--seed", args.seed, 0, MAX_SEED)
    _number("--replications", args.replications, 1, MAX_REPLICATIONS)
    if args.name is not None and not re.fullmatch(r"[A-Za-z0-9_\-\.]{1,120}", args.name) \
            or args.name in (".", ".."):
        raise DataError("--name", [Problem("name", "must be 1-120 letters, digits, '_', '-' "
                                           "or '.' (a folder name, not a path)", args.name)])
    _writable_dir("--out", args.out)
    run_dir = fork(args.twin_dir, args.scenario, args.overrides, args.out, args.name,
                   args.seed, args.replications, progress=not args.quiet)
    origin = read_json(run_dir / "manifest.json")["forked_from"]
    what = (f"{origin['boxes']} boxes ({origin['offline']} offline, {origin['viewing']} "
            f"viewing)" if "boxes" in origin else f"{origin['vehicles']} vehicles")
    print(f"fork from twin time {origin['twin_time_s']:.0f} (time of day "
          f"{origin['t0_s'] / 3600:.2f} h), {what} ({origin['stale']} stale)")
    print(f"run: {run_dir}")
    from sim.engine.registry import model_kinds

    kind = model_kinds().get(read_json(run_dir / "manifest.json").get("kind", ""))
    print(format_kpis(read_json(run_dir / "kpis.json"), read_json(run_dir / "kpis_ci.json"),
                      kind.kpis if kind else None))
    return 0


def cmd_emit(args: argparse.Namespace) -> int:
    from twins.emit import EmitOptions, generate, read_truth, write_jsonl, write_jt808

    _number("--noise", args.noise, 0, 100)
    _number("--loss", args.loss, 0, 1, hi_open=True)
    _number("--duplicate", args.duplicate, 0, 1, hi_open=True)
    _number("--reorder-s", args.reorder_s, 0, 86400)
    _number("--heartbeat-s", args.heartbeat_s, 1, 86400)
    _number("--until-s", args.until_s, 0, MAX_EMIT_S, lo_open=True)
    _number("--seed", args.seed, 0, MAX_SEED)
    _number("--replication", args.replication, 0, MAX_REPLICATIONS - 1)
    if args.until_s is not None and args.until_s / args.heartbeat_s > MAX_REPORTS_PER_DEVICE:
        raise DataError("--until-s", [Problem("until_s", f"is more than "
                                              f"{MAX_REPORTS_PER_DEVICE:,} heartbeats of "
                                              f"{args.heartbeat_s:g} s", args.until_s)])
    epoch = _epoch(args.epoch)
    _writable_file("--out", args.out)
    if not (args.run_dir / "manifest.json").is_file():
        raise DataError(args.run_dir, [Problem("", "not a run folder (no manifest.json)",
                                               has_value=False)])
    truth = read_truth(args.run_dir, args.replication)
    from twins.emit_stb import BoxTruth

    if args.format == "jt808" and isinstance(truth, BoxTruth):
        raise DataError("--format", [Problem("format", "JT/T 808 frames carry vehicle terminal "
                                             "reports only (set-top boxes: jsonl)",
                                             args.format)])
    opt = EmitOptions(epoch_s=epoch.timestamp(), noise=args.noise, loss=args.loss,
                      duplicate=args.duplicate, reorder_s=args.reorder_s,
                      heartbeat_s=args.heartbeat_s, replication=args.replication,
                      seed=args.seed, until_s=args.until_s)
    for name in ("loss", "duplicate"):
        if not 0 <= getattr(opt, name) < 1:
            raise DataError(f"--{name}", [Problem(name, "must be in [0, 1)",
                                                  getattr(opt, name))])
    table = generate(truth, opt)
    clamped: dict[str, int] = {}
    if args.format == "jt808":
        if args.out:
            with args.out.open("wb") as fh:
                n = write_jt808(table, fh, clamped)
        else:
            n = write_jt808(table, sys.stdout.buffer, clamped)
        if clamped:
            print("values clamped to their JT/T 808 field: " + ", ".join(
                f"{k} {v:,}" for k, v in sorted(clamped.items())), file=sys.stderr)
    elif args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            n = write_jsonl(table, fh)
    else:
        n = write_jsonl(table, sys.stdout)
    if args.out:
        print(f"{n:,} records -> {args.out}", file=sys.stderr)
    return 0
