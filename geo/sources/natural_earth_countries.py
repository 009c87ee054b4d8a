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
"""

from __future__ import annotations

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
