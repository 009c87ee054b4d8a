"""Selecting features: loading the layers once, then filtering by country and bounding box.

All geometry is EPSG:4326; a bounding box is (west, south, east, north) in degrees of
longitude/latitude, checked by `geo.areas`. Filters are vectorised (spatial index for the box), never
per-feature Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema, store
from geo.areas import normalise_countries, validate_bbox
from geo.layers import get_layer, layer_names


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
    store_dir: Path | str | None = None  # the store they were read from (None: settings.STORE_DIR)

    def __getitem__(self, layer: str) -> gpd.GeoDataFrame:
        return self.frames[layer]


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
    corrupt. Unreadable stored areas, features with bad coordinates and a store out of reach are not
    fatal: they are left out and listed in `problems`, one sentence each. `store_dir` is a folder or an
    s3:// URL (default `settings.STORE_DIR`). The app calls this once per process and store generation
    (`st.cache_resource`); treat the frames as read-only.
    """
    frames, problems, stored_frames = {}, [], {}
    for layer in layer_names() if layers is None else layers:
        embedded = store.read_embedded(layer, problems)
        stored, layer_problems = store.read_stored(layer, store_dir)
        problems.extend(layer_problems)
        stored_frames[layer] = stored
        frames[layer] = merge_stored(embedded, stored)
    return Layers(frames=frames, problems=problems, stored=stored_frames, store_dir=store_dir)
