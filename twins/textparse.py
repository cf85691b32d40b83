"""Text telemetry (JSON lines, CSV) to canonical Arrow tables, fast, with bad lines isolated.

A buffer of whole lines is parsed by Arrow's C++ readers in one call. When that fails (a
malformed line, a wrong type, two values on one line), the range is split, at the row Arrow
names when it names one, else in half, until each bad line stands alone; good lines are still
parsed in bulk. A lone bad line gets its reason from the pydantic schema of the record
(:func:`line_reason`), which says which field is wrong and what it holds.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
from pydantic import ValidationError, create_model

from sim.schema.base import StrictModel
from sim.schema.loader import problems_from_validation
from twins.batch import ParsedBatch, Reject
from twins.records import COLUMNS, REPORT_MODELS, SCHEMA, conform

_ROW_HINT = re.compile(r"[Rr]ow #?(\d+)")
_WS = np.zeros(256, bool)
_WS[[9, 10, 13, 32]] = True


def _any_report_model() -> type[StrictModel]:
    fields: dict[str, Any] = {}
    for model in REPORT_MODELS.values():
        for name, info in model.model_fields.items():
            fields.setdefault(name, (info.annotation, info))
    return create_model("AnyReport", __base__=StrictModel, **fields)  # type: ignore[call-overload,no-any-return]


AnyReport = _any_report_model()


def describe_problems(obj: Any) -> str | None:
    """Why a decoded record does not fit the schema, or None if it does."""
    if not isinstance(obj, dict):
        return f"not a JSON object (got {type(obj).__name__})"
    model: type[StrictModel] = AnyReport
    kind = obj.get("kind")
    if isinstance(kind, str) and kind in REPORT_MODELS:
        model = REPORT_MODELS[kind]
    try:
        model.model_validate(obj)
    except ValidationError as exc:
        return "; ".join(p.render() for p in problems_from_validation(exc, obj)[:3])
    return None


def line_reason(line: bytes, arrow_message: str = "") -> str:
    """The quarantine reason of one JSON line that Arrow refused."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 at byte {exc.start}"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"malformed JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return "malformed JSON: nested too deeply"
    reason = describe_problems(obj)
    if reason:
        return reason
    msg = arrow_message.removeprefix("JSON parse error: ")
    return f"unreadable record: {msg}" if msg else "unreadable record"


def line_spans(buf: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (without the newline) and 0-based line index of every non-blank line."""
    u = np.frombuffer(buf, np.uint8)
    nl = np.flatnonzero(u == 10)
    starts = np.r_[0, nl + 1]
    ends = np.r_[nl, len(u)]
    if starts.size and starts[-1] >= len(u):
        starts, ends = starts[:-1], ends[:-1]
    index = np.arange(len(starts))
    nonblank = ends > starts
    # Lines starting with whitespace are rare: look at those one by one.
    lead_ws = nonblank.copy()
    lead_ws[nonblank] = _WS[u[starts[nonblank]]]
    for i in np.flatnonzero(lead_ws):
        nonblank[i] = bool(buf[starts[i]:ends[i]].strip())
    return starts[nonblank], ends[nonblank], index[nonblank]


ParseFn = Callable[[bytes], pa.Table]


def _isolate(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, parse: ParseFn, prefix: bytes,
    reason: Callable[[bytes, str], str], hint_offset: int = 0,
) -> tuple[list[tuple[int, pa.Table]], list[tuple[int, str]]]:
    """Parse rows ``[0, n)``; return (first_row, table) pieces and (row, reason) rejects."""
    pieces: list[tuple[int, pa.Table]] = []
    bad: list[tuple[int, str]] = []
    stack = [(0, len(starts))]
    while stack:
        a, b = stack.pop()
        if a >= b:
            continue
        chunk = prefix + buf[starts[a]:ends[b - 1]] + b"\n"
        hint = None
        try:
            table = parse(chunk)
            if table.num_rows == b - a:
                pieces.append((a, table))
                continue
            message = "more than one record on the line"
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            message = str(exc)
            m = _ROW_HINT.search(message)
            if m:
                hint = int(m.group(1)) + hint_offset
        if b - a == 1:
            line = buf[starts[a]:ends[a]]
            bad.append((a, reason(line, message)))
            continue
        if hint is not None and 0 < hint < b - a:
            split = hint
        elif hint == 0:
            split = 1
        else:
            split = (b - a) // 2
        stack.append((a + split, b))
        stack.append((a, a + split))
    pieces.sort(key=lambda p: p[0])
    return pieces, bad


def _json_parse(chunk: bytes) -> pa.Table:
    return pjson.read_json(
        io.BytesIO(chunk),
        read_options=pjson.ReadOptions(use_threads=False, block_size=max(len(chunk), 1 << 16)),
        parse_options=pjson.ParseOptions(explicit_schema=SCHEMA,
                                         unexpected_field_behavior="infer"),
    )


def parse_jsonl(buf: bytes, first_line: int, base_offset: int = 0) -> ParsedBatch:
    """Parse a buffer of whole JSON lines; ``first_line`` is the 1-based number of its first."""
    starts, ends, index = line_spans(buf)
    pieces, bad = _isolate(buf, starts, ends, _json_parse, b"", line_reason)
    return _finish(buf, starts, ends, index, pieces, bad, first_line, base_offset)


def _finish(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, index: np.ndarray,
    pieces: list[tuple[int, pa.Table]], bad: list[tuple[int, str]], first_line: int,
    base_offset: int,
) -> ParsedBatch:
    lines = first_line + index
    rows: list[np.ndarray] = []
    tables: list[pa.Table] = []
    rejects = [Reject(int(lines[r]), buf[starts[r]:ends[r]], why) for r, why in bad]
    for first, table in pieces:
        idx = np.arange(first, first + table.num_rows)
        try:
            conf, unknown = conform(table)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            rejects += [Reject(int(lines[r]), buf[starts[r]:ends[r]], f"wrong type: {exc}")
                        for r in idx]
            continue
        if unknown:
            extra = np.zeros(table.num_rows, bool)
            which = np.full(table.num_rows, "", object)
            for name in unknown:
                col = table.column(name)
                has = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))
                if pa.types.is_string(col.type):
                    has &= np.asarray(col.to_numpy(zero_copy_only=False) != "")
                which[has & ~extra] = name
                extra |= has
            if extra.any():
                for r in np.flatnonzero(extra):
                    g = idx[r]
                    rejects.append(Reject(int(lines[g]), buf[starts[g]:ends[g]],
                                          f"unknown field {which[r]!r}"))
                keep = np.flatnonzero(~extra)
                conf = conf.take(pa.array(keep))
                idx = idx[keep]
        tables.append(conf)
        rows.append(idx)
    table = pa.concat_tables(tables) if tables else pa.table(
        {c: pa.array([], t) for c, t in COLUMNS.items()}, schema=SCHEMA)
    ridx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    span = np.stack([starts[ridx], ends[ridx]], axis=1) if len(ridx) else np.zeros((0, 2),
                                                                                  np.int64)
    rejects.sort(key=lambda r: r.position)
    return ParsedBatch(table, lines[ridx].astype(np.int64), span.astype(np.int64), buf, rejects,
                       end_offset=base_offset + len(buf),
                       end_line=first_line + buf.count(b"\n"))


def csv_header_columns(header: bytes) -> list[str]:
    return [c.strip().strip('"') for c in header.decode("utf-8", "replace").strip().split(",")]


def parse_csv(buf: bytes, header: bytes, first_line: int, base_offset: int = 0) -> ParsedBatch:
    """Parse a buffer of whole CSV lines (without the header); ``header`` is the first line."""
    names = csv_header_columns(header)
    types = {n: COLUMNS[n] for n in names if n in COLUMNS}
    starts, ends, index = line_spans(buf)
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
                    f"(got {m.group(2)!r})")
        return f"malformed CSV row: {message}"

    # Arrow numbers CSV rows from 1, header included.
    pieces, bad = _isolate(buf, starts, ends, parse, header.rstrip(b"\r\n") + b"\n", reason,
                           hint_offset=-2)
    return _finish(buf, starts, ends, index, pieces, bad, first_line, base_offset)
