"""Calibration study: do the fitted intervals cover the truth, does AIC pick the right family?

Samples are drawn from known laws (with and without right-censoring, n = 200 and n = 5,000),
fitted as ``fleettwin calibrate`` fits them, and the share of repetitions whose 95 % interval
covers the true parameter is counted (it should be near 0.95, and at least 0.90). Asymptotic
(Wald, observed information) intervals are cheap; bootstrap percentile intervals are what the
CLI reports by default and take minutes. The same study covers the Zipf exponent from viewer
counts and the AIC choice on clearly separable cases.

Run: ``python validation/calibration_study.py [--reps 100] [--bootstrap 200] [--fast]
[--json out.json]``. The registered checks in ``validation/checks_calibration.py`` run the
cheap parts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

from sim.calibration.families import AUTO_FAMILIES
from sim.calibration.fit import bootstrap, fit_candidates, mle
from sim.calibration.zipf import fit_zipf, zipf_probs


@dataclass(frozen=True)
class Case:
    """A known law to recover: family, true parameters, censoring."""

    family: str
    truth: dict[str, float]
    censored: bool

    @property
    def label(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.truth.items())
        return f"{self.family}({p}){' censored' if self.censored else ''}"

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` values and censoring flags (windows give about a third censored)."""
        t = self.family_draw(n, rng)
        if not self.censored:
            return t, np.zeros(n, bool)
        w = rng.uniform(0.3, 2.5, n) * float(np.median(t))
        return np.minimum(t, w), t > w

    def family_draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        p = self.truth
        if self.family == "weibull":
            return p["scale"] * rng.weibull(p["shape"], n)
        if self.family == "exponential":
            return rng.exponential(p["mean"], n)
        if self.family == "lognormal":
            return rng.lognormal(np.log(p["median"]), p["sigma"], n)
        if self.family == "gamma":
            return rng.gamma(p["shape"], p["scale"], n)
        raise ValueError(self.family)


CASES = [
    Case("weibull", {"shape": 1.5, "scale": 1000.0}, True),
    Case("exponential", {"mean": 15000.0}, True),
    Case("weibull", {"shape": 0.8, "scale": 50.0}, False),
    Case("lognormal", {"median": 3.0, "sigma": 0.6}, False),
    Case("lognormal", {"median": 40.0, "sigma": 0.3}, True),
    Case("gamma", {"shape": 3.0, "scale": 2.0}, False),
]


@dataclass
class CoverageRow:
    case: str
    n: int
    method: str
    parameter: str
    truth: float
    coverage: float
    reps: int
    mean_estimate: float
    censored_share: float


def coverage(case: Case, n: int, reps: int = 100, method: str = "asymptotic",
             n_boot: int = 200, seed: int = 0, progress: bool = False) -> list[CoverageRow]:
    """Share of ``reps`` repetitions whose 95 % interval covers each true parameter."""
    rng = np.random.default_rng([seed, n, len(case.label)])
    hits = dict.fromkeys(case.truth, 0)
    est: dict[str, list[float]] = {k: [] for k in case.truth}
    cens = []
    for _ in tqdm(range(reps), desc=f"{case.label} n={n} {method}", disable=not progress,
                  leave=False):
        x, c = case.draw(n, rng)
        cens.append(c.mean())
        fit = mle(case.family, x, c, information=method == "asymptotic")
        if method == "bootstrap":
            bootstrap(fit, x, c, rng, n_boot)
            iv = fit.bootstrap_intervals()
        else:
            iv = fit.asymptotic_intervals()
        for k, (lo, hi) in iv.items():
            hits[k] += lo <= case.truth[k] <= hi
            est[k].append(fit.named[k])
    return [CoverageRow(case.label, n, method, k, case.truth[k], hits[k] / reps, reps,
                        float(np.mean(est[k])), float(np.mean(cens))) for k in case.truth]


SEPARABLE: list[tuple[str, Callable[[np.random.Generator, int], np.ndarray]]] = [
    ("lognormal", lambda r, n: r.lognormal(1.0, 0.5, n)),
    ("weibull", lambda r, n: 10.0 * r.weibull(3.5, n)),
    ("gamma", lambda r, n: r.gamma(9.0, 2.0, n)),
    ("normal", lambda r, n: r.normal(50.0, 10.0, n)),
]


def aic_choice(n: int = 5000, reps: int = 20, seed: int = 0) -> dict[str, float]:
    """Share of repetitions in which AIC picks the true family, per family."""
    rng = np.random.default_rng([seed, n])
    out = {}
    for truth, draw in SEPARABLE:
        right = sum(fit_candidates(draw(rng, n), None, list(AUTO_FAMILIES))[0].family.name
                    == truth for _ in range(reps))
        out[truth] = right / reps
    return out


def zipf_coverage(reps: int = 40, exponent: float = 0.9, channels: int = 150,
                  viewers: int = 12000, n_sim: int = 200, seed: int = 0,
                  progress: bool = False) -> dict[str, float]:
    """Coverage of the simulation-matched and of the naive Zipf intervals."""
    rng = np.random.default_rng([seed, channels, viewers])
    sim_hits = naive_hits = 0
    est = []
    for rep in tqdm(range(reps), desc="zipf", disable=not progress, leave=False):
        counts = rng.multinomial(viewers, zipf_probs(exponent, channels))
        f = fit_zipf(counts, n_sim=n_sim, seed=rep)
        sim_hits += f.low <= exponent <= f.high
        naive_hits += f.naive_low <= exponent <= f.naive_high
        est.append(f.exponent)
    return {"coverage": sim_hits / reps, "naive_coverage": naive_hits / reps,
            "mean_estimate": float(np.mean(est)), "reps": reps}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--bootstrap", type=int, default=200, help="resamples (0: skip bootstrap)")
    ap.add_argument("--fast", action="store_true", help="asymptotic intervals only")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows: list[CoverageRow] = []
    methods = ["asymptotic"] + ([] if args.fast or args.bootstrap == 0 else ["bootstrap"])
    for case in CASES:
        for n in (200, 5000):
            for m in methods:
                rows += coverage(case, n, args.reps, m, args.bootstrap, progress=True)
    print(f"{'case':44s} {'n':>5s} {'method':10s} {'param':7s} {'truth':>9s} "
          f"{'mean est':>10s} {'cover':>6s}")
    for r in rows:
        flag = "" if r.coverage >= 0.9 else "  <-- below 0.90"
        print(f"{r.case:44s} {r.n:5d} {r.method:10s} {r.parameter:7s} {r.truth:9.4g} "
              f"{r.mean_estimate:10.4g} {r.coverage:6.2f}{flag}")
    aic = aic_choice(reps=10 if args.fast else 20)
    print("AIC picks the true family (n = 5000):", {k: f"{v:.0%}" for k, v in aic.items()})
    z = zipf_coverage(reps=20 if args.fast else 100, progress=True)
    print(f"Zipf exponent 0.9 (150 channels, 12000 viewers): coverage {z['coverage']:.2f} "
          f"(naive ranked-count MLE {z['naive_coverage']:.2f}), mean estimate "
          f"{z['mean_estimate']:.4f}")
    print(f"wall time {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"coverage": [asdict(r) for r in rows], "aic": aic, "zipf": z}, fh,
                      indent=2)
    ok = all(r.coverage >= 0.9 for r in rows) and min(aic.values()) >= 0.9 \
        and z["coverage"] >= 0.9
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
