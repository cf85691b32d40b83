"""Twin fixtures: a small city fleet run (once per session) and twin folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pyarrow as pa

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-hour run of a 60-taxi fleet on a 12x12 grid city, starting at 08:00."""
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run

    loaded = load_scenario(DATA / "small_city.yaml")
    result = run_scenario(loaded)
    return write_run(result, tmp_path_factory.mktemp("runs"), name="small")


def make_twin(root: Path, devices: list[tuple[str, str, str | None, int | None]],
              **extra: object) -> Path:
    """A twin folder with the given devices ``(id, kind, profile, entity)``."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    config = {
        "name": "test-twin",
        "region": {"lon_min": 116.0, "lon_max": 117.0, "lat_min": 39.5, "lat_max": 40.5},
        "lateness_s": 600,
        "devices": [{"id": i, "kind": k, "profile": p, "entity": e} for i, k, p, e in devices],
    }
    config.update(extra)
    (root / "twin.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


@pytest.fixture
def basic_twin(tmp_path: Path) -> Path:
    """Two vehicles, one STB and one camera around Beijing."""
    return make_twin(tmp_path / "twin", [
        ("013800000001", "vehicle", "jt808_basic", 1),
        ("013800000002", "vehicle", "jt808_basic", 2),
        ("stb-1", "stb", "tianyi_hd_stb", None),
        ("cam-1", "camera", None, None),
    ])


def write_stream(path: Path, table: pa.Table, fmt: str) -> None:
    """Write an emitted telemetry table to ``path`` as JSONL or JT/T 808 frames."""
    from twins.emit import write_jsonl, write_jt808

    if fmt == "jt808":
        with path.open("wb") as fh:
            write_jt808(table, fh)
    else:
        with path.open("w", encoding="utf-8") as fh:
            write_jsonl(table, fh)
