"""Selecting features: loading the layers once, then filtering by country and bounding box.

All geometry is EPSG:4326; a bounding box is (west, south, east, north) in degrees of
longitude/latitude. Filters are vectorised (spatial index for the box), never per-feature Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema, settings, store
from geo.layers import get_layer, layer_names

BBox = tuple[float, float, float, float]


def validate_bbox(bbox: Sequence[float]) -> BBox:
    """`bbox` as four floats (west, south, east, north; degrees, EPSG:4326), or ValueError saying what is wrong."""
    try:
        values = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        raise ValueError(f"bbox must be four numbers west,south,east,north (degrees), got {bbox!r}") from None
    if len(values) != 4:
        raise ValueError(f"bbox must be four numbers west,south,east,north (degrees), got {len(values)}")
    west, south, east, north = values
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"bbox values must be finite numbers, got {values}")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ValueError(f"bbox longitudes must lie in -180..180 degrees, got west={west}, east={east}")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ValueError(f"bbox latitudes must lie in -90..90 degrees, got south={south}, north={north}")
    if west >= east:
        raise ValueError(f"bbox is inverted: west ({west}) must be less than east ({east}); order is W,S,E,N")
    if south >= north:
        raise ValueError(f"bbox is inverted: south ({south}) must be less than north ({north}); order is W,S,E,N")
    return values


def parse_bbox(text: str) -> BBox:
    """Parse "W,S,E,N" (degrees, EPSG:4326) into a validated bbox."""
    parts = [part.strip() for part in str(text).split(",")]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ValueError(f"bbox must be four numbers W,S,E,N in degrees, got {str(text)[:80]!r}") from None
    return validate_bbox(numbers)


def normalise_countries(countries: Iterable[str]) -> list[str]:
    """Upper-cased ISO 3166-1 alpha-2 codes, de-duplicated in order; ValueError for anything else."""
    codes = list(dict.fromkeys(str(code).strip().upper() for code in countries))
    bad = [code for code in codes if not schema.COUNTRY_PATTERN.match(code)]
    if bad:
        raise ValueError(f"countries must be ISO 3166-1 alpha-2 codes such as 'DE', got {bad[:5]}")
    return codes


def country_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns naming the countries of `frame`'s features: its layer spec's (a crossing has two), else "country"."""
    layer = frame["layer"].iloc[0] if "layer" in frame.columns and len(frame) else None
    columns = get_layer(layer).country_columns if layer in layer_names() else ("country",)
    return tuple(column for column in columns if column in frame.columns)


def select(
    frame: gpd.GeoDataFrame, countries: Iterable[str] | None = None, bbox: Sequence[float] | None = None
) -> gpd.GeoDataFrame:
    """Features of `frame` in any of `countries` (alpha-2 codes) and intersecting `bbox` (W,S,E,N degrees).

    A feature is in a country when any of its country columns names it (a border crossing is in both).
    `None` means no filter; an empty `countries` list selects nothing. Rows keep their order;
    the input is never modified.
    """
    mask = pd.Series(True, index=frame.index)
    if countries is not None:
        codes = normalise_countries(countries)
        in_any = pd.Series(False, index=frame.index)
        for column in country_columns(frame):
            in_any |= frame[column].isin(codes).fillna(False).astype(bool)
        mask &= in_any
    if bbox is not None:
        west, south, east, north = validate_bbox(bbox)
        hits = frame.sindex.query(shapely.box(west, south, east, north), predicate="intersects")
        in_box = pd.Series(False, index=frame.index)
        in_box.iloc[hits] = True
        mask &= in_box
    return frame[mask.to_numpy()]


@dataclass
class Layers:
    """Every layer's features (embedded snapshot with stored detail merged over it) and any problems found."""

    frames: dict[str, gpd.GeoDataFrame]
    problems: list[str] = field(default_factory=list)
    # The user's stored detail alone, per layer (None when there is none).
    stored: dict[str, gpd.GeoDataFrame | None] = field(default_factory=dict)

    def __getitem__(self, layer: str) -> gpd.GeoDataFrame:
        return self.frames[layer]

    @property
    def stored_features(self) -> dict[str, int]:
        return {layer: 0 if frame is None else len(frame) for layer, frame in self.stored.items()}


def merge_stored(embedded: gpd.GeoDataFrame, stored: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """`embedded` with `stored` features appended; a stored feature replaces an embedded one with the same id."""
    if stored is None or stored.empty:
        return embedded
    kept = embedded[~embedded["id"].isin(stored["id"])]
    merged = pd.concat([kept, stored], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS)


def load_layers(layers: Iterable[str] | None = None, store_dir=None) -> Layers:
    """Read each layer: the embedded snapshot, then the user's stored detail merged over it.

    Raises store.DatasetError (naming the build command) if an embedded file is missing or
    corrupt. Unreadable stored files are not fatal: they are left out and listed in `problems`.
    The app calls this once per process (`st.cache_resource`); treat the frames as read-only.
    """
    frames, problems, stored_frames = {}, [], {}
    for layer in layer_names() if layers is None else layers:
        embedded = store.read_embedded(layer)
        stored, layer_problems = store.read_stored(layer, store_dir)
        problems.extend(layer_problems)
        stored_frames[layer] = stored
        frames[layer] = merge_stored(embedded, stored)
    return Layers(frames=frames, problems=problems, stored=stored_frames)


def countries_bbox(countries: gpd.GeoDataFrame, codes: Iterable[str]) -> BBox | None:
    """Bounds (W,S,E,N degrees) of the parts of the outlines of `codes` inside Europe's bounds.

    Overseas parts (the Caribbean Netherlands, French Guiana, Réunion) are cut off first, so
    France's box is metropolitan France, not half the world. None if no outline lies in Europe.
    """
    outlines = countries[countries["iso2"].isin(normalise_countries(codes))]
    inside = outlines.geometry.intersection(shapely.box(*settings.EUROPE_BBOX))
    inside = inside[~inside.is_empty]
    if inside.empty:
        return None
    west, south, east, north = (float(value) for value in inside.total_bounds)
    return (west, south, east, north)


def area_around(lon: float, lat: float, half_width_deg: float = 3.0, half_height_deg: float = 2.0) -> BBox:
    """A W,S,E,N box (degrees) centred on `lon`, `lat`, e.g. the area a search result is shown in.

    The default (6 x 4 degrees, about a region) gets a finer level of detail than all of Europe.
    """
    west, south = max(lon - half_width_deg, -180.0), max(lat - half_height_deg, -90.0)
    east, north = min(lon + half_width_deg, 180.0), min(lat + half_height_deg, 90.0)
    return validate_bbox((west, south, east, north))
