"""Entry point: one sub-command per module, each with ``register(subparsers)``.

Errors of the :class:`~sim.errors.FleetTwinError` family become a message on standard error
and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

import sim
from sim.errors import FleetTwinError

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except FleetTwinError as exc:
        print(f"fleettwin: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fleettwin: interrupted", file=sys.stderr)
        return 130


def entry() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
