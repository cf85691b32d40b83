"""The what-if launcher: change a few declared scenario fields of a run and run it again.

Only shipped scenarios are re-run, with the run's own overrides and seed plus the new values,
checked by the same loader as ``fleettwin run`` (a bad value gives the CLI's message). The
run is an ordinary ``fleettwin run`` child process writing an ordinary run folder into
``RESULTS/whatif/``; its progress is read from the progress bar it writes to its log.
Nothing here imports streamlit.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboards.data import RunInfo, read_scenario
from sim.errors import FleetTwinError, RunError

#: Folder (inside the results folder) the launched runs are written to.
WHATIF_FOLDER = "whatif"


@dataclass(frozen=True)
class Field:
    """One field a manager may change: its dotted path, label, type and current value."""

    path: str
    label: str
    type: str  # "int", "float", "scale" (a multiplier on a number), "choice"
    current: Any
    choices: tuple[str, ...] = ()
    minimum: float = 0.0


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _dispatchers() -> tuple[str, ...]:
    from sim.dispatch import DISPATCHERS
    from sim.engine.registry import model_kinds

    model_kinds()  # registers the dispatchers with the city model
    return tuple(sorted(DISPATCHERS))


@dataclass(frozen=True)
class Declared:
    """A field managers may change for runs of one model kind.

    ``path`` is a dotted scenario path (``{fleet}`` stands for each fleet's name). When the
    scenario leaves it unset, ``profile`` (``"KEY.FIELD"`` of the run's resolved profiles)
    gives its current value; ``unless`` names a scenario path that, when set, makes the field
    meaningless (it is then not offered).
    """

    path: str
    label: str
    type: str
    profile: str | None = None
    unless: str | None = None


#: The declared fields per model kind (paths checked against every shipped scenario by the
#: tests: each resolves and an override of it loads).
DECLARED: dict[str, list[Declared]] = {
    "city_fleet": [Declared("fleets.{fleet}.count", "Fleet size: {fleet}", "int"),
                   Declared("policies.dispatch.algorithm", "Dispatcher", "choice"),
                   Declared("demand.requests_per_day", "Demand scale (× requests per day)",
                            "scale")],
    "hotline": [Declared("agents", "Agents on duty", "int")],
    "iptv": [Declared("network.ports_per_olt", "PON ports per OLT", "int"),
             Declared("network.profile_overrides.vod_server.streams",
                      "VoD server capacity (streams)", "int", profile="server:vod.streams",
                      unless="network.vod_streams_per_1000_boxes"),
             Declared("network.vod_streams_per_1000_boxes",
                      "VoD capacity (streams per 1,000 boxes)", "float")],
    "iptv_rollout": [Declared("installation.crew_factor", "Installer crews (× the plan's)",
                              "float"),
                     Declared("installation.crews_per_10k",
                              "Installer crews per 10,000 target boxes", "float"),
                     Declared("platform.capacity_per_h",
                              "Platform capacity (transactions per hour)", "float"),
                     Declared("hotline.centre.agents", "Operations centre agents", "int")],
    "fleet_year": [Declared("months", "Months simulated", "int"),
                   Declared("travel.speed_kmh", "Average road speed (km/h)", "float")],
    "vehicle_terminals": [Declared("fleets.{fleet}.count", "Terminals: {fleet}", "int"),
                          Declared("gateway.nodes", "Gateway nodes", "int"),
                          Declared("gateway.max_connections_per_node",
                                   "Connections per gateway node", "int")],
    "cameras": [Declared("streaming.servers", "Streaming servers", "int"),
                Declared("streaming.sessions_per_server", "Live views per streaming server",
                         "int"),
                Declared("platform.workers", "Platform workers", "int")],
}


def _profiles(run: RunInfo) -> dict[str, Any]:
    """The run's resolved profiles (``profiles.yaml``), empty when absent or unreadable."""
    import yaml

    from dashboards.data import read_run_text

    try:
        data = yaml.safe_load(read_run_text(run.path, "profiles.yaml"))
    except (OSError, RunError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _current(d: Declared, path: str, scenario: dict[str, Any],
             profiles: dict[str, Any] | None) -> Any:
    value = _get(scenario, path)
    if value is None and d.profile is not None and profiles is not None:
        key, _, name = d.profile.rpartition(".")
        prof = profiles.get(key)
        value = prof.get(name) if isinstance(prof, dict) else None
    return value


def fields_for(run: RunInfo) -> list[Field]:
    """The declared fields the run's resolved scenario has, with their current values."""
    scenario = read_scenario(run.path)
    profiles: dict[str, Any] | None = None
    out: list[Field] = []
    for d in DECLARED.get(run.kind, []):
        if d.unless is not None and _get(scenario, d.unless) is not None:
            continue
        paths = [(d.path, d.label)]
        if "{fleet}" in d.path:
            fleets = scenario.get("fleets") or {}
            names = list(fleets) if isinstance(fleets, dict) else []
            paths = [(d.path.format(fleet=n), d.label.format(fleet=n)) for n in names]
        if d.profile is not None and profiles is None:
            profiles = _profiles(run)
        for p, lab in paths:
            value = _current(d, p, scenario, profiles)
            if d.type == "choice":
                if isinstance(value, str):
                    out.append(Field(p, lab, d.type, value, _dispatchers()))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.append(Field(p, lab, d.type, value,
                                 minimum=1.0 if d.type == "int" else 0.0))
    return out


def overrides_for(fields: list[Field], values: dict[str, Any]) -> list[str]:
    """``--set`` strings for the values that differ from the run's (a scale of 1 is none)."""
    out = []
    for f in fields:
        if f.path not in values:
            continue
        v = values[f.path]
        if f.type == "scale":
            if v == 1:
                continue
            v = float(f.current) * float(v)
            v = round(v) if isinstance(f.current, int) or v.is_integer() else v
        if v != f.current:
            out.append(f"{f.path}={v}")
    return out


_warmed: set[str] = set()


def warm_up(scenario: str) -> None:
    """Load the scenario machinery once per process: the first check of a what-if otherwise
    imports every model plug-in (about 1 s; the next checks take 0.1 s). The What if tab
    calls it after its form is on the page, while the user fills it in."""
    if _warmed:  # the plug-ins are loaded for every scenario at once
        return
    _warmed.add(scenario)
    from sim.engine.loading import load_scenario

    with contextlib.suppress(FleetTwinError):  # plan() shows the message when it matters
        load_scenario(scenario)


@dataclass
class Plan:
    """A checked what-if: the shipped scenario, every override, seed and output name."""

    scenario: str
    overrides: list[str]
    new: list[str]
    seed: int | None
    out: Path
    name: str
    origin: str = ""  # the run it starts from (its name in the results folder)
    argv: list[str] = field(default_factory=list)


def plan(run: RunInfo, root: Path, new: list[str]) -> Plan:
    """Check the what-if as ``fleettwin run`` would; FleetTwinError with the CLI's message."""
    from sim.engine.loading import available_scenarios, load_scenario

    if not new:
        raise FleetTwinError("nothing to run: no field differs from this run")
    shipped = {p.stem for p in available_scenarios()}
    if run.scenario not in shipped:
        raise FleetTwinError(f"what-ifs start from shipped scenarios only; {run.name} ran "
                             f"{run.scenario!r} (shipped: {', '.join(sorted(shipped))})")
    base = run.extra.get("overrides")
    base = [str(o) for o in base] if isinstance(base, list) else []
    load_scenario(run.scenario, [*base, *new])  # raises ScenarioError: the CLI's message
    stamp = time.strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(o.split("=")[0].rsplit(".", 1)[-1]
                                                     + "-" + o.split("=", 1)[1] for o in new))
    name = f"{run.name.rsplit('/', 1)[-1][:40]}-whatif-{slug[:40]}-{stamp}"
    p = Plan(run.scenario, [*base, *new], new, run.seed, root / WHATIF_FOLDER, name, run.name)
    p.argv = [sys.executable, "-m", "sim.cli.main", "run", p.scenario, "--out", str(p.out),
              "--name", p.name]
    if p.seed is not None:
        p.argv += ["--seed", str(p.seed)]
    if isinstance(run.replications, int) and run.replications > 1:
        p.argv += ["--replications", str(run.replications)]
    for o in p.overrides:
        p.argv += ["--set", o]
    return p


_PERCENT = re.compile(r"(\d{1,3})%\|")


@dataclass
class Job:
    """A launched what-if run."""

    plan: Plan
    proc: subprocess.Popen
    log: Path
    started_s: float

    @property
    def run_name(self) -> str:
        """The new run's name relative to the results folder."""
        return f"{WHATIF_FOLDER}/{self.plan.name}"

    def progress(self) -> float:
        """Share done, from the run's progress bar (0 until it shows one)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return 0.0
        hits = _PERCENT.findall(text)
        return int(hits[-1]) / 100 if hits else 0.0

    def poll(self) -> int | None:
        return self.proc.poll()

    def error(self) -> str:
        """The run's error message (its last lines) after a failure."""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "the run failed"
        msg = [ln for ln in lines if "error" in ln.lower()] or lines[-3:]
        return "\n".join(msg[-5:])


def launch(p: Plan) -> Job:
    """Start the run in the background; its output goes to a log beside the results."""
    p.out.mkdir(parents=True, exist_ok=True)
    logs = p.out / ".logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"{p.name}.log"
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(p.argv, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return Job(p, proc, log, time.monotonic())


def wait(job: Job, timeout_s: float = 3600.0) -> None:
    """Block until the job ends; RunError with its message when it failed."""
    code = job.proc.wait(timeout=timeout_s)
    if code != 0:
        raise RunError(f"the what-if run failed (exit {code}): {job.error()}")
