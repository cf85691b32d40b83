"""``fleettwin dashboard``: start the Streamlit app on a folder of run directories.

Streamlit is started as a child process (``python -m streamlit run dashboards/app.py``) so the
CLI itself never imports it; the results folder reaches the app in the ``FLEETTWIN_RUNS``
environment variable and as the script argument ``--runs``.

The server always runs headless, with no standard input and usage statistics off: on a fresh
machine with no ``~/.streamlit`` and no terminal, Streamlit's first-run e-mail prompt would
otherwise stop it before it serves. A browser is opened only with ``--open``, by this command,
once the server answers its health check (``/_stcore/health``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser
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
    p.add_argument("--open", action="store_true",
                   help="open the dashboard in a browser once it is serving")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser (the default; kept for older scripts)")
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
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--", "--runs", str(args.runs.resolve()),
    ]


#: Streamlit settings as environment variables too, so no config file or prompt can undo them.
HEADLESS_ENV = {
    "STREAMLIT_SERVER_HEADLESS": "true",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
}


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 60.0) -> bool:
    """Poll ``url/_stcore/health`` until it answers 200; False on timeout or server exit."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def cmd_dashboard(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("streamlit") is None:
        raise FleetTwinError("the dashboard needs streamlit: pip install streamlit")
    runs = args.runs.resolve()
    if runs.exists() and not runs.is_dir():
        raise FleetTwinError(f"--runs {args.runs}: not a folder")
    env = dict(os.environ, **HEADLESS_ENV, **{RUNS_ENV: str(runs)})
    cmd = streamlit_command(args)
    host = "localhost" if args.address in ("0.0.0.0", "::") else args.address
    url = f"http://{host}:{args.port}"
    sys.stderr.write(f"dashboard on {url} for runs in {runs}\n")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    # Stopping this command stops the server too (SIGTERM from a service manager or a test).
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        if args.open and wait_healthy(url, proc):
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
