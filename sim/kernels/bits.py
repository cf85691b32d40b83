"""Bit counting for compiled kernels (the CPU's population-count instruction via LLVM)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from numba import types
from numba.extending import intrinsic


@intrinsic
def _popcount(typingctx: Any, x: Any) -> Any:
    """Number of set bits of an unsigned 64-bit integer (``llvm.ctpop.i64``)."""
    if not isinstance(x, types.Integer):
        return None
    sig = types.int64(x)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        val = context.cast(builder, args[0], signature.args[0], types.uint64)
        return builder.ctpop(val)

    return sig, codegen


if TYPE_CHECKING:

    def popcount(x: Any) -> int:
        """Number of set bits of ``x``."""

else:
    popcount = _popcount
