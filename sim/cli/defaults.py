"""Constants the parsers need, kept apart so that building them imports nothing heavy.

Each equals its source of truth (checked by ``tests/sim/test_startup.py``):
``sim.schema.scenario.MAX_SEED``, ``sim.engine.loading.DEFAULT_SCENARIO`` and
``sim.results.rundir.DEFAULT_RUNS_DIR``. ``fleettwin --help`` then needs neither pydantic's
scenario schema (which pulls in scipy.stats) nor pyarrow or DuckDB.
"""

from __future__ import annotations

from pathlib import Path

MAX_SEED = 2**63 - 1
DEFAULT_SCENARIO = "city_taxi"
DEFAULT_RUNS_DIR = Path("runs")
