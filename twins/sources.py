"""Telemetry sources: JSON lines, CSV, JT/T 808 binary streams, Parquet; files or stdin.

Text and binary sources are read in large chunks cut at a record boundary and parsed in bulk;
standard input is read as data arrives (a batch is whatever is available, so a live stream is
ingested line by line without waiting for its end). Each batch carries the offset where a
restarted ingest resumes: a byte offset for files, a row number for Parquet.
"""

from __future__ import annotations

import hashlib
import os
import queue
import select
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.errors import DataError, Problem
from twins.batch import ParsedBatch
from twins.csvparse import parse_csv
from twins.jt808.fastdecode import decode_frames
from twins.jt808.reassembly import Reassembler
from twins.textparse import parse_jsonl

FORMATS = ("jsonl", "csv", "parquet", "jt808")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
             ".parquet": "parquet", ".pq": "parquet", ".808": "jt808", ".jt808": "jt808",
             ".bin": "jt808"}
CHUNK_BYTES = 8 << 20


@dataclass
class Source:
    key: str
    """Absolute path, or ``-`` for standard input."""
    fmt: str
    path: Path | None

    @property
    def is_stdin(self) -> bool:
        return self.path is None


def resolve(spec: str, fmt: str | None = None) -> Source:
    """A source from a command-line argument (a path or ``-``) and an optional format."""
    if spec == "-":
        if fmt == "parquet":
            raise DataError("-", [Problem("format", "standard input can carry jsonl, csv or "
                                          "jt808, not parquet (pass the file)", fmt)])
        return Source("-", fmt or "jsonl", None)
    path = Path(spec)
    if not path.is_file():
        raise DataError(spec, [Problem("", "telemetry file not found", has_value=False)])
    guessed = _SUFFIXES.get(path.suffix.lower())
    chosen = fmt or guessed
    if chosen is None:
        raise DataError(spec, [Problem("", f"cannot tell the format from the suffix; pass "
                                       f"--format ({', '.join(FORMATS)})", path.suffix)])
    return Source(str(path.resolve()), chosen, path)


def fingerprint(source: Source) -> str:
    """Hash of a file's first 4 KiB: a replaced file starts over, an appended one resumes."""
    if source.path is None:
        return ""
    with source.path.open("rb") as fh:
        return hashlib.sha1(fh.read(4096)).hexdigest()


def _chunks(fh: object, offset: int, size: int) -> Iterator[tuple[bytes, int, bool]]:
    """(data, offset of data, final) pieces from a file object positioned at ``offset``."""
    read = fh.read  # type: ignore[attr-defined]
    while True:
        data = read(size)
        if not data:
            yield b"", offset, True
            return
        yield data, offset, False
        offset += len(data)


def _stdin_chunks(min_bytes: int = 1 << 20) -> Iterator[tuple[bytes, int, bool]]:
    """Whatever standard input has available, without waiting for more than it has."""
    fd = sys.stdin.buffer.fileno()
    offset = 0
    while True:
        data = os.read(fd, 1 << 20)
        if not data:
            yield b"", offset, True
            return
        parts = [data]
        size = len(data)
        while size < min_bytes and select.select([fd], [], [], 0.05)[0]:
            more = os.read(fd, 1 << 20)
            if not more:
                break
            parts.append(more)
            size += len(more)
        blob = b"".join(parts)
        yield blob, offset, False
        offset += len(blob)


def text_batches(source: Source, offset: int, line: int, chunk: int = CHUNK_BYTES
                 ) -> Iterator[ParsedBatch]:
    """Batches of a JSON-lines or CSV source, from byte ``offset`` (line number ``line``)."""
    header = b""
    fh = None
    if source.path is not None:
        fh = source.path.open("rb")
        if source.fmt == "csv":
            header = fh.readline()
            if offset < len(header):
                offset, line = len(header), 2
        fh.seek(offset)
        pieces = _chunks(fh, offset, chunk)
    else:
        pieces = _stdin_chunks()
    carry = b""
    try:
        for data, _, final in pieces:
            buf = carry + data
            if source.fmt == "csv" and not header:
                cut = buf.find(b"\n")
                if cut < 0 and not final:
                    carry = buf
                    continue
                header, buf = buf[:cut + 1] if cut >= 0 else buf, buf[cut + 1:] if cut >= 0 else b""
                offset, line = len(header), 2
            cut = len(buf) if final else buf.rfind(b"\n") + 1
            carry = buf[cut:]
            body = buf[:cut]
            if body:
                if source.fmt == "csv":
                    batch = parse_csv(body, header, line, offset)
                else:
                    batch = parse_jsonl(body, line, offset)
                offset, line = batch.end_offset, batch.end_line
                yield batch
            if final:
                return
    finally:
        if fh is not None:
            fh.close()


def frame_batches(source: Source, offset: int, reassembler: Reassembler,
                  clocks: dict[str, float], chunk: int = CHUNK_BYTES,
                  max_clock_s: float = float("inf")) -> Iterator[ParsedBatch]:
    """Batches of a JT/T 808 byte stream from byte ``offset``.

    ``clocks`` (each device's latest location time, see
    :func:`twins.jt808.fastdecode.decode_frames`) is updated as batches are decoded.
    """
    fh = None
    if source.path is not None:
        fh = source.path.open("rb")
        fh.seek(offset)
        pieces = _chunks(fh, offset, chunk)
    else:
        pieces = _stdin_chunks()
    carry = b""
    start = offset
    try:
        for data, _, final in pieces:
            buf = carry + data
            batch, carry = decode_frames(buf, start, reassembler, clocks, final=final,
                                         max_clock_s=max_clock_s)
            batch.pending = reassembler.rows()
            clocks.update(batch.clocks)
            if final:
                batch.end_offset = start + len(buf)
            start = batch.end_offset
            if batch.read or final:
                yield batch
            if final:
                return
    finally:
        if fh is not None:
            fh.close()


def prefetch(batches: Iterator[ParsedBatch], depth: int = 2) -> Iterator[ParsedBatch]:
    """Parse ahead in a thread (Arrow's readers release the GIL), keeping batch order."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(b, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    thread = threading.Thread(target=work, name="twin-parse", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
