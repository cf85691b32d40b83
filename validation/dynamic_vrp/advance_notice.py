"""What advance notice buys: the online dispatcher's gap to the best-known solutions as tasks
become known earlier.

The online rules (:mod:`validation.dynamic_vrp.online`) reveal each task ``lead`` before its
window opens (``lead = lead_fraction x horizon``). At ``lead_fraction = 1`` every task is
known at the start and the online run is a static solve; at the default 0.05 most tasks
appear during the day, an hour or less before they must be served. This study runs full
mode's variant (``REOPTIMISED`` in :mod:`validation.checks_dispatch`: ``priority`` with no
cost on pickup delay, re-optimising every 1% of the horizon, vehicles leaving by advanced
dynamic waiting) on a sample of instances of every series for several leads, and plots the
distance gap and the vehicles against the best-known solutions, with the targets of the
validation (mean gap +25%, vehicles 1.5x).

Run: ``python -m validation.dynamic_vrp.advance_notice [--leads 0.05 0.1 0.2 0.4 1]
[--instances c1_2_2 lc102 ... | collection | all] [--jobs N] [--out DIR]`` (the sample: a few
minutes; writes ``advance_notice.json`` and ``advance_notice.png``). ``collection`` runs the
86 instances of the benchmark collection the best-known check judges (C1, R1 and RC1 with
200 customers, and every Li & Lim instance), ``all`` also the R2 and RC2 series (106); each
run takes 2-15 s of one core, so ``--jobs 2`` halves the wall time on two cores. Per lead
the summary gives the mean and worst gap, the worst vehicle ratio of an instance and the
ratio over the set (vehicles used / best-known vehicles, summed), and whether the three
targets of the best-known check hold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: One instance of each series (the second: the first of several series is the easiest).
SAMPLE = ["c1_2_2", "r1_2_2", "rc1_2_2", "r2_2_2", "rc2_2_2", "lc102", "lc202", "lr102",
          "lr202", "lrc102", "lrc202"]
LEADS = [0.05, 0.1, 0.2, 0.4, 1.0]
TARGET_MEAN_GAP, TARGET_WORST_GAP, TARGET_VEHICLES = 0.25, 0.50, 1.5
#: Named instance sets of ``--instances`` besides the sample.
COLLECTION_PREFIXES = ("c1_2_", "r1_2_", "rc1_2_", "lc", "lr")


def _variant() -> dict[str, Any]:
    from validation.checks_dispatch import REOPTIMISED

    return dict(zip(("dispatcher", "reoptimise_every", "params", "departure"), REOPTIMISED,
                    strict=True))


def series(name: str) -> str:
    """``c1_2_2`` -> ``C1``, ``lrc102`` -> ``LRC1``."""
    m = re.match(r"([a-z]+)(\d)", name)
    return (m.group(1) + m.group(2)).upper() if m else name.upper()


def named_set(name: str) -> list[str] | None:
    """The instances of a named set (``sample``, ``collection``, ``all``); None if unknown."""
    from validation.dynamic_vrp.instances import available

    every = available("vrptw") + available("pdptw")
    return {"sample": SAMPLE, "all": every,
            "collection": [n for n in every if n.startswith(COLLECTION_PREFIXES)]}.get(name)


def study(names: list[str], leads: list[float], progress: bool = True,
          workers: int = 1) -> list[dict[str, Any]]:
    """One online run per instance and lead (on ``workers`` processes); rows of KPIs, in
    the order of the instances, then the leads, whatever the number of workers."""
    from tqdm import tqdm

    jobs = [(n, lead) for n in names for lead in leads]
    bar = tqdm(total=len(jobs), desc="advance notice", unit="run", disable=not progress,
               file=sys.stderr)
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    rows = []
    try:
        # pool.map yields in job order: the same rows as one worker
        for row in (pool.map(_one, jobs) if pool else map(_one, jobs)):
            rows.append(row)
            bar.update()
    finally:
        if pool is not None:
            pool.shutdown()
        bar.close()
    return rows


def _one(job: tuple[str, float]) -> dict[str, Any]:
    """One online run of full mode's variant: instance ``job[0]`` at lead ``job[1]``."""
    from sim.dispatch import get_dispatcher
    from validation.checks_dispatch import REOPTIMISED
    from validation.dynamic_vrp.instances import load_instance
    from validation.dynamic_vrp.online import ReleaseRule, run_online

    name, lead = job
    dispatcher, every, params, departure = REOPTIMISED  # full mode's variant
    inst = load_instance(name)
    k = run_online(inst, get_dispatcher(dispatcher, **params),
                   ReleaseRule(lead_fraction=lead), reoptimise_every=every,
                   departure=departure).kpis
    return {"instance": name, "series": series(name), "lead_fraction": lead,
            "distance_gap": k["distance_gap"], "missed": k["missed"],
            "vehicles": k["vehicles_used"], "best_vehicles": k["best_vehicles"],
            "vehicle_ratio": k["vehicles_used"] / k["best_vehicles"]}


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per lead: mean and worst gap (and which instance), worst vehicle ratio of an instance
    and over the set, instances within +25% and +50%, missed tasks, and whether the
    best-known check's three targets hold (mean gap, worst gap, worst vehicle ratio, nothing
    missed)."""
    out: dict[str, dict[str, Any]] = {}
    for lead in sorted({r["lead_fraction"] for r in rows}):
        sel = [r for r in rows if r["lead_fraction"] == lead]
        gaps = np.array([r["distance_gap"] for r in sel])
        worst_ratio = max(r["vehicle_ratio"] for r in sel)
        missed = float(sum(r["missed"] for r in sel))
        row: dict[str, Any] = {
            "instances": len(sel), "mean_gap": float(gaps.mean()),
            "worst_gap": float(gaps.max()),
            "worst_instance": sel[int(gaps.argmax())].get("instance", ""),
            "worst_vehicle_ratio": worst_ratio,
            "within_25": int((gaps <= 0.25).sum()), "within_50": int((gaps <= 0.50).sum()),
            "missed": missed}
        if all("vehicles" in r for r in sel):
            row["set_vehicle_ratio"] = sum(r["vehicles"] for r in sel) / \
                sum(r["best_vehicles"] for r in sel)
        row["targets_met"] = bool(row["mean_gap"] <= TARGET_MEAN_GAP
                                  and row["worst_gap"] <= TARGET_WORST_GAP
                                  and worst_ratio <= TARGET_VEHICLES and missed == 0)
        out[f"{lead:g}"] = row
    return out


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    leads = sorted({r["lead_fraction"] for r in rows})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = sorted({r["series"] for r in rows})
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(names), 2)))
    for s, colour in zip(names, colours, strict=False):
        gap = [np.mean([r["distance_gap"] for r in rows if r["series"] == s
                        and r["lead_fraction"] == lead]) * 100 for lead in leads]
        veh = [np.max([r["vehicle_ratio"] for r in rows if r["series"] == s
                       and r["lead_fraction"] == lead]) for lead in leads]
        ax1.plot(leads, gap, marker="o", color=colour, label=s)
        ax2.plot(leads, veh, marker="o", color=colour, label=s)
    mean = [np.mean([r["distance_gap"] for r in rows if r["lead_fraction"] == lead]) * 100
            for lead in leads]
    ax1.plot(leads, mean, color="black", linewidth=2.5, label="mean")
    ax1.axhline(TARGET_MEAN_GAP * 100, color="grey", linestyle="--", label="target (mean)")
    ax2.axhline(TARGET_VEHICLES, color="grey", linestyle="--", label="target")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.minorticks_off()  # the leads are the only ticks
        ax.set_xticks(leads)
        ax.set_xticklabels([f"{lead:g}" for lead in leads])
        ax.set_xlabel("advance notice (share of the horizon)")
        ax.grid(alpha=0.3)
    ax1.set_ylabel("distance over best known (%)")
    ax2.set_ylabel("vehicles / best known (worst of series)")
    ax1.set_title("Distance against advance notice")
    ax2.set_title("Vehicles against advance notice")
    ax2.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=float, nargs="+", default=LEADS)
    ap.add_argument("--instances", nargs="+", default=["sample"],
                    help="instance names, or one of the sets sample, collection, all")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--out", type=Path, default=Path("."))
    args = ap.parse_args(argv)
    if any(not 0 < x <= 1 for x in args.leads):
        sys.stderr.write(f"--leads: each must be in (0, 1], got {args.leads}\n")
        return 2
    if args.jobs < 1:
        sys.stderr.write(f"--jobs: must be at least 1, got {args.jobs}\n")
        return 2
    from validation.dynamic_vrp.instances import available

    names: list[str] = []
    for x in args.instances:
        names += named_set(x) or [x]
    unknown = sorted(set(names) - set(available("vrptw") + available("pdptw")))
    if unknown:
        sys.stderr.write(f"--instances: no such instance {unknown} (see validation/data/; "
                         "or a set: sample, collection, all)\n")
        return 2
    rows = study(names, args.leads, workers=args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = summarise(rows)
    (args.out / "advance_notice.json").write_text(json.dumps(
        {"variant": _variant(), "summary": summary,
         "runs": rows}, indent=2))
    plot(rows, args.out / "advance_notice.png")
    for lead, s in summary.items():
        over_set = f" ({s['set_vehicle_ratio']:.2f} x over the set)" \
            if "set_vehicle_ratio" in s else ""
        sys.stdout.write(f"lead {lead:>5}: mean gap {s['mean_gap']:+.1%}, worst "
                         f"{s['worst_gap']:+.1%} ({s['worst_instance']}), vehicles <= "
                         f"{s['worst_vehicle_ratio']:.2f} x best known{over_set}, missed "
                         f"{s['missed']:.0f}; targets "
                         f"{'met' if s['targets_met'] else 'missed'}\n")
    sys.stdout.write(f"wrote {args.out / 'advance_notice.png'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
