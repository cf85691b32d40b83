"""How the IPTV loop kernels are compiled: on borrowed arrays, without reference counting.

numba counts references to every array a compiled function holds: an atomic update of the
array's count (shared by every thread) each time a function takes an array as an argument,
an inlined helper is handed one, or a field is read from a bundle. The compiler drops the
updates of a helper whose arrays are used in straight-line code, but not of one whose
arrays are used across a loop or in several branches (numba issue #2350): the box state
machine, inlined per box, cost two dozen atomic updates per box visit that way, and the
boot storm's event heap several per event (3 times slower).

The kernels that loop over boxes, requests or events are therefore compiled with
:data:`njit_borrowed`: without numba's reference counting. Such a kernel borrows every array
it is given (the caller holds it for the duration of the call) and may not allocate: numba
refuses to compile one that does, so an allocation goes in a caller compiled with plain
``njit``, which hands the arrays over. Bundle fields and helper arguments cost nothing in
it. Test: ``tests/sim/iptv/test_kernel_shape.py`` checks that the event loop's compiled code
has no reference count update.
"""

from __future__ import annotations

from typing import Any

from numba import njit

#: Options of the loop kernels: cached, NumPy's error model (a division by zero gives inf or
#: NaN, no exception path), no reference counting (``_nrt=False``, numba's option for code
#: that allocates nothing; numba's stubs do not list it).
BORROWED: dict[str, Any] = {"cache": True, "error_model": "numpy", "_nrt": False}

#: Decorator of the loop kernels.
njit_borrowed = njit(**BORROWED)
