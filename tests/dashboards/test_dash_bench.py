"""Opt-in benchmark (``pytest -m benchmark``): a 250,000-request run's Run page, warm, < 2 s;
the what-if launcher's overhead < 1 s."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "validation" / "bench_dashboard.py"


@pytest.mark.benchmark
def test_large_run_page_opens_fast(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_dashboard", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--work", str(tmp_path), "--repeat", "3"]) == 0
