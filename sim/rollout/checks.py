"""Checks a rollout scenario needs beyond its schema, each naming the field and the value."""

from __future__ import annotations

import datetime as dt
import math

from sim.economics.tariffs import PACKAGES, DiscountBand, uncovered_sizes
from sim.errors import Problem
from sim.rollout.plan import BY_NAME, SEGMENT_CODES, VERTICALS
from sim.rollout.schema import RolloutScenario


def bands_of(s: RolloutScenario) -> list[DiscountBand]:
    return [DiscountBand(b.from_boxes, math.inf if b.to_boxes is None else b.to_boxes,
                         b.factor) for b in s.economics.discounts]


def check_scenario(s: RolloutScenario) -> list[Problem]:
    """Every problem of the scenario that the schema cannot see, at once."""
    out: list[Problem] = []
    for name in s.provinces:
        if name not in BY_NAME:
            out.append(Problem(f"provinces.{name}", "unknown province (known: "
                               + ", ".join(BY_NAME) + ")", name))
    start, end = dt.date(s.year, 1, 1), dt.date(s.year, 12, 31)
    seen: set[str] = set()
    for i, b in enumerate(s.launch.batches):
        if not start <= b.on_sale <= end:
            out.append(Problem(f"launch.batches[{i}].on_sale",
                               f"launch date outside the year {s.year}", b.on_sale.isoformat()))
        for j, p in enumerate(b.provinces):
            if p not in BY_NAME:
                out.append(Problem(f"launch.batches[{i}].provinces[{j}]", "unknown province", p))
            elif p in seen:
                out.append(Problem(f"launch.batches[{i}].provinces[{j}]",
                                   "province already launched by an earlier batch", p))
            seen.add(p)
        if b.rest:
            seen |= set(s.provinces)
    if not start <= s.launch.teams_ready <= end:
        out.append(Problem("launch.teams_ready", f"date outside the year {s.year}",
                           s.launch.teams_ready.isoformat()))
    missing = [p for p in s.provinces if p not in seen and p in BY_NAME]
    if missing:
        out.append(Problem("launch.batches", "provinces in no batch (add them or a batch "
                           "with rest: true)", missing))
    if s.handover_date is not None and not start <= s.handover_date <= end:
        out.append(Problem("handover_date", f"date outside the year {s.year}",
                           s.handover_date.isoformat()))
    shares = sum(v.share for v in s.adoption.verticals.values())
    if abs(shares - 1.0) > 1e-6:
        out.append(Problem("adoption.verticals", "vertical shares must add up to 1",
                           round(shares, 6)))
    bands = bands_of(s)
    for name, v in s.adoption.verticals.items():
        path = f"adoption.verticals.{name}"
        if name not in VERTICALS:
            out.append(Problem(path, f"unknown vertical (known: {', '.join(VERTICALS)})", name))
        for pkg in v.packages:
            if pkg not in PACKAGES:
                out.append(Problem(f"{path}.packages.{pkg}", "unknown package (known: "
                                   + ", ".join(PACKAGES) + ")", pkg))
        for code in v.segments:
            if code not in SEGMENT_CODES:
                out.append(Problem(f"{path}.segments.{code}",
                                   "not a 3-level enterprise segment code of the plan", code))
        for size in uncovered_sizes(v.min_boxes, v.max_boxes, bands,
                                    s.economics.no_discount_below):
            out.append(Problem("economics.discounts", f"no band covers a group of {size} "
                               f"boxes ({name} groups are {v.min_boxes}-{v.max_boxes})", size))
        inst = s.installation
        drive_h = inst.district_radius_km * inst.detour / inst.travel_kmh
        lo = max(v.window_h[0], inst.shift_h[0] + drive_h)
        hi = min(v.window_h[1], inst.shift_h[1] - drive_h)
        if (hi - lo) * 60.0 < inst.setup_min + inst.per_box_min:
            out.append(Problem(f"{path}.window_h", "too short for one box at the edge of a "
                               f"district (set-up, one box and {drive_h:.2f} h of driving each "
                               "way inside the crews' shift)", list(v.window_h)))
    for pkg, price in s.economics.prices_cny.items():
        known = PACKAGES.get(pkg)
        if known is None:
            out.append(Problem(f"economics.prices_cny.{pkg}", "unknown package", pkg))
        elif known.floor_cny is not None and price < known.floor_cny:
            out.append(Problem(f"economics.prices_cny.{pkg}",
                               f"below the suggested floor of {known.floor_cny:g} yuan", price))
    return out
