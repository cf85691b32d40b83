"""Shop-camera platform checks: live views on the streaming servers against Erlang B.

Live views that find every streaming slot taken are lost, so with Poisson attempts the
blocking of the attempts reaching the servers is Erlang B of the offered load, whatever the
holding-time law (insensitivity). The camera model runs a stationary day (flat hourly
profile, no power cut, no campaigns, no hotlinks) and its per-session table is cut into
batches after warm-up; the batch means give the interval that must cover the closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from validation.analytic import erlang_b
from validation.hotline_runs import batch_estimate, compare
from validation.registry import CheckResult, register_check

REL_TOL = 0.05
FULL_TOL = 0.03
FULL_FACTOR = 5
BATCHES = 20
LEVEL = 1.0 - 0.05 / 2  # two loads


@dataclass(frozen=True)
class ViewLoad:
    slots: int
    erlangs: float
    hold_median_s: float
    hold_sigma: float
    sessions: int
    seed: int

    @property
    def hold_mean_s(self) -> float:
        return self.hold_median_s * float(np.exp(self.hold_sigma ** 2 / 2))

    @property
    def label(self) -> str:
        return f"c={self.slots} A={self.erlangs:g}"


LOADS = [
    ViewLoad(slots=30, erlangs=27.0, hold_median_s=120.0, hold_sigma=0.1, sessions=120_000,
             seed=401),
    # heavy-tailed holding times: Erlang B does not depend on their law
    ViewLoad(slots=60, erlangs=60.0, hold_median_s=90.0, hold_sigma=1.0, sessions=60_000,
             seed=402),
]


def overrides(load: ViewLoad, full: bool) -> list[tuple[str, object]]:
    sessions = load.sessions * (FULL_FACTOR if full else 1)
    rate_per_s = load.erlangs / load.hold_mean_s
    warmup_s = 20 * load.hold_mean_s
    horizon_s = warmup_s + sessions / rate_per_s
    shops = 1000
    out: list[tuple[str, object]] = [
        ("seed", load.seed), ("horizon_s", horizon_s), ("warmup_s", warmup_s),
        ("live_view.sessions_per_shop_per_day", rate_per_s * 86400.0 / shops),
        ("live_view.hold_s", {"family": "lognormal", "median": load.hold_median_s,
                              "sigma": load.hold_sigma}),
        ("live_view.hourly_profile", [1.0] * 24),
        ("streaming.servers", 1), ("streaming.sessions_per_server", load.slots),
        ("tokens.hotlink_share", 0.0), ("params.queries_per_camera_per_day", 0.0),
        ("params.sets_per_camera_per_day", 0.0), ("power_cut", None), ("reboot", None),
        ("firmware_campaign", None), ("record_sessions", True), ("slas", []),
        ("window_s", 3600.0),
    ]
    for i in range(5):
        out.append((f"provinces[{i}].shops", shops // 5))
    return out


def batch_blocking(arrival_s: np.ndarray, outcome: np.ndarray, t0: float, t1: float,
                   batches: int) -> np.ndarray:
    """Blocked share of the attempts reaching the servers, per batch of ``[t0, t1)``."""
    edges = np.linspace(t0, t1, batches + 1)
    reached = np.isin(outcome, ["served", "blocked"])
    b = np.searchsorted(edges, arrival_s, side="right") - 1
    ok = reached & (b >= 0) & (b < batches)
    tried = np.bincount(b[ok], minlength=batches)
    lost = np.bincount(b[ok & (outcome == "blocked")], minlength=batches)
    return lost / np.maximum(tried, 1)


@register_check("cameras.erlang_b", "cameras")
def check_liveview_erlang_b(full: bool) -> list[CheckResult]:
    """Live-view blocking on the streaming servers vs Erlang B (also heavy-tailed holds)."""
    out: list[CheckResult] = []
    for load in LOADS:
        loaded = load_scenario("shop_cameras_trial", overrides(load, full))
        result = run_scenario(loaded, replications=1)
        table = result.replications[0].tables["sessions"]
        arrival = table.column("arrival_s").to_numpy()
        outcome = np.asarray(table.column("outcome").to_pylist(), dtype=object)
        sc = loaded.scenario
        per_batch = batch_blocking(arrival, outcome, sc.warmup_s, sc.horizon_s, BATCHES)
        est = batch_estimate(per_batch, LEVEL)
        out.append(compare(f"cameras.erlang_b {load.label} liveview_blocking_rate",
                           erlang_b(load.slots, load.erlangs), est,
                           FULL_TOL if full else REL_TOL,
                           f"{arrival.size:,} live-view attempts",
                           ci_label=f"joint 95% CI ({LEVEL:.1%} each)"))
    return out
