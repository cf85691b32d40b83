"""Opt-in benchmark: sweep overhead per run on a LocalCluster vs the same runs in one process.

Run with ``pytest -m benchmark tests/sim/sweep -s``; prints the ratio and the overhead per run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from sim.sweep.grid import build_plan
from sim.sweep.runner import run_sweep

SMALL = ["horizon_s=7200", "warmup_s=600", "batches=3", "record_interval_s=1800"]


@pytest.mark.benchmark
def test_sweep_overhead_per_run(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    plan = build_plan("hotline_support", ["agents=20,22,24,26"], replications=10,
                      base_overrides=SMALL)
    n = len(plan.runs())

    # the machine is shared: time the in-process reference twice and keep the faster
    seq = []
    for i in range(2):
        t0 = time.perf_counter()
        run_sweep(plan, tmp_path / f"seq{i}", workers=0, progress=False)
        seq.append(time.perf_counter() - t0)
    seq_s = min(seq)

    t0 = time.perf_counter()
    run_sweep(plan, tmp_path / "dask1", workers=1, progress=False)
    dask1_s = time.perf_counter() - t0  # includes starting and stopping the cluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        # warm the worker (imports, first Arrow/pandas use) with one run of another point
        warm = build_plan("hotline_support", ["agents=30"], replications=1, base_overrides=SMALL)
        run_sweep(warm, tmp_path / "warmup", scheduler=cluster.scheduler_address,
                  progress=False)
        warm = []
        for i in range(2):
            t0 = time.perf_counter()
            run_sweep(plan, tmp_path / f"warm{i}", scheduler=cluster.scheduler_address,
                      progress=False)
            warm.append(time.perf_counter() - t0)
        warm1_s = min(warm)  # a warm cluster: per-run overhead only

    t0 = time.perf_counter()
    run_sweep(plan, tmp_path / "dask2", workers=2, progress=False)
    dask2_s = time.perf_counter() - t0

    per_run_cold = (dask1_s - seq_s) / n
    per_run_warm = (warm1_s - seq_s) / n
    print(f"\n{n} runs: sequential in-process {seq_s:.2f} s ({seq_s / n * 1000:.0f} ms/run)")
    print(f"LocalCluster 1 worker incl. start {dask1_s:.2f} s: ratio {dask1_s / seq_s:.2f}, "
          f"overhead {per_run_cold * 1000:.0f} ms/run")
    print(f"warm cluster, 1 worker {warm1_s:.2f} s: ratio {warm1_s / seq_s:.2f}, "
          f"overhead {per_run_warm * 1000:.0f} ms/run")
    print(f"LocalCluster 2 workers incl. start {dask2_s:.2f} s: ratio {dask2_s / seq_s:.2f}")
    assert per_run_cold < 0.5
