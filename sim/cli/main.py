"""Entry point: one sub-command per module, each with ``register(subparsers)``.

Errors of the :class:`~sim.errors.FleetTwinError` family become a message on standard error
and exit code 2, never a traceback; any other exception becomes one line and exit code 1
(``--debug`` shows its traceback); a pipe closed by the reader ends quietly (exit 141).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import sim
from sim.errors import FleetTwinError, bounded_repr

#: Sub-commands: name, the module that registers it (``register(sub)``, adding a parser whose
#: ``func`` default takes the parsed args and returns an exit code) and its one-line help.
#: Only the module of the command given is imported: ``fleettwin --help`` and a small
#: ``fleettwin run`` do not pay for DuckDB, the dashboards or the calibration tools. The help
#: lines equal what each module registers (``tests/sim/test_startup.py``).
COMMANDS: list[tuple[str, str, str]] = [
    ("run", "sim.cli.run", "run a scenario and write a run directory"),
    ("compare", "sim.cli.compare", "compare runs (or scenarios, run first) side by side"),
    ("scenarios", "sim.cli.listing", "list shipped scenarios, one line each"),
    ("profiles", "sim.cli.listing", "list hardware profiles, one line each"),
    ("calibrate", "sim.cli.calibrate",
     "fit a hardware-profile field to measured data; write a new version"),
    ("calibrate-behaviour", "sim.cli.calibrate",
     "fit a scenario behaviour to aggregate measurements"),
    ("dashboard", "sim.cli.dashboard", "browse runs in the Streamlit dashboard"),
    ("report", "sim.cli.report", "a run's figures as PNG files, or an HTML report of runs"),
    ("validate", "sim.cli.validate",
     "check the simulator against closed forms and reference results"),
    ("staffing", "sim.cli.validate",
     "agents needed for a service level (Erlang C), optionally confirmed by simulation"),
    ("sweep", "sim.cli.sweep", "run a scenario over a grid of values x replications (Dask)"),
    ("bench", "sim.cli.bench", "benchmark every dispatcher; --compare fails on a regression"),
    ("twin", "twins.cli", "digital twins: ingest telemetry, state, drift, fork, emit"),
]
#: The modules, in registration order.
COMMAND_MODULES = list(dict.fromkeys(module for _, module, _ in COMMANDS))


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        sys.stdout.write(f"fleettwin {sim.__version__}\n")
        parser.exit()


def _chosen(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not an option), if any."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the module of the command it names is imported (the
    other commands are listed by name and help only)."""
    parser = argparse.ArgumentParser(
        prog="fleettwin",
        description="Simulation and digital-twin testbed for vehicle fleets and IPTV "
        "deployments. Run `fleettwin run` for the default city taxi scenario.",
    )
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the program's version number and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if argv is None:
        wanted = set(COMMAND_MODULES)
    else:
        word = _chosen(argv)
        wanted = {module for name, module, _ in COMMANDS if name == word}
    for module in COMMAND_MODULES:
        if module in wanted:
            importlib.import_module(module).register(sub)
    for name, _module, text in COMMANDS:
        if name not in sub.choices:  # listed by name and help; not the command given
            sub.add_parser(name, help=text, add_help=False)
    ordered = {name: i for i, (name, _, _) in enumerate(COMMANDS)}
    sub._choices_actions.sort(key=lambda a: ordered.get(a.dest, len(ordered)))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (never raises, never prints a traceback unless
    ``--debug``)."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # usage errors (exit 2), --help and --version (exit 0)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "holds_gc", False):
        start_up_done()
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


#: True while a command's process holds the cyclic garbage collector off during its start-up
#: (:func:`run_process`); :func:`start_up_done` ends it.
_gc_held = False


def start_up_done() -> None:
    """The command has imported and loaded what it keeps for its whole run: take those objects
    out of the garbage collector's scans (``gc.freeze``) and switch it on again, with its usual
    thresholds. A no-op unless :func:`run_process` held the collector off.

    During start-up the collector's full scans walk every module object imported so far, again
    and again as the heap grows (0.4 s of a 2 s run); frozen, they are never walked. Garbage
    left by the imports stays (a few megabytes at most)."""
    global _gc_held
    if _gc_held:
        _gc_held = False
        gc.freeze()
        gc.enable()


def run_process(argv: Sequence[str] | None = None) -> NoReturn:
    """A command as a process of its own (the ``fleettwin`` script, ``python -m``).

    ``fleettwin run`` holds the collector off until it has loaded its scenario and ends
    without the interpreter's teardown (:func:`exit_process`; every file it writes is closed
    by then). Other commands run and exit as usual: some keep files or connections open
    until the interpreter closes them."""
    global _gc_held
    words = list(sys.argv[1:] if argv is None else argv)
    fast = _chosen(words) == "run"
    if fast and gc.isenabled():
        gc.disable()
        _gc_held = True
    code = main(words)
    if fast:
        exit_process(code)
    sys.exit(code)


def exit_process(code: int) -> NoReturn:
    """End a command's process with ``code`` without the interpreter's teardown.

    Tearing down the modules of a run (numba's LLVM, pydantic's and SciPy's objects) costs a
    third of a second of CPU after the work is done. Output is flushed and the exit handlers
    run (``atexit``: logging, numba, tqdm) as at a normal exit; only the freeing of every
    object, which the operating system does at once, is skipped. With a non-daemon thread
    still running, the process exits normally (the interpreter waits for it).
    """
    import atexit
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive()
           for t in threading.enumerate()):
        sys.exit(code)
    getattr(atexit, "_run_exitfuncs", lambda: None)()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe or stream: nothing more can be written to it
    os._exit(code & 0xFF)


def entry() -> None:  # pragma: no cover - console script wrapper
    run_process()


if __name__ == "__main__":  # pragma: no cover
    run_process()
