"""JT/T 808, the Chinese national protocol between vehicle terminals and platforms.

- :mod:`.frames`: 0x7e framing, 0x7d escaping, XOR checksum, the message header (2013 and
  2019 layouts, BCD terminal phone number, sub-package fields), and frame encoding.
- :mod:`.messages`: the bodies the twin reads (0x0200 location report with its alarm and
  status bits and additional items, 0x0100 registration, 0x0002 heartbeat) and their encoders.
- :mod:`.reassembly`: joining sub-packaged messages.
- :mod:`.batch`: a vectorised decoder for a whole buffer of frames (the ingest hot path),
  falling back to the per-frame decoder for anything unusual.
"""

from twins.jt808.frames import Frame, FrameError, decode_frame, encode_frame, split_frames
from twins.jt808.messages import (
    MSG_HEARTBEAT,
    MSG_LOCATION,
    MSG_REGISTER,
    Location,
    decode_location,
    encode_location,
)

__all__ = [
    "Frame",
    "FrameError",
    "Location",
    "MSG_HEARTBEAT",
    "MSG_LOCATION",
    "MSG_REGISTER",
    "decode_frame",
    "decode_location",
    "encode_frame",
    "encode_location",
    "split_frames",
]
