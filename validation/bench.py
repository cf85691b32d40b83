"""Dispatcher benchmark: every registered dispatcher on a fixed set of cases and seeds.

A *case* is a city fleet scenario with reduced settings (overrides) or a routing benchmark
instance served online (see :mod:`validation.dynamic_vrp.online`; the seed draws the release
jitter). The result is a JSON document of KPIs per dispatcher and case: the per-seed values
and their mean with a 95% Student-t interval. The benchmark set (cases, overrides, seeds,
gated KPIs) has an id, a hash of its definition, so a baseline made on another set is
refused rather than compared.

The gate (:func:`compare`) pairs seeds: for each dispatcher, case and gated KPI it takes the
per-seed change toward *worse*, relative to the baseline mean, and fails when the mean change
exceeds the tolerance *and* the paired 95% interval of the change lies above zero. An
unchanged deterministic dispatcher differs by exactly zero; noise that moves seeds both ways
does not fail it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.dispatch import DISPATCHERS, get_dispatcher
from sim.engine.simulation import confidence_interval
from sim.errors import DataError, FleetTwinError, Problem

FORMAT = "fleettwin-bench/1"

#: KPIs the gate watches, with the direction that is better, and a floor for the relative
#: scale (so a KPI near zero in the baseline does not blow the relative change up).
CITY_KPIS: dict[str, tuple[str, float]] = {
    "service_rate": ("higher", 0.01),
    "wait_mean_s": ("lower", 1.0),
    "wait_p95_s": ("lower", 1.0),
    "deadhead_ratio": ("lower", 0.01),
    "on_time_rate": ("higher", 0.01),
    "rejection_rate": ("lower", 0.01),
}
INSTANCE_KPIS: dict[str, tuple[str, float]] = {
    "served_rate": ("higher", 0.01),
    "late_rate": ("lower", 0.01),
    "vehicles_used": ("lower", 1.0),
    "distance": ("lower", 1.0),
}
#: Reported but not gated (more km is not worse when more is served).
CITY_EXTRA = ("requests", "km_total", "cost_cny", "utilisation", "occupancy", "pooled_share",
              "detour_ratio", "on_time_rate_urgent", "on_time_rate_ordinary")
INSTANCE_EXTRA = ("distance_gap", "vehicle_gap", "missed", "reloads")

#: Fast cases, chosen so that the dispatchers differ: uniform demand with enough taxis; a
#: hot spot with too few taxis (many open requests per decision, rebalancing moves);
#: pooling; urgent tasks with deadlines and multi-stop vans.
_FAST_CITY = {
    "city_taxi": ["horizon_s=7200", "warmup_s=900", "start_time_s=25200",
                  "world.network.rows=12", "world.network.cols=12", "fleets.taxis.count=60",
                  "demand.requests_per_day=2400", "demand.zones={}"],
    "city_taxi@hotspot": ["horizon_s=7200", "warmup_s=900", "start_time_s=25200",
                          "world.network.rows=16", "world.network.cols=16",
                          "fleets.taxis.count=35", "fleets.taxis.placement=uniform",
                          "demand.requests_per_day=4000",
                          "demand.zones={hot: {center_km: [1.5, 1.5], radius_km: 1.0, "
                          "weight: 3.0, dest_weight: 0.3}}"],
    "city_pooling": ["horizon_s=7200", "warmup_s=900", "start_time_s=25200",
                     "world.network.rows=12", "world.network.cols=12",
                     "fleets.taxis.count=40", "demand.requests_per_day=3000",
                     "demand.zones={}"],
    "city_logistics": ["horizon_s=10800", "warmup_s=900", "start_time_s=28800",
                       "world.network.rows=12", "world.network.cols=12",
                       "fleets.vans.count=25", "demand.requests_per_day=600",
                       "demand.zones={}"],
}
_FULL_CITY = {
    "city_taxi": ["horizon_s=21600", "warmup_s=1800", "start_time_s=21600",
                  "world.network.rows=20", "world.network.cols=20", "fleets.taxis.count=200",
                  "demand.requests_per_day=9000", "demand.zones={}"],
    "city_taxi@hotspot": ["horizon_s=21600", "warmup_s=1800", "start_time_s=21600",
                          "world.network.rows=20", "world.network.cols=20",
                          "fleets.taxis.count=120", "fleets.taxis.placement=uniform",
                          "demand.requests_per_day=14000",
                          "demand.zones={hot: {center_km: [2.0, 2.0], radius_km: 1.5, "
                          "weight: 3.0, dest_weight: 0.3}}"],
    "city_pooling": ["horizon_s=21600", "warmup_s=1800", "start_time_s=21600",
                     "world.network.rows=20", "world.network.cols=20",
                     "fleets.taxis.count=150", "demand.requests_per_day=12000",
                     "demand.zones={}"],
    "city_logistics": ["horizon_s=28800", "warmup_s=1800", "start_time_s=25200",
                       "world.network.rows=16", "world.network.cols=16",
                       "fleets.vans.count=40", "demand.requests_per_day=1000",
                       "demand.zones={}"],
}


@dataclass(frozen=True)
class Case:
    """One benchmark case: ``kind`` is ``city`` (scenario + overrides) or ``instance``."""

    name: str
    kind: str
    target: str
    overrides: tuple[str, ...] = ()
    lead_fraction: float = 0.05
    jitter: float = 0.5

    @property
    def gated(self) -> dict[str, tuple[str, float]]:
        return CITY_KPIS if self.kind == "city" else INSTANCE_KPIS


@dataclass(frozen=True)
class BenchmarkSet:
    mode: str
    seeds: tuple[int, ...]
    cases: tuple[Case, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "seeds": list(self.seeds),
                "cases": [_case_dict(c) for c in self.cases],
                "gated": {"city": {k: list(v) for k, v in CITY_KPIS.items()},
                          "instance": {k: list(v) for k, v in INSTANCE_KPIS.items()}}}

    @property
    def id(self) -> str:
        """A hash of the definition: cases, overrides, seeds and gated KPIs."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _case_dict(c: Case) -> dict[str, Any]:
    d = asdict(c) | {"overrides": list(c.overrides)}
    if c.kind == "city":  # the release rule only applies to instances
        del d["lead_fraction"], d["jitter"]
    else:
        del d["overrides"]
    return d


def benchmark_set(fast: bool) -> BenchmarkSet:
    """The fixed benchmark set of a mode (``fast`` for CI, else ``full``)."""
    city = _FAST_CITY if fast else _FULL_CITY
    cases = [Case(f"{name.replace('@', '_')}_{'small' if fast else 'medium'}", "city",
                  name.split("@")[0], tuple(ov)) for name, ov in city.items()]
    instances = ["c1_2_1", "lc101"] if fast else ["c1_2_1", "rc1_2_1", "lc101", "lrc101"]
    cases += [Case(f"online_{n}", "instance", n) for n in instances]
    seeds = (1, 2, 3) if fast else (1, 2, 3, 4, 5)
    return BenchmarkSet("fast" if fast else "full", seeds, tuple(cases))


def run_case(case: Case, dispatcher: str, seeds: Iterable[int]) -> list[dict[str, float]]:
    """KPIs of one dispatcher on one case, one dict per seed."""
    if case.kind == "city":
        from sim.engine.loading import load_scenario
        from sim.engine.simulation import run_scenario

        loaded = load_scenario(case.target, [*case.overrides,
                                             f"policies.dispatch.algorithm={dispatcher}"])
        out = []
        for s in seeds:
            k = run_scenario(loaded, seed=s, replications=1).kpis
            out.append({n: k.get(n, math.nan) for n in (*CITY_KPIS, *CITY_EXTRA)})
        return out
    from validation.dynamic_vrp.instances import load_instance
    from validation.dynamic_vrp.online import ReleaseRule, run_online

    inst = load_instance(case.target)
    rule = ReleaseRule(case.lead_fraction, case.jitter)
    out = []
    for s in seeds:
        k = run_online(inst, get_dispatcher(dispatcher), rule, seed=s).kpis
        out.append({n: k[n] for n in (*INSTANCE_KPIS, *INSTANCE_EXTRA)})
    return out


def summarise(per_seed: list[dict[str, float]], seeds: Iterable[int],
              gated: dict[str, tuple[str, float]]) -> dict[str, Any]:
    """Per-seed values and mean with a 95% interval for each KPI (NaN stored as null)."""
    kpis: dict[str, Any] = {}
    for name in per_seed[0]:
        values = np.array([r[name] for r in per_seed], dtype=float)
        mean, lo, hi = confidence_interval(values)
        kpis[name] = {
            "values": [None if math.isnan(v) else float(v) for v in values],
            "mean": None if math.isnan(mean) else mean, "ci_low": lo, "ci_high": hi,
            "better": gated[name][0] if name in gated else None,
        }
    return {"seeds": list(seeds), "kpis": kpis}


def run_bench(bset: BenchmarkSet, dispatchers: Iterable[str] | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every dispatcher (default: the whole registry) on every case and seed.

    Parameters
    ----------
    bset
        The benchmark set (:func:`benchmark_set`).
    dispatchers
        Names from :data:`sim.dispatch.DISPATCHERS`; all of them by default.
    progress
        Called with a label after each dispatcher-case pair.

    Returns
    -------
    dict
        The results document (format :data:`FORMAT`).
    """
    import sim

    names = sorted(DISPATCHERS) if dispatchers is None else list(dispatchers)
    unknown = [n for n in names if n not in DISPATCHERS]
    if unknown:
        raise FleetTwinError(f"unknown dispatcher {unknown[0]!r} "
                             f"(known: {', '.join(sorted(DISPATCHERS))})")
    results: dict[str, Any] = {}
    for disp in names:
        results[disp] = {}
        for case in bset.cases:
            rows = run_case(case, disp, bset.seeds)
            results[disp][case.name] = summarise(rows, bset.seeds, case.gated)
            if progress is not None:
                progress(f"{disp} / {case.name}")
    return {
        "format": FORMAT,
        "benchmark_set": {"id": bset.id, **bset.describe()},
        "fleettwin_version": sim.__version__,
        "dispatchers": names,
        "results": results,
    }


def summary_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """Rows ``dispatcher, case, kpi, mean, ci_low, ci_high`` of the gated KPIs."""
    rows = []
    for disp, cases in doc["results"].items():
        for case, res in cases.items():
            for kpi, v in res["kpis"].items():
                if v["better"] is not None:
                    rows.append([disp, case, kpi, v["mean"], v["ci_low"], v["ci_high"]])
    return rows


# ------------------------------------------------------------------------ baseline & gate
def baseline_path(mode: str) -> Path:
    """Where the committed baseline of a mode lives."""
    return Path(__file__).resolve().parent / "baselines" / f"bench_{mode}.json"


@dataclass
class Verdict:
    dispatcher: str
    case: str
    kpi: str
    baseline: float | None
    candidate: float | None
    change: float | None  # mean relative change toward worse (+) or better (-)
    ci_low: float | None
    ci_high: float | None
    status: str  # ok | better | WORSE | missing | new

    @property
    def failed(self) -> bool:
        return self.status in ("WORSE", "missing")


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a baseline document; every problem is reported at once."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(str(path), [Problem("", f"cannot read: {exc.strerror}",
                                            has_value=False)]) from None
    except UnicodeDecodeError as exc:
        raise DataError(str(path), [Problem("", f"not UTF-8 text (byte {exc.start})",
                                            has_value=False)]) from None
    except RecursionError:
        raise DataError(str(path), [Problem("", "not a baseline: JSON nested too deeply",
                                            has_value=False)]) from None
    except json.JSONDecodeError as exc:
        raise DataError(str(path), [Problem(f"line {exc.lineno}", f"not JSON: {exc.msg}",
                                            has_value=False)]) from None
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise DataError(str(path), [Problem("", "must be a JSON object", type(doc).__name__)])
    if doc.get("format") != FORMAT:
        problems.append(Problem("format", f"must be {FORMAT!r}", doc.get("format")))
    bs = doc.get("benchmark_set")
    if not isinstance(bs, dict) or not isinstance(bs.get("id"), str):
        problems.append(Problem("benchmark_set.id", "missing benchmark set id",
                                has_value=False))
    results = doc.get("results")
    if not isinstance(results, dict) or not results:
        problems.append(Problem("results", "must map dispatcher -> case -> KPIs",
                                _short(results)))
    else:
        for disp, cases in results.items():
            for case, res in (cases.items() if isinstance(cases, dict) else [("?", None)]):
                where = f"results.{disp}.{case}"
                if not isinstance(res, dict) or not isinstance(res.get("kpis"), dict):
                    problems.append(Problem(where, "needs seeds and kpis", _short(res)))
                    continue
                for kpi, v in res["kpis"].items():
                    vals = v.get("values") if isinstance(v, dict) else None
                    if not isinstance(vals, list) or len(vals) != len(res.get("seeds", [])) \
                            or not all(x is None or isinstance(x, int | float) for x in vals):
                        problems.append(Problem(f"{where}.kpis.{kpi}.values",
                                                "must list one number (or null) per seed",
                                                _short(vals)))
    if problems:
        raise DataError(str(path), problems)
    return doc


def check_same_set(baseline: dict[str, Any], bset: BenchmarkSet, source: str) -> None:
    """Refuse a baseline made on another benchmark set (other cases, overrides or seeds)."""
    theirs = baseline["benchmark_set"]
    if theirs["id"] != bset.id:
        raise DataError(source, [Problem(
            "benchmark_set.id",
            f"baseline was made on a different benchmark set (mode "
            f"{theirs.get('mode', '?')!r}, seeds {theirs.get('seeds', '?')}); this run is "
            f"{bset.mode!r} with id {bset.id}: rerun with the matching mode or make a new "
            f"baseline with --update-baseline", theirs["id"])])


def compare(baseline: dict[str, Any], candidate: dict[str, Any],
            tolerance: dict[str, float], default_tol: float = 0.05) -> list[Verdict]:
    """Paired comparison of every gated KPI (see the module docstring)."""
    out: list[Verdict] = []
    base_res, cand_res = baseline["results"], candidate["results"]
    selected = set(candidate["dispatchers"])
    for disp in sorted(set(base_res) | selected):
        if disp not in selected:
            if disp not in DISPATCHERS:  # dropped from the registry: its baseline is unmet
                out.append(Verdict(disp, "*", "*", None, None, None, None, None, "missing"))
            continue
        if disp not in base_res:
            out.append(Verdict(disp, "*", "*", None, None, None, None, None, "new"))
            continue
        for case, cres in cand_res[disp].items():
            bres = base_res[disp].get(case)
            for kpi, cv in cres["kpis"].items():
                if cv["better"] is None:
                    continue
                bv = (bres or {}).get("kpis", {}).get(kpi)
                if bv is None:
                    out.append(Verdict(disp, case, kpi, None, cv["mean"], None, None, None,
                                       "new"))
                    continue
                floor = dict(CITY_KPIS, **INSTANCE_KPIS).get(kpi, ("", 1e-9))[1]
                out.append(_paired(disp, case, kpi, bv, cv, floor,
                                   tolerance.get(kpi, default_tol)))
    return out


def _paired(disp: str, case: str, kpi: str, bv: dict[str, Any], cv: dict[str, Any],
            floor: float, tol: float) -> Verdict:
    b = np.array([np.nan if x is None else x for x in bv["values"]], dtype=float)
    c = np.array([np.nan if x is None else x for x in cv["values"]], dtype=float)
    if np.any(np.isfinite(b) & ~np.isfinite(c)):
        return Verdict(disp, case, kpi, bv["mean"], cv["mean"], math.inf, None, None, "WORSE")
    both = np.isfinite(b) & np.isfinite(c)
    if not both.any():
        return Verdict(disp, case, kpi, bv["mean"], cv["mean"], None, None, None, "ok")
    sign = 1.0 if cv["better"] == "lower" else -1.0
    scale = max(abs(float(np.mean(b[both]))), floor)
    rel = sign * (c[both] - b[both]) / scale
    mean = float(rel.mean())
    if rel.size >= 2 and float(rel.std(ddof=1)) > 0:
        _, lo, hi = confidence_interval(rel)
    else:
        lo = hi = mean
    if mean > tol and lo > 0:
        status = "WORSE"
    elif mean < -tol and hi < 0:
        status = "better"
    else:
        status = "ok"
    return Verdict(disp, case, kpi, bv["mean"], cv["mean"], mean, lo, hi, status)


def _short(value: Any) -> str:
    text = json.dumps(value)[:60] if value is not None else "null"
    return text
