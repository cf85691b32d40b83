"""The fleet-year health part against results nobody here made.

- ``fleetops.failure_rate``: breakdowns of a fleet driving shifts, counted on the operating
  clock, against the profile's stated rate x operating hours (constant hazard) and against
  the Weibull cumulative hazard H(x1) - H(x0) summed over vehicles of mixed ages (wear-out,
  shape 2) and on a km clock. A minimally repaired vehicle's breakdowns are a Poisson
  process on its clock, so the count is Poisson with that mean: the check passes when the
  two-sided exact Poisson test does not reject at 0.1% and the count is within 10%.
- ``fleetops.warning_first_passage``: the wear monitor (no sensor noise) read every dt of
  operating time from a fault's onset; the first reading over the threshold a against the
  inverse Gaussian first passage of a Brownian motion with drift mu and diffusion sigma,
  IG(mean a'/mu, shape a'^2/sigma^2) with Siegmund's discrete-monitoring correction
  a' = a + 0.5826 sigma sqrt(dt) (Siegmund 1979; Broadie, Glasserman & Kou 1997):
  Kolmogorov-Smirnov test (p > 0.001) and the detection probability before the breakdown,
  P(T <= pf_interval), within its binomial 99.9% interval.
- ``fleetops.warning_recall``: the whole health part (warnings, bookings, workshops) with
  every fault detectable and no sensor noise: the share of faults warned before they end
  against the same closed-form P(T <= pf_interval) with readings once per task.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.fleetops.health_schema import WarningSpec, WorkshopSpec
from sim.fleetops.warning import Fault, WearMonitor, first_passage_law
from validation.fleetops_world import Car, profile, run, world
from validation.registry import CheckResult, register_check

ALPHA = 0.001
REL_TOL = 0.10


def _poisson_p(count: int, mean: float) -> float:
    """Two-sided exact Poisson p-value of ``count`` under ``mean``."""
    lo = stats.poisson.cdf(count, mean)
    hi = stats.poisson.sf(count - 1, mean)
    return float(min(1.0, 2.0 * min(lo, hi)))


def _failure_case(label: str, cars: list[Car], months: int, seed: int,
                  expected_of: str) -> CheckResult:
    w = world(cars, (), months=months, seed=seed)
    start_h = sum(v.operating_h for v in w.state.vehicles)
    k = run(w)
    count = int(k["breakdowns"])
    if expected_of == "rate x hours":
        rate = cars[0].profile.failure_rate_per_1000h / 1000.0
        expected = rate * (sum(v.operating_h for v in w.state.vehicles) - start_h)
    else:
        expected = k["breakdowns_expected"]
    p = _poisson_p(count, expected)
    rel = count / expected - 1.0
    return CheckResult(
        check=f"fleetops.failure_rate {label}", expected=round(expected, 2),
        simulated=float(count), tolerance=f"Poisson p > {ALPHA:g}, <= {REL_TOL:.0%}",
        passed=bool(p > ALPHA and abs(rel) <= REL_TOL),
        detail=f"{expected_of}; exact Poisson p = {p:.3f}; rel. error {rel:+.2%}; "
               f"{len(cars)} vehicles, {months} months of 12 h shifts")


@register_check("fleetops.failure_rate", "fleetops")
def check_failure_rate(full: bool) -> list[CheckResult]:
    """Breakdown counts on the operating clock vs stated rate x hours and Weibull H."""
    n = 200 if full else 60
    months = 3 if full else 2
    const = profile(failure_rate_per_1000h=20.0)
    wear = profile(failure_rate_per_1000h=10.0, failure_shape=2.0, failure_ref_h=3000.0)
    km = profile(failure_clock="km", failures_per_100000km=50.0, failure_shape=1.5,
                 failure_ref_km=100_000.0)
    return [
        _failure_case("constant hazard", [Car(const) for _ in range(n)], months, 11,
                      "rate x hours"),
        _failure_case("Weibull shape 2, mixed ages",
                      [Car(wear, operating_h=400.0 * (i % 10)) for i in range(n)], months, 12,
                      "sum of H(x1) - H(x0)"),
        _failure_case("km clock, shape 1.5",
                      [Car(km, odometer_km=10_000.0 * (i % 10)) for i in range(n)], months,
                      13, "sum of H(x1) - H(x0)"),
        _model_case(full),
    ]


def _model_case(full: bool) -> CheckResult:
    """The same count through the fleet-year operations model (drivers, shifts, tasks)."""
    import tempfile
    from pathlib import Path

    import yaml

    from sim.engine.loading import load_scenario_data
    from sim.engine.simulation import run_scenario
    from sim.fleetops.register import write_register

    rate_per_h = 0.04
    n = 48 if full else 16  # about 230 breakdowns expected in fast mode
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "profiles" / "vehicle").mkdir(parents=True)
        (folder / "profiles" / "vehicle" / "fragile_van.yaml").write_text(yaml.safe_dump({
            "id": "fragile_van", "kind": "vehicle", "fuel_l_per_100km": 11.0,
            "failure_rate_per_1000h": rate_per_h * 1000, "repair_time_h": 1.0}))
        write_register(folder / "register.csv", [
            {"plate": f"FV{k:05d}", "profile": "fragile_van", "purchase_date": "2024-01-01",
             "odometer_km": 1000 * k, "depot": "north"} for k in range(n)])
        shift = {"start_h": 7, "hours": 10}
        raw = {"name": "failure_rate_check", "kind": "fleet_year", "seed": 41,
               "start_date": "2026-03-02", "months": 3, "register_csv": "register.csv",
               "profile_dirs": ["profiles"], "depots": [{"id": "north"}],
               "drivers": {"pools": [{"depot": "north", "count": n, "licence": "C1",
                                      "shift": shift, "days_per_week": 6}]},
               "tasks": [{"id": "job", "profiles": ["fragile_van"], "per_vehicle_day": 4,
                          "start_h": 8, "end_h": 16, "duration_s": 3600}],
               "workshops": [{"id": "garage", "bays": 2}], "record_tasks": False}
        res = run_scenario(load_scenario_data(raw, str(folder / "scenario.yaml")))
    hours = float(res.replications[0].tables["vehicles"].column("operating_h").to_numpy().sum())
    count = int(res.kpis["breakdowns"])
    expected = rate_per_h * hours
    p = _poisson_p(count, expected)
    rel = count / expected - 1.0
    return CheckResult(
        check="fleetops.failure_rate fleet-year model", expected=round(expected, 2),
        simulated=float(count), tolerance=f"Poisson p > {ALPHA:g}, <= {REL_TOL * 2:.0%}",
        passed=bool(p > ALPHA and abs(rel) <= 2 * REL_TOL),
        detail=f"rate x operating hours ({hours:,.0f} h of {n * res.loaded.scenario.horizon_s / 3600:,.0f} "
               f"vehicle-h); exact Poisson p = {p:.3f}; rel. error {rel:+.2%}; {n} vans, "
               "drivers on 10 h shifts six days a week, 3 months")


def passage_times(spec: WarningSpec, dt_h: float, paths: int, seed: int) -> np.ndarray:
    """First reading over the threshold after onset, per path (inf: none before 5 P-F)."""
    mon = WearMonitor(spec, np.random.default_rng(seed))
    out = np.full(paths, np.inf)
    limit = 5.0 * spec.pf_interval_h
    for i in range(paths):
        f = Fault(fail_at=math.inf, onset=0.0)
        t = 0.0
        while t < limit:
            t += dt_h
            if mon.read(f, t, "operating_h") > spec.threshold:
                out[i] = t
                break
    return out


def _binomial_result(name: str, expected: float, hits: int, n: int, detail: str) -> CheckResult:
    lo, hi = stats.binom.interval(1.0 - ALPHA, n, expected)
    share = hits / n
    return CheckResult(check=name, expected=round(expected, 4), simulated=round(share, 4),
                       tolerance=f"binomial {1 - ALPHA:.1%} interval",
                       passed=bool(lo <= hits <= hi),
                       detail=f"{hits} of {n}; interval [{lo / n:.4f}, {hi / n:.4f}]; {detail}")


@register_check("fleetops.warning_first_passage", "fleetops")
def check_first_passage(full: bool) -> list[CheckResult]:
    """Wear monitor's first passage vs inverse Gaussian (Brownian motion with drift)."""
    spec = WarningSpec(enabled=True, threshold=0.6, pf_interval_h=150.0,
                       diffusion_per_sqrt_h=0.04, reading_sd=0.0)
    dt_h = 0.5
    paths = 6000 if full else 1500
    times = passage_times(spec, dt_h, paths, seed=21)
    law = first_passage_law(spec.threshold, 1.0 / spec.pf_interval_h,
                            spec.diffusion_per_sqrt_h, dt_h)
    finite = times[np.isfinite(times)]
    # readings fall on a grid of dt: compare with the law shifted by half a step
    ks = stats.kstest(finite - dt_h / 2.0, law.cdf)
    out = [CheckResult(
        check="fleetops.warning_first_passage KS", expected="inverse Gaussian",
        simulated=f"D = {ks.statistic:.4f}", tolerance=f"p > {ALPHA:g}",
        passed=bool(ks.pvalue > ALPHA),
        detail=f"p = {ks.pvalue:.3f}; {finite.size} passages; mean {finite.mean():.1f} h vs "
               f"{law.mean():.1f} h; a=0.6, mu=1/150 per h, sigma=0.04, dt={dt_h} h")]
    p_before = float(law.cdf(spec.pf_interval_h))
    out.append(_binomial_result("fleetops.warning_first_passage P(warned before failure)",
                                p_before, int(np.sum(times <= spec.pf_interval_h)), paths,
                                "P(T <= 150 h)"))
    return out


@register_check("fleetops.warning_recall", "fleetops")
def check_recall(full: bool) -> list[CheckResult]:
    """Health part's warning recall vs the inverse Gaussian detection probability."""
    spec = WarningSpec(enabled=True, threshold=0.7, pf_interval_h=30.0,
                       diffusion_per_sqrt_h=0.12, reading_sd=0.0, detectable_share=1.0)
    task_h = 1.0
    p = profile(failure_rate_per_1000h=15.0)
    n = 360 if full else 120
    w = world([Car(p) for _ in range(n)],
              [WorkshopSpec(id="w", bays=max(4, n // 10), open_h=0.0, close_h=24.0)],
              months=2, seed=31, warning=spec, task_h=task_h)
    k = run(w)
    # only faults watched from their onset (not begun before the run or under another)
    warned = w.health.n.full_warned
    ended = warned + w.health.n.full_missed
    law = first_passage_law(spec.threshold, 1.0 / spec.pf_interval_h,
                            spec.diffusion_per_sqrt_h, task_h)
    # a reading at the task end where the path first crossed counts: the passage in
    # continuous time is at most one task earlier than the reading (half on average)
    expected = float(law.cdf(spec.pf_interval_h - task_h / 2.0))
    return [_binomial_result("fleetops.warning_recall", expected, warned, ended,
                             f"faults watched from onset; recall KPI of the whole run "
                             f"{k['warning_recall']:.4f}; readings every task ({task_h:g} h)")]
