"""``fleettwin validate`` and ``fleettwin staffing`` (the ``validation`` package, imported lazily).

``validate`` runs every registered check (closed forms, published figures, benchmark
instances) and prints check, expected, simulated, tolerance and verdict; it exits 1 when any
check fails. ``staffing`` answers "how many agents for X% of calls answered within T s?".
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Any

from sim.cli.checks import float_in, int_in, share_type
from sim.cli.tables import render
from sim.errors import FleetTwinError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check the simulator against closed forms and reference results",
        description="Run every registered validation check and print a table. Exit code 1 "
        "when any check fails.",
    )
    p.add_argument("--full", action="store_true",
                   help="longer runs and tighter tolerances (default: fast mode)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these checks (a check name, a group, or a name prefix)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--details", action="store_true", help="add the detail column")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_validate)

    s = sub.add_parser(
        "staffing",
        help="agents needed for a service level (Erlang C), optionally confirmed by simulation",
        description="Smallest number of agents such that --target of calls are answered "
        "within --within-s seconds, with Poisson calls and exponential handling (M/M/c).",
    )
    s.add_argument("--calls-per-h", type=float_in(0, 1e7, low_open=True), required=True,
                   help="calls per hour")
    s.add_argument("--handle-s", type=float_in(0, 1e6, low_open=True), required=True,
                   help="mean handling time per call (talk + wrap-up), seconds")
    s.add_argument("--target", type=share_type("target"), default=0.8,
                   help="share of calls to answer within --within-s (default 0.8)")
    s.add_argument("--within-s", type=float_in(0, 1e6), default=20.0, help="answer time, s (default 20)")
    s.add_argument("--simulate", action="store_true",
                   help="confirm the answer and one agent fewer with the hotline simulation")
    s.add_argument("--calls", type=int_in(1_000, 10_000_000, "a number of calls"),
                   default=150_000,
                   help="calls to simulate per staffing level with --simulate")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=cmd_staffing)


def select(checks: dict[str, Any], only: list[str] | None) -> list[Any]:
    """Checks named by ``only`` (exact name, group or name prefix); all when None."""
    if not only:
        return list(checks.values())
    chosen: list[Any] = []
    for key in only:
        hits = [c for c in checks.values()
                if c.name == key or c.group == key or c.name.startswith(key + ".")]
        if not hits:
            known = ", ".join(sorted(checks))
            raise FleetTwinError(f"--only {key}: no such check or group (known: {known})")
        chosen += [c for c in hits if c not in chosen]
    return chosen


def run_checks(chosen: list[Any], full: bool, progress: bool) -> list[dict[str, Any]]:
    from validation.registry import CheckResult

    out = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(chosen), unit="check", desc="validate", file=sys.stderr)
    try:
        for check in chosen:
            if bar is not None:
                bar.set_postfix_str(check.name)
            t0 = time.perf_counter()
            try:
                results = list(check.fn(full))
            except Exception as exc:  # a crashing check fails; the others still run
                log.exception("check %s raised", check.name)
                results = [CheckResult(check.name, "-", "-", "-", False,
                                       f"raised {type(exc).__name__}: {exc}")]
            if not results:
                results = [CheckResult(check.name, "-", "-", "-", False, "returned no result")]
            out.append({"name": check.name, "group": check.group,
                        "wall_s": time.perf_counter() - t0,
                        "results": [r.as_dict() for r in results]})
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    from validation.registry import discover

    checks = discover()
    chosen = select(checks, args.only)
    if args.list:
        for c in chosen:
            first = (c.description.splitlines() or [""])[0]
            sys.stdout.write(f"{c.name:28s} {c.group:12s} {first}\n")
        return 0
    t0 = time.perf_counter()
    ran = run_checks(chosen, args.full, progress=not args.quiet)
    wall = time.perf_counter() - t0
    results = [r for c in ran for r in c["results"]]
    failed = [r for r in results if not r["passed"]]
    if args.json:
        doc = {"mode": "full" if args.full else "fast", "passed": not failed,
               "n_results": len(results), "n_failed": len(failed), "wall_s": wall,
               "checks": ran}
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return 1 if failed else 0
    headers = ["check", "expected", "simulated", "tolerance", "verdict"]
    rows: list[list[Any]] = []
    for r in results:
        row = [r["check"], r["expected"], r["simulated"], r["tolerance"],
               "PASS" if r["passed"] else "FAIL"]
        if args.details:
            row.append(r["detail"])
        rows.append(row)
    if args.details:
        headers.append("detail")
    out = sys.stdout
    out.write(render(headers, rows) + "\n")
    if failed and not args.details:
        out.write("\nfailures:\n")
        for r in failed:
            out.write(f"  {r['check']}: {r['detail']}\n")
    mode = "full" if args.full else "fast"
    out.write(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
              f"({len(ran)} checks, {mode} mode, {wall:.1f} s)\n")
    return 1 if failed else 0


def cmd_staffing(args: argparse.Namespace) -> int:
    from validation.staffing import agents_for_service_level

    try:
        answer = agents_for_service_level(args.calls_per_h, args.handle_s, args.target,
                                          args.within_s)
    except ValueError as exc:
        raise FleetTwinError(f"staffing: {exc}") from None
    if args.calls < 1000:
        raise FleetTwinError(f"staffing: --calls must be >= 1000 (got {args.calls})")
    simulated: dict[int, Any] = {}
    if args.simulate:
        simulated = _simulate(answer, args.calls)
    if args.json:
        doc = {
            "calls_per_h": answer.calls_per_h, "handle_s": answer.handle_s,
            "offered_erlangs": answer.offered_erlangs, "target": answer.target,
            "within_s": answer.within_s, "agents": answer.agents,
            "options": [{**o.__dict__, **({"simulated_service_level": simulated[o.agents]}
                                          if o.agents in simulated else {})}
                        for o in answer.options],
        }
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return 0
    out = sys.stdout
    out.write(f"{answer.calls_per_h:g} calls/h x {answer.handle_s:g} s = "
              f"{answer.offered_erlangs:.2f} erlangs; target {answer.target:.0%} answered "
              f"within {answer.within_s:g} s\n")
    out.write(f"agents needed: {answer.agents}\n\n")
    headers = ["agents", "utilisation", "P(wait)", "mean wait s", "service level", "meets"]
    if simulated:
        headers += ["simulated SL", "95% CI"]
    rows = []
    for o in answer.options:
        row: list[Any] = [o.agents, o.utilisation, o.wait_prob, o.wait_mean_s, o.service_level,
                          "yes" if o.meets_target else "no"]
        if simulated:
            s = simulated.get(o.agents)
            row += ["", ""] if s is None else [s["mean"], f"[{s['low']:.4f}, {s['high']:.4f}]"]
        rows.append(row)
    out.write(render(headers, rows) + "\n")
    return 0


def _simulate(answer: Any, calls: int) -> dict[int, dict[str, float]]:
    from tqdm import tqdm

    from validation.hotline_runs import HotlineLoad, simulate

    out = {}
    levels = [a for a in (answer.agents - 1, answer.agents)
              if a >= 1 and a > answer.offered_erlangs]
    for agents in tqdm(levels, desc="simulating", unit="staffing level", file=sys.stderr):
        load = HotlineLoad(agents=agents, per_h=answer.calls_per_h,
                           handle_mean_s=answer.handle_s, calls=calls,
                           answer_within_s=answer.within_s, seed=300)
        est = simulate(load).estimate("service_level")
        out[agents] = {"mean": est.mean, "low": est.low, "high": est.high}
    return out
