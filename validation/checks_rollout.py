"""The rollout year against results nobody here made.

- ``rollout.hotline_erlang_c``: the provincial and centre lines' queue
  (:func:`sim.hotline.abandon.fcfs_abandon`) with patient callers against Erlang C (M/M/c):
  wait probability and mean wait, at rho 0.8 and 0.9, mean over independent seeds.
- ``rollout.bass``: order times of the adoption model against the Bass closed form
  F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t) (largest CDF gap, Kolmogorov-Smirnov).
- ``rollout.seed_tables``: the settlement rule (floor - 18) x 50% + 8.5 against every row of
  the seed's published settlement prices, and the seed's billing example (28 yuan, activated
  on the 17th of a 30-day month: 13.07 yuan).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy import stats

from sim.economics.billing import first_month_fee
from sim.economics.tariffs import PACKAGES, settlement_price
from sim.hotline.abandon import fcfs_abandon
from sim.rollout.adoption import bass_cdf, bass_inverse
from validation.analytic import mmc
from validation.registry import CheckResult, register_check

#: (agents, calls per hour, mean handling s): rho 0.8 and 0.9
LOADS = [(5, 60.0, 240.0), (8, 108.0, 240.0)]
REL_TOL = 0.05


def _queue_run(agents: int, per_h: float, handle_s: float, calls: int,
               seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    arr = np.cumsum(rng.exponential(3600.0 / per_h, calls))
    hdl = rng.exponential(handle_s, calls)
    ans, _ = fcfs_abandon(arr, hdl, np.full(calls, np.inf), agents)
    keep = slice(calls // 10, None)  # drop the first tenth (empty system at the start)
    wait = (ans - arr)[keep]
    return float(np.mean(wait > 0)), float(np.mean(wait))


@register_check("rollout.hotline_erlang_c", "rollout")
def check_hotline(full: bool) -> list[CheckResult]:
    """Rollout hotline queue (patient callers) vs Erlang C."""
    out = []
    seeds = 8 if full else 4
    calls = 400_000 if full else 100_000
    for agents, per_h, handle in LOADS:
        q = mmc(per_h / 3600.0, handle, agents)
        runs = np.array([_queue_run(agents, per_h, handle, calls, 1000 + k)
                         for k in range(seeds)])
        label = f"c={agents} rho={q.utilisation:.2f}"
        for j, (kpi, exp) in enumerate((("wait_prob", q.wait_prob),
                                        ("wait_mean_s", q.wait_mean_s))):
            mean = float(runs[:, j].mean())
            half = float(stats.t.ppf(0.975, seeds - 1) * runs[:, j].std(ddof=1)
                         / np.sqrt(seeds))
            err = abs(mean - exp) / exp
            ok = err <= REL_TOL or abs(mean - exp) <= half
            out.append(CheckResult(f"rollout.hotline {label} {kpi}", round(exp, 4),
                                   round(mean, 4), f"{REL_TOL:.0%} or 95% CI",
                                   bool(ok), f"{seeds} x {calls:,} calls, error {err:.2%}, "
                                   f"CI +-{half:.3g}"))
    return out


def _agent_bass(n: int, p: float, q: float, t_end: float, dt_: float,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bass diffusion as individuals: each of ``n`` non-adopters adopts at rate
    ``p + q x (share adopted)`` (innovation plus imitation), stepped by ``dt_``."""
    rng = np.random.default_rng(seed)
    steps = int(round(t_end / dt_))
    adopted = 0
    share = np.zeros(steps + 1)
    for k in range(steps):
        hazard = (p + q * adopted / n) * dt_
        adopted += int(rng.binomial(n - adopted, min(1.0, hazard)))
        share[k + 1] = adopted / n
    return np.arange(steps + 1) * dt_, share


@register_check("rollout.bass", "rollout")
def check_bass(full: bool) -> list[CheckResult]:
    """Bass closed form vs individuals adopting by innovation and imitation; the model's
    order times vs the closed form (KS distance)."""
    out = []
    n = 200_000 if full else 50_000
    for p, q in ((0.1, 0.6), (0.03, 0.38)):
        t, share = _agent_bass(n, p, q, 12.0, 0.002, 11)
        months = np.arange(1, 13)
        closed = bass_cdf(months.astype(float), p, q)
        sim = share[np.searchsorted(t, months)]
        gap = float(np.max(np.abs(sim - closed)))
        tol = 0.01
        out.append(CheckResult(f"rollout.bass p={p} q={q} F(1..12 months) vs individuals",
                               "closed form", f"max gap {gap:.4f}", f"<= {tol}",
                               bool(gap <= tol), f"{n:,} adopters, dt 0.002 month"))
        rng = np.random.default_rng(7)
        orders = bass_inverse(rng.random(n // 10), p, q)
        res = stats.kstest(orders, lambda x, p=p, q=q: bass_cdf(x, p, q))
        bound = 1.63 / np.sqrt(orders.size)  # 1% critical value of the KS distance
        out.append(CheckResult(f"rollout.bass p={p} q={q} order times KS distance",
                               f"< {bound:.4f}", round(float(res.statistic), 5),
                               "1% critical value", bool(res.statistic < bound),
                               f"{orders.size:,} orders"))
    return out


@register_check("rollout.seed_tables", "rollout")
def check_seed_tables(full: bool) -> list[CheckResult]:
    """Settlement rule vs the seed's settlement column; the billing example."""
    out = []
    for p in PACKAGES.values():
        got = settlement_price(p.floor_cny)
        out.append(CheckResult(f"rollout.settlement {p.name}", p.settlement_cny, got, "exact",
                               abs(got - p.settlement_cny) < 1e-9,
                               f"floor {p.floor_cny if p.floor_cny is not None else '-'}"))
    fee = first_month_fee(28.0, dt.date(2016, 6, 17))
    out.append(CheckResult("rollout.billing first month (28 yuan from 17 June)", 13.07, fee,
                           "exact (fen)", fee == 13.07, "28 x 14 / 30, rounded to the fen"))
    return out
