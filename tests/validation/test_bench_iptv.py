import pytest

from validation.bench_iptv import compare


def test_simpy_reference_agrees_with_kernel_small():
    out = compare(1000, 2 * 3600.0)
    assert out["agree"], out
    assert out["simpy_events"] > 1000 and out["kernel_events_small"] > 1000


@pytest.mark.benchmark
def test_bench_iptv_national():
    from validation.bench_iptv import main

    assert main([]) == 0
