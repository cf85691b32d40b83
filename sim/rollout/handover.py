"""Hand-over to the network model: the installed base at a date as IPTV site groups.

Each enterprise with boxes activated by the date is a site; sites are grouped by province
and vertical with their mean boxes per site, the public ``site_groups`` fields of an ``iptv``
scenario. :func:`iptv_scenario` puts them into a copy of an IPTV scenario (e.g. the national
day), so the December evening peak runs with the boxes actually installed by then::

    python -m sim.rollout.handover RUN_DIR --base iptv_national_rollout_day --out dec.yaml
    fleettwin run dec.yaml
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.rollout.plan import VERTICALS
from sim.rollout.record import RolloutRecord

#: The set-top-box profile of each vertical (as the national IPTV scenario uses them).
STB = {"hotel": "hotel_wifi_stb", "barracks": "barracks_stb"}
DEFAULT_STB = "tianyi_hd_stb"


def installed_sites(rec: RolloutRecord, at_s: float) -> dict[str, Any]:
    """Sites (orders with boxes activated by ``at_s``) per province and vertical."""
    v, o = rec.visits, rec.orders
    done = ~np.isnan(v.end_s) & (v.end_s <= at_s)
    per_order = np.bincount(v.order[done], weights=v.boxes[done], minlength=len(o))
    site = per_order > 0
    key = o.province * len(VERTICALS) + o.vertical
    n = len(rec.provinces) * len(VERTICALS)
    sites = np.bincount(key[site], minlength=n)
    boxes = np.bincount(key[site], weights=per_order[site], minlength=n)
    keep = np.flatnonzero(sites > 0)
    return {
        "province": [rec.provinces[k // len(VERTICALS)] for k in keep],
        "vertical": [VERTICALS[k % len(VERTICALS)] for k in keep],
        "sites": sites[keep].astype(np.int64),
        "boxes": boxes[keep].astype(np.int64),
        "boxes_per_site": boxes[keep] / sites[keep],
        "at_s": np.full(keep.size, at_s),
    }


def site_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IPTV ``site_groups`` entries from hand-over rows."""
    out = []
    for r in rows:
        slug = re.sub(r"[^a-z0-9]+", "_", str(r["province"]).lower()).strip("_")
        out.append({"name": f"{slug}_{r['vertical']}", "vertical": r["vertical"],
                    "province": r["province"], "sites": int(r["sites"]),
                    "boxes_per_site": max(1, int(round(float(r["boxes_per_site"])))),
                    "stb": STB.get(str(r["vertical"]), DEFAULT_STB)})
    return out


def iptv_scenario(base: dict[str, Any], rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """A copy of the IPTV scenario ``base`` whose population is the installed base."""
    out = dict(base)
    out["name"] = name
    out["description"] = f"{base.get('description', '')} (installed base from a rollout run)"
    out["site_groups"] = site_groups(rows)
    return out


def main(argv: list[str] | None = None) -> int:
    import pyarrow.parquet as pq

    from sim.engine.loading import find_scenario
    from sim.errors import FleetTwinError
    from sim.schema.loader import load_yaml

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a rollout run directory (with tables/handover)")
    ap.add_argument("--base", default="iptv_national_rollout_day", help="IPTV scenario")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    path = args.run / "tables" / "handover.parquet"
    try:
        if not path.is_file():
            sys.stderr.write(f"fleettwin: error: {path}: no hand-over table (set handover_date "
                             "in the rollout scenario)\n")
            return 2
        rows = pq.read_table(path).to_pylist()
        rows = [r for r in rows if r.get("replication", 0) == 0]
        base = load_yaml(find_scenario(args.base))
    except FleetTwinError as exc:
        sys.stderr.write(f"fleettwin: error: {exc}\n")
        return exc.exit_code
    doc = iptv_scenario(base, rows, f"{base.get('name', 'iptv')}_installed")
    args.out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    sys.stdout.write(f"{args.out}: {len(doc['site_groups'])} site groups, "
          f"{sum(r['sites'] * r['boxes_per_site'] for r in doc['site_groups']):,} boxes\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
