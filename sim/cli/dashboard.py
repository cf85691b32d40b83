"""``fleettwin dashboard``: start the Streamlit app on a folder of run directories.

Streamlit is started as a child process (``python -m streamlit run dashboards/app.py``) so the
CLI itself never imports it; the results folder reaches the app in the ``FLEETTWIN_RUNS``
environment variable and as the script argument ``--runs``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

from sim.errors import FleetTwinError
from sim.results.rundir import DEFAULT_RUNS_DIR

RUNS_ENV = "FLEETTWIN_RUNS"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help="browse runs in the Streamlit dashboard",
                       description="Start the dashboard on a folder of run directories "
                       "(it may be empty or missing: the first page says how to make a run).")
    p.add_argument("--runs", type=Path, default=DEFAULT_RUNS_DIR,
                   help="folder of run directories (default: ./runs, where `fleettwin run` "
                   "writes)")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    p.add_argument("--address", default="localhost",
                   help="address to listen on (default: localhost only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_dashboard)


def app_path() -> Path:
    """The Streamlit entry script of the ``dashboards`` package."""
    spec = importlib.util.find_spec("dashboards")
    if spec is None or not spec.submodule_search_locations:
        raise FleetTwinError("the dashboards package is not installed with fleettwin")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "app.py"
        if candidate.is_file():
            return candidate
    raise FleetTwinError("dashboards/app.py not found in the installed package")


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The child process's command line."""
    if not 0 < args.port < 65536:
        raise FleetTwinError(f"--port: must be between 1 and 65535 (got {args.port})")
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(args.port),
        "--server.address", args.address,
        "--server.headless", "true" if args.no_browser else "false",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--", "--runs", str(args.runs.resolve()),
    ]


def cmd_dashboard(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("streamlit") is None:
        raise FleetTwinError("the dashboard needs streamlit: pip install streamlit")
    runs = args.runs.resolve()
    if runs.exists() and not runs.is_dir():
        raise FleetTwinError(f"--runs {args.runs}: not a folder")
    env = dict(os.environ, **{RUNS_ENV: str(runs)})
    cmd = streamlit_command(args)
    sys.stderr.write(f"dashboard on http://{args.address}:{args.port} for runs in {runs}\n")
    proc = subprocess.Popen(cmd, env=env)
    # Stopping this command stops the server too (SIGTERM from a service manager or a test).
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
