"""Small fleet-year scenarios written to a temporary folder (register CSV + scenario)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.engine.loading import LoadedScenario, load_scenario_data
from sim.fleetops.register import write_register

BASE: dict[str, Any] = {
    "name": "tiny_fleet",
    "kind": "fleet_year",
    "seed": 3,
    "start_date": "2026-03-02",
    "months": 1,
    "register_csv": "register.csv",
    "depots": [{"id": "north", "x_km": 0, "y_km": 0}, {"id": "south", "x_km": 6, "y_km": -4}],
    "drivers": {
        "pools": [
            {"depot": "north", "count": 6, "licence": "C1", "shift": {"start_h": 7, "hours": 10},
             "days_per_week": 7},
            {"depot": "south", "count": 4, "licence": "C1", "shift": {"start_h": 7, "hours": 10},
             "days_per_week": 7},
        ],
    },
    "tasks": [
        {"id": "delivery", "profiles": ["van_diesel", "sedan_ev"], "per_vehicle_day": 4,
         "start_h": 8, "end_h": 16, "duration_s": {"family": "lognormal", "median": 3600,
                                                  "sigma": 0.3},
         "speed_kmh": 28, "max_wait_s": 3600, "on_time_s": 900},
    ],
    "charging": {"stations": [{"id": "c1", "x_km": 1, "y_km": 1, "chargers": 2,
                               "power_kw": 30}]},
}


def rows(n_van: int = 4, n_ev: int = 4) -> list[dict[str, Any]]:
    out = []
    for k in range(n_van):
        out.append({"plate": f"京A{k:05d}", "profile": "van_diesel",
                    "purchase_date": "2023-05-01", "odometer_km": 40000 + k,
                    "depot": "north" if k % 2 == 0 else "south", "colour": "white"})
    for k in range(n_ev):
        out.append({"plate": f"京AD{k:04d}", "profile": "sedan_ev",
                    "purchase_date": "2025-06-01", "odometer_km": 8000,
                    "warranty_end": "2029-06-01", "depot": "north", "colour": "blue"})
    return out


@pytest.fixture
def make_fleet(tmp_path: Path) -> Callable[..., LoadedScenario]:
    """``make_fleet(register_rows=None, **changes)``: a loaded scenario in ``tmp_path``."""

    def make(register_rows: list[dict[str, Any]] | None = None, **changes: Any
             ) -> LoadedScenario:
        raw = copy.deepcopy(BASE)
        raw.update(changes)
        write_register(tmp_path / "register.csv", rows() if register_rows is None
                       else register_rows)
        return load_scenario_data(raw, str(tmp_path / "scenario.yaml"))

    return make


def write_profile(folder: Path, pid: str, **fields: Any) -> None:
    """A vehicle profile under ``folder/profiles/vehicle`` (name it in ``profile_dirs``)."""
    import yaml

    d = folder / "profiles" / "vehicle"
    d.mkdir(parents=True, exist_ok=True)
    data = {"id": pid, "kind": "vehicle", "failure_rate_per_1000h": 0.0, **fields}
    (d / f"{pid}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))


def one_task_a_day(drive_s: float, **task: Any) -> list[dict[str, Any]]:
    """One task type, a fixed driving time, released 08:00-08:01."""
    return [{"id": "job", "profiles": ["van_diesel"], "per_vehicle_day": 1, "start_h": 8,
             "end_h": 8.01, "duration_s": drive_s, "speed_kmh": 30, **task}]
