"""JSON-lines telemetry to canonical Arrow tables, fast, with bad lines isolated.

Every line is screened first by a compiled scanner (:mod:`twins.screen`); the lines that pass
are parsed by Arrow's C++ reader in one call, so no input that could crash that reader ever
reaches it. Lines the screen refuses are quarantined with a reason naming the field and the
value (:func:`screen_reason`, worded by the pydantic schema of the record where it can); the
few legal but unusual spellings are decoded in Python. Should Arrow still refuse a range, it
is split, at the row Arrow names when it names one, else in half, until each bad line stands
alone. The helpers that build a batch from parsed pieces are shared with
:mod:`twins.csvparse`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pjson
from pydantic import ValidationError, create_model

from sim.schema.base import StrictModel
from sim.schema.loader import problems_from_validation
from twins import screen
from twins.batch import ParsedBatch, Reject
from twins.records import COLUMNS, REPORT_MODELS, SCHEMA, conform
from twins.screen import column_name, screen_json

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
    """The quarantine reason of one JSON line that the screen or Arrow refused."""
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
    except ValueError as exc:  # e.g. an integer of thousands of digits
        return f"malformed JSON: {str(exc)[:120]}"
    try:
        reason = describe_problems(obj)
    except RecursionError:
        return "malformed JSON: nested too deeply"
    if reason:
        return reason
    msg = arrow_message.removeprefix("JSON parse error: ")
    return f"unreadable record: {msg}" if msg else "unreadable record"


_TYPE_WORDS = {screen.T_STRING: "a string", screen.T_FLOAT: "a number",
               screen.T_INT: "an integer", screen.T_BOOL: "true or false"}


def _field(col: int) -> str:
    return column_name(col) or "a field"


def screen_reason(line: bytes, code: int, col: int) -> str:
    """The quarantine reason of a line the screen refused (see :mod:`twins.screen`)."""
    if code == screen.DUPLICATE:
        return f"field {_field(col)!r} given twice"
    if code == screen.BAD_UTF8:
        reason = line_reason(line)
        if reason.startswith("not valid UTF-8"):
            return reason
        return f"not valid UTF-8: a lone surrogate escape (\\uD800-\\uDFFF) in {_field(col)}"
    if code == screen.UNKNOWN:
        try:
            obj = json.loads(line)
            for k, v in obj.items():
                if k not in COLUMNS and v is not None and v != "":
                    return f"unknown field {bounded_repr(k)}"
        except (ValueError, RecursionError, AttributeError):
            pass
        return line_reason(line)
    if code == screen.WRONG_TYPE and column_name(col):
        name = column_name(col)
        try:
            value: Any = json.loads(line)[name]
        except (ValueError, RecursionError, KeyError, TypeError):
            return line_reason(line)
        return f"{name}: must be {_TYPE_WORDS[screen.type_code(str(name))]} " \
               f"(got {bounded_repr(value)})"
    reason = line_reason(line)
    if not reason.startswith("unreadable record"):
        return reason
    if code == screen.BIG_INT:
        return f"{_field(col)}: an integer beyond 2^53 cannot be held exactly"
    if code == screen.NESTED:
        return f"{_field(col)}: a nested value where a scalar is expected"
    if code == screen.OVERFLOW:
        return f"{_field(col)}: number too large (must be finite)"
    if code == screen.WRONG_TYPE:
        return f"{_field(col)}: wrong type"
    return "malformed JSON"


def bounded_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _slow_record(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """Decode a screened line with an unusual spelling; (record, "") or (None, reason)."""
    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                twice.append(k)
            out[k] = v
        return out

    try:
        obj = json.loads(line.decode("utf-8"), object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None, line_reason(line)
    if twice:
        return None, f"field {bounded_repr(twice[0])} given twice"
    rec: dict[str, Any] = {}
    for k, v in obj.items():
        if k in COLUMNS:
            rec[k] = v
        elif v is not None and v != "":
            return None, f"unknown field {bounded_repr(k)}"
    reason = describe_problems(rec)
    if reason:
        return None, reason
    return rec, ""


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


def subset_lines(buf: bytes, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
            ) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The lines ``rows`` of ``buf`` joined into a buffer of their own, with their spans."""
    if len(rows) == len(starts):
        return buf, starts, ends
    lines = [buf[a:b] for a, b in zip(starts[rows].tolist(), ends[rows].tolist(), strict=True)]
    size = np.array([len(x) for x in lines], np.int64)
    new_ends = np.cumsum(size + 1) - 1
    return b"\n".join(lines) + b"\n", new_ends - size, new_ends


Pieces = list[tuple[np.ndarray, pa.Table]]


def bulk_parse(buf: bytes, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, parse: ParseFn,
          prefix: bytes, reason: Callable[[bytes, str], str], hint_offset: int = 0,
          ) -> tuple[Pieces, list[tuple[int, str]]]:
    """Parse the screened lines ``rows`` in one call; isolate failures if it fails anyway."""
    if len(rows) == 0:
        return [], []
    sub, s2, e2 = subset_lines(buf, starts, ends, rows)
    pieces, bad = _isolate(sub, s2, e2, parse, prefix, reason, hint_offset)
    return ([(rows[a:a + t.num_rows], t) for a, t in pieces],
            [(int(rows[r]), why) for r, why in bad])


def parse_jsonl(buf: bytes, first_line: int, base_offset: int = 0) -> ParsedBatch:
    """Parse a buffer of whole JSON lines; ``first_line`` is the 1-based number of its first.

    Every line is screened first (:mod:`twins.screen`); only lines that pass reach Arrow.
    """
    starts, ends, index = line_spans(buf)
    code, col = screen_json(buf, starts, ends)
    pieces, bad = bulk_parse(buf, starts, ends, np.flatnonzero(code == screen.OK), _json_parse, b"",
                        line_reason)
    slow_rows: list[int] = []
    slow_recs: list[dict[str, Any]] = []
    for r in np.flatnonzero(code != screen.OK).tolist():
        line = buf[starts[r]:ends[r]]
        if code[r] == screen.SLOW:
            rec, why = _slow_record(line)
            if rec is not None:
                slow_rows.append(r)
                slow_recs.append(rec)
                continue
        else:
            why = screen_reason(line, int(code[r]), int(col[r]))
        bad.append((r, why))
    if slow_rows:
        try:
            pieces.append((np.array(slow_rows, np.int64),
                           pa.Table.from_pylist(slow_recs, schema=SCHEMA)))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                OverflowError, TypeError) as exc:
            bad += [(r, f"wrong type: {str(exc)[:200]}") for r in slow_rows]
    return finish_batch(buf, starts, ends, index, pieces, bad, first_line, base_offset)


def finish_batch(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, index: np.ndarray,
    pieces: Pieces, bad: list[tuple[int, str]], first_line: int, base_offset: int,
) -> ParsedBatch:
    lines = first_line + index
    rows: list[np.ndarray] = []
    tables: list[pa.Table] = []
    rejects = [Reject(int(lines[r]), buf[starts[r]:ends[r]], why) for r, why in bad]
    for idx, table in pieces:
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
                                          f"unknown field {bounded_repr(which[r])}"))
                keep = np.flatnonzero(~extra)
                conf = conf.take(pa.array(keep))
                idx = idx[keep]
        tables.append(conf)
        rows.append(idx)
    table = pa.concat_tables(tables) if tables else pa.table(
        {c: pa.array([], t) for c, t in COLUMNS.items()}, schema=SCHEMA)
    ridx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    if len(tables) > 1:
        order = np.argsort(ridx, kind="stable")
        if (np.diff(order) != 1).any():
            table = table.take(pa.array(order))
        ridx = ridx[order]
    span = np.stack([starts[ridx], ends[ridx]], axis=1) if len(ridx) else np.zeros((0, 2),
                                                                                  np.int64)
    rejects.sort(key=lambda r: r.position)
    return ParsedBatch(table, lines[ridx].astype(np.int64), span.astype(np.int64), buf, rejects,
                       end_offset=base_offset + len(buf),
                       end_line=first_line + buf.count(b"\n"))
