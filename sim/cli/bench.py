"""``fleettwin bench``: every dispatcher on a fixed benchmark set; a regression gate.

The logic lives in :mod:`validation.bench` (imported lazily: ``sim`` does not depend on
``validation``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.checks import writable_dir
from sim.errors import FleetTwinError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench", help="benchmark every dispatcher; --compare fails on a regression",
        description="Run every registered dispatcher on a fixed set of city scenarios and "
        "routing benchmark instances over fixed seeds, write KPIs with 95%% intervals as "
        "JSON, and optionally compare against a baseline with paired seeds.")
    p.add_argument("--fast", action="store_true",
                   help="the small CI benchmark set (seconds, not minutes)")
    p.add_argument("--out", type=Path,
                   help="write the results JSON here (default: runs/bench-MODE.json)")
    p.add_argument("--compare", type=Path, metavar="BASELINE.json",
                   help="fail (exit 1) when a dispatcher is worse than this baseline")
    p.add_argument("--tolerance", action="append", default=[], metavar="REL|KPI=REL",
                   help="allowed relative worsening, overall (e.g. 0.05, the default) or per "
                   "KPI (e.g. wait_p95_s=0.1); repeatable")
    p.add_argument("--update-baseline", action="store_true",
                   help="write the results as the new baseline (the --compare file, or "
                   "validation/baselines/bench_MODE.json) and print the changes")
    p.add_argument("--dispatcher", action="append", metavar="NAME",
                   help="only this dispatcher (repeatable; default: all registered)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_bench)


def parse_tolerance(items: list[str]) -> tuple[float, dict[str, float]]:
    """``["0.05", "wait_p95_s=0.1"]`` -> (0.05, {"wait_p95_s": 0.1})."""
    default, per_kpi = 0.05, {}
    for item in items:
        key, _, value = item.rpartition("=")
        try:
            tol = float(value)
        except ValueError:
            raise FleetTwinError(f"--tolerance {item!r}: expected a number or KPI=number") \
                from None
        if not tol >= 0:
            raise FleetTwinError(f"--tolerance {item!r}: must be >= 0")
        if key:
            per_kpi[key] = tol
        else:
            default = tol
    return default, per_kpi


def cmd_bench(args: argparse.Namespace) -> int:
    default_tol, per_kpi = parse_tolerance(args.tolerance)  # before the slow imports
    from sim.cli.tables import render
    from validation import bench

    bset = bench.benchmark_set(args.fast)
    unknown = set(per_kpi) - set(bench.CITY_KPIS) - set(bench.INSTANCE_KPIS)
    if unknown:
        raise FleetTwinError(f"--tolerance: unknown KPI {sorted(unknown)[0]!r} (gated: "
                             f"{', '.join([*bench.CITY_KPIS, *bench.INSTANCE_KPIS])})")
    baseline = None
    target = args.compare
    if args.update_baseline:
        target = args.compare or bench.baseline_path(bset.mode)
        if target.exists():  # only to print what changes
            baseline = bench.load_baseline(target)
            if baseline["benchmark_set"]["id"] != bset.id:
                print(f"note: {target} was made on another benchmark set; replacing it")
                baseline = None
    elif target is not None:
        baseline = bench.load_baseline(target)
        bench.check_same_set(baseline, bset, str(target))
    out = args.out or Path("runs") / f"bench-{bset.mode}.json"
    writable_dir(out.parent)  # before the work, not after it
    if args.update_baseline:
        writable_dir((target or bench.baseline_path(bset.mode)).parent, "--compare")
    doc = bench.run_bench(bset, args.dispatcher, _progress(args, bset))
    _write(out, doc)
    print(f"benchmark set {bset.mode} ({bset.id}), seeds {list(bset.seeds)}; results: {out}")
    print(render(["dispatcher", "case", "kpi", "mean", "ci_low", "ci_high"],
                 bench.summary_rows(doc)))
    if args.update_baseline:
        target = target or bench.baseline_path(bset.mode)
        if baseline is not None:
            verdicts = bench.compare(baseline, doc, per_kpi, default_tol)
            changed = [v for v in verdicts if v.status != "ok" or v.change]
            print(f"changes against the previous baseline {target}:")
            print(_table(changed) if changed else "  none")
        else:
            print(f"new baseline {target}")
        _write(target, doc)
        print(f"baseline written: {target}")
        return 0
    if baseline is None:
        return 0
    verdicts = bench.compare(baseline, doc, per_kpi, default_tol)
    print(f"comparison with {args.compare} (paired seeds, tolerance {default_tol:g}"
          + "".join(f", {k} {v:g}" for k, v in per_kpi.items()) + "):")
    print(_table(verdicts))
    failed = [v for v in verdicts if v.failed]
    if failed:
        print(f"FAIL: {len(failed)} regression(s): "
              + "; ".join(f"{v.dispatcher} {v.case} {v.kpi} ({v.status})" for v in failed),
              file=sys.stderr)
        return 1
    print("PASS: no dispatcher worse than the baseline beyond tolerance")
    return 0


def _table(verdicts: list[Any]) -> str:
    from sim.cli.tables import render

    rows = [[v.dispatcher, v.case, v.kpi, v.baseline, v.candidate,
             None if v.change is None else f"{v.change:+.2%}",
             None if v.ci_low is None else f"[{v.ci_low:+.2%}, {v.ci_high:+.2%}]", v.status]
            for v in verdicts]
    return render(["dispatcher", "case", "kpi", "baseline", "candidate", "worse by",
                   "95% CI", "verdict"], rows)


def _progress(args: argparse.Namespace, bset: Any) -> Any:
    if args.quiet:
        return None
    from tqdm import tqdm

    from sim.dispatch import DISPATCHERS

    n = len(args.dispatcher or DISPATCHERS) * len(bset.cases)
    bar = tqdm(total=n, unit="case", desc="bench", file=sys.stderr)

    def step(label: str) -> None:
        bar.set_postfix_str(label)
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return step


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
