"""Entry point: one sub-command per module, each with ``register(subparsers)``.

Errors of the :class:`~sim.errors.FleetTwinError` family become a message on standard error
and exit code 2, never a traceback; any other exception becomes one line and exit code 1
(``--debug`` shows its traceback); a pipe closed by the reader ends quietly (exit 141).
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
import traceback
from collections.abc import Sequence

import sim
from sim.errors import FleetTwinError, bounded_repr

#: Modules providing sub-commands, imported in this order. Each defines ``register(sub)``,
#: which adds a parser whose ``func`` default takes the parsed args and returns an exit code.
COMMAND_MODULES = [
    "sim.cli.run",
    "sim.cli.compare",
    "sim.cli.listing",
    "sim.cli.calibrate",
    "sim.cli.dashboard",
    "sim.cli.report",
    "sim.cli.validate",
    "sim.cli.sweep",
    "sim.cli.bench",
    "twins.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleettwin",
        description="Simulation and digital-twin testbed for vehicle fleets and IPTV "
        "deployments. Run `fleettwin run` for the default city taxi scenario.",
    )
    parser.add_argument("--version", action="version", version=f"fleettwin {sim.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (never raises, never prints a traceback unless
    ``--debug``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (exit 2), --help and --version (exit 0)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        return code
    except FleetTwinError as exc:
        print(f"fleettwin: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fleettwin: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`fleettwin run | head`): stop quietly, like other tools.
        _silence_stdout()
        return 141
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if args.debug:
            traceback.print_exc()
        what = ("out of memory: the input asks for more than this machine has"
                if isinstance(exc, MemoryError) else "unexpected error")
        print(f"fleettwin: {what}: {type(exc).__name__}: {bounded_repr(str(exc), 300)}"
              " (rerun with --debug for the traceback)", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (tests capture stdout in memory)


def entry() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
