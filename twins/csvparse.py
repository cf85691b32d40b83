"""CSV telemetry to canonical Arrow tables, fast, with bad rows isolated.

The header is checked once (a header that cannot be used quarantines every row under it with
its reason). Lines with invalid UTF-8 or unbalanced quotes are set aside before Arrow sees
them. Arrow then reads every column as text in one call, setting aside rows with the wrong
number of columns by row number, and each typed column is converted as a whole: a value that
is not of its column's type quarantines its row, so a bad row costs no extra parse. Whatever
that one call still refuses is parsed the slow way (split where it fails).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from twins.batch import ParsedBatch
from twins.records import COLUMNS
from twins.screen import utf8_errors
from twins.textparse import bounded_repr, bulk_parse, finish_batch, line_spans, subset_lines


def csv_header_columns(header: bytes) -> list[str]:
    text = header.decode("utf-8", "replace").strip("\r\n").removeprefix("\ufeff")
    try:
        return [c.strip() for c in next(csv.reader([text]))] if text.strip() else []
    except (csv.Error, StopIteration):
        return [c.strip().strip('"') for c in text.split(",")]


def csv_header_problem(header: bytes) -> str | None:
    """Why a CSV header line cannot be used (every row under it is quarantined), or None."""
    bad = utf8_errors(header, np.array([0]), np.array([len(header)]))[0]
    if bad >= 0:
        return f"bad CSV header: not valid UTF-8 at byte {bad}"
    names = csv_header_columns(header)
    if not names:
        return "bad CSV header: the first line is empty"
    seen: set[str] = set()
    for k, name in enumerate(names):
        if not name:
            return f"bad CSV header: column {k + 1} has no name"
        if name in seen:
            return f"bad CSV header: column {bounded_repr(name)} appears twice"
        seen.add(name)
    for need in ("device", "ts_s"):
        if need not in seen:
            return (f"bad CSV header: no {need!r} column (header "
                    f"{bounded_repr(header.decode('utf-8', 'replace').strip())})")
    return None


_FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
_INT_RE = r"^-?\d{1,18}$"
_TRUE = ("1", "True", "TRUE", "true")
_FALSE = ("0", "False", "FALSE", "false")


def _csv_convert(table: pa.Table, names: list[str]) -> tuple[pa.Table, dict[int, str]]:
    """Columns read as text converted to their types, column by column; (table, bad rows)."""
    bad: dict[int, str] = {}
    for name in names:
        typ = COLUMNS.get(name)
        if typ is None or pa.types.is_string(typ):
            continue
        col = table.column(name).combine_chunks()
        if pa.types.is_boolean(typ):
            ok = pc.is_in(col, value_set=pa.array(_TRUE + _FALSE))
            value = pc.is_in(col, value_set=pa.array(_TRUE))
            label = "bool"
        else:
            ok = pc.match_substring_regex(col, _FLOAT_RE if pa.types.is_floating(typ)
                                          else _INT_RE)
            value = None
            label = "double" if pa.types.is_floating(typ) else "int64"
        present = pc.is_valid(col)
        if pa.types.is_floating(typ):
            # an integer a double cannot hold exactly (beyond 2^53) is refused, not rounded
            long_int = pc.fill_null(pc.match_substring_regex(col, r"^[+-]?0*\d{16,}$"), False)
            if pc.any(long_int).as_py():
                digits = pc.utf8_ltrim(pc.utf8_ltrim(col, "+-"), "0")
                huge = pc.or_(pc.greater(pc.utf8_length(digits), 16), pc.and_(
                    pc.equal(pc.utf8_length(digits), 16), pc.greater(digits, "9007199254740992")))
                big = np.asarray(pc.fill_null(pc.and_(long_int, huge), False)
                                 .to_numpy(zero_copy_only=False))
                for r in np.flatnonzero(big).tolist():
                    bad.setdefault(r, f"{name}: an integer beyond 2^53 cannot be held exactly "
                                      f"(got {bounded_repr(col[r].as_py())})")
                ok = pc.and_(pc.fill_null(ok, False), pc.invert(pa.array(big)))
        wrong = np.asarray(pc.and_(present, pc.invert(pc.fill_null(ok, False)))
                           .to_numpy(zero_copy_only=False))
        if wrong.any():
            for r in np.flatnonzero(wrong).tolist():
                bad.setdefault(r, f"wrong type: {name} must be {label} "
                                  f"(got {bounded_repr(col[r].as_py())})")
        keep = pc.and_(present, pc.fill_null(ok, False))
        if value is None:
            value = pc.cast(pc.if_else(keep, col, pa.scalar(None, pa.string())), typ)
        else:
            value = pc.if_else(keep, value, pa.scalar(None, pa.bool_()))
        table = table.set_column(table.schema.get_field_index(name), name, value)
    return table, bad


def parse_csv(buf: bytes, header: bytes, first_line: int, base_offset: int = 0) -> ParsedBatch:
    """Parse a buffer of whole CSV lines (without the header); ``header`` is the first line.

    Lines are screened first: invalid UTF-8 and unbalanced quotes never reach Arrow, and a
    header that cannot be used quarantines every row with its reason. Arrow reads every
    column as text in one call (rows with the wrong number of columns are set aside by row
    number); each typed column is then converted as a whole, a value that is not of its
    column's type quarantining its row. A bad line therefore costs no extra parse.
    """
    starts, ends, index = line_spans(buf)
    head_problem = csv_header_problem(header)
    if head_problem:
        return finish_batch(buf, starts, ends, index, [], [(r, head_problem)
                                                      for r in range(len(starts))],
                       first_line, base_offset)
    names = csv_header_columns(header)
    bad_utf8 = utf8_errors(buf, starts, ends)
    u = np.frombuffer(buf, np.uint8)
    quotes = np.cumsum(np.r_[0, (u == 34).astype(np.int64)])
    odd = (quotes[ends] - quotes[starts]) % 2 == 1
    bad: list[tuple[int, str]] = []
    for r in np.flatnonzero((bad_utf8 >= 0) | odd).tolist():
        bad.append((r, f"not valid UTF-8 at byte {bad_utf8[r]}" if bad_utf8[r] >= 0
                    else "malformed CSV row: unbalanced quotes"))
    good = np.flatnonzero((bad_utf8 < 0) & ~odd)
    if len(good) == 0:
        return finish_batch(buf, starts, ends, index, [], bad, first_line, base_offset)
    sub, _, _ = subset_lines(buf, starts, ends, good)
    skipped: list[tuple[int, str]] = []

    def handler(row: Any) -> str:
        skipped.append((row.number, f"malformed CSV row: expected {row.expected_columns} "
                        f"columns, got {row.actual_columns}"))
        return "skip"

    try:
        table = pcsv.read_csv(
            io.BytesIO(sub),
            read_options=pcsv.ReadOptions(use_threads=False, column_names=names,
                                          block_size=max(len(sub), 1 << 16)),
            parse_options=pcsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                strings_can_be_null=True,
                                                quoted_strings_can_be_null=False),
        )
        if any(n < 1 for n, _ in skipped):
            raise pa.ArrowInvalid("rows set aside without their row number")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return _parse_csv_isolated(buf, starts, ends, index, good, bad, header, names,
                                   first_line, base_offset)
    gone = np.zeros(len(good), bool)
    for n, why in skipped:
        gone[n - 1] = True
        bad.append((int(good[n - 1]), why))
    rows = good[~gone]
    table, wrong = _csv_convert(table, names)
    if wrong:
        for r, why in wrong.items():
            bad.append((int(rows[r]), why))
        keep = np.setdiff1d(np.arange(len(rows)), np.fromiter(wrong, np.int64))
        table, rows = table.take(pa.array(keep)), rows[keep]
    return finish_batch(buf, starts, ends, index, [(rows, table)], bad, first_line, base_offset)


def _parse_csv_isolated(buf: bytes, starts: np.ndarray, ends: np.ndarray, index: np.ndarray,
                        good: np.ndarray, bad: list[tuple[int, str]], header: bytes,
                        names: list[str], first_line: int, base_offset: int) -> ParsedBatch:
    """The slow way, for whatever the one-call read refuses: parse, split where it fails."""
    types = {n: COLUMNS[n] for n in names if n in COLUMNS}
    invalid: list[tuple[int, str]] = []

    def parse(chunk: bytes) -> pa.Table:
        def handler(row: Any) -> str:
            invalid.append((row.number, f"expected {row.expected_columns} columns, got "
                            f"{row.actual_columns}"))
            return "skip"

        invalid.clear()
        table = pcsv.read_csv(
            io.BytesIO(chunk),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=max(len(chunk), 1 << 16)),
            parse_options=pcsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                quoted_strings_can_be_null=False),
        )
        if invalid:
            raise pa.ArrowInvalid(f"Row #{invalid[0][0]}: {invalid[0][1]}")
        return table

    def reason(line: bytes, message: str) -> str:
        m = re.search(r"(expected \d+ columns, got \d+)", message)
        if m:
            return f"malformed CSV row: {m.group(1)}"
        m = re.search(r"conversion error to (\w+): invalid value '(.*)'", message)
        col = re.search(r"CSV column #(\d+)", message)
        if m and col and int(col.group(1)) < len(names):
            return (f"wrong type: {names[int(col.group(1))]} must be {m.group(1)} "
                    f"(got {bounded_repr(m.group(2))})")
        return f"malformed CSV row: {message[:200]}"

    # Arrow numbers CSV rows from 1, header included.
    pieces, more = bulk_parse(buf, starts, ends, good, parse, header.rstrip(b"\r\n") + b"\n",
                         reason, hint_offset=-2)
    return finish_batch(buf, starts, ends, index, pieces, bad + more, first_line, base_offset)
