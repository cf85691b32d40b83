"""Device self-registration: a camera the twin does not know registers with a ``register``
message, as on the shop-camera platform (seed 004).

A registration from an unknown device is taken when it says it is a camera (``kind:
camera`` or a ``model``), its serial (the device id) is well formed
(:data:`twins.records.CAMERA_SERIAL`), its model, if given, is a known camera profile, and
the serial starts with that model's vendor code. The device then joins the twin (kept in
the store's ``registered`` table, committed with the batch) and the rest of its records are
checked like any other device's. A refused registration is quarantined with its reason
(malformed serial, unknown model, wrong vendor code), and so are that device's other records
in the batch (an unknown device).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from twins.config import DeviceSpec, LoadedTwin
from twins.records import CAMERA_SERIAL
from twins.validate import Checked

SERIAL_HINT = ("expected VENDOR-SERIAL: 2-8 upper-case letters or digits, a dash, then 8-24 "
               "upper-case letters or digits, e.g. TYC-2013A0001234")

#: camera model id -> serial prefix (vendor code)
Models = Callable[[], dict[str, str]]


@dataclass
class Registrations:
    """Registrations of unknown devices found in one batch."""

    base: int
    """Devices the twin knew before the batch."""
    rows: dict[str, list[int]] = field(default_factory=dict)
    """Register rows of each candidate device (taken if one of them is accepted)."""
    profile: dict[str, str | None] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    """Refused registration rows and why."""
    kept: list[tuple[str, str | None, int]] = field(default_factory=list)
    """(id, profile, first register row) of the devices registered by the batch."""


def _col(table: pa.Table, name: str) -> list[object]:
    return table.column(name).to_pylist()


def find(table: pa.Table, twin: LoadedTwin, models: Models) -> Registrations:
    """Candidate and refused registrations of ``table`` (devices not yet in ``twin``)."""
    out = Registrations(base=len(twin.devices))
    if table.num_rows == 0:
        return out
    msg = np.asarray(table.column("msg").to_numpy(zero_copy_only=False), dtype=object)
    rows = np.flatnonzero(msg == "register")
    if rows.size == 0:
        return out
    sub = table.take(pa.array(rows))
    devices, kinds, model_col = _col(sub, "device"), _col(sub, "kind"), _col(sub, "model")
    known: dict[str, str] | None = None
    for i, dev, kind, model in zip(rows.tolist(), devices, kinds, model_col, strict=True):
        if not isinstance(dev, str) or not dev or dev in twin.index:
            continue
        if kind != "camera" and not (kind is None and model is not None):
            continue  # not a camera: an unknown device, as before
        if not CAMERA_SERIAL.match(dev):
            out.refused[i] = f"device: malformed camera serial {dev[:60]!r} in a " \
                             f"registration ({SERIAL_HINT})"
            continue
        if model is not None:
            known = models() if known is None else known
            prefix = known.get(str(model))
            if prefix is None:
                out.refused[i] = (f"model: unknown camera model {str(model)[:60]!r} in a "
                                  f"registration (known: {', '.join(sorted(known)) or 'none'})")
                continue
            if not dev.startswith(prefix + "-"):
                out.refused[i] = (f"device: camera serial {dev!r} does not start with the "
                                  f"vendor code {prefix!r} of model {model!r}")
                continue
        out.rows.setdefault(dev, []).append(i)
        out.profile.setdefault(dev, None if model is None else str(model))
    return out


def add(twin: LoadedTwin, reg: Registrations) -> None:
    """Add the candidates to ``twin`` for checking (undone by :func:`settle` or :func:`undo`)."""
    for dev in reg.rows:
        twin.index[dev] = len(twin.devices)
        twin.devices.append(DeviceSpec(id=dev, kind="camera", profile=reg.profile[dev]))


def undo(twin: LoadedTwin, reg: Registrations) -> None:
    """Forget every candidate of ``reg``."""
    for d in twin.devices[reg.base:]:
        twin.index.pop(d.id, None)
    del twin.devices[reg.base:]


def settle(twin: LoadedTwin, reg: Registrations, checked: Checked) -> None:
    """Keep the candidates with an acceptable register row; the others' rows become bad.

    Device indices in ``checked.dev`` are remapped to the twin's final device list, and
    refused registrations get their reason (in place of "unknown device").
    """
    for i, why in reg.refused.items():
        checked.bad[i] = True
        checked.reasons[i] = why
    if not reg.rows:
        return
    names = [d.id for d in twin.devices[reg.base:]]
    undo(twin, reg)
    remap = np.full(len(names), -1, np.int64)
    for k, dev in enumerate(names):
        good = [i for i in reg.rows[dev] if not checked.bad[i]]
        if not good:
            continue
        remap[k] = len(twin.devices)
        twin.index[dev] = len(twin.devices)
        twin.devices.append(DeviceSpec(id=dev, kind="camera", profile=reg.profile[dev]))
        reg.kept.append((dev, reg.profile[dev], good[0]))
    new = checked.dev >= reg.base
    if not new.any():
        return
    checked.dev[new] = remap[checked.dev[new] - reg.base]
    orphan = np.flatnonzero(new & (checked.dev < 0) & ~checked.bad)
    devices = checked.table.column("device")
    for i in orphan.tolist():
        checked.bad[i] = True
        checked.reasons[i] = (f"unknown device {devices[i].as_py()!r} (its registration in "
                              "this batch was refused)")
