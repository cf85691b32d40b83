"""Checks of command-line values, made before any simulation starts.

Numbers are argparse ``type=`` functions (a bad value is a usage error, exit code 2, before
anything runs); the output folder is probed for writing right after the scenario is validated,
so a run never finishes only to find it cannot be saved.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.cli.defaults import MAX_SEED
from sim.errors import OptionError, bounded_repr

#: Run and folder names: letters, digits, ``_ - .``; not ``.`` or ``..``; no separators.
_NAME = re.compile(r"^[A-Za-z0-9_\-\.]{1,100}$")
MAX_REPLICATIONS = 1000


def int_in(low: int, high: int, what: str = "an integer") -> Callable[[str], int]:
    """argparse type: an integer in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {what} (got {bounded_repr(text)})") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {low:,} and {high:,} (got {bounded_repr(value)})")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def float_in(low: float, high: float, low_open: bool = False,
             what: str = "a number") -> Callable[[str], float]:
    """argparse type: a finite number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {what} (got {bounded_repr(text)})") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(
                f"must be a finite number in {bracket}{low:g}, {high:g}] (got {text})")
        return value

    parse.__name__ = what
    return parse


def share_type(name: str) -> Callable[[str], float]:
    """argparse type: a share strictly between 0 and 1 (a service-level target)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 < value < 1.0:  # NaN fails too
            raise argparse.ArgumentTypeError(
                f"{name} must be a share in (0, 1) (got {bounded_repr(text)})")
        return value

    parse.__name__ = "a share"
    return parse


seed_type = int_in(0, MAX_SEED, "a seed (integer >= 0)")
replications_type = int_in(1, MAX_REPLICATIONS, "a number of replications")


def name_type(text: str) -> str:
    """argparse type: a run or sweep name that stays inside the output folder."""
    if not _NAME.match(text) or text in (".", ".."):
        raise argparse.ArgumentTypeError(
            "must be 1 to 100 letters, digits, '_', '-' or '.', not '.' or '..' (no path "
            f"separators) (got {bounded_repr(text)})")
    return text


def writable_dir(path: Path, option: str = "--out") -> Path:
    """Create ``path`` if needed and prove a file can be written in it; else OptionError."""
    if path.exists() and not path.is_dir():
        raise OptionError(option, "exists and is not a folder", str(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OptionError(option, f"cannot write here ({exc.strerror or exc})",
                          str(path)) from None
    return path


def free_run_dir(out: Path, name: str | None, option: str = "--name") -> None:
    """Refuse, before running, a ``--name`` whose run directory already exists."""
    if name and (out / name).exists():
        raise OptionError(option, f"run directory {out / name} already exists; choose "
                          "another --name or --out", name)
