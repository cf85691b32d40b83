"""IPTV population model against closed forms and published measurements.

- distinct channels watched per access node vs E[D] = sum_i [1 - (1 - p_i)^N] (Zipf p_i);
- VoD blocking vs Erlang B for the measured offered load (loss system, fallback to live);
- VoD blocking at a CDN edge smaller than the server vs Erlang B at the edge's capacity in
  streams (the edge is a loss system: utilisation never above 1);
- convergence of window-dependent results as the window shrinks;
- default channel popularity: about 80% of live viewing on the top 10% of channels
  (Cha et al., "Watching television over an IP network", IMC 2008);
- barracks video calls per evening vs the vertical's call share (binomial sampling error);
- identical results for 1 and 2 kernel threads.

Run ``python -m validation.checks_iptv --curve convergence.csv`` to write the convergence
curve (``dashboards.iptv_plots.plot_convergence`` draws it).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from sim.iptv.scenario import VERTICALS
from sim.iptv.synthetic import make_boxes, uniform_population
from sim.iptv.viewing import DEFAULT_CHANNEL_ZIPF
from sim.kernels import layout as vk
from validation.analytic import erlang_b
from validation.registry import CheckResult, register_check

#: Live viewers never leave, never zap to VoD: channel snapshots are i.i.d. Zipf draws.
ALWAYS_LIVE = {"session_mean_s": 1e15, "vod_share": 0.0, "call_share": 0.0,
               "zap_share": 0.5, "zap_mean_s": 10.0, "watch_mean_s": 600.0}


def expected_distinct(p: np.ndarray, n: int) -> float:
    """E[D] = sum_i [1 - (1 - p_i)^N]: distinct channels among N independent viewers."""
    return float(np.sum(1.0 - (1.0 - p) ** n))


def simulated_distinct(n: int, exponent: float, ports: int, windows: int, seed: int
                       ) -> tuple[float, float]:
    """Mean distinct channels per port at window ends, and the Zipf E[D], for N viewers."""
    pop = uniform_population(ports, n)
    service = {"hd_channels": 0}
    bp = make_boxes(pop, seed, dict(ALWAYS_LIVE, channel_zipf=exponent), service,
                    all_live=True)
    sums = 0.0
    dt = 900.0  # longer than the mean dwell: snapshots nearly independent
    for w in range(windows):
        bp.step(w, w * dt, (w + 1) * dt)
        sums += float((bp.cnt_p > 0).sum(axis=1).mean())
    c = bp.va.ccdf[pop.box_vert[0]]
    p = np.diff(np.concatenate([[0.0], c]))
    return sums / windows, expected_distinct(p, n)


@register_check("iptv_distinct_channels", "iptv")
def check_distinct_channels(full: bool) -> list[CheckResult]:
    """Distinct channels per access node vs sum_i [1 - (1 - p_i)^N], within 2%."""
    out = []
    cases = [(5, 0.8), (20, 0.8), (80, 0.8), (5, 1.35), (20, 1.35), (80, 1.35)]
    if full:
        cases += [(200, 0.8), (200, 1.35), (500, 1.0)]
    for i, (n, s) in enumerate(cases):
        ports = max(60, 8000 // n) * (3 if full else 1)
        sim, exp = simulated_distinct(n, s, ports, 6 if not full else 12, seed=100 + i)
        rel = abs(sim - exp) / exp
        out.append(CheckResult(f"distinct channels N={n} zipf={s}", round(exp, 3),
                               round(sim, 3), "2% rel", rel <= 0.02,
                               f"{ports} ports, relative error {rel:.4f}"))
    return out


def simulate_vod_blocking(streams: int, offered: float, hours: float, seed: int,
                          boxes: int = 100_000, hold_s: float = 30.0,
                          vod_mbps: float = math.inf) -> dict[str, float]:
    """Loss system fed by live viewers leaving for VoD; blocked boxes go back to live TV.
    Boxes decode HD only: every stream is ``hd_mbps`` (8 Mbit/s by default).

    Returns requests, blocked, the measured offered load (requests per s x mean holding
    time) and Erlang B for that load.
    """
    dwell = 600.0
    p_leave = offered / hold_s * dwell / boxes  # per dwell end: total rate = offered / hold
    pop = uniform_population(boxes // 100, 100, flags=vk.F_HD)
    sigma = 0.5
    median = hold_s / math.exp(sigma ** 2 / 2)
    view = {"session_mean_s": dwell / p_leave, "vod_share": 1.0, "call_share": 0.0,
            "zap_share": 0.0, "watch_mean_s": dwell, "vod_median_s": median,
            "vod_sigma": sigma, "vod_then_live": 1.0}
    bp = make_boxes(pop, seed, view, all_live=True, vod_streams=streams, vod_mbps=vod_mbps)
    dt = 60.0
    warm = int(1800 / dt)
    n_w = warm + int(hours * 3600 / dt)
    req = blk = 0
    for w in range(n_w):
        ws = bp.step(w, w * dt, (w + 1) * dt)
        if w >= warm:
            req += int(ws.vod_requests.sum())
            blk += int(ws.vod_blocked.sum())
    a = req / (hours * 3600.0) * hold_s
    return {"requests": req, "blocked": blk, "blocking": blk / max(req, 1), "offered": a,
            "erlang_b": erlang_b(streams, a)}


@register_check("iptv_vod_erlang_b", "iptv")
def check_vod_blocking(full: bool) -> list[CheckResult]:
    """VoD blocking vs Erlang B for the same offered load, within 5% relative."""
    out = []
    for streams, offered in ((40, 40.0), (100, 100.0)):
        seeds = range(4 if full else 2)
        rs = [simulate_vod_blocking(streams, offered, 12.0 if full else 8.0, 7 + s)
              for s in seeds]
        blk = sum(r["blocked"] for r in rs) / sum(r["requests"] for r in rs)
        a = float(np.mean([r["offered"] for r in rs]))
        exp = erlang_b(streams, a)
        rel = abs(blk - exp) / exp
        out.append(CheckResult(f"VoD blocking c={streams} A={a:.1f} Erl", round(exp, 5),
                               round(blk, 5), "5% rel", rel <= 0.05,
                               f"{sum(r['requests'] for r in rs)} requests, rel {rel:.4f}"))
    return out


def convergence_curve(windows_s: list[float], seed: int = 3, hours: float = 3.0
                      ) -> list[dict[str, float]]:
    """Window-dependent results of one population for several window lengths.

    Per window length: mean multicast load per port counted over each window (groups
    joined at any time in it), the same at window ends (instantaneous), their ratio, mean
    VoD blocking and live occupancy.
    """
    rows = []
    for dt in windows_s:
        pop = uniform_population(64, 64)
        bp = make_boxes(pop, seed, {"vod_share": 0.3}, vod_streams=720)
        n_w = int(round(hours * 3600 / dt))
        union = now = live = 0.0
        req = blk = 0
        for w in range(n_w):
            ws = bp.step(w, w * dt, (w + 1) * dt)
            union += float(ws.union_port_mbps.mean())
            now += float(bp.now_port_mbps().mean())
            live += float(ws.out[:, vk.O_OCC + vk.LIVE].sum()) / dt
            req += int(ws.vod_requests.sum())
            blk += int(ws.vod_blocked.sum())
        rows.append({"window_s": dt, "multicast_window_mbps": union / n_w,
                     "multicast_instant_mbps": now / n_w, "ratio": union / max(now, 1e-9),
                     "vod_blocking": blk / max(req, 1), "live_mean": live / n_w,
                     "vod_requests": req})
    return rows


@register_check("iptv_window_convergence", "iptv")
def check_convergence(full: bool) -> list[CheckResult]:
    """Results converge as the window shrinks (multicast over-count -> 0, blocking steady)."""
    ws = [1800.0, 600.0, 120.0, 30.0, 10.0] if full else [1800.0, 300.0, 60.0, 15.0]
    rows = convergence_curve(ws, hours=3.0 if full else 2.0)
    ratios = [r["ratio"] for r in rows]
    mono = all(b <= a + 1e-9 for a, b in zip(ratios, ratios[1:], strict=False))
    last = ratios[-1]
    blk = [r["vod_blocking"] for r in rows]
    spread = abs(blk[-1] - blk[-2]) / max(blk[-1], 1e-9)
    live = [float(r["live_mean"]) for r in rows]
    devs = [abs(x - live[-1]) for x in live]
    far = live[int(np.argmax(devs))]
    live_dev = max(devs) / live[-1]
    return [
        CheckResult("multicast window/instant ratio at smallest window", 1.0, round(last, 4),
                    "<= 1.03 and decreasing", mono and last <= 1.03,
                    "ratios " + ", ".join(f"{w:g}s:{r:.3f}" for w, r in zip(ws, ratios,
                                                                            strict=True))),
        CheckResult("VoD blocking, two smallest windows", round(blk[-2], 4), round(blk[-1], 4),
                    "10% rel", spread <= 0.10,
                    "blocking " + ", ".join(f"{w:g}s:{b:.4f}" for w, b in zip(ws, blk,
                                                                            strict=True))),
        CheckResult("live occupancy across windows", round(live[-1], 2),
                    round(far, 2), "2% rel",
                    live_dev <= 0.02, "per-box event streams do not depend on the window"),
    ]


@register_check("iptv_top_channels_share", "iptv")
def check_top_channels(full: bool) -> list[CheckResult]:
    """Default profile: about 80% of live viewing on the top 10% of channels (Cha 2008)."""
    pop = uniform_population(100 if not full else 400, 50)
    bp = make_boxes(pop, 5, {}, start_hour=18.0)
    n_ch = bp.va.ccdf.shape[1]
    seconds = np.zeros(n_ch)
    dt = 300.0
    for w in range(24 if not full else 72):
        bp.step(w, w * dt, (w + 1) * dt)
        c = bp.cnt_p.sum(axis=0)
        seconds += (c[:n_ch] + c[n_ch:]) * dt
    top = int(round(0.1 * n_ch))
    share = float(np.sort(seconds)[::-1][:top].sum() / seconds.sum())
    return [CheckResult(f"live viewing on top 10% ({top}) of {n_ch} channels", 0.80,
                        round(share, 4), "+-0.05", abs(share - 0.80) <= 0.05,
                        f"default channel_zipf {DEFAULT_CHANNEL_ZIPF}")]


def _max_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def edge_capacity_streams(edge_gbps: float, usable_share: float, stream_mbps: float
                          ) -> tuple[float, int]:
    """A single-server province's VoD egress as the model sizes it from its CDN edge link
    (:func:`sim.iptv.sizing.vod_edge_share_mbps`), and that capacity in streams."""
    from sim.iptv.sizing import vod_edge_share_mbps

    edge = np.array([edge_gbps * 1000.0 * usable_share])
    mbps = float(vod_edge_share_mbps(edge, np.array([1000.0]), np.array([1000.0]), 1)[0])
    return mbps, int(math.floor(mbps / stream_mbps + 1e-9))


@register_check("iptv_cdn_edge_erlang_b", "iptv")
def check_cdn_edge_blocking(full: bool) -> list[CheckResult]:
    """VoD blocking at a CDN edge smaller than its VoD server vs Erlang B at the edge's
    capacity in streams (8 Mbit/s HD streams), within 5% relative."""
    out = []
    for edge_gbps, load_share in ((0.4, 1.0), (0.8, 0.95)):
        mbps, c = edge_capacity_streams(edge_gbps, 0.95, 8.0)
        offered = c * load_share
        seeds = range(4 if full else 1)
        rs = [simulate_vod_blocking(1_000_000, offered, 12.0 if full else 8.0, 31 + s,
                                    vod_mbps=mbps) for s in seeds]
        n_req = sum(r["requests"] for r in rs)
        blk = sum(r["blocked"] for r in rs) / n_req
        a = float(np.mean([r["offered"] for r in rs]))
        exp = erlang_b(c, a)
        rel = abs(blk - exp) / exp
        out.append(CheckResult(f"CDN edge {edge_gbps:g} Gbit/s = {c} streams, A={a:.1f} Erl",
                               round(exp, 5), round(blk, 5), "5% rel", rel <= 0.05,
                               f"{n_req} requests, rel {rel:.4f}"))
    return out


def barracks_evening(boxes: int, seed: int, start_hour: float = 17.0,
                     hours: float = 7.0) -> dict[str, float]:
    """Barracks boxes (flags from the ``barracks_stb`` profile) over an evening: video calls
    started, choices (session starts and live sessions left, where a box picks live, VoD or
    a call) and the vertical's call share."""
    from sim.iptv.topology import stb_flags
    from sim.iptv.viewing import viewing_params
    from sim.schema.profiles import ProfileCatalog, default_profile_dirs

    prof = ProfileCatalog(default_profile_dirs()).get("stb", "barracks_stb").profile
    vert = VERTICALS.index("barracks")
    pop = uniform_population(boxes // 50, 50, flags=stb_flags(prof), vertical=vert)  # type: ignore[arg-type]
    bp = make_boxes(pop, seed, start_hour=start_hour, max_windows=12)
    dt = 300.0
    n_w = int(hours * 3600 / dt)
    calls = choices = 0.0
    for w in range(0, n_w, 12):
        n_k = min(12, n_w - w)
        es = bp.step_epoch(n_k, w * dt, dt)
        calls += float(es.oacc[:, :n_k, vk.O_CALLS].sum())
        choices += float(es.oacc[:, :n_k, vk.O_CHOICES].sum())
    return {"calls": calls, "choices": choices, "boxes": float(pop.n_boxes),
            "share": float(viewing_params("barracks", None)["call_share"])}


@register_check("iptv_barracks_calls", "iptv")
def check_barracks_calls(full: bool) -> list[CheckResult]:
    """Barracks video calls per evening: calls / choices vs the vertical's call share, within
    3.5 binomial standard errors (calls fire on boxes whose profile takes a USB camera)."""
    r = barracks_evening(40_000 if full else 10_000, 17)
    n, p = r["choices"], r["share"]
    got = r["calls"] / max(n, 1.0)
    se = math.sqrt(p * (1 - p) / max(n, 1.0))
    return [CheckResult("barracks calls / choices, 17:00-24:00", p, round(got, 4),
                        "3.5 s.e.", abs(got - p) <= 3.5 * se,
                        f"{r['calls']:.0f} calls by {r['boxes']:.0f} boxes "
                        f"({r['calls'] / r['boxes']:.3f} per box per evening), s.e. {se:.4f}")]


def run_threads(threads: int, seed: int = 9) -> dict[str, Any]:
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, _max_threads()))
    try:
        pop = uniform_population(48, 40, ports_per_olt=4)
        bp = make_boxes(pop, seed, {"vod_share": 0.3}, vod_streams=60)
        sig = []
        for w in range(30):
            ws = bp.step(w, w * 120.0, (w + 1) * 120.0)
            sig.append((ws.out.sum(axis=0).tolist(), int(ws.vod_blocked.sum()),
                        float(ws.union_port_mbps.sum())))
        return {"sig": sig, "state": bp.st.tobytes(), "nt": bp.nt.tobytes()}
    finally:
        numba.set_num_threads(before)


@register_check("iptv_thread_determinism", "iptv")
def check_threads(full: bool) -> list[CheckResult]:
    """Same seed, 1 vs all kernel threads: identical per-window results and final states."""
    n = _max_threads()
    a = run_threads(1)
    b = run_threads(n)
    same = a == b
    return [CheckResult(f"1 vs {n} threads", "identical",
                        "identical" if same else "different", "exact", same)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curve", help="write the window-convergence curve (CSV) here")
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args(argv)
    if args.curve:
        import csv

        rows = convergence_curve([3600.0, 1800.0, 600.0, 300.0, 120.0, 60.0, 30.0, 10.0])
        with open(args.curve, "w", newline="") as fh:
            wr = csv.DictWriter(fh, fieldnames=list(rows[0]))
            wr.writeheader()
            wr.writerows(rows)
        print(json.dumps(rows, indent=1))
        return 0
    for fn in (check_distinct_channels, check_vod_blocking, check_convergence,
               check_top_channels, check_threads):
        for r in fn(args.full):
            print(("PASS " if r.passed else "FAIL ") + f"{r.check}: expected {r.expected}, "
                  f"simulated {r.simulated} ({r.tolerance}) {r.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
