"""Software prefetch for compiled kernels (a hint: no effect on results).

A population kernel visits a few boxes out of millions per window, each on its own port: the
box's and the port's cache lines are cold and the loads depend on each other (box -> port ->
group counts). Asking for the lines of boxes a few positions ahead overlaps those misses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _emit(builder: Any, ptr: Any) -> None:
    """``llvm.prefetch(ptr, read, high locality, data cache)``."""
    i32 = ir.IntType(32)
    i8p = ir.IntType(8).as_pointer()
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                      ir.Constant(i32, 1)])


def _codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    ix = [context.cast(builder, a, t, types.intp)
          for a, t in zip(args[1:], signature.args[1:], strict=True)]
    ptr = cgutils.get_item_pointer(context, builder, aryty, ary, ix, wraparound=False)
    _emit(builder, ptr)
    return context.get_dummy_value()


def _typed(arr: Any, *idx: Any) -> Any:
    """The signature when ``arr`` is an array of ``len(idx)`` dimensions and the indices are
    integers (else None: no match)."""
    if (not isinstance(arr, types.Array) or arr.ndim != len(idx)
            or not all(isinstance(i, types.Integer) for i in idx)):
        return None
    return types.void(arr, *idx)


@intrinsic
def _prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Prefetch the cache line of ``arr[idx]`` (1-D array, integer index) for reading."""
    sig = _typed(arr, idx)
    return None if sig is None else (sig, _codegen)


@intrinsic
def _prefetch2(typingctx: Any, arr: Any, i: Any, j: Any) -> Any:
    """Prefetch the cache line of ``arr[i, j]`` (2-D array) for reading."""
    sig = _typed(arr, i, j)
    return None if sig is None else (sig, _codegen)


@intrinsic
def _prefetch3(typingctx: Any, arr: Any, i: Any, j: Any, k: Any) -> Any:
    """Prefetch the cache line of ``arr[i, j, k]`` (3-D array) for reading."""
    sig = _typed(arr, i, j, k)
    return None if sig is None else (sig, _codegen)


if TYPE_CHECKING:  # what the kernels call, as seen by a type checker

    def prefetch(arr: Any, idx: int) -> None:
        """Prefetch the cache line of ``arr[idx]``."""

    def prefetch2(arr: Any, i: int, j: int) -> None:
        """Prefetch the cache line of ``arr[i, j]``."""

    def prefetch3(arr: Any, i: int, j: int, k: int) -> None:
        """Prefetch the cache line of ``arr[i, j, k]``."""

else:
    prefetch = _prefetch
    prefetch2 = _prefetch2
    prefetch3 = _prefetch3
