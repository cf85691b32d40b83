"""``fleettwin twin opsstream`` and ``fleettwin twin monitor``: the 10-minute operations
stream of a twin and its abnormal-event monitor."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from pathlib import Path

from sim.errors import DataError, Problem

MAX_WINDOWS = 100_000


def register(tsub: argparse._SubParsersAction) -> None:
    q = tsub.add_parser("opsstream", help="write the 10-minute statistics per district")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("--window-s", type=float, default=600.0, help="window length (600: 10 min)")
    q.add_argument("--districts", type=Path, help="CSV device,district (default: "
                   "TWIN/districts.csv if there is one)")
    q.add_argument("--rewrite", action="store_true", help="recompute windows already written")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_opsstream)

    q = tsub.add_parser("monitor", help="flag statistics outside the band a run predicts")
    q.add_argument("twin_dir", type=Path)
    q.add_argument("--rules", type=Path, required=True, help="YAML rules file")
    q.add_argument("--run", type=Path, help="run predicting the statistics (its "
                   "timeseries/opsstream.parquet; default: the twin's reference run)")
    q.add_argument("--out", type=Path, help="write the incidents as CSV")
    q.set_defaults(func=cmd_monitor)


def _districts(twin_dir: Path, path: Path | None):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    from twins.opsstream import DISTRICTS_NAME, read_districts

    if path is None:
        default = twin_dir / DISTRICTS_NAME
        if not default.is_file():
            return pa.table({"device": pa.array([], pa.string()),
                             "district": pa.array([], pa.string())})
        path = default
    return read_districts(path)


class StreamWriter:
    """Writes each window of the operations stream once it is complete, during an ingest.

    A window is complete when the twin's latest report is past its end by the twin's
    lateness (records later than that are quarantined as late anyway).
    """

    def __init__(self, twin, window_s: float = 600.0,  # type: ignore[no-untyped-def]
                 districts_path: Path | None = None):
        from twins.opsstream import district_counts, written_windows

        self.twin, self.window_s = twin, window_s
        self.districts = _districts(twin.root, districts_path)
        self.known = district_counts(twin.ids, self.districts)
        done = written_windows(twin.root)
        self.next_s: float | None = done[-1] + window_s if done else None
        self.written = 0

    def __call__(self, _report: object = None) -> None:
        from twins.opsstream import district_counts, window_statistics, write_window
        from twins.state import NO_TIME

        wm = self.twin.state.watermark_ms
        seen = wm > NO_TIME
        if not seen.any():
            return
        latest_s = float(wm[seen].max()) / 1000.0
        if self.next_s is None:
            self.next_s = math.floor(float(wm[seen].min()) / 1000.0 / self.window_s) \
                * self.window_s
        if len(self.twin.ids) != sum(self.known.values()):  # cameras registered meanwhile
            self.known = district_counts(self.twin.ids, self.districts)
        limit = latest_s - self.twin.config.lateness_s
        while self.next_s + self.window_s <= limit:
            write_window(self.twin.root, window_statistics(
                self.twin.store, self.districts, self.known, self.next_s, self.window_s))
            self.next_s += self.window_s
            self.written += 1


def cmd_opsstream(args: argparse.Namespace) -> int:
    from twins.ingest import Twin
    from twins.opsstream import (
        district_counts,
        window_starts,
        window_statistics,
        write_window,
        written_windows,
    )

    w = args.window_s
    if not (math.isfinite(w) and 10.0 <= w <= 86400.0):
        raise DataError("--window-s", [Problem("window_s", "must be in [10, 86400]", w)])
    districts = _districts(args.twin_dir, args.districts)
    with Twin(args.twin_dir, read_only=True) as twin:
        store = twin.store
        row = store.query(f"SELECT min(ts_s) AS a, max(ts_s) AS b FROM {store.records_from()}")
        first, last = row.column("a")[0].as_py(), row.column("b")[0].as_py()
        if first is None:
            print("no records yet: nothing to write")
            return 0
        done = set() if args.rewrite else set(written_windows(twin.root))
        todo = [t for t in window_starts(first, last, w) if t not in done]
        if len(todo) > MAX_WINDOWS:
            raise DataError("--window-s", [Problem("window_s", f"{len(todo):,} windows to "
                                                   f"write; at most {MAX_WINDOWS:,}", w)])
        known = district_counts(twin.ids, districts)
        bar = None
        if not args.quiet and todo:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="window", leave=False)
        t0 = time.perf_counter()
        for start in todo:
            write_window(twin.root, window_statistics(store, districts, known, start, w))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        wall = time.perf_counter() - t0
        tz = twin.config.epoch.tzinfo
    per = wall / len(todo) if todo else 0.0
    print(f"{len(todo)} windows of {w:g} s written ({per:.2f} s per window), "
          f"{len(known)} districts")
    if todo:
        print(f"  {dt.datetime.fromtimestamp(todo[0], tz).isoformat()} .. "
              f"{dt.datetime.fromtimestamp(todo[-1] + w, tz).isoformat()}")
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.cli.tables import render
    from sim.opsstream.catalogue import label
    from sim.opsstream.monitor import incidents, load_rules, prediction
    from twins.config import load_twin_config
    from twins.opsstream import read_stream, stream_dir

    rules = load_rules(args.rules)
    loaded = load_twin_config(args.twin_dir)
    run = args.run
    if run is None and loaded.config.reference_run:
        run = loaded.root / loaded.config.reference_run
    if run is None:
        raise DataError("--run", [Problem("run", "no run given and the twin has no "
                                          "reference_run", has_value=False)])
    path = Path(run) / "timeseries" / "opsstream.parquet"
    if not path.is_file():
        raise DataError(path, [Problem("", "the run has no operations stream (a cameras "
                                       "run writes one)", has_value=False)])
    start_hour = _start_hour(Path(run), 0.0)
    observed = read_stream(loaded.root)
    if observed is None:
        print("no operations stream yet: run `fleettwin twin opsstream` first")
        return 0
    predicted = prediction(pd.read_parquet(path), start_hour)
    found = incidents(observed.to_pandas(), predicted, rules, loaded.config.epoch_s)
    if args.out is not None:
        found.to_csv(args.out, index=False)
    # the latest verdicts, for the dashboard's live-operations page
    found.to_parquet(stream_dir(loaded.root) / "incidents.parquet", index=False)
    if found.empty:
        print("no incidents: every monitored statistic within its band")
        return 0
    tz = loaded.config.epoch.tzinfo
    print(render(["window", "district", "statistic", "observed", "expected", "band",
                  "departure"],
                 [[dt.datetime.fromtimestamp(r.window_start_s, tz).strftime("%m-%d %H:%M"),
                   r.district, label(r.statistic), f"{r.observed:.4g}", f"{r.expected:.4g}",
                   f"[{r.low:.4g}, {r.high:.4g}]",
                   f"{r.departure:+.4g} ({r.departure_bands:+.1f} bands)"]
                  for r in found.itertuples()]))
    print(f"{len(found)} incidents")
    return 1


def _start_hour(run: Path, default: float) -> float:
    """The run's clock time at t = 0 (its scenario's ``start_hour``)."""
    import yaml

    path = run / "scenario.yaml"
    if not path.is_file():
        return default
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return default
    value = data.get("start_hour", default) if isinstance(data, dict) else default
    return float(value) if isinstance(value, int | float) else default
