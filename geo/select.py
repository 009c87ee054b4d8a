"""Selecting features: loading the layers once, then filtering by country and bounding box.

All geometry is EPSG:4326; a bounding box is (west, south, east, north) in degrees of
longitude/latitude, checked by `geo.areas`. Filters are vectorised (spatial index for the box), never
per-feature Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema, store
from geo.areas import normalise_countries, validate_bbox


def select(
    frame: gpd.GeoDataFrame, countries: Iterable[str] | None = None, bbox: Sequence[float] | None = None
) -> gpd.GeoDataFrame:
    """Features of `frame` in any of `countries` (alpha-2 codes) and intersecting `bbox` (W,S,E,N degrees).

    `None` means no filter; an empty `countries` list selects nothing. Rows keep their order;
    the input is never modified.
    """
    mask = pd.Series(True, index=frame.index)
    if countries is not None:
        codes = normalise_countries(countries)
        mask &= frame["country"].isin(codes).fillna(False).astype(bool)
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


def merge_stored(embedded: gpd.GeoDataFrame, stored: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """`embedded` with `stored` features appended; a stored feature replaces an embedded one with the same id."""
    if stored is None or stored.empty:
        return embedded
    kept = embedded[~embedded["id"].isin(stored["id"])]
    merged = pd.concat([kept, stored], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS)


def load_layers(layers: Iterable[str] = schema.LAYERS, store_dir=None) -> Layers:
    """Read each layer: the embedded snapshot, then the user's stored detail merged over it.

    Raises store.DatasetError (naming the build command) if an embedded file is missing or
    corrupt. Unreadable stored files are not fatal: they are left out and listed in `problems`.
    The app calls this once per process (`st.cache_resource`); treat the frames as read-only.
    """
    frames, problems, stored_frames = {}, [], {}
    for layer in layers:
        embedded = store.read_embedded(layer)
        stored, layer_problems = store.read_stored(layer, store_dir)
        problems.extend(layer_problems)
        stored_frames[layer] = stored
        frames[layer] = merge_stored(embedded, stored)
    return Layers(frames=frames, problems=problems, stored=stored_frames)


def plan_view(
    loaded: Layers,
    names: Iterable[str],
    countries: Iterable[str] | None = None,
    bbox: Sequence[float] | None = None,
    zoom: float | None = None,
    budget_bytes: int | None = None,
    extent: Sequence[float] | None = None,
):
    """The frames to draw (a `geo.lod.View`): each layer at the level of detail that suits the view and
    fits the page budget, narrowed to `countries` and cut at `bbox` (W,S,E,N degrees) if given.
    `extent` is the area the map shows when nothing is cut (e.g. the countries' outlines): it only
    sets the level, so every feature of the countries is drawn, as the statistics and exports count it.

    Line layers come from the stored levels of detail (`datasets/<layer>_lod<k>.parquet`) up to the full
    level, which is `loaded` (embedded snapshot plus stored detail); ports are always whole. Detail
    the user fetched or imported is drawn at every level, over the coarse layer, since they asked for it.
    """
    from geo import lod

    codes = normalise_countries(countries) if countries is not None else None
    box = validate_bbox(bbox) if bbox is not None else None

    def reader(layer: str, level: int) -> gpd.GeoDataFrame:
        if layer in lod.LINE_LAYERS and level < lod.FULL:
            return merge_stored(lod.read_level(layer, level), loaded.stored.get(layer))
        return loaded[layer]

    def narrow(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
        return frame if codes is None else select(frame, codes)

    return lod.plan_view(
        list(names),
        box,
        zoom,
        extent=validate_bbox(extent) if extent is not None else None,
        budget_bytes=budget_bytes or lod.PAGE_BUDGET_BYTES,
        select=narrow,
        reader=reader,
    )
