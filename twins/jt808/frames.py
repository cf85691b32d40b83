"""JT/T 808 framing: delimiters, escaping, checksum, header, BCD phone numbers.

A frame on the wire is ``0x7e | header | body | checksum | 0x7e``. Inside, ``0x7e`` is sent as
``0x7d 0x02`` and ``0x7d`` as ``0x7d 0x01``. The checksum is the XOR of every header and body
byte (after unescaping). Header, 2013 layout (12 bytes; 16 with sub-package fields)::

    msg_id u16 | props u16 | phone BCD[6] | serial u16 | [total u16 | index u16]

``props``: bits 0-9 body length, 10-12 encryption (bit 10 = RSA), 13 sub-packaged,
14 version flag (2019 layout: a protocol version byte follows ``props`` and the phone number
is BCD[10]). All integers are big-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

FLAG = 0x7E
ESC = 0x7D
MAX_BODY = 0x3FF


class FrameError(ValueError):
    """A frame that cannot be decoded; ``reason`` is the quarantine reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Frame:
    """One decoded frame (header fields and the raw body)."""

    msg_id: int
    phone: str
    serial: int
    body: bytes
    encrypted: int = 0
    version: int | None = None
    """Protocol version byte of the 2019 layout; None for 2013."""
    total: int = 0
    """Number of sub-packages (0: not sub-packaged)."""
    index: int = 0
    """1-based index of this sub-package."""

    @property
    def subpackaged(self) -> bool:
        return self.total > 0


def escape(data: bytes) -> bytes:
    """Escape ``0x7d`` then ``0x7e`` (the order matters)."""
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; a ``0x7d`` not followed by 0x01/0x02 is an error."""
    if ESC not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == ESC:
            if i + 1 >= n or data[i + 1] not in (1, 2):
                nxt = "end of frame" if i + 1 >= n else f"0x{data[i + 1]:02x}"
                raise FrameError(f"bad escape: 0x7d followed by {nxt}")
            out.append(ESC if data[i + 1] == 1 else FLAG)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def xor_checksum(data: bytes) -> int:
    """XOR of all bytes."""
    value = 0
    for b in data:
        value ^= b
    return value


def bcd_encode(digits: str, size: int) -> bytes:
    """Pack a decimal string into ``size`` BCD bytes, left-padded with zeros."""
    if not digits.isdigit() or len(digits) > 2 * size:
        raise ValueError(f"cannot BCD-encode {digits!r} into {size} bytes")
    digits = digits.rjust(2 * size, "0")
    return bytes(int(digits[i]) << 4 | int(digits[i + 1]) for i in range(0, len(digits), 2))


def bcd_decode(data: bytes) -> str:
    """Unpack BCD bytes into a decimal string; a nibble above 9 is an error."""
    out = []
    for b in data:
        hi, lo = b >> 4, b & 0x0F
        if hi > 9 or lo > 9:
            raise FrameError(f"invalid BCD byte 0x{b:02x}")
        out.append(f"{hi}{lo}")
    return "".join(out)


def encode_frame(
    msg_id: int,
    phone: str,
    serial: int,
    body: bytes = b"",
    *,
    version: int | None = None,
    total: int = 0,
    index: int = 0,
    encrypted: int = 0,
) -> bytes:
    """Build one escaped frame, delimiters included.

    Parameters
    ----------
    msg_id, phone, serial, body
        Message id, terminal phone number (digits), serial number (wraps at 65536), body.
    version
        Protocol version byte: selects the 2019 layout (BCD[10] phone); None for 2013.
    total, index
        Sub-package count and 1-based index; 0 for a whole message.
    """
    if len(body) > MAX_BODY:
        raise ValueError(f"body of {len(body)} bytes exceeds {MAX_BODY}; split it with "
                         "split_message")
    props = len(body) | (encrypted & 0x7) << 10 | (1 << 13 if total else 0)
    if version is not None:
        props |= 1 << 14
        head = struct.pack(">HHB", msg_id, props, version) + bcd_encode(phone, 10)
    else:
        head = struct.pack(">HH", msg_id, props) + bcd_encode(phone, 6)
    head += struct.pack(">H", serial & 0xFFFF)
    if total:
        head += struct.pack(">HH", total, index)
    payload = head + body
    return b"\x7e" + escape(payload + bytes([xor_checksum(payload)])) + b"\x7e"


def split_message(
    msg_id: int, phone: str, first_serial: int, body: bytes, max_part: int = 512,
    version: int | None = None,
) -> list[bytes]:
    """Encode a long body as sub-packages with consecutive serial numbers."""
    parts = [body[i:i + max_part] for i in range(0, len(body), max_part)] or [b""]
    total = len(parts)
    return [encode_frame(msg_id, phone, first_serial + k, part, version=version, total=total,
                         index=k + 1) for k, part in enumerate(parts)]


def decode_frame(raw: bytes) -> Frame:
    """Decode one frame (with or without its 0x7e delimiters).

    Raises
    ------
    FrameError
        Bad escape, truncated frame, length mismatch, checksum error or bad BCD, with a reason
        fit for the quarantine.
    """
    if raw[:1] == b"\x7e":
        raw = raw[1:]
    if raw[-1:] == b"\x7e":
        raw = raw[:-1]
    data = unescape(raw)
    if len(data) < 13:
        raise FrameError(f"truncated frame: {len(data)} bytes, a header needs 12 plus checksum")
    msg_id, props = struct.unpack_from(">HH", data, 0)
    body_len = props & MAX_BODY
    encrypted = props >> 10 & 0x7
    sub = bool(props >> 13 & 1)
    if props >> 14 & 1:
        if len(data) < 18:
            raise FrameError(f"truncated frame: {len(data)} bytes for a 2019 header")
        version: int | None = data[4]
        phone = bcd_decode(data[5:15])
        pos = 15
    else:
        version = None
        phone = bcd_decode(data[4:10])
        pos = 10
    (serial,) = struct.unpack_from(">H", data, pos)
    pos += 2
    total = index = 0
    if sub:
        if len(data) < pos + 5:
            raise FrameError("truncated frame: sub-package fields missing")
        total, index = struct.unpack_from(">HH", data, pos)
        pos += 4
        if total < 1 or not 1 <= index <= total:
            raise FrameError(f"bad sub-package numbering: package {index} of {total}")
    expect = pos + body_len + 1
    if len(data) < expect:
        raise FrameError(f"truncated frame: body length {body_len} but only "
                         f"{len(data) - pos - 1} body bytes")
    if len(data) > expect:
        raise FrameError(f"length mismatch: body length {body_len} but "
                         f"{len(data) - pos - 1} body bytes")
    check = xor_checksum(data[:-1])
    if check != data[-1]:
        raise FrameError(f"checksum error: computed 0x{check:02x}, frame says 0x{data[-1]:02x}")
    return Frame(msg_id, phone, serial, bytes(data[pos:-1]), encrypted, version, total, index)


def split_frames(stream: bytes) -> tuple[list[bytes], bytes]:
    """Cut a byte stream into frames (delimiters stripped) and the unfinished tail.

    Bytes between frames that are not a frame (noise before a delimiter) come out as their
    own item, so the caller can quarantine them; empty items are skipped.
    """
    parts = stream.split(b"\x7e")
    tail = parts.pop() if parts else b""
    return [p for p in parts if p], tail
