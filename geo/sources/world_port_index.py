"""NGA World Port Index (Pub. 150), European extract -> `ports` features, and the merge with GISCO.

`load` gives every WPI port as a feature `wpi:<World Port Index number>`. `merge_with_gisco`
enriches GISCO ports with WPI's harbour size and type, depths, vessel limits and railway, and
adds the WPI ports GISCO lacks (Ukrainian, Norwegian, Turkish terminals...), so that one port
appears once. Matching, measured on the 2013/2014 files:

1. by UN/LOCODE ("NL RTM" -> "NLRTM"), if the two points are within `LOCODE_MATCH_KM` (median
   distance of LOCODE pairs 0.9 km, 99 % within 15 km; the few pairs hundreds of km apart are
   wrong LOCODEs in WPI). When several WPI ports share a LOCODE, the nearest one matches;
2. else the nearest GISCO port not yet matched within `NEAREST_MATCH_KM` (e.g. Ambarli, whose
   WPI LOCODE TRAMR differs from GISCO's TRAMB, 1.4 km apart), nearest pairs first;
3. any other WPI port is added as its own feature.

WPI stores 0.0 where a depth or vessel limit is not known: those become null, never 0 m.
Blank harbour size/type become null. WPI fields without a schema column are kept in `tags`
(prefixed `wpi:` on merged GISCO ports, with WPI's own name as `wpi:main_port_name`). Countries: the LOCODE's country part, else the
English country name, else the nearest country polygon.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import countries, schema
from geo.sources import _geometry, gisco_ports, natural_earth_countries, provenance, require_input

LAYER = "ports"
SOURCE = "wpi"
LICENCE = "public domain"
ATTRIBUTION = "World Port Index (NGA)"
SOURCE_DATE = None  # the edition date is not in the file
INPUTS = ("ports/wpi_ports_europe.geojson",)

LOCODE_MATCH_KM = 40.0
NEAREST_MATCH_KM = 2.0

# WPI field -> schema column.
COLUMN_OF = {
    "main_port_name": "name",
    "harbor_size": "harbour_size",
    "harbor_type": "harbour_type",
    "channel_depth_m": "channel_depth_m",
    "cargo_pier_depth_m": "cargo_pier_depth_m",
    "maximum_vessel_length_m": "max_vessel_length_m",
    "maximum_vessel_draft_m": "max_vessel_draft_m",
    "railway": "railway",
}
ENRICHED_COLUMNS = [c for c in COLUMN_OF.values() if c != "name"]
ZERO_MEANS_UNKNOWN = ("channel_depth_m", "cargo_pier_depth_m", "maximum_vessel_length_m", "maximum_vessel_draft_m")


def read_raw(data_dir: Path) -> gpd.GeoDataFrame:
    """Raw WPI ports, EPSG:4326, sorted by WPI number.

    The file lists number 400 (Seydisfjordur) twice; the record with more filled fields is kept.
    """
    raw = gpd.read_file(require_input(data_dir, INPUTS[0])).to_crs(schema.CRS)
    text = raw.select_dtypes(include=["object", "string"]).apply(lambda s: s.str.strip())
    raw[text.columns] = text.replace("", pd.NA)
    raw["_filled"] = raw.drop(columns="geometry").notna().sum(axis=1)
    raw = raw.sort_values(["world_port_index_number", "_filled"], ascending=[True, False], kind="stable")
    raw = raw.drop_duplicates("world_port_index_number").drop(columns="_filled")
    return raw.reset_index(drop=True)


def _countries_of(raw: gpd.GeoDataFrame, locode: pd.Series, table: gpd.GeoDataFrame) -> pd.Series:
    known = set(table["iso2"])
    by_locode = locode.str[:2].where(locode.str[:2].isin(known))

    def by_name(name: object) -> object:
        try:
            return countries.resolve_country(str(name), table)
        except countries.UnknownCountryError:
            return pd.NA

    names = {name: by_name(name) for name in raw["country_code"].dropna().unique()}
    country = by_locode.fillna(raw["country_code"].map(names)).astype("string")
    missing = country.isna()
    if missing.any():
        country[missing] = countries.nearest_country(raw.geometry[missing], table)
    return country


def load(data_dir: Path, *, retrieved_at: str | None = None) -> gpd.GeoDataFrame:
    """Every WPI port as a `ports` feature with id `wpi:<number>` (see the module docstring)."""
    raw = read_raw(data_dir)
    number = raw["world_port_index_number"].astype(int).astype(str)
    locode = raw["un_locode"].fillna("").str.replace(" ", "", regex=False).astype("string")
    locode = locode.where(locode.str.match(gisco_ports.LOCODE_PATTERN))
    values = raw[list(COLUMN_OF)].rename(columns=COLUMN_OF)
    for field in ZERO_MEANS_UNKNOWN:
        column = COLUMN_OF[field]
        values[column] = values[column].where(values[column] != 0)
    table = natural_earth_countries.load_countries(data_dir)
    frame = pd.DataFrame(
        {
            "id": "wpi:" + number,
            "layer": LAYER,
            "kind": "port",
            "country": _countries_of(raw, locode, table),
            "locode": locode,
            **{column: values[column] for column in values.columns},
            "tags": schema.encode_tags(raw.drop(columns=[*COLUMN_OF, "geometry"])),
        }
    )
    frame["name"] = frame["name"].fillna(frame["id"])
    frame = schema.with_provenance(frame, provenance(sys.modules[__name__], retrieved_at))
    geometry = _geometry.round_coordinates(raw.geometry.values)
    return schema.conform(gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS), LAYER)


def _distance_km(a: gpd.GeoSeries, b: gpd.GeoSeries) -> np.ndarray:
    """Distance between paired points, km (EPSG:3035, adequate at these few-km scales)."""
    return a.to_crs(countries.EUROPE_LAEA).distance(b.to_crs(countries.EUROPE_LAEA), align=False).to_numpy() / 1000


def match_to_gisco(gisco: gpd.GeoDataFrame, wpi: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pairs (gisco index, wpi index, how, km) of the same port, one-to-one (see the docstring)."""
    pairs = (
        gisco[["locode", "geometry"]]
        .reset_index(names="g")
        .merge(wpi[["locode", "geometry"]].reset_index(names="w"), on="locode", suffixes=("_g", "_w"))
    )
    pairs["km"] = _distance_km(
        gpd.GeoSeries(pairs["geometry_g"], crs=schema.CRS), gpd.GeoSeries(pairs["geometry_w"], crs=schema.CRS)
    )
    pairs = pairs[pairs["km"] <= LOCODE_MATCH_KM].sort_values(["km", "g", "w"])
    by_locode = pairs.drop_duplicates("g").drop_duplicates("w").assign(how="locode")[["g", "w", "how", "km"]]

    free_g = gisco.drop(index=by_locode["g"])[["geometry"]].to_crs(countries.EUROPE_LAEA)
    free_w = wpi.drop(index=by_locode["w"])[["geometry"]].to_crs(countries.EUROPE_LAEA)
    near = gpd.sjoin_nearest(
        free_w, free_g, max_distance=NEAREST_MATCH_KM * 1000, distance_col="m", how="inner"
    ).reset_index(names="w")
    near = near.rename(columns={"index_right": "g"}).assign(km=lambda f: f["m"] / 1000, how="nearest")
    near = near.sort_values(["km", "g", "w"]).drop_duplicates("g").drop_duplicates("w")[["g", "w", "how", "km"]]
    return pd.concat([by_locode, near], ignore_index=True)


def _merged_tags(gisco_tags: str, wpi: pd.Series, how: str) -> str:
    """GISCO's tags plus every WPI field without a GISCO column: its tags, name, id and how it matched."""
    tags = json.loads(gisco_tags)
    tags.update({f"wpi:{k}": v for k, v in json.loads(wpi["tags"]).items()})
    tags.update({"wpi:main_port_name": wpi["name"], "wpi:id": wpi["id"], "wpi:match": how})
    return json.dumps(tags, ensure_ascii=False, sort_keys=True)


def merge_with_gisco(gisco: gpd.GeoDataFrame, wpi: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GISCO ports enriched from WPI, plus the WPI ports GISCO lacks; one feature per port."""
    gisco = gisco.reset_index(drop=True).copy()
    wpi = wpi.reset_index(drop=True)
    pairs = match_to_gisco(gisco, wpi)
    g, w = pairs["g"].to_numpy(), pairs["w"].to_numpy()
    for column in ENRICHED_COLUMNS:
        gisco.loc[g, column] = wpi.loc[w, column].to_numpy()
    gisco.loc[g, "tags"] = [
        _merged_tags(gisco_tags, wpi.loc[wpi_row], how)
        for gisco_tags, wpi_row, how in zip(gisco.loc[g, "tags"], w, pairs["how"], strict=True)
    ]
    gisco.loc[g, "attribution"] = f"{gisco_ports.ATTRIBUTION}; {ATTRIBUTION}"
    unmatched = wpi.drop(index=w)
    merged = pd.concat([gisco, unmatched], ignore_index=True)
    return schema.conform(gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS), LAYER)
