"""OpenStreetMap major roads, February 2021 (via OpenMapTiles) -> the `roads` layer.

The raw file holds 340,001 short pieces cut at vector-tile edges (classes motorway, trunk,
primary, each with a `construction` flag). Processing, in order:

1. cut at country borders (`geo.countries.split_lines_by_country`), so per-country km are right;
2. drop pieces that repeat another piece exactly (tile-buffer duplicates, 1.3 % of the km);
3. round to 5 decimals (about 1 m) and simplify with a 0.0005° tolerance (about 50 m, below
   what the map shows at country scale; measured: removes 0.1 % of the length);
4. per (country, class, construction) and 0.5° × 0.5° cell (by each piece's south-west corner),
   join touching pieces with shapely `line_merge` into one (Multi)LineString feature.

The pieces mostly do not join up (interchanges are missing in the source), so a feature is "the
motorways of this class in this country and cell": small enough to select by area and render,
large enough to keep the file at a few MB (the size is dominated by the coordinates).

Ids: `osm2021:roads/<cc>/<class>/<n>`, `cc` the lower-case country code and `n` counting the
features of that country and class in (construction, cell) order, so a rebuild from the same
input gives the same ids. `kind` is the class; `length_km` is geodesic (WGS 84, pyproj Geod).
`ref` lists the road numbers (e.g. "A 7; E 45") of the OpenMapTiles reference lines of the
same class that overlap the feature (from `osm_road_refs_europe_2021.geojson`, which covers
only 883 lines). `tags` keep the raw class and construction flag, the source's own `km` summed
over the feature's pieces (`source_km`), the piece count and the cell's south-west corner.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import countries, schema
from geo.sources import _geometry, natural_earth_countries, provenance, require_input

LAYER = "roads"
SOURCE = "osm2021"
LICENCE = "ODbL-1.0"
ATTRIBUTION = "© OpenStreetMap contributors, © OpenMapTiles"
SOURCE_DATE = "2021-02"
INPUTS = ("lines/osm_major_roads_europe_2021.parquet", "lines/osm_road_refs_europe_2021.geojson")

CLASSES = ("motorway", "trunk", "primary")
SIMPLIFY_DEG = 0.0005
CELL_DEG = 0.5


def read_raw(data_dir: Path) -> gpd.GeoDataFrame:
    """The raw road pieces, EPSG:4326, in file order."""
    raw = gpd.read_parquet(require_input(data_dir, INPUTS[0])).to_crs(schema.CRS)
    unknown = set(raw["class"]) - set(CLASSES)
    if unknown:
        raise ValueError(f"{INPUTS[0]}: unexpected road classes {sorted(unknown)}")
    return raw.reset_index(drop=True)


def _drop_repeated_pieces(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop pieces whose geometry (either direction) and attributes repeat an earlier piece."""
    key = pd.DataFrame(
        {
            "wkb": shapely.to_wkb(shapely.normalize(pieces.geometry.values)),
            "country": pieces["country"].to_numpy(),
            "class": pieces["class"].to_numpy(),
            "construction": pieces["construction"].to_numpy(),
        }
    )
    return pieces[~key.duplicated().to_numpy()]


def _merge_cells(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One (Multi)LineString per (country, class, construction, cell), touching pieces joined."""
    corner = shapely.bounds(pieces.geometry.values)
    pieces = pieces.assign(
        cell_y=np.floor(corner[:, 1] / CELL_DEG).astype(int), cell_x=np.floor(corner[:, 0] / CELL_DEG).astype(int)
    )
    keys = ["country", "class", "construction", "cell_y", "cell_x"]
    rows = []
    for key, group in pieces.groupby(keys, sort=True):
        lines = shapely.multilinestrings(shapely.get_parts(group.geometry.values))
        rows.append((*key, group["km"].sum(), len(group), shapely.line_merge(lines)))
    merged = pd.DataFrame(rows, columns=[*keys, "source_km", "pieces", "geometry"])
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS)


def _refs(features: gpd.GeoDataFrame, data_dir: Path) -> pd.Series:
    """'; '-joined road numbers of the reference lines of the same class overlapping each feature."""
    refs = gpd.read_file(require_input(data_dir, INPUTS[1])).to_crs(schema.CRS)
    refs = refs[refs["ref"].fillna("").str.strip() != ""]
    joined = gpd.sjoin(features[["class", "geometry"]], refs[["class", "ref", "geometry"]], predicate="intersects")
    joined = joined[joined["class_left"] == joined["class_right"]]
    listed = joined.groupby(level=0)["ref"].agg(lambda r: "; ".join(sorted(set(r.str.strip()))))
    return listed.reindex(features.index).astype("string")


def load(data_dir: Path, *, retrieved_at: str | None = None) -> gpd.GeoDataFrame:
    """Road features (see the module docstring for the processing)."""
    raw = read_raw(data_dir)
    pieces = countries.split_lines_by_country(raw, natural_earth_countries.load_countries(data_dir))
    pieces = _drop_repeated_pieces(pieces)
    pieces["geometry"] = _geometry.round_coordinates(shapely.simplify(pieces.geometry.values, SIMPLIFY_DEG))
    pieces = pieces[~pieces.geometry.is_empty]
    merged = _merge_cells(pieces)
    number = merged.groupby(["country", "class"]).cumcount().astype(str)
    tags = pd.DataFrame(
        {
            "class": merged["class"],
            "construction": merged["construction"].astype(bool),
            "source_km": merged["source_km"].round(3),
            "pieces": merged["pieces"].astype(int),
            "cell_south_west": [
                f"{y * CELL_DEG:g},{x * CELL_DEG:g}" for y, x in zip(merged["cell_y"], merged["cell_x"], strict=True)
            ],
        }
    )
    frame = pd.DataFrame(
        {
            "id": "osm2021:roads/" + merged["country"].str.lower() + "/" + merged["class"] + "/" + number,
            "layer": LAYER,
            "kind": merged["class"],
            "country": merged["country"],
            "construction": merged["construction"].astype(bool),
            "ref": _refs(merged, data_dir),
            "length_km": _geometry.geodesic_length_km(merged.geometry.values).round(3),
            "tags": schema.encode_tags(tags),
        }
    )
    frame = schema.with_provenance(frame, provenance(sys.modules[__name__], retrieved_at))
    return schema.conform(gpd.GeoDataFrame(frame, geometry=merged.geometry.values, crs=schema.CRS), LAYER)
