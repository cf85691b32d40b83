"""Hotline simulation against Erlang C, Erlang B, Little's law and the staffing answer.

Each check runs the shipped hotline scenario files through the engine at several loads
(including rho >= 0.9) and compares batch-means estimates with the closed forms: a quantity
passes when the confidence interval covers the closed form and the relative error is within
the tolerance.

The intervals are 95% *jointly* over all comparisons of this module (Bonferroni: each one at
level 1 - 0.05/k), so a correct simulator passes the whole set 95% of the time instead of
failing one of its dozen separate 95% intervals about every other run.

The tolerance is 3% except for the mean wait and mean queue length in fast mode: at
rho >= 0.9 their batch means are so variable that 3% needs millions of calls, so fast mode
runs fewer calls and allows 12%; ``--full`` runs ten times the calls and holds them to 3%.
"""

from __future__ import annotations

from validation.analytic import erlang_b, littles_law, mmc
from validation.hotline_runs import Estimate, HotlineLoad, HotlineRun, compare, simulate
from validation.registry import CheckResult, register_check
from validation.staffing import agents_for_service_level

REL_TOL = 0.03
FAST_WAIT_TOL = 0.12
FULL_FACTOR = 10

ERLANG_C_LOADS = [
    HotlineLoad(agents=5, per_h=60.0, calls=160_000, seed=101),     # rho 0.80
    HotlineLoad(agents=5, per_h=67.5, calls=400_000, seed=102),     # rho 0.90
]
ERLANG_C_QUANTITIES = 4
ERLANG_B_LOADS = [
    HotlineLoad(agents=5, per_h=52.5, calls=100_000, when_busy="lost", seed=201),   # 0.70
    HotlineLoad(agents=22, per_h=297.0, calls=400_000, when_busy="lost", seed=202),  # 0.90
    # overloaded, and lognormal handling: Erlang B does not depend on its distribution
    HotlineLoad(agents=22, per_h=363.0, calls=150_000, when_busy="lost", handle_sigma=0.8,
                seed=203),                                                        # 1.10
]
STAFFING = {"calls_per_h": 300.0, "handle_s": 240.0, "target": 0.8, "within_s": 20.0}
STAFFING_CALLS = 150_000

#: Comparisons against closed forms in this module, for the joint confidence level.
FAMILY = len(ERLANG_C_LOADS) * ERLANG_C_QUANTITIES + len(ERLANG_B_LOADS) + 2
LEVEL = 1.0 - 0.05 / FAMILY
CI_LABEL = f"joint 95% CI ({LEVEL:.2%} each)"


def _scaled(load: HotlineLoad, full: bool) -> HotlineLoad:
    if not full:
        return load
    return HotlineLoad(**{**load.__dict__, "calls": load.calls * FULL_FACTOR,
                          "replications": 8, "batches": 20})


def _est(run: HotlineRun, kpi: str) -> Estimate:
    return run.estimate(kpi, LEVEL)


@register_check("hotline.erlang_c", "queueing")
def check_erlang_c(full: bool) -> list[CheckResult]:
    """Hotline with a queue vs M/M/c: wait probability, mean wait, mean queue, utilisation."""
    out: list[CheckResult] = []
    wait_tol = REL_TOL if full else FAST_WAIT_TOL
    for base in ERLANG_C_LOADS:
        load = _scaled(base, full)
        run = simulate(load)
        q = mmc(load.per_h / 3600.0, load.handle_mean_s, load.agents)
        busy = _est(run, "busy_mean")
        utilisation = Estimate(busy.mean / load.agents, busy.low / load.agents,
                               busy.high / load.agents, busy.n)
        calls = f"{run.calls:,} calls"
        name = f"hotline.erlang_c {load.label}"
        rows = [
            ("wait_prob", q.wait_prob, _est(run, "wait_prob"), REL_TOL),
            ("wait_mean_s", q.wait_mean_s, _est(run, "wait_mean_s"), wait_tol),
            ("queue_mean", q.queue_mean, _est(run, "queue_mean"), wait_tol),
            ("utilisation", q.utilisation, utilisation, REL_TOL),
        ]
        assert len(rows) == ERLANG_C_QUANTITIES
        out += [compare(f"{name} {kpi}", exp, est, tol, calls, ci_label=CI_LABEL)
                for kpi, exp, est, tol in rows]
    return out


@register_check("hotline.erlang_b", "queueing")
def check_erlang_b(full: bool) -> list[CheckResult]:
    """Hotline without a queue (blocked calls lost) vs Erlang B, also with lognormal handling."""
    out: list[CheckResult] = []
    for base in ERLANG_B_LOADS:
        load = _scaled(base, full)
        run = simulate(load)
        a = load.per_h / 3600.0 * load.handle_mean_s
        out.append(compare(f"hotline.erlang_b {load.label} blocking_rate",
                           erlang_b(load.agents, a), _est(run, "blocking_rate"), REL_TOL,
                           f"{run.calls:,} calls", ci_label=CI_LABEL))
    return out


@register_check("hotline.littles_law", "queueing")
def check_littles_law(full: bool) -> list[CheckResult]:
    """Time-average queue length vs measured arrival rate x mean wait (L = lambda W)."""
    load = _scaled(ERLANG_C_LOADS[-1], full)
    run = simulate(load)
    expected = littles_law(arrival_rate=run.arrival_per_s,
                           time_in_system=_est(run, "wait_mean_s").mean)
    # both sides come from the same calls, so they agree far better than either does with
    # the closed form; what is tested is the engine's time and call accounting
    return [compare(f"hotline.littles_law {load.label} queue_mean", expected,
                    _est(run, "queue_mean"), 0.01, "lambda x Wq from the same calls",
                    need_cover=False, ci_label=CI_LABEL)]


@register_check("hotline.staffing", "queueing")
def check_staffing(full: bool) -> list[CheckResult]:
    """Agents for 80% of calls answered within 20 s: simulation confirms the Erlang C answer."""
    answer = agents_for_service_level(STAFFING["calls_per_h"], STAFFING["handle_s"],
                                      target=STAFFING["target"],
                                      within_s=STAFFING["within_s"])
    target = STAFFING["target"]
    out: list[CheckResult] = []
    for agents in (answer.agents - 1, answer.agents):
        load = _scaled(HotlineLoad(agents=agents, per_h=STAFFING["calls_per_h"],
                                   handle_mean_s=STAFFING["handle_s"], calls=STAFFING_CALLS,
                                   answer_within_s=STAFFING["within_s"], seed=300), full)
        run = simulate(load)
        expected = mmc(load.per_h / 3600.0, load.handle_mean_s, agents).service_level(
            load.answer_within_s)
        est = _est(run, "service_level")
        enough = est.mean >= target
        res = compare(f"hotline.staffing c={agents} service_level", expected, est, REL_TOL,
                      f"{run.calls:,} calls; {'meets' if enough else 'misses'} the "
                      f"{target:.0%} target", ci_label=CI_LABEL)
        # the recommended count must meet the target in simulation, one fewer must not
        res.passed = res.passed and enough == (agents == answer.agents)
        out.append(res)
    return out
