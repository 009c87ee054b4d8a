"""Countries: ISO codes, resolving what users type, and giving features a country.

The country table is `datasets/countries.parquet` (built from Natural Earth by
`geo.sources.natural_earth_countries`; columns iso2, iso3, name, name_long, continent, europe,
geometry in EPSG:4326). Codes are ISO 3166-1; the EU's "EL" (Greece) and "UK" (United Kingdom)
are accepted as input and mapped to "GR" and "GB"; Kosovo is "XK".
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema, store
from geo.errors import UnknownCountryError

# Codes used by EU institutions (Eurostat, GISCO) that differ from ISO 3166-1.
EU_CODE_ALIASES = {"EL": "GR", "UK": "GB"}
# Common English names Natural Earth does not spell this way.
NAME_ALIASES = {
    "turkiye": "TR",
    "türkiye": "TR",
    "north macedonia": "MK",
    "republic of north macedonia": "MK",
    "faroe islands": "FO",
    "great britain": "GB",
    "britain": "GB",
    "holland": "NL",
    "vatican city": "VA",
    "holy see": "VA",
    "republic of moldova": "MD",
    "bosnia": "BA",
    "the netherlands": "NL",
}
# Equal-area projection for Europe (metres), used for nearest-country distances.
EUROPE_LAEA = "EPSG:3035"


def countries_path() -> Path:
    """Where the embedded country table lives (datasets/countries.parquet)."""
    return store.embedded_path("countries")


def load_countries(path: Path | None = None) -> gpd.GeoDataFrame:
    """The country table (EPSG:4326); raises store.DatasetError if it is missing or unreadable."""
    return store.read_table(Path(path or countries_path()), {"iso2", "iso3", "name", "name_long"})


def _lookup_table(countries: pd.DataFrame) -> dict[str, str]:
    """Every accepted spelling (lower case) -> alpha-2 code."""
    table: dict[str, str] = {}
    for row in countries[["iso2", "iso3", "name", "name_long"]].itertuples(index=False):
        for key in (row.iso2, row.iso3, row.name, row.name_long):
            if isinstance(key, str) and key:
                table.setdefault(key.lower(), row.iso2)
    for alias, code in EU_CODE_ALIASES.items():
        table[alias.lower()] = code
    for alias, code in NAME_ALIASES.items():
        table.setdefault(alias, code)
    return table


@lru_cache(maxsize=1)
def _default_table() -> dict[str, str]:
    return _lookup_table(load_countries())


def resolve_country(text: str, countries: pd.DataFrame | None = None) -> str:
    """ISO 3166-1 alpha-2 code for a code or English name, case-insensitive.

    Accepts alpha-2 ("gr"), alpha-3 ("GRC"), EU codes ("EL", "UK") and names ("Greece",
    "czech republic"). `countries` defaults to the embedded country table.
    Raises UnknownCountryError, with close matches when there are any.
    """
    table = _lookup_table(countries) if countries is not None else _default_table()
    key = " ".join(str(text).split()).lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, [k for k in table if len(k) > 3], n=3, cutoff=0.75)
    hint = f"; did you mean {', '.join(repr(c.title()) for c in close)}?" if close else ""
    raise UnknownCountryError(
        f"unknown country {str(text)[:60]!r}: use an ISO code (e.g. 'DE', 'DEU') or an English name{hint}"
    )


def nearest_country(geometries: gpd.GeoSeries, countries: gpd.GeoDataFrame) -> pd.Series:
    """Alpha-2 code of the country polygon each geometry touches, else the nearest one (string dtype).

    Distances are measured in EPSG:3035 (metres); ties go to the first country by code.
    """
    frame = gpd.GeoDataFrame(geometry=geometries.to_crs(EUROPE_LAEA).reset_index(drop=True))
    polygons = countries[["iso2", "geometry"]].to_crs(EUROPE_LAEA)
    joined = gpd.sjoin_nearest(frame, polygons, how="left")
    # sjoin_nearest returns every tied polygon; keep the lowest code so results never depend on order.
    codes = joined["iso2"].groupby(level=0).min().reindex(frame.index)
    return pd.Series(codes.to_numpy(), index=geometries.index, dtype="string")


def split_lines_by_country(lines: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cut lines at country borders so each row lies in one country; adds a `country` column.

    Lines inside one polygon are kept whole. Others are intersected with each polygon they
    cross; parts outside every polygon (coarse coasts, sea crossings) go to the nearest country,
    and parts of one line in the same country are merged. The result keeps the input's columns
    plus `country`, and a `split` column (True where a line was cut), ordered by input row then
    country code, so the same input always gives the same output.
    """
    polygons = countries[["iso2", "geometry"]].sort_values("iso2").reset_index(drop=True)
    lines = lines.reset_index(drop=True)
    lines["_row"] = np.arange(len(lines))
    within = gpd.sjoin(lines[["_row", "geometry"]], polygons, predicate="within", how="inner")
    within = within.drop_duplicates("_row")
    whole = lines.loc[within["_row"].to_numpy()].copy()
    whole["country"] = within["iso2"].to_numpy()
    rest = lines.loc[~lines["_row"].isin(within["_row"])]
    pieces = gpd.overlay(rest[["_row", "geometry"]], polygons, how="identity", keep_geom_type=True)
    pieces = pieces[~pieces.geometry.is_empty & pieces.geometry.notna()]
    outside = pieces["iso2"].isna()
    if outside.any():
        pieces.loc[outside, "iso2"] = nearest_country(pieces.geometry[outside], polygons)
    pieces = pieces.dissolve(by=["_row", "iso2"], as_index=False, sort=True)
    pieces["geometry"] = pieces.geometry.line_merge()
    cut = pieces.rename(columns={"iso2": "country"}).merge(
        rest.drop(columns="geometry"), on="_row", how="left", validate="many_to_one"
    )
    cut["split"] = cut.groupby("_row")["country"].transform("size") > 1
    whole["split"] = False
    out = pd.concat([whole, cut[whole.columns]], ignore_index=True)
    out = out.sort_values(["_row", "country"], kind="stable").drop(columns="_row").reset_index(drop=True)
    out["country"] = out["country"].astype("string")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=schema.CRS)
