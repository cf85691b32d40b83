"""Arrow arrays built from buffers equal ``pyarrow.array``'s (that they import no pandas:
tests/sim/test_startup.py)."""


import numpy as np
import pyarrow as pa
import pytest

from sim.engine.arrow import to_arrow

CASES = [
    [1, 2, 3],
    [1.5, float("nan"), -2.0],
    [1, 2.5],
    [True, False, True, True, False, False, True, False, True],
    ["a", "", "ümlaut", "long text " * 20],
    [None, "a", None],
    [1, None, float("nan")],
    [np.int64(3), None],
    [np.float32(1.5), np.float32(2.0)],
    [np.int32(7)],
    [None, None],
    [],
    [True, None, False],
    np.arange(10, dtype=np.int64),
    np.arange(10, dtype=np.uint16),
    np.linspace(0, 1, 7, dtype=np.float32),
    np.array([1.0, np.nan]),
    np.arange(20)[::3],  # not contiguous
    np.array([True, False] * 9),
    np.array(["x", "yz", ""]),
    np.array(["x", None, "z"], dtype=object),
    np.array([1.0, None], dtype=object),
    np.array([], dtype=np.float64),
    np.array(["2024-01-01"], dtype="datetime64[s]"),  # handed to pyarrow
]


@pytest.mark.parametrize("values", CASES, ids=range(len(CASES)))
def test_same_array_as_pyarrow(values):
    got, want = to_arrow(values), pa.array(values)
    assert got.type == want.type
    assert got.null_count == want.null_count
    assert repr(got.to_pylist()) == repr(want.to_pylist())  # repr: NaN equals NaN
    got.validate(full=True)


@pytest.mark.parametrize("values", [[True, 1], ["a", 1], [1, "a"]])
def test_mixed_types_raise_as_pyarrow_does(values):
    with pytest.raises(pa.ArrowException):
        pa.array(values)
    with pytest.raises(pa.ArrowException):
        to_arrow(values)

