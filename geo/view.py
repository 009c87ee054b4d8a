"""Planning a map view at request time: which level of detail each layer is drawn at, within a page budget.

The level follows the zoom (`geo.levels`: level 0 up to zoom 4 ... the full layer from zoom 10).
A view that would exceed the page budget falls back to a coarser level and says so; nothing is
simplified per request. Line layers come from the stored levels of detail up to the full level,
which is the loaded layer (embedded snapshot plus the user's stored detail); point layers are
always whole. Detail the user fetched or imported is drawn at every level, over the coarse layer,
since they asked for it.

A bounding box is (west, south, east, north) in degrees, EPSG:4326; zooms are Leaflet's
(0 = the whole world in one 256 px tile).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import shapely

from geo import levels, settings, wire
from geo.areas import normalise_countries, validate_bbox
from geo.layers import get_layer
from geo.select import Layers, merge_stored, select

# Largest map page we send to a browser, in bytes (the goal of issue 6; see benchmarks/README.md).
PAGE_BUDGET_BYTES = 3_000_000
# Bytes a line feature and a point cost in the page besides line coordinates (popup table, style
# class, position), measured on the embedded layers with geo.render's encoding (about 110 and 240).
FEATURE_OVERHEAD_BYTES = 150
POINT_BYTES = 240


def level_for_zoom(zoom: float) -> int:
    """The level shown at Leaflet zoom `zoom`; `levels.FULL` from zoom 10."""
    for level in levels.LEVELS:
        if zoom <= level.max_zoom:
            return level.number
    return levels.FULL


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


def estimate_bytes(frame: gpd.GeoDataFrame, level: int) -> int:
    """Approximate bytes `frame` adds to a map page (`geo.wire`'s encoding at the level's decimals)."""
    if frame.empty:
        return 0
    points = frame.geom_type.eq("Point").to_numpy()
    lines = wire.coordinate_chars(frame.geometry.values[~points], levels.decimals_for_level(level))
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


def plan_levels(
    layers: Iterable[str],
    bbox: tuple[float, float, float, float] | None = None,
    zoom: float | None = None,
    *,
    extent: tuple[float, float, float, float] | None = None,
    budget_bytes: int = PAGE_BUDGET_BYTES,
    select: Callable[[gpd.GeoDataFrame, str], gpd.GeoDataFrame] | None = None,
    reader: Callable[[str, int], gpd.GeoDataFrame] = levels.read_level,
) -> View:
    """The frames to draw for `layers` in `bbox` (default: all of Europe) at `zoom`, within the page budget.

    Lines are cut at `bbox` when one is given. `extent` (W,S,E,N degrees) is the area the map will
    show when no `bbox` cuts it, e.g. the selected countries: it sets the level without cutting
    anything, so a country's islands and exclaves stay in. The level follows the zoom (default: the
    zoom fitting `bbox`, else `extent`, in a 1400 x 800 px map). If the view's estimated size exceeds
    `budget_bytes`, coarser levels are tried in turn and the View's `message` says what was done; if
    even level 0 is over budget the view is still level 0 and the message says so. `select(frame,
    layer)` may narrow each frame (e.g. by country) before the estimate; `reader(layer, level)` gives
    a layer at a level. Point layers are drawn whole at every level.
    """
    layers = [get_layer(name).name for name in layers]  # UnknownLayerError for an unknown layer
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
            f"shows a simplified level ({level} of {levels.FULL}) instead of level {requested}. Zoom in or pick fewer "
            "layers for full detail."
        )
    if size > budget_bytes:
        message = (
            f"Even the most simplified level of these layers is about {size / 1e6:.1f} MB, over the "
            f"{budget_bytes / 1e6:.0f} MB page budget: the map may be slow. Pick fewer layers or a smaller area."
        )
    return View(level=level, frames=frames, estimated_bytes=size, requested_level=requested, message=message)


def plan_view(
    loaded: Layers,
    names: Iterable[str],
    countries: Iterable[str] | None = None,
    bbox: Sequence[float] | None = None,
    zoom: float | None = None,
    budget_bytes: int | None = None,
    extent: Sequence[float] | None = None,
) -> View:
    """The frames to draw for the layers `names` of `loaded` (`geo.select.load_layers()`): each at the level
    of detail that suits the view and fits the page budget, narrowed to `countries` and cut at `bbox`
    (W,S,E,N degrees) if given.

    `extent` is the area the map shows when nothing is cut (e.g. the countries' outlines): it only sets
    the level, so every feature of the countries is drawn, as the statistics and exports count it.
    """
    codes = normalise_countries(countries) if countries is not None else None

    def reader(layer: str, level: int) -> gpd.GeoDataFrame:
        if get_layer(layer).has_levels and level < levels.FULL:
            return merge_stored(levels.read_level(layer, level), loaded.stored.get(layer))
        return loaded[layer]

    def narrow(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
        return frame if codes is None else select(frame, codes)

    return plan_levels(
        list(names),
        validate_bbox(bbox) if bbox is not None else None,
        zoom,
        extent=validate_bbox(extent) if extent is not None else None,
        budget_bytes=budget_bytes or PAGE_BUDGET_BYTES,
        select=narrow,
        reader=reader,
    )
