"""Border crossings: every place where a railway or a major road of the embedded layers crosses a border.

Derived at build time (`python -m geo build-default`) into `datasets/crossings.parquet`, a layer of
its own (`crossings`, `geo.layers.CROSSINGS`), from:

- the rail layer (Natural Earth railroads cut at the borders of the Natural Earth 1:50m country
  outlines): a rail crossing is a point where lines of two countries meet end to end, which is
  where the cut put it. Both sides' nominal gauges come with it (`geo.gauge`), and whether a train
  must change gauge there (1520 and 1524 mm run together). Crossings of one line within
  MERGE_KM of each other (a line wavering along a border) are kept as one.
- the roads layer (OpenStreetMap 2021 major roads, cut at the same borders, then simplified and
  merged for display): a road crossing is a point where road pieces of two countries end within
  ROAD_PAIR_M of each other. The embedded roads are display fragments (interchanges are missing,
  pieces are cut at tile edges), so a road crossing can be missing or misplaced: every road
  crossing is marked indicative. Crossings of one country pair within MERGE_KM are one crossing
  (dual carriageways, slip roads), of the highest road class found there.

At sea (bridges, tunnels, rail ferries) the point lies where the line leaves the land outline it
was given to, since the outlines draw no border at sea. Each crossing is named after the nearest
town of 15,000+ people (GeoNames, `datasets/places.parquet`), e.g. "PL–UA rail crossing near
Chełm (PL, 24 km)". Crossings beyond the map's bounds (`settings.EUROPE_BBOX`: the Caspian, Iran) are
left out. Distances are measured in EPSG:3035 (metres); geometry is EPSG:4326.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import gauge, schema, settings
from geo.layers import ROAD_CLASSES

LAYER = "crossings"
METRIC_CRS = "EPSG:3035"  # ETRS89 / LAEA Europe, metres
# Road pieces of two countries ending closer than this meet at the border (the cut point, moved by simplification).
ROAD_PAIR_M = 60.0
# Crossings of one line (rail) or one country pair (roads) closer than this are one crossing.
MERGE_KM = 2.0
RAIL_SOURCE = "derived_rail"
ROAD_SOURCE = "derived_roads"
PLACE_CREDIT = "nearest place: GeoNames (geonames.org), CC BY 4.0"
RAIL_PROVENANCE = {
    "source": RAIL_SOURCE,
    "licence": "CC-BY-4.0",
    "attribution": f"Derived from Natural Earth railroads and countries (Made with Natural Earth); {PLACE_CREDIT}",
    "source_date": None,
}
ROAD_PROVENANCE = {
    "source": ROAD_SOURCE,
    "licence": "ODbL-1.0",
    "attribution": "Derived from © OpenStreetMap contributors, © OpenMapTiles (major roads 2021) and Natural Earth "
    f"countries; {PLACE_CREDIT}",
    "source_date": "2021-02",
}
_CLASS_RANK = {name: rank for rank, name in enumerate(ROAD_CLASSES)}


def _endpoints(lines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Both ends of every part of every line: x, y (degrees), the row of its feature."""
    parts, owner = shapely.get_parts(lines.geometry.values, return_index=True)
    starts = shapely.get_coordinates(shapely.get_point(parts, 0))
    ends = shapely.get_coordinates(shapely.get_point(parts, -1))
    return pd.DataFrame(
        {"x": np.r_[starts[:, 0], ends[:, 0]], "y": np.r_[starts[:, 1], ends[:, 1]], "row": np.r_[owner, owner]}
    )


def _metric(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    points = gpd.GeoSeries(shapely.points(x, y), crs=schema.CRS).to_crs(METRIC_CRS)
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _pairs(ends: pd.DataFrame, countries: np.ndarray, within_m: float) -> pd.DataFrame:
    """Line ends of different countries within `within_m` of each other: rows a, b (a's country first by code)."""
    xy = _metric(ends["x"].to_numpy(), ends["y"].to_numpy())
    found = cKDTree(xy).query_pairs(within_m, output_type="ndarray")
    if not len(found):
        return pd.DataFrame({"a": [], "b": [], "x": [], "y": []})
    i, j = found[:, 0], found[:, 1]
    rows_i, rows_j = ends["row"].to_numpy()[i], ends["row"].to_numpy()[j]
    ci, cj = countries[rows_i], countries[rows_j]
    keep = (ci != cj) & pd.notna(ci) & pd.notna(cj)
    i, j, rows_i, rows_j, ci, cj = (v[keep] for v in (i, j, rows_i, rows_j, ci, cj))
    swap = ci > cj
    a = np.where(swap, rows_j, rows_i)
    b = np.where(swap, rows_i, rows_j)
    x = (ends["x"].to_numpy()[i] + ends["x"].to_numpy()[j]) / 2
    y = (ends["y"].to_numpy()[i] + ends["y"].to_numpy()[j]) / 2
    return pd.DataFrame({"a": a, "b": b, "x": x, "y": y})


def _clusters(xy: np.ndarray, groups: np.ndarray, within_km: float) -> np.ndarray:
    """A cluster number per point: points of the same group chained within `within_km` share one."""
    labels = np.arange(len(xy))
    if not len(xy):
        return labels
    for i, j in cKDTree(xy).query_pairs(within_km * 1000.0, output_type="ndarray"):
        if groups[i] != groups[j]:
            continue
        old, new = labels[j], labels[i]
        if old != new:
            labels[labels == old] = new
    return labels


def _nearest_places(x: np.ndarray, y: np.ndarray, places: gpd.GeoDataFrame | None) -> tuple[list, np.ndarray]:
    """(name with country, km) of the nearest place to each point; empty names without places."""
    if places is None or places.empty or not len(x):
        return [None] * len(x), np.full(len(x), np.nan)
    place_xy = _metric(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
    distance, index = cKDTree(place_xy).query(_metric(x, y))
    names = [f"{places['name'].iat[k]} ({places['country'].iat[k]})" for k in index]
    return names, np.round(distance / 1000.0, 1)


def _frame(rows: pd.DataFrame, places: gpd.GeoDataFrame | None, retrieved_at: str) -> pd.DataFrame:
    """Name, id and provenance of crossings given their columns, x and y (degrees)."""
    if rows.empty:
        return rows
    rows = rows.sort_values(["mode", "country", "other_country", "x", "y"], kind="stable").reset_index(drop=True)
    near, km = _nearest_places(rows["x"].to_numpy(), rows["y"].to_numpy(), places)
    rows["nearest_place"] = near
    rows["nearest_place_km"] = km
    label = np.where(rows["kind"].eq("ferry"), "rail ferry", rows["mode"])
    pair = rows["country"] + "\u2013" + rows["other_country"]
    where = [f" near {name.removesuffix(')')}, {d:.0f} km)" if name else "" for name, d in zip(near, km, strict=True)]
    rows["name"] = pair + " " + label + " crossing" + pd.Series(where, index=rows.index)
    number = rows.groupby(["mode", "country", "other_country"]).cumcount() + 1
    rows["id"] = "crossing:" + rows["mode"] + "/" + pair.str.replace("\u2013", "-") + "/" + number.astype(str)
    rows["layer"] = LAYER
    rows["retrieved_at"] = retrieved_at
    return rows


def rail_crossings(rail: gpd.GeoDataFrame) -> pd.DataFrame:
    """Rail crossings of the rail layer (columns of the crossings layer, plus x and y in degrees)."""
    ends = _endpoints(rail)
    countries = rail["country"].astype("string").to_numpy(dtype=object, na_value=None)
    pairs = _pairs(ends, countries, within_m=1.0)
    if pairs.empty:
        return pd.DataFrame()
    # One crossing per line and country pair within MERGE_KM: a line wavering along a border crosses it often.
    line = rail["tags"].str.extract(r'"rwdb_rr_id": (\d+)')[0].fillna(rail["id"]).to_numpy(dtype=object)
    group = line[pairs["a"]] + "|" + countries[pairs["a"]] + "|" + countries[pairs["b"]]
    pairs["cluster"] = _clusters(_metric(pairs["x"].to_numpy(), pairs["y"].to_numpy()), group, MERGE_KM)
    pairs = pairs.drop_duplicates("cluster")
    a, b = rail.iloc[pairs["a"].to_numpy()], rail.iloc[pairs["b"].to_numpy()]
    ferry = a["kind"].eq("ferry").to_numpy() | b["kind"].eq("ferry").to_numpy()
    gauges = list(zip(a["gauge"], b["gauge"], strict=True))
    basis_a, basis_b = a["gauge_basis"].astype("string").to_numpy(), b["gauge_basis"].astype("string").to_numpy()
    return pd.DataFrame(
        {
            "kind": np.where(ferry, "ferry", "rail"),
            "mode": "rail",
            "country": countries[pairs["a"]],
            "other_country": countries[pairs["b"]],
            "line_id": a["id"].to_numpy(),
            "other_line_id": b["id"].to_numpy(),
            "gauge": a["gauge"].to_numpy(),
            "other_gauge": b["gauge"].to_numpy(),
            "gauge_break": [gauge.is_break(g, h) for g, h in gauges],
            "gauge_basis": [
                p if p == q else f"{ca}: {p}; {cb}: {q}"
                for p, q, ca, cb in zip(basis_a, basis_b, countries[pairs["a"]], countries[pairs["b"]], strict=True)
            ],
            "indicative": False,
            "x": pairs["x"].to_numpy(),
            "y": pairs["y"].to_numpy(),
            **RAIL_PROVENANCE,
        }
    )


def road_crossings(roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Indicative road crossings of the roads layer (columns of the crossings layer, plus x and y)."""
    built = roads[~roads["construction"].astype("boolean").fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    ends = _endpoints(built)
    countries = built["country"].astype("string").to_numpy(dtype=object, na_value=None)
    pairs = _pairs(ends, countries, within_m=ROAD_PAIR_M)
    if pairs.empty:
        return pd.DataFrame()
    a, b = built.iloc[pairs["a"].to_numpy()], built.iloc[pairs["b"].to_numpy()]
    rank = np.minimum(
        a["kind"].map(_CLASS_RANK).fillna(len(ROAD_CLASSES)).to_numpy(),
        b["kind"].map(_CLASS_RANK).fillna(len(ROAD_CLASSES)).to_numpy(),
    )
    pairs["rank"] = rank
    group = countries[pairs["a"]] + "|" + countries[pairs["b"]]
    pairs["cluster"] = _clusters(_metric(pairs["x"].to_numpy(), pairs["y"].to_numpy()), group, MERGE_KM)
    # Each cluster is one crossing, placed and named by its highest road class.
    pairs = pairs.sort_values(["cluster", "rank"], kind="stable").drop_duplicates("cluster")
    a, b = built.iloc[pairs["a"].to_numpy()], built.iloc[pairs["b"].to_numpy()]
    classes = np.array([*ROAD_CLASSES, "road"], dtype=object)[pairs["rank"].astype(int).to_numpy()]
    return pd.DataFrame(
        {
            "kind": classes,
            "mode": "road",
            "country": countries[pairs["a"]],
            "other_country": countries[pairs["b"]],
            "line_id": a["id"].to_numpy(),
            "other_line_id": b["id"].to_numpy(),
            "indicative": True,
            "x": pairs["x"].to_numpy(),
            "y": pairs["y"].to_numpy(),
            **ROAD_PROVENANCE,
        }
    )


def derive(
    rail: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None, retrieved_at: str
) -> gpd.GeoDataFrame:
    """The crossings layer from the rail and roads layers (schema-conformant, EPSG:4326), ordered by mode,
    country pair and position; ids `crossing:<mode>/<A>-<B>/<n>`."""
    parts = [frame for frame in (rail_crossings(rail), road_crossings(roads)) if not frame.empty]
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"x": [], "y": []})
    west, south, east, north = settings.EUROPE_BBOX  # the map's bounds: no crossing beyond them (Caspian, Iran)
    found = found[found["x"].between(west, east) & found["y"].between(south, north)]
    rows = _frame(found.reset_index(drop=True), places, retrieved_at) if len(found) else pd.DataFrame()
    if rows.empty:
        rows = pd.DataFrame({"x": [], "y": []})
    rows["tags"] = "{}"
    geometry = shapely.points(rows["x"].to_numpy(dtype=float), rows["y"].to_numpy(dtype=float))
    frame = gpd.GeoDataFrame(rows.drop(columns=["x", "y"]), geometry=geometry, crs=schema.CRS)
    return schema.conform(frame, LAYER)
