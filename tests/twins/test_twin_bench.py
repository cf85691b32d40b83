"""Opt-in ingest benchmark (``pytest -m benchmark``); prints rates, asserts only correctness."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.benchmark
def test_ingest_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from validation.bench_twins import main

    assert main(["--records", "300000", "--frames", "150000", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert "JSON lines" in out and "JT/T 808" in out


@pytest.mark.benchmark
def test_bad_share_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ingest with 10% bad lines against the clean file (target: within 3x its time)."""
    from validation.bench_twins import main

    assert main(["--bad-share", "0.1", "--records", "300000", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert "JSON lines" in out and "CSV" in out
