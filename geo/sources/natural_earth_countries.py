"""Natural Earth 1:50m admin-0 countries -> `datasets/countries.parquet` (not a map layer).

Used to give every line and port one ISO country, to resolve country names and codes typed by
users (`geo.countries.resolve_country`) and to select features by country.

Columns of the output (one row per ISO 3166-1 alpha-2 code, sorted by `iso2`):
- `iso2`: ISO 3166-1 alpha-2 ("FR", "GR", "GB"; "XK" for Kosovo, a user-assigned code);
- `iso3`: ISO 3166-1 alpha-3 ("XKX" for Kosovo);
- `name`: short English name from Natural Earth (`NAME`, e.g. "Bosnia and Herz.");
- `name_long`: long English name (`NAME_LONG`, e.g. "Bosnia and Herzegovina");
- `continent`: Natural Earth `CONTINENT`;
- `europe`: True for Natural Earth's Europe plus Turkey, Cyprus, Georgia, Armenia, Azerbaijan
  (the countries the atlas covers; the others are neighbours kept so that features on their
  soil get their own country instead of the nearest European one);
- `geometry`: (Multi)Polygon, EPSG:4326, 1:50m generalisation (coasts are coarse: features
  just offshore fall outside every polygon and are given the nearest country).

Natural Earth marks France and Norway with ISO_A2 "-99" and Kosovo with ISO_A3 "-99"; codes
are therefore keyed on `ADM0_A3`. Northern Cyprus (ADM0_A3 "CYN", no ISO code) is merged into
Cyprus, as ISO 3166 has a single code for the island.

`load_areas` keeps such an area's own outline for the policy catalogue (`eu_law_suspended`:
where the application of EU law is suspended), as `datasets/eu_law_suspended.parquet`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema
from geo.sources import require_input

SOURCE = "natural_earth"
LICENCE = "public domain"
ATTRIBUTION = "Made with Natural Earth"
SOURCE_DATE = None  # Natural Earth v4; the file carries no date
INPUTS = ("countries/ne_50m_admin_0_countries_europe.geojson",)

# ADM0_A3 whose ISO codes Natural Earth leaves as "-99", and the disputed area merged into its ISO country.
ISO_BY_ADM0_A3: dict[str, tuple[str, str]] = {
    "FRA": ("FR", "FRA"),
    "NOR": ("NO", "NOR"),
    "KOS": ("XK", "XKX"),
    "CYN": ("CY", "CYP"),
}
# Outside Natural Earth's "Europe" but covered by the atlas (Turkish ports, Cyprus, the Caucasus).
EXTRA_EUROPE = frozenset({"TR", "CY", "GE", "AM", "AZ"})
COLUMNS = ("iso2", "iso3", "name", "name_long", "continent", "europe")
# Areas are widened this far into the sea, not onto other countries' land: 1:50m coasts are coarse and
# ports lie just offshore (Kyrenia's point is about 30 m outside the Northern Cyprus polygon).
AREA_SEAWARD_KM = 3.0
AREA_COLUMNS = ("id", "adm0_a3", "name", "source", "licence", "attribution", "note")
_METRIC_CRS = "EPSG:3035"  # ETRS89 / LAEA Europe, metres


def load_countries(data_dir: Path) -> gpd.GeoDataFrame:
    """Country polygons with ISO codes, one row per alpha-2 code (see the module docstring)."""
    return _load_cached(str(Path(data_dir).resolve())).copy()


@lru_cache(maxsize=4)
def _load_cached(data_dir: str) -> gpd.GeoDataFrame:
    raw = gpd.read_file(require_input(Path(data_dir), INPUTS[0])).to_crs(schema.CRS)
    override = raw["ADM0_A3"].map(ISO_BY_ADM0_A3)
    raw["iso2"] = override.str[0].fillna(raw["ISO_A2"])
    raw["iso3"] = override.str[1].fillna(raw["ISO_A3"])
    unresolved = raw.loc[~raw["iso2"].str.match(schema.COUNTRY_PATTERN), "ADM0_A3"]
    if not unresolved.empty:
        raise ValueError(f"Natural Earth countries without an ISO code mapping: {sorted(unresolved)}")
    # The row whose own ISO code is the merged country's code names it (Cyprus, not N. Cyprus).
    raw["_primary"] = raw["ISO_A2"] == raw["iso2"]
    raw = raw.sort_values(["iso2", "_primary"], ascending=[True, False])
    geometry = raw.groupby("iso2", sort=True).geometry.agg(lambda g: shapely.union_all(shapely.make_valid(g.values)))
    first = raw.drop_duplicates("iso2").set_index("iso2")
    out = pd.DataFrame(
        {
            "iso2": geometry.index,
            "iso3": first.loc[geometry.index, "iso3"].to_numpy(),
            "name": first.loc[geometry.index, "NAME"].to_numpy(),
            "name_long": first.loc[geometry.index, "NAME_LONG"].to_numpy(),
            "continent": first.loc[geometry.index, "CONTINENT"].to_numpy(),
        }
    ).astype("string")
    out["europe"] = (out["continent"] == "Europe") | out["iso2"].isin(EXTRA_EUROPE)
    return gpd.GeoDataFrame(out, geometry=list(geometry.to_numpy()), crs=schema.CRS)


def load_areas(data_dir: Path, areas: Mapping[str, str]) -> gpd.GeoDataFrame:
    """Outlines of areas keyed by id, each from the Natural Earth country with the given ADM0_A3.

    Each outline is widened by AREA_SEAWARD_KM into the sea but not onto any other country's land.
    Columns AREA_COLUMNS and geometry (EPSG:4326). Raises ValueError naming an unknown ADM0_A3.
    """
    raw = gpd.read_file(require_input(Path(data_dir), INPUTS[0])).to_crs(schema.CRS)
    unknown = sorted(set(areas.values()) - set(raw["ADM0_A3"]))
    if unknown:
        raise ValueError(f"Natural Earth countries has no ADM0_A3 {', '.join(unknown)}")
    rows, geometries = [], []
    for area_id, code in areas.items():
        own = raw[raw["ADM0_A3"] == code]
        others = raw[raw["ADM0_A3"] != code].to_crs(_METRIC_CRS)
        outline = shapely.union_all(shapely.make_valid(own.to_crs(_METRIC_CRS).geometry.values))
        widened = outline.buffer(AREA_SEAWARD_KM * 1000)
        neighbours = others[others.intersects(widened)]
        land = shapely.union_all(shapely.make_valid(neighbours.geometry.values))
        geometries.append(widened.difference(land))
        rows.append(
            {
                "id": area_id,
                "adm0_a3": code,
                "name": own["NAME_LONG"].iloc[0],
                "source": SOURCE,
                "licence": LICENCE,
                "attribution": ATTRIBUTION,
                "note": f"Natural Earth 1:50m admin-0 '{own['NAME_LONG'].iloc[0]}' (ADM0_A3 {code}), widened "
                f"{AREA_SEAWARD_KM:g} km into the sea but not onto other countries' land; approximate.",
            }
        )
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(AREA_COLUMNS)), geometry=geometries, crs=_METRIC_CRS)
    return frame.to_crs(schema.CRS)
