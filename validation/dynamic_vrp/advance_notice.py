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
[--instances c1_2_2 lc102 ...] [--out DIR]`` (a few minutes; writes ``advance_notice.json``
and ``advance_notice.png``).
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
TARGET_MEAN_GAP, TARGET_VEHICLES = 0.25, 1.5


def _variant() -> dict[str, Any]:
    from validation.checks_dispatch import REOPTIMISED

    return dict(zip(("dispatcher", "reoptimise_every", "params", "departure"), REOPTIMISED,
                    strict=True))


def series(name: str) -> str:
    """``c1_2_2`` -> ``C1``, ``lrc102`` -> ``LRC1``."""
    m = re.match(r"([a-z]+)(\d)", name)
    return (m.group(1) + m.group(2)).upper() if m else name.upper()


def study(names: list[str], leads: list[float], progress: bool = True) -> list[dict[str, Any]]:
    """One online run per instance and lead; rows of KPIs."""
    from tqdm import tqdm

    from sim.dispatch import get_dispatcher
    from validation.checks_dispatch import REOPTIMISED
    from validation.dynamic_vrp.instances import load_instance
    from validation.dynamic_vrp.online import ReleaseRule, run_online

    dispatcher, every, params, departure = REOPTIMISED  # full mode's variant

    rows = []
    jobs = [(n, lead) for n in names for lead in leads]
    for name, lead in tqdm(jobs, desc="advance notice", unit="run", disable=not progress,
                           file=sys.stderr):
        inst = load_instance(name)
        k = run_online(inst, get_dispatcher(dispatcher, **params),
                       ReleaseRule(lead_fraction=lead), reoptimise_every=every,
                       departure=departure).kpis
        rows.append({"instance": name, "series": series(name), "lead_fraction": lead,
                     "distance_gap": k["distance_gap"], "missed": k["missed"],
                     "vehicle_ratio": k["vehicles_used"] / k["best_vehicles"]})
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per lead: mean and worst gap, worst vehicle ratio, missed tasks."""
    out: dict[str, dict[str, float]] = {}
    for lead in sorted({r["lead_fraction"] for r in rows}):
        sel = [r for r in rows if r["lead_fraction"] == lead]
        gaps = np.array([r["distance_gap"] for r in sel])
        out[f"{lead:g}"] = {"mean_gap": float(gaps.mean()), "worst_gap": float(gaps.max()),
                            "worst_vehicle_ratio": max(r["vehicle_ratio"] for r in sel),
                            "missed": float(sum(r["missed"] for r in sel))}
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
    ap.add_argument("--instances", nargs="+", default=SAMPLE)
    ap.add_argument("--out", type=Path, default=Path("."))
    args = ap.parse_args(argv)
    if any(not 0 < x <= 1 for x in args.leads):
        sys.stderr.write(f"--leads: each must be in (0, 1], got {args.leads}\n")
        return 2
    from validation.dynamic_vrp.instances import available

    unknown = sorted(set(args.instances) - set(available("vrptw") + available("pdptw")))
    if unknown:
        sys.stderr.write(f"--instances: no such instance {unknown} (see validation/data/)\n")
        return 2
    rows = study(args.instances, args.leads)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = summarise(rows)
    (args.out / "advance_notice.json").write_text(json.dumps(
        {"variant": _variant(), "summary": summary,
         "runs": rows}, indent=2))
    plot(rows, args.out / "advance_notice.png")
    for lead, s in summary.items():
        sys.stdout.write(f"lead {lead:>5}: mean gap {s['mean_gap']:+.1%}, worst "
                         f"{s['worst_gap']:+.1%}, vehicles <= {s['worst_vehicle_ratio']:.2f} x "
                         f"best known, missed {s['missed']:.0f}\n")
    sys.stdout.write(f"wrote {args.out / 'advance_notice.png'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
