"""Small scenarios of each IPTV kind whose outputs are kept as goldens.

Each case is a shipped scenario with overrides that make it run in a few seconds. The golden
file holds the KPIs and, per series and table, a digest of every column (and the per-window
``network`` series in full, so that a change shows where it happened). Regenerate after a
deliberate change with ``python -m tests.golden.iptv.cases``; the diff of the JSON files is
part of the commit that changes a result.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

GOLDEN_DIR = Path(__file__).parent

_NATIONAL_GROUPS = [
    {"name": f"{prov}_{v}", "vertical": v, "province": prov, "sites": sites,
     "boxes_per_site": per, "stb": stb, **extra}
    for prov in ("Guangdong", "Tibet")
    for v, sites, per, stb, extra in (
        ("hotel", 12, 80, "hotel_wifi_stb", {"uhd_box_share": 0.15}),
        ("school", 10, 40, "tianyi_hd_stb", {}),
        ("dormitory", 5, 100, "tianyi_hd_stb", {}),
        ("barracks", 3, 120, "barracks_stb", {}),
        ("hospital", 1, 200, "tianyi_hd_stb", {}),
        ("chain_store", 45, 3, "tianyi_hd_stb", {}),
        ("residential", 8, 40, "tianyi_hd_stb", {"uhd_box_share": 0.15}),
    )
]

#: name -> (scenario, overrides)
CASES: dict[str, tuple[str, list[str]]] = {
    "hotel_district": ("iptv_hotel_district", [
        "horizon_s=3600", "warmup_s=600", "site_groups[0].sites=6", "site_groups[1].sites=6"]),
    "boot_storm": ("iptv_boot_storm", [
        "horizon_s=3600", "site_groups[0].sites=8", "site_groups[1].sites=4",
        "site_groups[2].sites=10", "site_groups[3].sites=1"]),
    "firmware_campaign": ("iptv_firmware_campaign", [
        "horizon_s=86400", "events.firmware_campaign.egress_cap_gbps=0.2",
        "network.core_boxes_per_link=2000",
        "site_groups=" + json.dumps(_NATIONAL_GROUPS)]),
    "national_day": ("iptv_national_rollout_day", [
        "network.core_boxes_per_link=2000",
        "site_groups=" + json.dumps(_NATIONAL_GROUPS)]),
}

#: Series kept in full (per window), besides the digests of every column.
FULL_SERIES = ("network",)


def _digest(col: pa.ChunkedArray) -> str:
    text = json.dumps(col.to_pylist(), allow_nan=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _table(t: pa.Table) -> dict[str, Any]:
    return {"rows": t.num_rows, "columns": {n: _digest(t.column(n)) for n in t.column_names}}


def run_case(name: str) -> dict[str, Any]:
    """The golden record of case ``name``: KPIs, column digests, the full per-window series."""
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario

    scenario, sets = CASES[name]
    res = run_scenario(load_scenario(scenario, sets))
    rep = res.replications[0]
    out: dict[str, Any] = {"scenario": scenario, "overrides": sets,
                           "kpis": dict(sorted(res.kpis.items()))}
    out["series"] = {k: _table(v) for k, v in sorted(rep.series.items())}
    out["tables"] = {k: _table(v) for k, v in sorted(rep.tables.items())}
    out["full"] = {k: rep.series[k].to_pydict() for k in FULL_SERIES if k in rep.series}
    # JSON round trip: what the file holds (floats by repr, exact)
    return json.loads(json.dumps(out, allow_nan=True, default=str))


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def main(argv: list[str]) -> int:
    names = argv or list(CASES)
    for name in names:
        rec = run_case(name)
        golden_path(name).write_text(json.dumps(rec, indent=1, allow_nan=True) + "\n")
        sys.stdout.write(f"wrote {golden_path(name)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
