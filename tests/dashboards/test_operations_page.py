"""The Live operations page on a twin's operations stream and on a run's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data as dashboards_data
from twins.opsstream import TWIN_STATISTICS, write_window

APP = str(Path(dashboards_data.__file__).parent / "app.py")
T0 = 1704067200.0


def _twin(root: Path) -> Path:
    root.mkdir(parents=True)
    for w in range(3):
        rows = [(T0 + 600 * w, 600.0, d, s, float(10 * w + i))
                for d in ("Xicheng", "Dongcheng") for i, s in enumerate(TWIN_STATISTICS)]
        write_window(root, pa.table(dict(zip(
            ["window_start_s", "window_s", "district", "statistic", "value"],
            map(list, zip(*rows, strict=True)), strict=True))))
    pd.DataFrame({"window_start_s": [T0 + 600], "district": ["Xicheng"],
                  "statistic": ["cameras_online"], "observed": [3.0], "expected": [40.0],
                  "low": [38.0], "high": [42.0], "departure": [-37.0],
                  "departure_bands": [-18.5]}).to_parquet(
        root / "opsstream" / "incidents.parquet")
    return root


def _page(monkeypatch: pytest.MonkeyPatch, runs: Path, twin: Path | None) -> AppTest:
    monkeypatch.setenv("FLEETTWIN_RUNS", str(runs))
    if twin is not None:
        monkeypatch.setenv("FLEETTWIN_TWIN", str(twin))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/operations.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_twin_stream_per_district_with_labels(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    twin = _twin(tmp_path / "twin")
    at = _page(monkeypatch, tmp_path / "runs", twin)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Dongcheng", "Xicheng"]
    assert "Vehicles online (vehicles)" in table.index
    assert not [s for s in table.index if "_" in s]  # labels, never raw names
    # the latest window: value = 20 + position of the statistic
    pos = list(TWIN_STATISTICS).index("vehicles_moving")
    assert table.loc["Vehicles moving (vehicles)", "Xicheng"] == 20 + pos
    assert [m.label for m in at.metric][0] == "Vehicles online (vehicles)"
    incidents = at.dataframe[-1].value
    assert incidents["Statistic"].tolist() == ["Cameras online (cameras)"]
    assert incidents["Departure"].tolist() == [-37.0]
    assert any("Latest window: 2024-01-01 08:20" in s.value for s in at.subheader)


def test_without_a_twin_folder_the_page_says_what_to_do(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FLEETTWIN_TWIN", raising=False)
    at = _page(monkeypatch, tmp_path, None)
    assert any("fleettwin twin opsstream" in i.value for i in at.info)


def _terminals_run(root: Path) -> Path:
    """A run folder with a gateway series (the shape a vehicle-terminals run writes)."""
    run = root / "terminals-synthetic"
    (run / "timeseries").mkdir(parents=True)
    t = np.arange(0, 7200, 600.0)
    pq.write_table(pa.table({"t_s": t, "messages_per_s": 100 + t / 60,
                             "gateway_utilisation": 0.2 + t / 72000,
                             "replication": np.zeros(t.size, np.int32)}),
                   run / "timeseries" / "terminals.parquet")
    manifest = {"schema_version": 1, "run_id": run.name, "scenario": "terminals_synthetic",
                "kind": "terminals_synthetic", "seed": 1, "replications": 1,
                "created_utc": "2026-01-01T00:00:00+00:00", "wall_s": 1.0}
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "kpis.json").write_text(json.dumps({"gateway_utilisation_peak": 0.3}))
    (run / "sla.json").write_text("[]")
    (run / "scenario.yaml").write_text("name: terminals_synthetic\n")
    return run


def test_gateway_load_of_a_terminals_run(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    twin = _twin(tmp_path / "twin")
    _terminals_run(tmp_path / "runs")
    at = _page(monkeypatch, tmp_path / "runs", twin)
    assert any("Gateway load of a terminals run" in s.value for s in at.subheader)
    measures = at.selectbox(key="ops_gateway_measure").options
    assert measures == ["Messages per second", "Gateway utilisation"]
