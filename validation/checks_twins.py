"""Twin checks: the JT/T 808 codec against the standard's own rules and example, and the
emit -> ingest loop against a run's known end state.

- ``twins.jt808_escape``: the escaping example given in JT/T 808 section 4.4.2
  (``0x30 0x7e 0x08 0x7d 0x55`` is sent as ``0x30 0x7d 0x02 0x08 0x7d 0x01 0x55``), decoded back
  by the per-frame and the vectorised decoder inside a frame.
- ``twins.recovery``: a city fleet run turned into JT/T 808 telemetry with 2 % loss, 3 %
  duplicates and reordering; the twin's final state (operational state, nearest road node,
  odometer) must match the run's end state; ``full`` uses a bigger fleet.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from validation.registry import CheckResult, register_check

EXAMPLE_RAW = bytes([0x30, 0x7E, 0x08, 0x7D, 0x55])
EXAMPLE_SENT = bytes([0x30, 0x7D, 0x02, 0x08, 0x7D, 0x01, 0x55])


@register_check("twins.jt808_escape", "twins")
def check_escape(full: bool) -> list[CheckResult]:
    """The standard's escaping example, through both decoders."""
    from twins.jt808.fastdecode import decode_frames
    from twins.jt808.frames import decode_frame, encode_frame, escape, unescape
    from twins.jt808.reassembly import Reassembler

    sent = escape(EXAMPLE_RAW)
    frame = encode_frame(0x0801, "013912345678", 1, EXAMPLE_RAW)
    body = decode_frame(frame).body
    batch, _ = decode_frames(frame, 0, Reassembler())
    return [
        CheckResult("escape 30 7e 08 7d 55", EXAMPLE_SENT.hex(" "), sent.hex(" "), "exact",
                    sent == EXAMPLE_SENT, "JT/T 808 4.4.2"),
        CheckResult("unescape", EXAMPLE_RAW.hex(" "), unescape(EXAMPLE_SENT).hex(" "), "exact",
                    unescape(EXAMPLE_SENT) == EXAMPLE_RAW, "JT/T 808 4.4.2"),
        CheckResult("body through a frame", EXAMPLE_RAW.hex(" "), body.hex(" "), "exact",
                    body == EXAMPLE_RAW and EXAMPLE_SENT in frame,
                    "escaped inside the frame, restored by the per-frame decoder"),
        CheckResult("vectorised decoder rejects the unknown id", "0x0801 quarantined",
                    batch.rejects[0].reason if batch.rejects else "accepted", "exact",
                    bool(batch.rejects) and "0x0801" in batch.rejects[0].reason, ""),
    ]


def _small_run(out: Path, vehicles: int) -> Path:
    from sim.engine.loading import load_scenario_data
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run

    raw = {
        "name": "twin_recovery", "kind": "city_fleet", "seed": 3, "horizon_s": 5400,
        "start_time_s": 25200,
        "world": {"network": {"source": "synthetic", "rows": 12, "cols": 12, "ring": False}},
        "fleets": {"taxis": {"count": vehicles, "vehicle_profile": "sedan_ice",
                             "terminal_profile": "jt808_basic"}},
        "demand": {"requests_per_day": 100 * vehicles, "min_trip_km": 0.5},
    }
    loaded = load_scenario_data(raw, "<twin recovery check>")
    return write_run(run_scenario(loaded), out, name="source")


@register_check("twins.recovery", "twins")
def check_recovery(full: bool) -> list[CheckResult]:
    """Emit a run as noisy JT/T 808 telemetry, ingest it, compare with the run's end state."""
    import numpy as np

    from sim.results.rundir import read_table
    from twins.config import vehicle_device_id
    from twins.emit import EmitOptions, generate, read_truth, write_jt808
    from twins.fork import nearest_nodes, twin_nodes
    from twins.ingest import Twin
    from twins.setup import init_from_run

    with tempfile.TemporaryDirectory(prefix="twin-check-") as tmp:
        work = Path(tmp)
        run = _small_run(work, 200 if full else 40)
        root = work / "twin"
        init_from_run(root, run)
        table = generate(read_truth(run), EmitOptions(loss=0.02, duplicate=0.03, reorder_s=5))
        with (work / "s.808").open("wb") as fh:
            write_jt808(table, fh)
        with Twin(root) as twin:
            rep = twin.ingest([work / "s.808"])
            st = {r["device"]: r for r in twin.device_states().to_pylist()}
            nodes = twin_nodes(twin)
        truth = read_table(run, "tables/vehicles.parquet", 0).to_pylist()
        got = [st[vehicle_device_id(t["vehicle"])] for t in truth]
        node = nearest_nodes(nodes, np.array([g["lon"] for g in got]),
                             np.array([g["lat"] for g in got]))
        n = len(truth)
        state_ok = sum(g["state"] == t["state"] for g, t in zip(got, truth, strict=True)) / n
        node_ok = sum(int(k) == t["node"] for k, t in zip(node, truth, strict=True)) / n
        odo_err = max(abs(g["odometer_km"] - t["odometer_km"]) for g, t in zip(got, truth,
                                                                              strict=True))
    return [
        CheckResult("accepted + quarantined = read", rep.read, rep.accepted + rep.quarantined,
                    "exact", rep.read == rep.accepted + rep.quarantined, ""),
        CheckResult("end state recovered (share of vehicles)", 1.0, round(state_ok, 3),
                    "== 1", state_ok == 1.0, f"{n} vehicles, 2% loss, 3% duplicates"),
        CheckResult("end node recovered (share of vehicles)", 1.0, round(node_ok, 3),
                    ">= 0.95", node_ok >= 0.95, "GPS error 8 m, 400 m blocks"),
        CheckResult("odometer error, km (max)", 0.0, round(odo_err, 3), "<= 0.1",
                    odo_err <= 0.1, "0.1 km resolution of JT/T 808 item 0x01"),
    ]
