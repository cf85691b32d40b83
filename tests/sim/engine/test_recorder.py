import pytest

from sim.engine.recorder import ColumnBuffer


def test_extend_appends_rows_given_column_by_column():
    buf = ColumnBuffer(["t_s", "name", "n"])
    buf.append(0.0, "a", 1)
    buf.extend([1.0, 1.0], ["b", "c"], [2, 3])
    table = buf.to_arrow()
    assert len(buf) == 3
    assert table.column("name").to_pylist() == ["a", "b", "c"]
    assert table.column("n").to_pylist() == [1, 2, 3]


def test_extend_rejects_ragged_or_missing_columns():
    buf = ColumnBuffer(["t_s", "n"])
    with pytest.raises(ValueError, match="2 columns of one length"):
        buf.extend([1.0, 2.0], [1])
    with pytest.raises(ValueError, match="2 columns of one length"):
        buf.extend([1.0])
    assert len(buf) == 0
