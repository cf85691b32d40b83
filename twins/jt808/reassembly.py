"""Joining sub-packaged JT/T 808 messages.

A long message is sent as ``total`` frames with consecutive serial numbers, each with its
1-based package index. Packages of one message share terminal, message id and total, and
``serial - index`` (the serial before the first package). A message is complete when every
index has arrived, in any order. Pending packages survive a restart (the store persists
:meth:`Reassembler.rows`); at the end of an ingest, incomplete messages are quarantined.

A package whose index already arrived is never put in place of the first one: a byte-equal
repeat and a conflicting package (same index, other bytes) are both refused with a reason
(:class:`~twins.jt808.frames.FrameError`), and the first one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twins.jt808.frames import Frame, FrameError

Key = tuple[str, int, int, int]


@dataclass
class Complete:
    msg_id: int
    phone: str
    serial: int
    body: bytes
    version: int | None
    position: int
    raw: bytes


class Reassembler:
    def __init__(self) -> None:
        self.pending: dict[Key, dict[int, tuple[Frame, int, bytes]]] = {}

    def add(self, frame: Frame, position: int, raw: bytes) -> Complete | None:
        """Add one package; return the whole message when this completes it."""
        key = (frame.phone, frame.msg_id, frame.total, (frame.serial - frame.index) & 0xFFFF)
        parts = self.pending.setdefault(key, {})
        if frame.index in parts:
            first_pos, first_raw = parts[frame.index][1], parts[frame.index][2]
            what = (f"sub-package {frame.index} of {frame.total} of message "
                    f"0x{frame.msg_id:04x} from {frame.phone}")
            if first_raw == raw:
                raise FrameError(f"repeated {what}: already received at offset {first_pos}")
            raise FrameError(f"conflicting {what}: differs from the one received at offset "
                             f"{first_pos} (that one is kept)")
        parts[frame.index] = (frame, position, raw)
        if len(parts) < frame.total:
            return None
        del self.pending[key]
        ordered = [parts[i] for i in range(1, frame.total + 1)]
        first = ordered[0][0]
        return Complete(first.msg_id, first.phone, first.serial,
                        b"".join(f.body for f, _, _ in ordered), first.version,
                        position, b"".join(r for _, _, r in ordered))

    def __len__(self) -> int:
        return sum(len(p) for p in self.pending.values())

    def drain(self) -> list[tuple[int, bytes, str]]:
        """Give up on every incomplete message: ``(position, raw, reason)`` for each."""
        out = []
        for (phone, msg_id, total, _), parts in sorted(self.pending.items()):
            got = sorted(parts)
            position = min(p for _, p, _ in parts.values())
            raw = b"".join(parts[i][2] for i in got)
            out.append((position, raw, f"incomplete sub-packaged message 0x{msg_id:04x} from "
                        f"{phone}: packages {got} of {total}"))
        self.pending.clear()
        return out

    def rows(self) -> list[dict[str, Any]]:
        """Pending packages as plain rows (for persistence)."""
        return [{"raw": raw, "position": pos}
                for parts in self.pending.values() for _, pos, raw in parts.values()]

    def restore(self, rows: list[dict[str, Any]]) -> None:
        from twins.jt808.frames import decode_frame

        for row in sorted(rows, key=lambda r: r["position"]):
            frame = decode_frame(bytes(row["raw"]))
            self.add(frame, int(row["position"]), bytes(row["raw"]))
