"""Levels of detail for the line layers (rail, roads), built once at data build time.

A map of all of Europe cannot carry every vertex: the embedded roads alone have about a million.
So the build stores coarser copies of each line layer beside it, and the map picks one by zoom:

| level | Leaflet zoom | grid (deg) | merged by (besides kind, country, provenance) | file |
|---|---|---|---|---|
| 0 | <= 4 | 0.1 | rail: electrified; roads: construction | `datasets/<layer>_lod0.parquet` |
| 1 | 5 | 0.05 | rail: electrified; roads: construction | `datasets/<layer>_lod1.parquet` |
| 2 | 6-7 | 0.01 | rail: electrified, tracks; roads: construction | `datasets/<layer>_lod2.parquet` |
| 3 | 8-9 | 0.002 | rail: + usage, gauge; roads: + ref | `datasets/<layer>_lod3.parquet` |
| 4 (FULL) | >= 10 | as stored | the embedded layer itself, clipped to the visible area | `datasets/<layer>.parquet` |

Each level's grid is about one screen pixel at its highest zoom (a pixel at zoom z spans
360 / (256 * 2**z) degrees of longitude), so generalising is invisible on screen. Building a level:
group the features by the attributes kept at that level, simplify (Douglas-Peucker, tolerance
= the grid), snap to the grid, and join touching lines (`line_merge`). Levels 0-2 also union each
group on its grid, which collapses dual carriageways and parallel tracks into one line.
Level files follow `geo.schema` (ids `lod<k>:<source>/<layer>/<n>`), so they stay exportable;
attributes not kept at a level are null, and `tags` records the level, grid and merged count.

A view that would exceed the page budget falls back to a coarser level and says so
(`plan_view`); nothing ever simplifies per request.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema, settings, store
from geo.areas import validate_bbox
from geo.sources import _geometry

LINE_LAYERS = ("rail", "roads")
# Ids of the features of a level: `lod<k>:<source>/<layer>/<n>`.
LEVEL_ID_PATTERN = re.compile(r"^lod\d+:")
PROVENANCE_COLUMNS = ("source", "licence", "attribution", "source_date", "retrieved_at")


@dataclass(frozen=True)
class Level:
    """One level of detail: shown up to `max_zoom`, coordinates on a `grid_deg` grid (degrees)."""

    number: int
    max_zoom: int
    grid_deg: float
    decimals: int  # decimals of a degree that represent the grid exactly
    union: bool  # union each group on the grid (dedups parallel lines) before joining
    merge_by: dict[str, tuple[str, ...]] = field(default_factory=dict)


LEVELS: tuple[Level, ...] = (
    Level(0, 4, 0.1, 1, True, {"rail": ("electrified",), "roads": ("construction",)}),
    Level(1, 5, 0.05, 2, True, {"rail": ("electrified",), "roads": ("construction",)}),
    Level(2, 7, 0.01, 2, True, {"rail": ("electrified", "tracks"), "roads": ("construction",)}),
    Level(
        3, 9, 0.002, 3, False, {"rail": ("electrified", "tracks", "usage", "gauge"), "roads": ("construction", "ref")}
    ),
)
# The stored layer itself: shown from zoom 10, clipped to the visible area.
FULL = len(LEVELS)
FULL_DECIMALS = _geometry.COORDINATE_DECIMALS

# Largest map page we send to a browser, in bytes (the goal of issue 6; see benchmarks/README.md).
PAGE_BUDGET_BYTES = 3_000_000
# Bytes a line feature and a port cost in the page besides line coordinates (popup table, style
# class, position), measured on the embedded layers with geo.render's encoding (about 110 and 240).
FEATURE_OVERHEAD_BYTES = 150
POINT_BYTES = 240


def level_for_zoom(zoom: float) -> int:
    """The level shown at Leaflet zoom `zoom` (0 = whole world in one 256 px tile); FULL from zoom 10."""
    for level in LEVELS:
        if zoom <= level.max_zoom:
            return level.number
    return FULL


def zoom_for_bbox(bbox: tuple[float, float, float, float], width_px: int = 1400, height_px: int = 800) -> float:
    """The zoom Leaflet's fitBounds picks for `bbox` (lon/lat degrees) in a map of that size (whole zooms)."""
    west, south, east, north = validate_bbox(bbox)

    def mercator_y(lat: float) -> float:
        lat = max(min(lat, 85.0511), -85.0511)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = max((east - west) / 360.0, 1e-9)
    span_y = max((mercator_y(north) - mercator_y(south)) / (2 * math.pi), 1e-9)
    scale = min(width_px / span_x, height_px / span_y) / 256.0
    return float(max(0, min(18, math.floor(math.log2(scale)))))


def level_for_bbox(bbox: tuple[float, float, float, float], width_px: int = 1400, height_px: int = 800) -> int:
    """The level for a map of `width_px` x `height_px` fitted to `bbox` (lon/lat degrees)."""
    return level_for_zoom(zoom_for_bbox(bbox, width_px, height_px))


def decimals_for_level(level: int) -> int:
    """Decimals of a degree a renderer should round coordinates of `level` to."""
    return FULL_DECIMALS if level >= FULL else LEVELS[level].decimals


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
    merged = shapely.simplify(shapely.line_merge(joined), level.grid_deg)
    # Snap to the shortest decimal form, so the page prints "4.35" and not "4.3500000000000005".
    merged = shapely.transform(merged, lambda xy: np.round(xy, level.decimals))
    merged = shapely.make_valid(merged) if not shapely.is_valid(merged) else merged
    lines = [p for p in shapely.get_parts(merged) if p.geom_type == "LineString" and not p.is_empty]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)


def build_level(frame: gpd.GeoDataFrame, layer: str, level: int) -> gpd.GeoDataFrame:
    """Level `level` (0 .. FULL-1) of line layer `layer`, built from the full-detail `frame`; schema-conformant."""
    if layer not in LINE_LAYERS:
        raise ValueError(f"levels of detail exist for line layers {LINE_LAYERS}, not {layer!r}")
    if not 0 <= level < FULL:
        raise ValueError(f"level must be 0..{FULL - 1} (level {FULL} is the stored layer itself), got {level}")
    spec = LEVELS[level]
    keys = ["kind", "country", *spec.merge_by[layer], *PROVENANCE_COLUMNS]
    rows = []
    for values, group in frame.groupby(keys, dropna=False, sort=True):
        geometry = _generalise(group.geometry.values, spec)
        if geometry is not None:
            rows.append({**dict(zip(keys, values, strict=True)), "merged": len(group), "geometry": geometry})
    merged = pd.DataFrame(rows, columns=[*keys, "merged", "geometry"])
    for column in keys:  # groupby hands NA keys back as NaN; restore the schema's nulls
        merged[column] = merged[column].where(merged[column].notna(), pd.NA)
    number = merged.groupby("source", sort=False).cumcount().astype(str)
    merged["id"] = f"lod{level}:" + merged["source"].astype(str) + f"/{layer}/" + number
    merged["layer"] = layer
    merged["length_km"] = _geometry.geodesic_length_km(merged.geometry.values).round(3)
    merged["tags"] = [
        json.dumps({"lod": level, "grid_deg": spec.grid_deg, "merged_features": int(n)}) for n in merged["merged"]
    ]
    return schema.conform(gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS), layer)


def build_levels(frame: gpd.GeoDataFrame, layer: str) -> dict[int, gpd.GeoDataFrame]:
    """Every stored level (0 .. FULL-1) of line layer `layer`; the full level is `frame` itself."""
    return {spec.number: build_level(frame, layer, spec.number) for spec in LEVELS}


def level_path(layer: str, level: int, datasets_dir: Path | None = None) -> Path:
    """Where level `level` of `layer` is stored; the FULL level is the embedded layer file."""
    if level >= FULL:
        return Path(datasets_dir or settings.DATASETS_DIR) / f"{layer}.parquet"
    return Path(datasets_dir or settings.DATASETS_DIR) / f"{layer}_lod{level}.parquet"


def write_levels(
    layers: dict[str, gpd.GeoDataFrame], out_dir: Path, progress: Callable[[str], object] = print
) -> dict[str, dict]:
    """Build and write (atomically) every level of every line layer in `layers`; the build calls this.

    Returns {"<layer>_lod<k>": {"path", "features", "bytes"}} and reports each file through `progress`.
    """
    summary = {}
    for layer in LINE_LAYERS:
        if layer not in layers:
            continue
        progress(f"{layer}: levels of detail {', '.join(str(s.number) for s in LEVELS)} ...")
        for level, generalised in build_levels(layers[layer], layer).items():
            path = store.write_layer(generalised, level_path(layer, level, out_dir), layer)
            size = path.stat().st_size
            summary[f"{layer}_lod{level}"] = {"path": str(path), "features": len(generalised), "bytes": size}
            progress(f"  {layer}_lod{level:<4} {len(generalised):>5,} features, {size / 1e6:.2f} MB  {path}")
    return summary


# -- reading and planning a view --------------------------------------------------------------


@lru_cache(maxsize=16)
def _read_cached(path: str, layer: str, mtime_ns: int) -> gpd.GeoDataFrame:
    return store.read_layer_file(Path(path), layer)


def read_level(layer: str, level: int, datasets_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Level `level` of `layer` (FULL or a point layer: the embedded layer itself), read once per process.

    The frame is shared by every caller (and every app session): do not modify it in place.
    Raises store.DatasetError with the rebuild command when the file is missing or corrupt.
    """
    path = level_path(layer, level if layer in LINE_LAYERS else FULL, datasets_dir)
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _read_cached(str(path), layer, mtime)


def clip_to_bbox(frame: gpd.GeoDataFrame, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """The features of `frame` inside `bbox` (lon/lat degrees), lines cut at its edges (points kept whole)."""
    west, south, east, north = validate_bbox(bbox)
    inside = frame.iloc[frame.sindex.query(shapely.box(west, south, east, north), predicate="intersects")]
    inside = inside.sort_index()
    lines = inside.geom_type.isin(("LineString", "MultiLineString")).to_numpy()
    if lines.any():
        inside = inside.copy()
        clipped = shapely.clip_by_rect(inside.geometry.values[lines], west, south, east, north)
        geoms = inside.geometry.values.copy()
        geoms[lines] = clipped
        inside = inside.set_geometry(gpd.GeoSeries(geoms, index=inside.index, crs=inside.crs))
        inside = inside[~inside.geometry.is_empty]
    return inside


def _coordinate_chars(geometries: np.ndarray, decimals: int) -> int:
    """Characters the map page spends on the lines `geometries`: `geo.render.grid_deltas` integers,
    comma-separated, each path in brackets."""
    from geo.render import grid_deltas  # imported here: render imports this module

    parts = shapely.get_parts(geometries)
    if not len(parts):
        return 0
    delta, _ = grid_deltas(parts, decimals)
    digits = np.floor(np.log10(np.maximum(np.abs(delta), 1))) + 1
    return int(digits.sum() + (delta < 0).sum() + delta.size + 3 * len(parts))


def estimate_bytes(frame: gpd.GeoDataFrame, level: int) -> int:
    """Approximate bytes `frame` adds to a map page (`geo.render`'s encoding at the level's decimals)."""
    if frame.empty:
        return 0
    points = frame.geom_type.eq("Point").to_numpy()
    lines = _coordinate_chars(frame.geometry.values[~points], decimals_for_level(level))
    return lines + int((~points).sum()) * FEATURE_OVERHEAD_BYTES + int(points.sum()) * POINT_BYTES


@dataclass
class View:
    """What to draw: one frame per layer at `level`, with an estimated page weight and a note for the user."""

    level: int
    frames: dict[str, gpd.GeoDataFrame]
    estimated_bytes: int
    requested_level: int
    message: str | None = None

    @property
    def coarsened(self) -> bool:
        return self.level < self.requested_level


def plan_view(
    layers: Iterable[str],
    bbox: tuple[float, float, float, float] | None = None,
    zoom: float | None = None,
    *,
    extent: tuple[float, float, float, float] | None = None,
    budget_bytes: int = PAGE_BUDGET_BYTES,
    select: Callable[[gpd.GeoDataFrame, str], gpd.GeoDataFrame] | None = None,
    reader: Callable[[str, int], gpd.GeoDataFrame] = read_level,
) -> View:
    """The frames to draw for `layers` in `bbox` (default: all of Europe) at `zoom`, within the page budget.

    Lines are cut at `bbox` when one is given. `extent` (W,S,E,N degrees) is the area the map will
    show when no `bbox` cuts it, e.g. the selected countries: it sets the level without cutting
    anything, so a country's islands and exclaves stay in. The level follows the zoom (default: the
    zoom fitting `bbox`, else `extent`, in a 1400 x 800 px map). If the
    view's estimated size exceeds `budget_bytes`, coarser levels are tried in turn and the View's
    `message` says what was done; if even level 0 is over budget the view is still level 0 and
    the message says so. `select(frame, layer)` may narrow each frame (e.g. by country) before
    the estimate. Point layers are drawn whole at every level.
    """
    layers = [schema.columns(name) and name for name in layers]  # raises SchemaError for an unknown layer
    cut = validate_bbox(bbox) if bbox is not None else None
    shown = cut or validate_bbox(extent or settings.EUROPE_BBOX)
    requested = level_for_zoom(zoom if zoom is not None else zoom_for_bbox(shown))

    def frames_at(level: int) -> dict[str, gpd.GeoDataFrame]:
        frames = {}
        for layer in layers:
            frame = reader(layer, level)
            if select is not None:
                frame = select(frame, layer)
            frames[layer] = frame if cut is None else clip_to_bbox(frame, cut)
        return frames

    level = requested
    while True:
        frames = frames_at(level)
        size = sum(estimate_bytes(frame, level) for frame in frames.values())
        if size <= budget_bytes or level == 0:
            break
        level -= 1
    message = None
    if level < requested:
        message = (
            f"This area holds more detail than one page can carry ({budget_bytes / 1e6:.0f} MB budget), so the map "
            f"shows a simplified level ({level} of {FULL}) instead of level {requested}. Zoom in or pick fewer "
            "layers for full detail."
        )
    if size > budget_bytes:
        message = (
            f"Even the most simplified level of these layers is about {size / 1e6:.1f} MB, over the "
            f"{budget_bytes / 1e6:.0f} MB page budget: the map may be slow. Pick fewer layers or a smaller area."
        )
    return View(level=level, frames=frames, estimated_bytes=size, requested_level=requested, message=message)
