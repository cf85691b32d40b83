"""A telemetry generator for IPTV runs: every set-top box's status at the end of the run.

Reads ``tables/boxes.parquet`` of an ``iptv`` run (written with the scenario's
``record_boxes``) and sends, per box, the status report it would send last: a box on the air
reports ``online: true`` with its firmware, its access node (``port:<i>``) and what it plays
(``channel`` on live TV, ``vod_title`` on VoD); an offline box is reported ``online: false``
by the management platform when its session drops. Boxes whose install failed carry an
``error_code`` (``FW_ROLLBACK``, ``FW_BRICKED``). Each report time is spread uniformly over
the last ``heartbeat_s`` before the end (boxes report on a period; the last report of each
lands somewhere in that period). Loss, duplication and reordering are applied as for vehicle
terminals, from the same options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import yaml

from sim.engine.rng import RngStreams
from sim.errors import RunError
from sim.results.rundir import read_json, read_table
from twins.records import COLUMNS, SCHEMA

if TYPE_CHECKING:
    from twins.emit import EmitOptions

ERROR_CODES = {"rolled_back": "FW_ROLLBACK", "bricked": "FW_BRICKED"}


@dataclass
class BoxTruth:
    """The boxes of an ``iptv`` run at its end."""

    boxes: pa.Table
    start_time_s: float
    horizon_s: float
    seed: int


def read_box_truth(run: Path, replication: int = 0) -> BoxTruth:
    """Read the boxes table of an ``iptv`` run (an error names the flag that writes it)."""
    manifest = read_json(run / "manifest.json")
    if not (run / "tables" / "boxes.parquet").is_file():
        raise RunError(f"{run}: the run has no tables/boxes.parquet (run the scenario with "
                       "--set record_boxes=true to record its boxes)")
    scenario = yaml.safe_load((run / "scenario.yaml").read_text(encoding="utf-8"))
    return BoxTruth(boxes=read_table(run, "tables/boxes.parquet", replication),
                    start_time_s=float(scenario.get("start_hour", 0.0)) * 3600.0,
                    horizon_s=float(scenario["horizon_s"]), seed=int(manifest.get("seed", 0)))


def _col(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def generate_stb(truth: BoxTruth, opt: EmitOptions) -> pa.Table:
    """STB status reports of every box, in arrival order (canonical records)."""
    rng = RngStreams(truth.seed if opt.seed is None else opt.seed, opt.replication)
    r_sched, r_net = rng.stream("emit.stb.schedule"), rng.stream("emit.network")
    b = truth.boxes
    n = b.num_rows
    end = truth.horizon_s if opt.until_s is None else opt.until_s
    t = end - r_sched.uniform(0.0, opt.heartbeat_s, n)
    ts = np.round(opt.epoch_s + truth.start_time_s + t)
    state = _col(b, "state").astype(str)
    online = state != "offline"
    channel = _col(b, "channel").astype(np.int64)
    title = _col(b, "vod_title").astype(np.int64)
    live = online & (state == "live") & (channel >= 0)
    vod = online & (state == "vod") & (title >= 0)
    outcome = _col(b, "fw_outcome").astype(str)
    error = np.array([ERROR_CODES.get(o) for o in outcome], object)
    cols: dict[str, Any] = {
        "device": _col(b, "device").astype(object),
        "ts_s": ts,
        "seq": np.zeros(n, np.int64),
        "kind": np.full(n, "stb", object),
        "msg": np.full(n, "status", object),
        "online": online,
        "firmware": _col(b, "firmware").astype(object),
        "channel": channel,
        "vod_title": np.array([f"title-{k}" for k in title.tolist()], object),
        "error_code": error,
        "access_node": _col(b, "access_node").astype(object),
    }
    masks = {"channel": ~live, "vod_title": ~vod,
             "error_code": np.array([e is None for e in error], bool)}
    order = np.lexsort((cols["device"], ts))
    kept = order[r_net.random(n) >= opt.loss] if opt.loss > 0 else order
    if opt.duplicate > 0:
        kept = np.r_[kept, kept[r_net.random(len(kept)) < opt.duplicate]]
    arrival = ts[kept].astype(float)
    if opt.reorder_s > 0:
        arrival = arrival + r_net.exponential(opt.reorder_s, len(kept))
    final = kept[np.argsort(arrival, kind="stable")]
    out: dict[str, pa.Array] = {}
    for name, typ in COLUMNS.items():
        if name in cols:
            mask = masks.get(name)
            out[name] = pa.array(cols[name][final], typ,
                                 mask=None if mask is None else mask[final])
        else:
            out[name] = pa.nulls(len(final), typ)
    return pa.table(out, schema=SCHEMA)
