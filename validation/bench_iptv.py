"""Benchmark: the national IPTV day with the numba population vs one SimPy process per box.

Usage::

    python -m validation.bench_iptv                 # full: 4.5 M boxes, 24 h, 20k SimPy boxes
    python -m validation.bench_iptv --quick         # small, for a smoke test

Measures, in one run: compilation/cache load (a tiny warm-up run), the national day
(device events, wall time of the simulated day, events per second, CPU time of the run with
every thread and build, peak memory), and the same viewing model written as one SimPy
process per box on 20,000 boxes (events per second, the ratio, and state occupancy of both
against each other within sampling error).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from typing import Any

import numpy as np
import simpy

from sim.iptv.synthetic import make_boxes, uniform_population
from sim.kernels import layout as vk

STATES = vk.STATE_NAMES[:5]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU time of this process so far, every thread, user and system (s)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the reference: one SimPy process per box --------------------------------------------------
class SimpyViewing:
    """The kernel's viewing state machine, one SimPy process per box (no VoD capacity limit)."""

    def __init__(self, bp: Any, seed: int, horizon_s: float):
        self.bp = bp
        self.va = bp.va
        self.sc = bp.sc
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed)
        self.horizon = horizon_s
        n = bp.pop.n_boxes
        self.occ = np.zeros((n, vk.N_STATES))
        self.events = 0

    def next_on(self, t: float, v: int) -> float:
        va, day = self.va, 86400.0
        c = t + self.sc[vk.CLOCK0_S]
        d = math.floor(c / day)
        s = c - d * day
        h = min(int(s // 3600), 23)
        target = va.cumh[v, h] + va.hrate[v, h] * (s - h * 3600) + self.rng.exponential()
        extra = math.floor(target / va.cumh[v, 24])
        target -= extra * va.cumh[v, 24]
        k = int(np.searchsorted(va.cumh[v, 1:24], target, side="right"))
        while va.hrate[v, k] <= 0:
            k += 1
        tt = (d + extra) * day + k * 3600 + (target - va.cumh[v, k]) / va.hrate[v, k]
        return max(tt - self.sc[vk.CLOCK0_S], t)

    def closes_at(self, t: float, vp: np.ndarray) -> float:
        """When the box's site closes after ``t`` if open at ``t``, else -1 (inf: never)."""
        c = t + self.sc[vk.CLOCK0_S]
        s = c - math.floor(c / 86400.0) * 86400.0
        h0, h1 = vp[vk.OPEN_FROM_H] * 3600.0, vp[vk.OPEN_TO_H] * 3600.0
        if s < h0 or s >= h1:
            return -1.0
        return math.inf if h1 >= 86400.0 and h0 <= 0.0 else t + (h1 - s)

    def dwell(self, vp: np.ndarray) -> float:
        if self.rng.random() < vp[vk.ZAP_SHARE]:
            return self.rng.exponential(vp[vk.ZAP_MEAN_S])
        return self.rng.exponential(vp[vk.WATCH_MEAN_S])

    def box(self, i: int) -> Any:
        env, rng = self.env, self.rng
        v = int(self.bp.pop.box_vert[i])
        flags = int(self.bp.pop.box_flags[i])
        vp = self.va.vp[v]
        ccdf = self.va.ccdf[v]
        occ = self.occ[i]
        wake = 0.0

        def stay(state: int, until: float) -> Any:
            start = env.now
            yield env.timeout(max(0.0, min(until, self.horizon) - start))
            occ[state] += env.now - start

        # initial state as in the kernel: live with the hour's share, else standby/ads
        if rng.random() < self.va.on_share[v]:
            zm = vp[vk.ZAP_SHARE] * vp[vk.ZAP_MEAN_S]
            wm = (1 - vp[vk.ZAP_SHARE]) * vp[vk.WATCH_MEAN_S]
            mean = vp[vk.ZAP_MEAN_S] if rng.random() * (zm + wm) < zm else vp[vk.WATCH_MEAN_S]
            nxt = "live"
            first = rng.exponential(mean)
        else:
            nxt = "wait"
            first = self.next_on(0.0, v)
        state = vk.LIVE
        closed = False  # the carousel stopped because the site closed (before the session)
        if nxt == "wait":
            wake = first
            close = self.closes_at(0.0, vp)
            state = vk.AD if flags & vk.F_ADS and close > 0 else vk.STANDBY
            closed = state == vk.AD and close < wake
            first = min(first, close) if state == vk.AD else first
        yield from stay(state, first)
        while env.now < self.horizon:
            self.events += 1
            if state == vk.STANDBY and nxt == "ad":
                state, nxt = vk.AD, "wait"
                close = self.closes_at(env.now, vp)
                closed = 0 <= close < wake
                yield from stay(state, close if closed else wake)
                continue
            if state == vk.AD and closed:  # the site closed: off until the session
                state, closed = vk.STANDBY, False
                yield from stay(state, wake)
                continue
            if state == vk.LIVE and rng.random() >= vp[vk.P_LEAVE]:
                rng.random()  # the channel: popularity draw (load only, as in the kernel)
                np.searchsorted(ccdf, rng.random(), side="right")
                yield from stay(vk.LIVE, env.now + self.dwell(vp))
                continue
            go = "live"
            if state == vk.LIVE:
                u = rng.random()
                go = "vod" if u < vp[vk.LEAVE_VOD] else (
                    "call" if u < vp[vk.LEAVE_VOD] + vp[vk.LEAVE_CALL] and flags & vk.F_CAMERA
                    else "standby")
            elif state == vk.VOD:
                go = "live" if rng.random() < vp[vk.VOD_THEN_LIVE] else "standby"
            elif state == vk.CALL:
                go = "standby"
            else:  # session starts
                u = rng.random()
                go = "vod" if u < vp[vk.START_VOD] else (
                    "call" if u < vp[vk.START_VOD] + vp[vk.START_CALL] and flags & vk.F_CAMERA
                    else "live")
            if go == "live":
                np.searchsorted(ccdf, rng.random(), side="right")
                state = vk.LIVE
                yield from stay(state, env.now + self.dwell(vp))
            elif go == "vod":
                rng.random()
                hold = vp[vk.VOD_MEDIAN_S] * math.exp(vp[vk.VOD_SIGMA] * rng.standard_normal())
                state = vk.VOD
                yield from stay(state, env.now + hold)
            elif go == "call":
                state = vk.CALL
                yield from stay(state, env.now + rng.exponential(vp[vk.CALL_MEAN_S]))
            else:
                state = vk.STANDBY
                wake = self.next_on(env.now, v)
                idle = env.now + vp[vk.AD_IDLE_S]
                if flags & vk.F_ADS and wake > idle and self.closes_at(idle, vp) > idle:
                    nxt = "ad"
                    yield from stay(state, idle)
                else:
                    nxt = "wait"
                    yield from stay(state, wake)

    def run(self) -> float:
        for i in range(self.bp.pop.n_boxes):
            self.env.process(self.box(i))
        t0 = time.perf_counter()
        self.env.run(until=self.horizon + 1.0)
        return time.perf_counter() - t0


def _population(n_boxes: int, seed: int) -> Any:
    # one port per OLT: the kernel reports state-seconds per OLT, and the batch means below
    # need many independent groups
    pop = uniform_population(n_boxes // 50, 50, ports_per_olt=1)
    rng = np.random.default_rng(seed)
    pop.box_flags[:] = vk.F_HD | vk.F_CAMERA
    pop.box_flags[rng.random(pop.n_boxes) < 0.3] |= vk.F_ADS
    view = {"call_share": 0.05, "vod_share": 0.2}
    return make_boxes(pop, seed, view, start_hour=18.0)


def occupancy_fraction(occ: np.ndarray, groups: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Mean share of time per state and its standard error (batch means over groups of rows).

    Rows are OLTs (independent groups of boxes), columns states, values state-seconds.
    """
    share = occ / occ.sum(axis=1, keepdims=True)
    parts = np.array_split(share, groups)
    means = np.array([p.mean(axis=0) for p in parts])
    return share.mean(axis=0), means.std(axis=0, ddof=1) / math.sqrt(groups)


def compare(n_boxes: int, horizon_s: float, seed: int = 21) -> dict[str, Any]:
    """Kernel vs SimPy per box on the same population and behaviour."""
    bp = _population(n_boxes, seed)
    ref = SimpyViewing(_population(n_boxes, seed), seed + 1, horizon_s)
    simpy_s = ref.run()
    pop = bp.pop
    occ_k = np.zeros((pop.n_olts, vk.N_STATES))
    dt = 300.0
    t0 = time.perf_counter()
    events = 0
    for w in range(int(horizon_s / dt)):
        ws = bp.step(w, w * dt, (w + 1) * dt)
        events += int(ws.out[:, vk.O_EVENTS].sum())
        occ_k += ws.out[:, vk.O_OCC:vk.O_OCC + vk.N_STATES]
    kernel_s = time.perf_counter() - t0
    box_olt = pop.port_olt[pop.box_port]
    occ_s = np.stack([np.bincount(box_olt, weights=ref.occ[:, k], minlength=pop.n_olts)
                      for k in range(vk.N_STATES)], axis=1)
    mk, sk = occupancy_fraction(occ_k)
    ms, ss = occupancy_fraction(occ_s)
    z = np.where(np.hypot(sk, ss) > 0, (mk - ms) / np.maximum(np.hypot(sk, ss), 1e-12), 0.0)
    return {
        "boxes": n_boxes, "horizon_s": horizon_s,
        "simpy_events": ref.events, "simpy_s": simpy_s,
        "simpy_events_per_s": ref.events / simpy_s,
        "kernel_events_small": events, "kernel_s_small": kernel_s,
        "occupancy_kernel": dict(zip(STATES, mk[:5].round(4).tolist(), strict=True)),
        "occupancy_simpy": dict(zip(STATES, ms[:5].round(4).tolist(), strict=True)),
        "z_scores": dict(zip(STATES, z[:5].round(2).tolist(), strict=True)),
        "agree": bool(np.all(np.abs(z[:5]) < 3.5)),
    }


def national(quick: bool) -> dict[str, Any]:
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario

    t = time.perf_counter()
    warm = load_scenario("iptv_national_rollout_day", ["horizon_s=600", "warmup_s=0",
                                                       "site_groups=" + json.dumps([{
                                                           "name": "w", "vertical": "hotel",
                                                           "province": "Hainan", "sites": 3,
                                                           "boxes_per_site": 10,
                                                           "stb": "hotel_wifi_stb"}])])
    run_scenario(warm)
    compile_s = time.perf_counter() - t
    sets = ["horizon_s=7200", "warmup_s=0", "start_hour=19"] if quick else []
    loaded = load_scenario("iptv_national_rollout_day", sets)
    if quick:
        loaded.scenario.site_groups = loaded.scenario.site_groups[:20]
    t, cpu0 = time.perf_counter(), _cpu_s()
    res = run_scenario(loaded)
    total_s, cpu_s = time.perf_counter() - t, _cpu_s() - cpu0
    rep = res.replications[0]
    ev = rep.events_processed
    sim_s = rep.timings["simulate_s"]
    return {
        "boxes": int(res.kpis["boxes"]), "simulated_h": loaded.scenario.horizon_s / 3600,
        "device_events": ev, "compile_or_cache_load_s": compile_s,
        "build_s": rep.timings.get("build_s", math.nan), "simulate_s": sim_s,
        "kernel_s": rep.timings.get("iptv_kernel_s", math.nan), "total_s": total_s,
        "events_per_s": ev / sim_s, "peak_rss_mb": _maxrss_mb(),
        "cpu_s": cpu_s, "events_per_cpu_s": ev / cpu_s,
        "kpis": {k: res.kpis[k] for k in ("vod_blocking", "pon_peak_util", "metro_peak_util",
                                          "cdn_peak_util", "live_peak")},
    }


def summary(out: dict[str, Any]) -> str:
    """The figures against the targets, as a text table."""
    from sim.cli.tables import render

    nat, ref, tg = out["national"], out["simpy_reference"], out["targets"]
    rows = [
        ("device events", f"{nat['device_events']:,}", "", ""),
        ("wall, simulated day (s)", f"{nat['simulate_s']:.1f}", f"< {tg['simulate_s']:.0f}",
         nat["simulate_s"] < tg["simulate_s"]),
        ("  of which kernels (s)", f"{nat['kernel_s']:.1f}", "", ""),
        ("device events / s", f"{nat['events_per_s'] / 1e6:.1f} M",
         f">= {tg['events_per_s'] / 1e6:.0f} M", nat["events_per_s"] >= tg["events_per_s"]),
        ("  per CPU-second, build included", f"{nat['events_per_cpu_s'] / 1e6:.1f} M", "",
         ""),
        ("peak memory (MB)", f"{nat['peak_rss_mb']:,.0f}", f"< {tg['peak_rss_mb']}",
         nat["peak_rss_mb"] < tg["peak_rss_mb"]),
        ("SimPy reference events / s", f"{ref['simpy_events_per_s']:,.0f}", "", ""),
        ("ratio to SimPy", f"{out['events_per_s_ratio']:.0f}x", f">= {tg['ratio']}x",
         out["events_per_s_ratio"] >= tg["ratio"]),
        ("occupancy agrees with SimPy", ref["agree"], "|z| < 3.5", ref["agree"]),
        ("compilation or cache load (s)", f"{nat['compile_or_cache_load_s']:.1f}", "", ""),
    ]
    return render(["quantity", "measured", "target", "met"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--simpy-boxes", type=int, default=20_000)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    nat = national(args.quick)
    cmp_ = compare(2000 if args.quick else args.simpy_boxes, 3 * 3600.0 if args.quick
                   else 6 * 3600.0)
    out = {"national": nat, "simpy_reference": cmp_,
           "events_per_s_ratio": nat["events_per_s"] / cmp_["simpy_events_per_s"],
           "targets": {"events_per_s": 30e6, "simulate_s": 15.0, "peak_rss_mb": 2048,
                       "ratio": 300}}
    print(json.dumps(out, indent=1, default=float))
    print(summary(out))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
