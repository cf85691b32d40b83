from validation.registry import discover


def test_iptv_checks_pass_in_fast_mode():
    checks = {n: c for n, c in discover().items() if c.group == "iptv"}
    assert set(checks) == {"iptv_distinct_channels", "iptv_vod_erlang_b", "iptv_cdn_edge_erlang_b",
                           "iptv_barracks_calls",
                           "iptv_window_convergence", "iptv_top_channels_share",
                           "iptv_thread_determinism"}
    failed = []
    for name, chk in checks.items():
        for r in chk.fn(False):
            if not r.passed:
                failed.append((name, r))
    assert not failed, failed


def test_expected_distinct_closed_form():
    import numpy as np

    from validation.checks_iptv import expected_distinct

    p = np.full(10, 0.1)
    assert abs(expected_distinct(p, 1) - 1.0) < 1e-12
    assert abs(expected_distinct(p, 2) - 10 * (1 - 0.81)) < 1e-12
