"""The IPTV kernels' shape (issue 20): small modules and functions, and the loops over boxes
free of reference counting (:mod:`sim.kernels.jit`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import numba
import pytest

from sim.iptv.synthetic import make_boxes, uniform_population
from sim.kernels import admission, boot, boxes, epoch
from sim.kernels.bundles import make_span
from sim.kernels.jit import BORROWED

KERNELS = Path(__file__).resolve().parents[3] / "sim" / "kernels"
#: The vehicle terminals' kernels are another population's, with their own owners.
IPTV_MODULES = sorted(p for p in KERNELS.glob("*.py") if not p.name.startswith("terminals"))


@pytest.mark.parametrize("path", IPTV_MODULES, ids=lambda p: p.name)
def test_kernel_modules_and_functions_are_small(path: Path) -> None:
    src = path.read_text()
    assert len(src.splitlines()) < 500, f"{path.name}: {len(src.splitlines())} lines"
    long = [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(src))
            if isinstance(node, ast.FunctionDef) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > 100]
    assert not long, f"{path.name}: functions over 100 lines: {long}"


#: The kernels that loop over boxes (and their events) without reference counting.
LOOPS = [epoch._advance_olt, boxes.advance_listed, admission._admit, boot._storm]


@pytest.mark.parametrize("kernel", LOOPS, ids=lambda k: k.py_func.__name__)
def test_box_loops_are_compiled_without_reference_counting(kernel: Any) -> None:
    assert kernel.targetoptions["_nrt"] is False
    assert kernel.targetoptions["error_model"] == BORROWED["error_model"]


def _refcount_calls(ir: str, name: str) -> int:
    """Reference count updates in the body of the compiled function called ``name``."""
    # the compiled function itself (its mangled name), not its Python or C wrappers
    mine = [b for b in ir.split("\ndefine ")[1:]
            if re.search(rf" @_ZN3sim7kernels\d+\w+?{len(name)}{name}B", b.split("\n")[0])]
    assert mine, f"no function {name} in the IR"
    return mine[0].count("@NRT_incref(") + mine[0].count("@NRT_decref(")


@pytest.mark.slow
def test_the_box_loop_code_has_no_reference_count_update() -> None:
    """The machine code of the loop over boxes, with the box state machine inlined into it,
    updates no reference count (compiled here: cached code cannot be inspected). With
    numba's reference counting it had two dozen atomic updates per box visit."""
    bp = make_boxes(uniform_population(8, 16), 3, {}, max_windows=3)
    fresh = numba.jit(**boxes.advance_listed.targetoptions | {"cache": False})(
        boxes.advance_listed.py_func)
    sp = make_span(0.0, 300.0, 3, 0)
    fresh(0, 0, bp.topology.port_olt, sp, bp.boxes, bp.behaviour, bp.scratch, bp.requests, 0.5,
          0)
    assert _refcount_calls(fresh.inspect_llvm(fresh.signatures[0]), "advance_listed") == 0
