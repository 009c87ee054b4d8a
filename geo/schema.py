"""The one schema every feature of every layer follows, and its validation.

A layer's columns, dtypes and geometry types are its specification in `geo.layers` (the columns
every layer shares first). Every source normalises into this schema; the store, selection,
rendering, policies and export rely on it. Geometry is always EPSG:4326 (lon/lat degrees).
Lengths are kilometres, depths metres.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import SchemaError
from geo.layers import get_layer

CRS = "EPSG:4326"

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:\S+$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
REQUIRED_NON_NULL = ("id", "layer", "kind", "source", "licence", "attribution", "retrieved_at")


@dataclass(frozen=True)
class Provenance:
    """Where a batch of features came from. Every feature carries these fields."""

    source: str
    licence: str
    attribution: str
    source_date: str
    retrieved_at: str


def is_odbl(licence: object) -> bool:
    """True for the Open Database Licence (OpenStreetMap data), whose notice must travel with the data."""
    return "odbl" in str(licence).lower()


def columns(layer: str) -> dict[str, str]:
    """All columns of `layer`, common first, with their dtypes (geometry excluded): its `geo.layers` spec.

    Raises UnknownLayerError (a ValueError) naming the known layers.
    """
    return get_layer(layer).dtypes()


def conform(frame: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    """Return `frame` with exactly the schema's columns for `layer`, in order and typed.

    Missing attribute columns are added as nulls; extra columns are dropped (sources put
    what they want to keep into `tags` first). The result is then validated.
    """
    cols = columns(layer)
    out = pd.DataFrame(index=frame.index)
    for name, dtype in cols.items():
        values = frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index)
        out[name] = values.astype(dtype)
    out["tags"] = out["tags"].fillna("{}")
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(frame.geometry, crs=CRS), crs=CRS)
    result = result.reset_index(drop=True)
    validate(result, layer)
    return result


def coordinates_ok(geometry) -> np.ndarray:
    """For each geometry (EPSG:4326), True when every coordinate is finite with longitude in -180..180 and
    latitude in -90..90 degrees. A missing geometry counts as ok here (`validate` reports it apart)."""
    geoms = np.asarray(geometry, dtype=object)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = coords[:, 0], coords[:, 1]
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(coords).all(axis=1) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    ok = np.ones(len(geoms), dtype=bool)
    ok[np.unique(owner[bad])] = False
    return ok


BAD_COORDINATES = "coordinates outside -180..180 (longitude) or -90..90 (latitude), or not finite"


def drop_bad_coordinates(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """`frame` without the features that have a coordinate out of range or not finite, and how many were dropped."""
    ok = coordinates_ok(frame.geometry.to_numpy())
    if ok.all():
        return frame, 0
    return frame[ok].reset_index(drop=True), int((~ok).sum())


def _examples(frame: pd.DataFrame, mask: pd.Series) -> str:
    return ", ".join(map(str, frame.loc[mask, "id"].head(3).tolist()))


def validate(frame: gpd.GeoDataFrame, layer: str) -> None:
    """Raise SchemaError unless `frame` follows the schema for `layer` exactly."""
    cols = columns(layer)
    expected = [*cols, "geometry"]
    if list(frame.columns) != expected:
        missing = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in expected]
        raise SchemaError(f"{layer}: columns differ from the schema (missing {missing}, extra {extra})")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise SchemaError(f"{layer}: CRS must be EPSG:4326, got {frame.crs}")
    for name, dtype in cols.items():
        if str(frame[name].dtype) != str(pd.Series([], dtype=dtype).dtype):
            raise SchemaError(f"{layer}: column {name!r} has dtype {frame[name].dtype}, expected {dtype}")
    for name in REQUIRED_NON_NULL:
        nulls = frame[name].isna()
        if nulls.any():
            raise SchemaError(f"{layer}: {int(nulls.sum())} features have no {name!r}")
    bad_ids = ~frame["id"].str.match(ID_PATTERN)
    if bad_ids.any():
        raise SchemaError(f"{layer}: ids must be 'source:local-id': {_examples(frame, bad_ids)}")
    duplicated = frame["id"].duplicated()
    if duplicated.any():
        raise SchemaError(f"{layer}: duplicate ids: {_examples(frame, duplicated)}")
    wrong_layer = frame["layer"] != layer
    if wrong_layer.any():
        raise SchemaError(f"{layer}: features with another layer value: {_examples(frame, wrong_layer)}")
    country = frame["country"]
    bad_country = country.notna() & ~country.fillna("").str.match(COUNTRY_PATTERN)
    if bad_country.any():
        raise SchemaError(f"{layer}: country must be ISO 3166-1 alpha-2: {_examples(frame, bad_country)}")
    geometry = frame.geometry
    if geometry.isna().any() or geometry.is_empty.any():
        raise SchemaError(
            f"{layer}: features without geometry: {_examples(frame, geometry.isna() | geometry.is_empty)}"
        )
    bad_coordinates = ~coordinates_ok(geometry.to_numpy())
    if bad_coordinates.any():
        raise SchemaError(f"{layer}: {BAD_COORDINATES}: {_examples(frame, pd.Series(bad_coordinates, frame.index))}")
    bad_type = ~geometry.geom_type.isin(get_layer(layer).geometry_types)
    if bad_type.any():
        raise SchemaError(f"{layer}: geometry types {sorted(set(geometry.geom_type[bad_type]))} not allowed")
    invalid = ~geometry.is_valid
    if invalid.any():
        raise SchemaError(f"{layer}: invalid geometries: {_examples(frame, invalid)}")


def encode_tags(records: pd.DataFrame) -> pd.Series:
    """JSON-encode each row of `records` (nulls dropped) into the `tags` column's form."""
    return pd.Series(
        [
            json.dumps({k: v for k, v in row.items() if pd.notna(v)}, ensure_ascii=False, sort_keys=True)
            for row in records.to_dict("records")
        ],
        index=records.index,
        dtype="string",
    )


def with_provenance(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    """Set the provenance columns of every row of `frame` from `provenance`."""
    frame = frame.copy()
    for name, value in provenance.__dict__.items():
        frame[name] = value
    return frame
