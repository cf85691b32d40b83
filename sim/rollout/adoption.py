"""Orders from a Bass diffusion per vertical, scaled to the provincial targets.

Each province and vertical has a market of ``target x vertical share x potential_factor``
boxes, cut into group orders (one enterprise each, size drawn per vertical). Order ``k`` is
placed at ``F^-1(u_k)`` months after the province goes on sale, ``u_k`` uniform, so the
share of the market ordered by time ``t`` follows the Bass closed form

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)).

Orders that would come after the end of the year are not placed; at full adoption every box
of the market is ordered, so provincial totals add up to the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.rng import RngStreams
from sim.rollout.plan import VERTICALS
from sim.rollout.schema import RolloutScenario, VerticalSpec
from sim.schema.distributions import sample

MONTH_S = 365.25 / 12 * 86400.0


def bass_cdf(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Bass cumulative adoption F(t) (t in the unit of ``p`` and ``q``; 0 before 0)."""
    t = np.maximum(np.asarray(t, float), 0.0)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_inverse(u: np.ndarray, p: float, q: float) -> np.ndarray:
    """Time at which F reaches ``u`` (0 <= u < 1)."""
    u = np.asarray(u, float)
    x = (1.0 - u) / (1.0 + u * q / p)
    return -np.log(x) / (p + q)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` adding up to ``total`` (largest remainder)."""
    w = np.asarray(weights, float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(w.size, np.int64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


@dataclass
class Orders:
    """Group orders, one row each, sorted by order time."""

    province: np.ndarray  # index into the scenario's province list
    vertical: np.ndarray  # index into VERTICALS
    boxes: np.ndarray
    t_s: np.ndarray  # order time, seconds from 1 January
    package: np.ndarray  # index into the package names
    segment: np.ndarray  # 3-level segment code
    team: np.ndarray  # installer team (depot) within the province
    x_km: np.ndarray  # site position relative to the team's depot
    y_km: np.ndarray

    def __len__(self) -> int:
        return int(self.boxes.size)


def group_sizes(rng: np.random.Generator, v: VerticalSpec, total: int) -> np.ndarray:
    """Order sizes adding up exactly to ``total`` (the last one cut)."""
    out: list[np.ndarray] = []
    have = 0
    while have < total:
        n = max(8, int(1.2 * (total - have) / max(1.0, float(v.min_boxes))) // 4 + 8)
        draw = np.rint(np.asarray(sample(v.group_boxes, rng, n), float))
        draw = np.clip(draw, v.min_boxes, v.max_boxes).astype(np.int64)
        out.append(draw)
        have += int(draw.sum())
    sizes = np.concatenate(out) if out else np.zeros(0, np.int64)
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    sizes = sizes[: k + 1].copy()
    if sizes.size:
        sizes[-1] -= int(cum[k] - total)
    return sizes[sizes > 0]


def market_boxes(s: RolloutScenario) -> np.ndarray:
    """Boxes of each (province, vertical) market at full adoption, exact integers.

    A province's market is ``round(target_10k x 10,000 x potential_factor)`` split over the
    verticals by their shares (largest remainder), so the provinces add up to the plan.
    """
    names = list(s.provinces)
    verts = [v for v in VERTICALS if v in s.adoption.verticals]
    shares = np.array([s.adoption.verticals[v].share for v in verts])
    out = np.zeros((len(names), len(VERTICALS)), np.int64)
    for i, name in enumerate(names):
        total = int(round(s.provinces[name].target_10k * 1e4 * s.adoption.potential_factor))
        split = apportion(total, shares)
        for j, v in enumerate(verts):
            out[i, VERTICALS.index(v)] = split[j]
    return out


def generate_orders(s: RolloutScenario, on_sale_s: np.ndarray, teams: np.ndarray,
                    packages: list[str], streams: RngStreams) -> Orders:
    """Every group order of the year for every province and vertical.

    ``streams.stream(name)`` gives a named generator (one per province and vertical, so a
    change in one market never shifts another's orders).
    """
    market = market_boxes(s)
    names = list(s.provinces)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("province", "vertical", "boxes", "t_s", "package",
                                           "segment", "team", "x_km", "y_km")}
    radius = s.installation.district_radius_km
    for i, name in enumerate(names):
        for j, vname in enumerate(VERTICALS):
            total = int(market[i, j])
            if total == 0:
                continue
            v = s.adoption.verticals[vname]
            rng = streams.stream(f"orders.{name}.{vname}")
            sizes = group_sizes(rng, v, total)
            n = sizes.size
            t = on_sale_s[i] + bass_inverse(rng.random(n), v.p_per_month, v.q_per_month) \
                * MONTH_S
            pk = list(v.packages)
            pw = np.array([v.packages[k] for k in pk], float)
            pick = rng.choice(len(pk), size=n, p=pw / pw.sum())
            codes = np.array(list(v.segments), np.int64)
            cw = np.array(list(v.segments.values()), float)
            seg = codes[rng.choice(codes.size, size=n, p=cw / cw.sum())]
            r = radius * np.sqrt(rng.random(n))
            a = 2 * np.pi * rng.random(n)
            cols["province"].append(np.full(n, i, np.int32))
            cols["vertical"].append(np.full(n, j, np.int32))
            cols["boxes"].append(sizes.astype(np.int64))
            cols["t_s"].append(t)
            cols["package"].append(np.array([packages.index(pk[k]) for k in pick], np.int32))
            cols["segment"].append(seg)
            cols["team"].append(rng.integers(0, max(1, int(teams[i])), n).astype(np.int32))
            cols["x_km"].append(r * np.cos(a))
            cols["y_km"].append(r * np.sin(a))
    arrays = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}
    order = np.lexsort((arrays["province"], arrays["t_s"]))
    return Orders(**{k: v[order] for k, v in arrays.items()})
