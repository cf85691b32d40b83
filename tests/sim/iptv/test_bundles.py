"""The kernels' bundles: checked once with a clear message, and writes through them from a
parallel kernel all land (the pattern the epoch driver uses)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from numba import njit, prange

from sim.iptv.synthetic import make_boxes, uniform_population
from sim.kernels import bundles as kb


@njit(cache=False)
def _per_task(o, bx, out):
    for i in range(o * 64, (o + 1) * 64):
        bx.nt[i] = i * 0.5
        bx.st[i] = i % 7
    out.viewers[0, o] = o + 1


@njit(cache=False, parallel=True)
def _driver(n_tasks, bx, out):
    for o in prange(n_tasks):
        _per_task(o, bx, out)


def test_writes_through_bundles_from_a_parallel_kernel_all_land() -> None:
    n_tasks = 64
    n = n_tasks * 64
    z = np.zeros
    bx = kb.Boxes(z(n, np.int8), z(n), z(n), z(n, np.int16), z(n), z(n), z(n, np.int8),
                  z(n, np.int32), z(n, np.uint8), z(n, np.uint64))
    out = kb.Outputs(*(z((1, 1)) for _ in range(10)), z((1, n_tasks), np.int64))
    before = numba.get_num_threads()
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    try:
        for _ in range(5):
            bx.nt[:] = -1.0
            out.viewers[:] = 0
            _driver(n_tasks, bx, out)
            np.testing.assert_array_equal(bx.nt, np.arange(n) * 0.5)
            np.testing.assert_array_equal(bx.st, np.arange(n) % 7)
            np.testing.assert_array_equal(out.viewers[0], np.arange(1, n_tasks + 1))
    finally:
        numba.set_num_threads(before)


def test_a_swapped_array_is_named() -> None:
    bp = make_boxes(uniform_population(4, 8), 1, {})
    b = bp.boxes
    swapped = b._replace(nt=b.wk[:-1])
    with pytest.raises(ValueError, match=r"Boxes\.nt: expected float64\(\d+,\), got float64"):
        kb.check_bundle(swapped, bp._dims)
    wrong_type = bp.topology._replace(port_olt=bp.topology.port_olt.astype(np.int64))
    with pytest.raises(ValueError, match=r"Topology\.port_olt: expected int32"):
        kb.check_bundle(wrong_type, bp._dims)


def test_every_bundle_field_is_documented() -> None:
    for cls, spec in kb.SPECS.items():
        assert list(spec) == [f for f in cls._fields if f not in ("u_miss", "cap_pon",
                                                                  "threshold", "util_bin")]
