"""NGA World Port Index (Pub. 150), European extract -> `ports` features, the merge with GISCO, and port types.

`load` gives every WPI port as a feature `wpi:<World Port Index number>`. `merge_with_gisco`
enriches GISCO ports with WPI's harbour size and type, depths, vessel limits and railway, and
adds the WPI ports GISCO lacks (Ukrainian, Norwegian, Turkish terminals...), so that one port
appears once. Matching, measured on the 2013/2014 files, is explicit and recorded in the
columns `wpi_match` (how) and `wpi_match_km` (how far apart the two positions are):

1. "UN/LOCODE": the same code ("NL RTM" -> "NLRTM") and the two points within `LOCODE_MATCH_KM`
   (median distance of such pairs 0.9 km, 99 % within 15 km; the few pairs hundreds of km apart
   are wrong LOCODEs in WPI). When several WPI records share the code, one whose name is similar
   to GISCO's wins (GISCO Faskrudsfjordur takes WPI Faskrudsfjordur, not WPI Budir), then the
   nearest (Dunkerque takes Dunkerque Port Ouest, not Port Est);
2. "name and distance", only for ports no LOCODE pairs: similar names and points within
   `NAME_MATCH_KM`, nearest pairs first. Refused when both records carry different LOCODEs:
   GISCO Ambarli (TRAMB) and WPI Ambarli (TRAMR) lie 1.4 km apart but stay two features;
3. any other WPI port is added as its own feature. LOCODEs stay unique in the layer: an added
   record whose code belongs to another feature gets no `locode` (its raw `un_locode` stays in
   `tags`, with a `locode_note` naming the holder). Among added records sharing a code, the one
   whose name spells the code's letters keeps it (UAILK: Illichivsk, not Chornomorske).

Names are similar when they share a distinctive word, or two words are at least
`NAME_SIMILARITY` alike (difflib ratio), compared folded (`geo.text.fold`) and without generic
harbour words ("port", "porto", "limin"...).

WPI stores 0.0 where a depth or vessel limit is not known: those become null, never 0 m.
Blank harbour size/type become null. WPI fields without a schema column are kept in `tags`
(prefixed `wpi:` on merged GISCO ports, with WPI's own name as `wpi:main_port_name`). Countries:
the LOCODE's country part, else the English country name, else the nearest country polygon.

Port type (`port_type`, `port_type_basis`): no GISCO field says sea or inland, so the type is
derived from two pieces of evidence, the World Port Index (an index of ports for seagoing ships)
and the distance to the sea, measured to the coastline of the country polygons (Natural Earth
1:50m, EPSG:3035):
- "sea": listed in the WPI, or within `SEA_COAST_KM` of the coast, or outside the land outline
  (at sea, or on a small island the 1:50m outline lacks, such as Lampedusa);
- "inland": more than `INLAND_KM` from the sea and not in the WPI (Duisburg 172 km, Berlin 144,
  Vidin 360, Budapest 424);
- not known (null) in between: estuary and lake ports can be seaports (Rouen 44 km, Sevilla 52,
  Galati 84, Koping 95 on Lake Malaren) or inland ports, and 1:50m coasts are coarse.
Measured: the WPI lists no port further than about 85 km from this coastline except islands
off the outline. Limits: the distance is a straight line, not a waterway; ports on large lakes
reached by seagoing ships through canals (Lake Vanern beyond 120 km, the Saimaa lakes) are
classed inland; the type is not checked against the TEN-T annexes' lists of maritime ports.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import countries, schema
from geo.sources import _geometry, gisco_ports, natural_earth_countries, provenance, require_input
from geo.text import fold

LAYER = "ports"
SOURCE = "wpi"
LICENCE = "public domain"
ATTRIBUTION = "World Port Index (NGA)"
SOURCE_DATE = None  # the edition date is not in the file
INPUTS = ("ports/wpi_ports_europe.geojson",)

LOCODE_MATCH_KM = 40.0
NAME_MATCH_KM = 2.0
NAME_SIMILARITY = 0.8
BY_LOCODE = "UN/LOCODE"
BY_NAME = "name and distance"
# Words naming the kind of place rather than the place, ignored when comparing names.
GENERIC_WORDS = frozenset(
    {
        "port",
        "ports",
        "porto",
        "puerto",
        "porti",
        "havn",
        "hamn",
        "hafen",
        "haven",
        "harbour",
        "harbor",
        "limin",
        "limani",
        "liman",
        "ormos",
        "rade",
        "rada",
        "dock",
        "docks",
        "quay",
        "quays",
        "terminal",
        "terminals",
        "oil",
        "jetty",
        "bay",
        "the",
        "del",
        "della",
        "les",
    }
)

SEA_COAST_KM = 10.0
INLAND_KM = 120.0
IN_WPI = "listed in the World Port Index (ports for seagoing ships)"
OFF_OUTLINE = "outside the land outline of the 1:50m country map (at sea or on a small island)"

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


def name_words(name: object) -> frozenset[str]:
    """The distinctive words of a port name: folded (`geo.text.fold`), generic harbour words and 1-2 letters dropped."""
    return frozenset(word for word in fold(str(name)).split() if len(word) > 2 and word not in GENERIC_WORDS)


def similar_names(a: object, b: object) -> bool:
    """Whether two port names share a distinctive word, or two at least `NAME_SIMILARITY` alike."""
    words_b = name_words(b)
    return any(
        x == y or difflib.SequenceMatcher(None, x, y).ratio() >= NAME_SIMILARITY for x in name_words(a) for y in words_b
    )


def _spells(locode: str, name: object) -> bool:
    """Whether `name` starts with the LOCODE's place letter and holds its three letters in order (UAILK: Illichivsk)."""
    folded = fold(str(name)).replace(" ", "")
    letters = iter(folded)
    place = locode[2:].lower()
    return folded.startswith(place[0]) and all(letter in letters for letter in place)


def _one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs taken greedily in the given order of preference, each GISCO and WPI port used once."""
    used_g: set[int] = set()
    used_w: set[int] = set()
    keep = []
    for g, w in zip(pairs["g"], pairs["w"], strict=True):
        keep.append(g not in used_g and w not in used_w)
        if keep[-1]:
            used_g.add(g)
            used_w.add(w)
    return pairs[np.array(keep, dtype=bool)]


def match_to_gisco(gisco: gpd.GeoDataFrame, wpi: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The matches and the refused name matches, as frames (g, w, method, km) of gisco and wpi index labels.

    Matches are one-to-one, `method` `BY_LOCODE` or `BY_NAME`, `km` the distance between the two
    positions. Refused: WPI ports not matched that lie within `NAME_MATCH_KM` of a GISCO port with
    a similar name but a different LOCODE (the nearest such GISCO port; `method` is null).
    """
    columns = ["locode", "name", "geometry"]
    by_code = (
        gisco[columns]
        .dropna(subset=["locode"])
        .reset_index(names="g")
        .merge(wpi[columns].dropna(subset=["locode"]).reset_index(names="w"), on="locode", suffixes=("_g", "_w"))
    )
    by_code["km"] = _distance_km(
        gpd.GeoSeries(by_code["geometry_g"], crs=schema.CRS), gpd.GeoSeries(by_code["geometry_w"], crs=schema.CRS)
    )
    by_code["similar"] = [similar_names(a, b) for a, b in zip(by_code["name_g"], by_code["name_w"], strict=True)]
    by_code = by_code[by_code["km"] <= LOCODE_MATCH_KM]
    by_code = by_code.sort_values(["similar", "km", "g", "w"], ascending=[False, True, True, True])
    by_code = _one_to_one(by_code).assign(method=BY_LOCODE)

    free_g = gisco.drop(index=by_code["g"])[columns].to_crs(countries.EUROPE_LAEA)
    free_w = wpi.drop(index=by_code["w"])[columns].to_crs(countries.EUROPE_LAEA)
    near = gpd.sjoin(free_w, free_g, predicate="dwithin", distance=NAME_MATCH_KM * 1000, lsuffix="w", rsuffix="g")
    near = near.reset_index(names="w").rename(columns={"index_g": "g"})
    near["km"] = shapely.distance(near.geometry.to_numpy(), free_g.geometry.loc[near["g"]].to_numpy()) / 1000
    near = near[[similar_names(a, b) for a, b in zip(near["name_g"], near["name_w"], strict=True)]]
    # A WPI code that GISCO gives to another, distant port is wrong here and refuses nothing (Nowy Port: PLNWA).
    valid_w = near["locode_w"].notna() & ~near["locode_w"].isin(gisco["locode"].dropna())
    conflict = (near["locode_g"].notna() & valid_w & (near["locode_g"] != near["locode_w"])).to_numpy(dtype=bool)
    by_name = _one_to_one(near[~conflict].sort_values(["km", "g", "w"])).assign(method=BY_NAME)
    refused = near[conflict & ~near["w"].isin(by_name["w"]).to_numpy()].sort_values(["km", "g"]).drop_duplicates("w")
    keep = ["g", "w", "method", "km"]
    matches = pd.concat([by_code[keep], by_name[keep]], ignore_index=True)
    return matches, refused.assign(method=pd.NA)[keep].reset_index(drop=True)


def _merged_tags(gisco_tags: str, wpi: pd.Series) -> str:
    """GISCO's tags plus every WPI field without a GISCO column: its tags, name and id."""
    tags = json.loads(gisco_tags)
    tags.update({f"wpi:{k}": v for k, v in json.loads(wpi["tags"]).items()})
    tags.update({"wpi:main_port_name": wpi["name"], "wpi:id": wpi["id"]})
    return json.dumps(tags, ensure_ascii=False, sort_keys=True)


def _with_note(tags: str, key: str, note: str) -> str:
    return json.dumps({**json.loads(tags), key: note}, ensure_ascii=False, sort_keys=True)


def _unique_locodes(added: gpd.GeoDataFrame, holders: pd.DataFrame) -> gpd.GeoDataFrame:
    """The added WPI ports, without the LOCODEs another feature holds (GISCO's first, then the name spelling it)."""
    added = added.copy()
    spells = [pd.notna(code) and _spells(code, name) for code, name in zip(added["locode"], added["name"], strict=True)]
    number = added["id"].str.removeprefix("wpi:").astype(int)
    order = added.assign(_spells=spells, _number=number).sort_values(["_spells", "_number"], ascending=[False, True])
    order = order.dropna(subset=["locode"])
    owner = pd.concat([holders[["locode", "id", "name"]], order[["locode", "id", "name"]]]).drop_duplicates("locode")
    owner = owner.set_index("locode")
    taken = order.index[order["id"].to_numpy() != owner.loc[order["locode"], "id"].to_numpy()]
    for row in taken:
        code = added.at[row, "locode"]
        note = f"UN/LOCODE {code} belongs to {owner.at[code, 'id']} ({owner.at[code, 'name']}); not repeated here"
        added.at[row, "tags"] = _with_note(added.at[row, "tags"], "locode_note", note)
    added.loc[taken, "locode"] = pd.NA
    return added


def port_types(ports: gpd.GeoDataFrame, country_table: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """(port_type, port_type_basis) of each port: "sea", "inland" or <NA>, and the evidence (module docstring).

    Distances are to the boundary of the union of `country_table`'s polygons, in EPSG:3035 (km);
    a port counts as in the World Port Index when it is a WPI feature or was enriched from one.
    """
    land = shapely.union_all(country_table.to_crs(countries.EUROPE_LAEA).geometry.to_numpy())
    coast = land.boundary
    shapely.prepare(land)
    shapely.prepare(coast)
    points = ports.geometry.to_crs(countries.EUROPE_LAEA).representative_point().to_numpy()
    km = pd.Series(shapely.distance(points, coast) / 1000, index=ports.index)
    on_land = shapely.contains(land, points)
    in_wpi = (ports["source"].eq(SOURCE) | ports["wpi_match"].notna()).fillna(False).to_numpy(dtype=bool)
    coastal = on_land & (km.to_numpy() <= SEA_COAST_KM)
    inland = on_land & ~in_wpi & (km.to_numpy() > INLAND_KM)
    sea = in_wpi | ~on_land | coastal
    rounded = km.round().astype(int).astype(str)
    basis = np.select(
        [in_wpi, ~on_land, coastal, inland],
        [
            IN_WPI,
            OFF_OUTLINE,
            km.round(1).astype(str) + " km from the coast",
            rounded + " km from the sea and not in the World Port Index",
        ],
        rounded + " km from the sea and not in the World Port Index: an estuary or lake seaport, or an inland port",
    )
    kind = np.select([sea, inland], ["sea", "inland"], "")
    return (
        pd.Series(kind, index=ports.index, dtype="string").replace("", pd.NA),
        pd.Series(basis, index=ports.index, dtype="string"),
    )


def merge_with_gisco(
    gisco: gpd.GeoDataFrame, wpi: gpd.GeoDataFrame, country_table: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """GISCO ports enriched from WPI, plus the WPI ports GISCO lacks; one feature per port, typed sea or inland.

    `country_table` (`geo.sources.natural_earth_countries.load_countries`) gives the coastline the
    port type is measured from.
    """
    gisco = gisco.reset_index(drop=True).copy()
    wpi = wpi.reset_index(drop=True).copy()
    pairs, refused = match_to_gisco(gisco, wpi)
    g, w = pairs["g"].to_numpy(), pairs["w"].to_numpy()
    for column in ENRICHED_COLUMNS:
        gisco.loc[g, column] = wpi.loc[w, column].to_numpy()
    gisco.loc[g, "wpi_match"] = pairs["method"].to_numpy()
    gisco.loc[g, "wpi_match_km"] = pairs["km"].round(2).to_numpy()
    gisco.loc[g, "tags"] = [
        _merged_tags(gisco_tags, wpi.loc[wpi_row]) for gisco_tags, wpi_row in zip(gisco.loc[g, "tags"], w, strict=True)
    ]
    gisco.loc[g, "attribution"] = f"{gisco_ports.ATTRIBUTION}; {ATTRIBUTION}"
    for row in refused.itertuples(index=False):
        port = gisco.loc[row.g]
        note = (
            f"not merged with {port['id']} ({port['name']}), {row.km:.2f} km away: the World Port Index gives "
            f"UN/LOCODE {wpi.at[row.w, 'locode']}, GISCO {port['locode']}"
        )
        wpi.at[row.w, "tags"] = _with_note(wpi.at[row.w, "tags"], "match_note", note)
    added = _unique_locodes(wpi.drop(index=w), gisco.dropna(subset=["locode"]))
    merged = gpd.GeoDataFrame(pd.concat([gisco, added], ignore_index=True), geometry="geometry", crs=schema.CRS)
    merged["port_type"], merged["port_type_basis"] = port_types(merged, country_table)
    return schema.conform(merged, LAYER)
