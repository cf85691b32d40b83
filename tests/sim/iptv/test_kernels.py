import numpy as np
import pytest

from sim.iptv.synthetic import make_boxes, uniform_population
from sim.kernels import layout as vk
from sim.kernels.boot import boot_storm
from sim.kernels.firmware import FW_BRICKED, FW_DOWNLOADING, FW_OK, FW_ROLLED_BACK, firmware_window
from sim.kernels.rng import seed_states


def _run(seed=3, windows=20, dt=120.0, streams=40):
    pop = uniform_population(12, 30, ports_per_olt=4)
    bp = make_boxes(pop, seed, {"vod_share": 0.4}, vod_streams=streams)
    res = []
    for w in range(windows):
        ws = bp.step(w, w * dt, (w + 1) * dt)
        res.append((ws.out.copy(), ws.union_port_mbps.copy(), int(ws.vod_requests.sum()),
                    int(ws.vod_blocked.sum())))
        yield bp, ws, res[-1]


def test_window_invariants():
    dt = 120.0
    for bp, ws, _ in _run(dt=dt):
        pop = bp.pop
        # every box accounted for exactly the whole window
        occ = ws.out[:, vk.O_OCC:vk.O_OCC + vk.N_STATES].sum(axis=1)
        np.testing.assert_allclose(occ, np.diff(pop.olt_box) * dt, rtol=1e-9)
        # group counts match the boxes watching live TV; the groups watched at the epoch end,
        # kept as bits by the kernel, are those with a viewer
        live = bp.st == vk.LIVE
        assert bp.cnt_p.sum() == live.sum() == bp.g_live.sum()
        np.testing.assert_array_equal(bp.cnt_p.sum(axis=0), bp.g_live)
        watched = np.zeros((pop.n_ports, 64 * bp.nbit.shape[1]), bool)
        watched[:, :bp.cnt_p.shape[1]] = bp.cnt_p > 0
        np.testing.assert_array_equal(
            bp.nbit, np.packbits(watched, axis=1, bitorder="little").view("<u8"))
        per_port = np.bincount(pop.box_port[live], minlength=pop.n_ports)
        np.testing.assert_array_equal(bp.cnt_p.sum(axis=1), per_port)
        # multicast now = distinct groups x bitrate; the window union is never below it
        now = ((bp.cnt_p > 0) * bp.gbit).sum(axis=1)
        np.testing.assert_allclose(bp.now_port_mbps(), now, atol=1e-9)
        assert (ws.union_port_mbps >= now - 1e-9).all()
        # never more VoD streams than the server holds
        assert (bp.st == vk.VOD).sum() <= 40
        assert not (bp.st == vk.PENDING).any()
        # incremental per-OLT state counts and rate sums, and per-port rate sums and boxes in
        # use, match a recount from the boxes
        nst, orate, prate = bp.nst.copy(), bp.orate.copy(), bp.prate.copy()
        bp.recount()
        np.testing.assert_array_equal(nst, bp.nst)
        np.testing.assert_allclose(orate, bp.orate, atol=1e-9)
        np.testing.assert_allclose(prate, bp.prate, atol=1e-9)
        np.testing.assert_allclose(ws.out[:, vk.O_OCC + vk.N_STATES], 0.0, atol=1e-6)


def test_same_seed_same_results_other_seed_differs():
    a = [r for _, _, r in _run(seed=5)]
    b = [r for _, _, r in _run(seed=5)]
    c = [r for _, _, r in _run(seed=6)]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[0], y[0])
        assert x[2:] == y[2:]
    assert any(not np.array_equal(x[0], z[0]) for x, z in zip(a, c, strict=True))


def test_blocked_requests_fall_back_to_live():
    blocked = 0
    for bp, _ws, r in _run(streams=1, windows=15):
        blocked += r[3]
        assert (bp.st == vk.VOD).sum() <= 1
    assert blocked > 0


def _epochs(sizes, seed=4, dt=120.0):
    pop = uniform_population(12, 30, ports_per_olt=4)
    bp = make_boxes(pop, seed, {"vod_share": 0.4, "call_share": 0.1}, vod_streams=25,
                    max_windows=max(sizes))
    outs, unions, req, blk, viewers = [], [], [], [], []
    t = 0.0
    for n_k in sizes:
        es = bp.step_epoch(n_k, t, dt)
        for k in range(n_k):
            ws = es.window(k)
            outs.append(ws.out.copy())
            unions.append(ws.union_port_mbps.copy())
            req.append(int(ws.vod_requests.sum()))
            blk.append(int(ws.vod_blocked.sum()))
            viewers.append(es.viewers[k].copy())
        t += n_k * dt
    return bp, outs, unions, req, blk, viewers


def test_epoch_length_does_not_change_results():
    """Boxes are independent but for VoD admission, which runs in exact request-time order:
    one window per call and several windows per call give the same day."""
    a = _epochs([1] * 24)
    b = _epochs([12, 5, 7])
    np.testing.assert_array_equal(a[0].st, b[0].st)
    np.testing.assert_array_equal(a[0].nt, b[0].nt)
    np.testing.assert_array_equal(a[0].rs, b[0].rs)
    np.testing.assert_array_equal(a[0].cnt_p, b[0].cnt_p)
    for x, y in zip(a[1], b[1], strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-6)
    for x, y in zip(a[2], b[2], strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    assert a[3] == b[3] and a[4] == b[4]
    assert sum(a[4]) > 0  # the servers were full at times
    for x, y in zip(a[5], b[5], strict=True):
        np.testing.assert_array_equal(x, y)
    # viewers at each window end agree with the boxes' channels at the end
    np.testing.assert_array_equal(a[5][-1], a[0].cnt_p.sum(axis=0))


def test_boot_storm_unloaded_servers_are_fast_and_overload_causes_retries():
    n = 2000
    ready = np.linspace(0.0, 20.0, n)
    args = (np.array([64, 64, 64]), np.array([0.01, 0.01, 0.01]), np.zeros(3),
            np.array([10_000, 10_000, 10_000]))
    on, counts, stale = boot_storm(ready, *args, 10.0, 4.0, 120.0, 0.5, seed_states(1, 1),
                                   1.0, 600, 3600.0)
    np.testing.assert_allclose(on, ready + 0.03, atol=1e-9)
    assert counts[1].sum() == 0 and counts[3].sum() == 0
    slow = (np.array([1, 1, 1]), np.array([0.05, 0.05, 0.05]), np.full(3, 0.5),
            np.array([20, 20, 20]))
    on2, counts2, _ = boot_storm(ready, *slow, 5.0, 2.0, 60.0, 0.5, seed_states(1, 1), 1.0,
                                 3600, 3600.0)
    assert counts2[1].sum() > 0  # rejects
    assert np.isfinite(on2).all() and (on2 >= ready).all()
    assert np.quantile(on2, 0.99) > np.quantile(on, 0.99) + 60
    on3, _, _ = boot_storm(ready, *slow, 5.0, 2.0, 60.0, 0.5, seed_states(1, 1), 1.0,
                           3600, 3600.0)
    np.testing.assert_array_equal(on2, on3)


@pytest.mark.parametrize("cap", [50.0, 1e6])
def test_firmware_respects_egress_cap(cap):
    n = 300
    rs = seed_states(2, n)
    state = np.full(n, FW_DOWNLOADING, np.int8)
    start = np.zeros(n)
    left = np.full(n, 800.0)
    rmax = np.linspace(5.0, 30.0, n)
    port_mbit = np.zeros(3)
    stats = np.zeros((1, 3), np.int64)
    active = np.arange(n)
    done_t = np.full(n, np.inf)
    sent_total = 0.0
    for w in range(1000):
        port_mbit[:] = 0
        active, sent, _ = firmware_window(active, w * 10.0, (w + 1) * 10.0, cap, state, start,
                                          left, rmax, np.full(n, 5.0), np.full(n, 0.1),
                                          np.full(n, 0.5), rs, done_t,
                                          np.arange(n) % 3, port_mbit,
                                          np.zeros(n, np.int64), stats)
        assert sent <= cap * 10.0 * (1 + 1e-6)
        assert abs(port_mbit.sum() - sent) < 1e-6
        sent_total += sent
        if active.size == 0:
            break
    assert active.size == 0
    np.testing.assert_allclose(sent_total, 800.0 * n)
    done = np.isin(state, [FW_OK, FW_ROLLED_BACK, FW_BRICKED])
    assert done.all() and stats.sum() == n
    assert 10 < (state != FW_OK).sum() < 60


def test_alias_table_draws_follow_probabilities():
    from numba import njit

    from sim.iptv.viewing import alias_table, zipf_cdf
    from sim.kernels.rng import alias_pick, bits_z, pack_alias, seed_states

    c = zipf_cdf(165, 1.35)
    p = np.diff(np.concatenate([[0.0], c]))
    tab = alias_table(p)[None]
    # the table's implied probabilities are exact
    implied = tab[0, 0] / len(p) + np.bincount(tab[0, 1].astype(int),
                                               weights=(1 - tab[0, 0]) / len(p),
                                               minlength=len(p))
    np.testing.assert_allclose(implied, p, atol=1e-12)
    # draws from the packed records: every column's frequency within 4.5 sigma
    cols = np.arange(len(p))
    rec = pack_alias(tab[0, 0], cols, tab[0, 1].astype(int))[None, None]

    @njit
    def draws(z, n):
        out = np.zeros(rec.shape[2], np.int64)
        for _ in range(n):
            z, b = bits_z(z)
            out[alias_pick(rec, 0, 0, b)] += 1
        return out

    n = 2_000_000
    freq = draws(seed_states(1, 1)[0], n)
    assert freq.sum() == n
    assert np.all(np.abs(freq - n * p) <= 4.5 * np.sqrt(n * p * (1 - p)) + 1)
    # values map through the records (e.g. to SD simulcast groups)
    rec2 = pack_alias(tab[0, 0], cols + 1000, tab[0, 1].astype(int) + 1000)[None, None]
    assert alias_pick(rec2, 0, 0, np.uint64(12345678901234567)) >= 1000
    with pytest.raises(ValueError, match="val_keep"):
        pack_alias(tab[0, 0], cols - 1, cols)


def test_ziggurat_exponential_follows_the_exponential_law():
    """Against the closed form: Kolmogorov-Smirnov on the whole law, then the tail beyond the
    base layer (drawn by the rare path) and the moments."""
    from numba import njit
    from scipy import stats

    from sim.kernels.rng import exponential_z, seed_states

    @njit
    def draws(z, n):
        out = np.empty(n)
        for j in range(n):
            z, out[j] = exponential_z(z, 2.0)
        return out

    x = draws(seed_states(11, 1)[0], 2_000_000) / 2.0
    assert stats.kstest(x[:500_000], "expon").pvalue > 1e-3
    n = x.size
    for cut in (0.01, 1.0, 5.0, 7.7, 9.0):  # 7.697: the ziggurat's tail starts here
        want = np.exp(-cut)
        sd = np.sqrt(want * (1 - want) / n)
        assert abs(np.mean(x > cut) - want) < 5 * sd + 1e-12, cut
    assert abs(x.mean() - 1.0) < 5 / np.sqrt(n)
    assert abs(x.var() - 1.0) < 5 * np.sqrt(8 / n)
    assert x.min() >= 0.0


def test_time_order_is_a_stable_sort():
    from sim.kernels.admission import time_order

    rng = np.random.default_rng(3)
    spread = rng.uniform(100.0, 400.0, 5_000)
    ties = np.repeat(rng.uniform(100.0, 400.0, 50), 40)  # equal times keep their input order
    bunched = 250.0 + rng.uniform(0.0, 1e-3, 3_000)  # a crowded bucket: the merge sort path
    outside = np.array([50.0, 400.0, 399.999, 500.0])  # clamped into the end buckets
    for ts in (spread, ties, bunched, np.concatenate([spread, ties, bunched, outside]),
               np.array([]), np.array([7.0])):
        rng.shuffle(ts)
        assert np.array_equal(time_order(ts, 100.0, 400.0), np.argsort(ts, kind="stable"))


def test_edge_cache_miss_is_decided_by_the_title_draw():
    """A request misses the edge cache (titles 0 .. c - 1) exactly when its title, picked by
    inverting the CDF at the draw, is c or above: the kernel only compares the draw."""
    import bisect

    from sim.iptv.population import miss_threshold, title_of
    from sim.iptv.viewing import zipf_cdf

    rng = np.random.default_rng(0)
    for n, a in ((100_000, 0.8), (10, 1.2), (1, 1.0), (7, 0.0)):
        cdf = zipf_cdf(n, a)
        us = np.concatenate([rng.random(5_000), cdf[:-1], np.nextafter(cdf[:-1], 0),
                             [0.0, np.nextafter(1.0, 0)]])
        titles = title_of(cdf, us)
        steps = cdf.tolist()
        assert titles.tolist() == [min(bisect.bisect_right(steps, u), n - 1)
                                   for u in us.tolist()]
        for c in {0, 1, n // 2, n - 1, n, n + 5}:
            assert np.array_equal(titles >= c, us >= miss_threshold(cdf, c)), (n, c)


def test_local_random_state_draws_the_same_sequence():
    from numba import njit

    from sim.kernels.rng import exponential, exponential_z, uniform, uniform_z

    @njit
    def both(n):
        a = seed_states(11, 1)
        z = a[0]
        same = 0
        for _ in range(n):
            z, u = uniform_z(z)
            z, e = exponential_z(z, 3.0)
            if u == uniform(a, 0) and e == exponential(a, 0, 3.0):
                same += 1
        return same

    assert both(1000) == 1000


def test_stream_endheap_pops_in_time_order():
    import heapq

    from sim.kernels.heap import stream_pop as heap_pop
    from sim.kernels.heap import stream_push as heap_push

    rng = np.random.default_rng(5)
    ht, hr = np.zeros(500), np.zeros(500)
    n, ref = 0, []
    for _ in range(3000):
        if n == 0 or (rng.random() < 0.55 and n < 500):
            t = float(np.round(rng.random() * 50, 1))  # ties included
            heap_push(ht, hr, 0, n, t, t + 1.0)
            n += 1
            heapq.heappush(ref, t)
        else:
            assert ht[0] == ref[0] and hr[0] == ht[0] + 1.0
            heap_pop(ht, hr, 0, n)
            n -= 1
            heapq.heappop(ref)
