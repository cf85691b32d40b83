"""Array allocation for scratch memory that a simulation writes anyway."""

from __future__ import annotations

from typing import Any

import numpy as np


def resident_zeros(shape: Any, dtype: Any = np.float64) -> np.ndarray:
    """Zeros whose memory pages are mapped now, not at first write.

    ``np.zeros`` leaves a large array's pages to be faulted in when they are first written,
    so the cost lands in whichever phase of a run touches them first (on a virtual machine
    whose memory the host backs lazily, at a small fraction of the memory bandwidth: about
    0.3 GB/s against 5 GB/s or more for memory used before). Scratch allocated at build time
    is written once here, so a run's timed phases do not pay for it.
    """
    a = np.empty(shape, dtype)
    a.fill(0)
    return a


def line_aligned_zeros(n: int) -> np.ndarray:
    """``n`` float64 :func:`resident_zeros` starting on a 64-byte (cache-line) boundary."""
    a = resident_zeros(n + 8)
    off = (-a.ctypes.data % 64) // 8
    return a[off:off + n]


def members(owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``n`` owners' items in increasing order: ``items[ptr[k]:ptr[k + 1]]`` are
    the indices ``i`` with ``owner[i] == k``. Returns ``(ptr, items)`` (int64)."""
    items = np.argsort(owner, kind="stable").astype(np.int64)
    ptr = np.searchsorted(owner[items], np.arange(n + 1)).astype(np.int64)
    return ptr, items
