"""Eurostat GISCO "Ports 2013" (published 2014-12) -> the `ports` layer.

2,211 sea and inland port points. Ids: `gisco:<PORT_ID>`; `PORT_ID` is the UN/LOCODE except for
30 British and Irish ports with GISCO's own ids (e.g. "GB114"), whose `locode` is left empty.
GISCO's EU country codes EL and UK become ISO GR and GB. `ten_t_code` is the TEN-T port code
recorded in GISCO's 2013 data (`TEN_CODE`). 0 means only that no code is recorded there: every
Croatian, Maltese and Norwegian port has 0 (Rijeka, Valletta, Oslo), and so do major inland
ports such as Mannheim and Budapest. `port_hierarchy` is `PORT_HIER_CODE` (0-4);
the metadata in `gisco_PORT_2013_SH.zip` gives no code list for either, so they are stored as
published. The code lists the metadata does give (coordinate and LOCODE reliability, LOCODE
status) are added to `tags` as labels next to the raw codes. All raw attributes not mapped to
columns are kept in `tags`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import countries, schema
from geo.sources import _geometry, provenance, require_input

LAYER = "ports"
SOURCE = "gisco"
LICENCE = "Eurostat GISCO reuse with attribution"
ATTRIBUTION = "Source: GISCO – Eurostat (European Commission)"
SOURCE_DATE = "2014-12"
INPUTS = ("ports/gisco_ports_2013_europe.geojson",)

LOCODE_PATTERN = r"^[A-Z]{2}[A-Z2-9]{3}$"

# Code lists from the dataset's domain tables (PORT_COOR_RELI_DOM, PORT_LOCD_RELI_DOM, LOCD_STTS_DOM).
COORDINATE_RELIABILITY = {
    "1": "checked visually with satellite image",
    "2": "CLC2000 and another port coordinate source coincide",
    "3": "point shifted onto the CLC2000 port polygon",
    "4": "coordinate derived from a name association to a port polygon",
    "5": "verified by 3 or more point sources, error expected < 1.5 km",
    "6": "verified by 2 or more point sources, error expected < 2.5 km",
    "7": "verified by 2 or more sources, error not likely > 2.5 km",
}
LOCODE_RELIABILITY = {
    "1": "manually checked with gazetteers or images with geographical names",
    "2": "name fully coincides with a settlement 200 m or closer",
    "3": "name almost coincides with a settlement 200 m or closer",
    "4": "on a port polygon, no settlement within 200 m",
    "7": "LOCODE name matches a settlement within 1 arc minute (no port polygon)",
    "9": "no name match with a settlement within 1 arc minute",
}
LOCODE_STATUS = {
    "AA": "approved by competent national government agency",
    "AC": "approved by customs authority",
    "AF": "approved by national facilitation body",
    "AI": "code adopted by international organisation",
    "AM": "approved by the UN/LOCODE maintenance agency",
    "AQ": "entry approved, functions not verified",
    "AS": "approved by national standardisation body",
    "QQ": "original entry not verified since date indicated",
    "RL": "recognised location",
}


def read_raw(data_dir: Path) -> gpd.GeoDataFrame:
    """The raw GISCO port points, EPSG:4326, sorted by `PORT_ID`."""
    raw = gpd.read_file(require_input(data_dir, INPUTS[0])).to_crs(schema.CRS)
    return raw.sort_values("PORT_ID", kind="stable").reset_index(drop=True)


def load(data_dir: Path, *, retrieved_at: str | None = None) -> gpd.GeoDataFrame:
    """GISCO ports as `ports` features (see the module docstring)."""
    raw = read_raw(data_dir)
    port_id = raw["PORT_ID"].astype("string")
    country = raw["CNTR_CODE"].replace(countries.EU_CODE_ALIASES).astype("string")
    name = raw["PORT_NAME"].fillna(raw["NAME_ASCI"]).fillna(port_id)
    extra = raw.drop(columns=["PORT_ID", "PORT_NAME", "TEN_CODE", "PORT_HIER_CODE", "NUTS_CODE", "geometry"])
    extra = extra.assign(
        coordinate_reliability=raw["PORT_COOR_RELI_CODE"].astype("string").map(COORDINATE_RELIABILITY),
        locode_reliability=raw["PORT_LOCD_RELI_CODE"].astype("string").map(LOCODE_RELIABILITY),
        locode_status=raw["LOCD_STTS_CODE"].map(LOCODE_STATUS),
    )
    frame = pd.DataFrame(
        {
            "id": "gisco:" + port_id,
            "layer": LAYER,
            "name": name,
            "kind": "port",
            "country": country,
            "locode": port_id.where(port_id.str.match(LOCODE_PATTERN)),
            "ten_t_code": raw["TEN_CODE"],
            "port_hierarchy": raw["PORT_HIER_CODE"],
            "nuts": raw["NUTS_CODE"],
            "tags": schema.encode_tags(extra),
        }
    )
    frame = schema.with_provenance(frame, provenance(sys.modules[__name__], retrieved_at))
    geometry = _geometry.round_coordinates(raw.geometry.values)
    return schema.conform(gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS), LAYER)
