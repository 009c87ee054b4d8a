"""Shared by the map-side tests (select, search, stats, render): small schema-conformant frames."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from geo import schema

PROVENANCE = {
    "source": "osm",
    "licence": "ODbL-1.0",
    "attribution": "© OpenStreetMap contributors",
    "source_date": "2024-04-07",
    "retrieved_at": "2026-01-01T00:00:00Z",
}


def features(layer: str, geometries: Sequence, **columns) -> gpd.GeoDataFrame:
    """A conformed `layer` frame of `geometries` (EPSG:4326) with `columns` (scalars or one value per feature).

    Ids default to "t:0", "t:1", ...; kind to the layer's usual kind; provenance to OSM's.
    """
    defaults = {"id": [f"t:{i}" for i in range(len(geometries))], "kind": {"ports": "port"}.get(layer, layer)}
    frame = pd.DataFrame({**defaults, **PROVENANCE, **columns, "layer": layer}, index=range(len(geometries)))
    frame["geometry"] = list(geometries)
    return schema.conform(gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.CRS), layer)
