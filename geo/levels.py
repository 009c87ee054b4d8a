"""Levels of detail for the line layers, built once at data build time and read by the map.

A map of all of Europe cannot carry every vertex: the embedded roads alone have about a million.
So the build stores coarser copies of each line layer beside it, and the map picks one by zoom
(`geo.view`):

| level | Leaflet zoom | grid (deg) | file |
|---|---|---|---|
| 0 | <= 4 | 0.1 | `datasets/<layer>_lod0.parquet` |
| 1 | 5 | 0.05 | `datasets/<layer>_lod1.parquet` |
| 2 | 6-7 | 0.01 | `datasets/<layer>_lod2.parquet` |
| 3 | 8-9 | 0.002 | `datasets/<layer>_lod3.parquet` |
| 4 (FULL) | >= 10 | as stored | the embedded layer itself, `datasets/<layer>.parquet` |

Which attributes a level keeps apart when it merges lines (besides kind, country and provenance)
is the layer specification's `level_keys` (`geo.layers`): for rail, electrification at every level,
then tracks, usage and gauge; for roads, the construction flag, then road numbers.

Each level's grid is about one screen pixel at its highest zoom (a pixel at zoom z spans
360 / (256 * 2**z) degrees of longitude), so generalising is invisible on screen. Building a level:
group the features by the attributes kept at that level, simplify (Douglas-Peucker, tolerance
= the grid), snap to the grid, and join touching lines (`line_merge`). Levels 0-2 also union each
group on its grid, which collapses dual carriageways and parallel tracks into one line.
Level files follow `geo.schema` (ids `lod<k>:<source>/<layer>/<n>`), so they stay exportable;
attributes not kept at a level are null, and `tags` records the level, grid and merged count.
Nothing ever simplifies per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema, settings, store
from geo.layers import PROVENANCE_COLUMNS, LayerSpec, get_layer, layers_with_levels
from geo.sources import _geometry

# Ids of the features of a level: `lod<k>:<source>/<layer>/<n>`.
LEVEL_ID_PATTERN = re.compile(r"^lod\d+:")


@dataclass(frozen=True)
class Level:
    """One level of detail: shown up to `max_zoom`, coordinates on a `grid_deg` grid (degrees)."""

    number: int
    max_zoom: int
    grid_deg: float
    decimals: int  # decimals of a degree that represent the grid exactly
    union: bool  # union each group on the grid (dedups parallel lines) before joining


LEVELS: tuple[Level, ...] = (
    Level(0, 4, 0.1, 1, True),
    Level(1, 5, 0.05, 2, True),
    Level(2, 7, 0.01, 2, True),
    Level(3, 9, 0.002, 3, False),
)
# The stored layer itself: shown from zoom 10, clipped to the visible area.
FULL = len(LEVELS)
FULL_DECIMALS = _geometry.COORDINATE_DECIMALS


def decimals_for_level(level: int) -> int:
    """Decimals of a degree a renderer should round coordinates of `level` to."""
    return FULL_DECIMALS if level >= FULL else LEVELS[level].decimals


def is_merged(ids: pd.Series) -> np.ndarray:
    """Which of `ids` are lines merged for a level of detail (their id starts with `lod<k>:`)."""
    return ids.astype("string").str.match(LEVEL_ID_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)


# -- building ---------------------------------------------------------------------------------


def _generalise(geometries: np.ndarray, level: Level) -> shapely.Geometry | None:
    """All `geometries` of one group as one (Multi)LineString on the level's grid, or None if nothing is left."""
    parts = shapely.get_parts(geometries)
    parts = shapely.set_precision(shapely.simplify(parts, level.grid_deg / 2), level.grid_deg)
    parts = parts[~shapely.is_empty(parts)]
    if not len(parts):
        return None
    if level.union:
        joined = shapely.union_all(parts, grid_size=level.grid_deg)
    else:
        joined = shapely.multilinestrings(shapely.get_parts(parts))
    # Line by line: GEOS's topology-preserving simplify of one multi-part geometry checks every part
    # against every other, minutes for a country's roads.
    merged = shapely.simplify(shapely.get_parts(shapely.line_merge(joined)), level.grid_deg)
    # Snap to the shortest decimal form, so the page prints "4.35" and not "4.3500000000000005".
    merged = shapely.transform(merged, lambda xy: np.round(xy, level.decimals))
    broken = ~shapely.is_valid(merged)  # a line rounded onto one point
    merged[broken] = shapely.make_valid(merged[broken])
    lines = [p for p in shapely.get_parts(merged) if p.geom_type == "LineString" and not p.is_empty]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)


def build_level(
    frame: gpd.GeoDataFrame, layer: str, level: int, country_names: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Level `level` (0 .. FULL-1) of layer `layer` (one with levels), built from the full-detail `frame`.

    Schema-conformant. Each merged line is named by what it stands for ("Motorways in Poland,
    simplified for this zoom"), `country_names` ({alpha-2: name}) naming its country.
    """
    spec = get_layer(layer)
    if not spec.has_levels:
        raise ValueError(f"levels of detail exist for the layers {', '.join(layers_with_levels())}, not {layer!r}")
    if not 0 <= level < FULL:
        raise ValueError(f"level must be 0..{FULL - 1} (level {FULL} is the stored layer itself), got {level}")
    grid = LEVELS[level]
    keys = ["kind", "country", *spec.level_keys[level], *PROVENANCE_COLUMNS]
    rows = []
    for values, group in frame.groupby(keys, dropna=False, sort=True):
        geometry = _generalise(group.geometry.values, grid)
        if geometry is not None:
            rows.append({**dict(zip(keys, values, strict=True)), "merged": len(group), "geometry": geometry})
    merged = pd.DataFrame(rows, columns=[*keys, "merged", "geometry"])
    for column in keys:  # groupby hands NA keys back as NaN; restore the schema's nulls
        merged[column] = merged[column].where(merged[column].notna(), pd.NA)
    number = merged.groupby("source", sort=False).cumcount().astype(str)
    merged["id"] = f"lod{level}:" + merged["source"].astype(str) + f"/{layer}/" + number
    merged["layer"] = layer
    merged["name"] = _merged_names(merged, spec, country_names or {})
    merged["length_km"] = _geometry.geodesic_length_km(merged.geometry.values).round(3)
    merged["tags"] = [
        json.dumps({"lod": level, "grid_deg": grid.grid_deg, "merged_features": int(n)}) for n in merged["merged"]
    ]
    return schema.conform(gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS), layer)


def _merged_names(merged: pd.DataFrame, spec: LayerSpec, country_names: Mapping[str, str]) -> pd.Series:
    """What each merged line stands for, e.g. "Electrified railways in Norway, simplified for this zoom"."""
    if merged.empty:
        return pd.Series([], dtype="string")
    plural = {key: style.plural[:1].upper() + style.plural[1:] for key, style in spec.line_styles.items()}
    what = spec.line_class(merged).map(plural)
    # object dtype: a column of nothing but nulls (an area outside every country) maps to Arrow's null type.
    where = merged["country"].astype(object).map(lambda code: country_names.get(code, code), na_action="ignore")
    return (what + (" in " + where).fillna("") + ", simplified for this zoom").astype("string")


def build_levels(
    frame: gpd.GeoDataFrame, layer: str, country_names: Mapping[str, str] | None = None
) -> dict[int, gpd.GeoDataFrame]:
    """Every stored level (0 .. FULL-1) of line layer `layer`; the full level is `frame` itself."""
    return {grid.number: build_level(frame, layer, grid.number, country_names) for grid in LEVELS}


def level_path(layer: str, level: int, datasets_dir: Path | None = None) -> Path:
    """Where level `level` of `layer` is stored; the FULL level is the embedded layer file."""
    if level >= FULL:
        return Path(datasets_dir or settings.DATASETS_DIR) / f"{layer}.parquet"
    return Path(datasets_dir or settings.DATASETS_DIR) / f"{layer}_lod{level}.parquet"


def write_levels(
    layers: dict[str, gpd.GeoDataFrame],
    out_dir: Path,
    progress: Callable[[str], object] = print,
    country_names: Mapping[str, str] | None = None,
) -> dict[str, dict]:
    """Build and write (atomically) every level of every line layer in `layers`; the build calls this.

    Returns {"<layer>_lod<k>": {"path", "features", "bytes"}} and reports each file through `progress`.
    """
    summary = {}
    for layer in layers_with_levels():
        if layer not in layers:
            continue
        progress(f"{layer}: levels of detail {', '.join(str(s.number) for s in LEVELS)} ...")
        for level, generalised in build_levels(layers[layer], layer, country_names).items():
            path = store.write_layer(generalised, level_path(layer, level, out_dir), layer)
            size = path.stat().st_size
            summary[f"{layer}_lod{level}"] = {"path": str(path), "features": len(generalised), "bytes": size}
            progress(f"  {layer}_lod{level:<4} {len(generalised):>5,} features, {size / 1e6:.2f} MB  {path}")
    return summary


# -- reading --------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _read_cached(path: str, layer: str, mtime_ns: int) -> gpd.GeoDataFrame:
    return store.read_layer_file(Path(path), layer)


def read_level(layer: str, level: int, datasets_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Level `level` of `layer` (FULL or a point layer: the embedded layer itself), read once per process.

    The frame is shared by every caller (and every app session): do not modify it in place.
    Raises store.DatasetError with the rebuild command when the file is missing or corrupt.
    """
    path = level_path(layer, level if get_layer(layer).has_levels else FULL, datasets_dir)
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _read_cached(str(path), layer, mtime)
