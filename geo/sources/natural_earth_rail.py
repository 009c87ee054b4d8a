"""Natural Earth 1:10m railroads (Europe) -> the `rail` layer.

Ids: `ne:rail/<rwdb_rr_id>`; a line that crosses a border is cut into one feature per country,
`ne:rail/<rwdb_rr_id>/<country>` (the raw id stays in `tags` as `rwdb_rr_id`).

Codes (stated in `../shared/data/SOURCES.md` and checked on known lines: Bergensbanen at Finse,
Malmbanan at Kiruna, Ofotbanen and Dovrebanen carry 2; the diesel Nordlandsbanen and Rørosbanen carry 1):
`electric` 0 = unknown, 1 = not electrified ("no"), 2 = electrified ("yes");
`mult_track` 0 = unknown, 1 = single track, 2 = multiple tracks.
Both describe an older state of the network than today, and the file carries no date: the rail
layer's `source_caveats` (`geo.layers`) say so wherever they are shown.
`kind` is "rail", or "ferry" for `featurecla` "Railroad ferry".
`length_km` is geodesic (WGS 84 ellipsoid, pyproj Geod), after the cut at borders.
`gauge` is the nominal gauge of the feature's national network (`geo.gauge`: Natural Earth has no
gauge), with `gauge_basis` "assumed from the national network"; Northern Ireland is told apart as
the part of the United Kingdom's outline that touches Ireland's.
Every raw attribute other than those mapped to columns is kept in `tags`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import countries, gauge, schema
from geo.sources import _geometry, natural_earth_countries, provenance, require_input

LAYER = "rail"
SOURCE = "natural_earth"
LICENCE = "public domain"
ATTRIBUTION = "Made with Natural Earth"
SOURCE_DATE = None  # Natural Earth v4; the file carries no date
INPUTS = ("lines/ne_10m_railroads_europe.parquet",)

ELECTRIC = {0: "unknown", 1: "no", 2: "yes"}
MULT_TRACK = {0: "unknown", 1: "single", 2: "multiple"}
KIND = {"Railroad": "rail", "Railroad ferry": "ferry"}


def read_raw(data_dir: Path) -> gpd.GeoDataFrame:
    """The raw Natural Earth railroads, EPSG:4326, sorted by `rwdb_rr_id`."""
    raw = gpd.read_parquet(require_input(data_dir, INPUTS[0])).to_crs(schema.CRS)
    return raw.sort_values("rwdb_rr_id", kind="stable").reset_index(drop=True)


def load(data_dir: Path, *, retrieved_at: str | None = None) -> gpd.GeoDataFrame:
    """Rail features, one per raw line and country (see the module docstring)."""
    raw = read_raw(data_dir)
    unknown = set(raw["featurecla"]) - set(KIND)
    if unknown:
        raise ValueError(f"{INPUTS[0]}: unexpected featurecla values {sorted(unknown)}")
    raw["geometry"] = _geometry.round_coordinates(raw.geometry.values)
    country_table = natural_earth_countries.load_countries(data_dir)
    parts = countries.split_lines_by_country(raw, country_table)
    parts = parts[~parts.geometry.is_empty].reset_index(drop=True)
    covered = country_table.loc[country_table["europe"], "iso2"]
    in_ni = (parts["country"] == "GB").to_numpy(dtype=bool) & shapely.intersects(
        parts.geometry.values, northern_ireland(country_table)
    )
    gauges, basis = gauge.assign(pd.Series(pd.NA, index=parts.index), parts["country"], set(covered), in_ni)
    rr_id = parts["rwdb_rr_id"].astype(int).astype(str)
    ids = "ne:rail/" + rr_id
    frame = pd.DataFrame(
        {
            "id": ids.where(~parts["split"], ids + "/" + parts["country"].fillna("")),
            "layer": LAYER,
            "name": pd.NA,
            "kind": parts["featurecla"].map(KIND),
            "country": parts["country"],
            "electrified": parts["electric"].map(ELECTRIC).fillna(parts["electric"].astype(str)),
            "tracks": parts["mult_track"].map(MULT_TRACK).fillna(parts["mult_track"].astype(str)),
            "gauge": gauges,
            "gauge_basis": basis,
            "length_km": _geometry.geodesic_length_km(parts.geometry.values).round(3),
            "tags": schema.encode_tags(parts.drop(columns=["geometry", "featurecla", "split", "country"])),
        }
    )
    frame = schema.with_provenance(frame, provenance(sys.modules[__name__], retrieved_at))
    return schema.conform(gpd.GeoDataFrame(frame, geometry=parts.geometry.values, crs=schema.CRS), LAYER)


def northern_ireland(country_table: gpd.GeoDataFrame) -> shapely.Geometry:
    """The outline of Northern Ireland: the polygons of the United Kingdom (GB) that touch Ireland's (IE)."""
    by_code = country_table.set_index("iso2").geometry
    ireland = by_code["IE"].buffer(0.01)
    parts = [part for part in shapely.get_parts(by_code["GB"]) if part.intersects(ireland)]
    return shapely.union_all(np.array(parts, dtype=object)) if parts else shapely.Polygon()
