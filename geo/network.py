"""A routable rail graph of the rail layer: nodes where lines meet, edges along the lines.

Built from the embedded rail layer and the user's stored OpenStreetMap detail (`geo.select.load_layers`).
Inside the area of a stored OSM layer (the bbox its metadata records) the OSM ways replace the
embedded lines: embedded lines are cut at the area's edge, and each cut end is joined to the
nearest OSM node within CONNECT_KM by a straight "connector" edge, so routes can pass from one
to the other (the explanation states the connector length).

Building (one pass of vectorised numpy/shapely, `build_network`):
1. keep the routable lines: kind "rail" and rail ferries ("ferry", kept as ferry edges);
2. split lines where another line shares a vertex (OpenStreetMap ways meet at shared nodes);
3. snap line ends closer than SNAP_M into one node (the embedded layer is on a ~25 m grid and its
   lines meet end to end, so snapping only closes tiny gaps);
4. edges get the attributes a route is explained by: country, electrification ("yes", "no",
   "unknown"), tracks ("multiple", "single", "unknown"), gauge (`geo.gauge`), ferry, length (km).
5. connected components are labelled; `gaps` lists, for every component of at least
   GAP_REPORT_KM of line besides the largest, the shortest straight gap to the largest one.

Routing uses scipy.sparse.csgraph's Dijkstra (chosen by measurement against networkx, igraph and
rustworkx: `benchmarks/bench_route.py`, figures in `benchmarks/README.md`). Geometry is EPSG:4326;
distances are measured in EPSG:3035 (metres) for snapping and geodesic (km) for lengths.

`default_network()` builds the graph once per process and shares it (with every app session); it is
rebuilt when the embedded rail file or the stored OSM rail detail changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo import gauge, schema, store
from geo.countries import load_countries
from geo.layers import FERRY, electrification
from geo.select import load_layers
from geo.sources._geometry import geodesic_length_km

METRIC_CRS = "EPSG:3035"  # ETRS89 / LAEA Europe, metres
# Line ends closer than this are one node.
SNAP_M = 50.0
# Embedded line ends cut at the edge of an OSM area are joined to an OSM node at most this far away.
CONNECT_KM = 5.0
# Components with at least this much line besides the largest are reported with their gap.
GAP_REPORT_KM = 50.0
ROUTABLE_KINDS = ("rail", FERRY)
CONNECTOR = "connector"
# Coordinates are compared on this grid (degrees) when finding shared vertices: 1e-7 deg is about 1 cm.
_VERTEX_GRID = 1e7


@dataclass(frozen=True)
class Gap:
    """A component of the network apart from the largest one, and the shortest straight gap between them."""

    component: int
    km: float  # km of line in the component
    gap_km: float
    near: tuple[float, float]  # lon, lat of the component's end of the gap
    far: tuple[float, float]  # lon, lat of the largest component's end
    countries: tuple[str, ...]


@dataclass
class Network:
    """The rail graph. Edge arrays are aligned: edge i joins node `u[i]` to `v[i]` along `geometry[i]`
    (EPSG:4326, oriented from u to v), and `edges.iloc[i]` holds its attributes."""

    nodes: np.ndarray  # (n, 2) lon, lat
    u: np.ndarray
    v: np.ndarray
    geometry: np.ndarray  # shapely LineStrings, EPSG:4326
    metric: np.ndarray  # the same lines in EPSG:3035, for snapping
    edges: pd.DataFrame  # line_id, kind, country, electrified, tracks, gauge, gauge_basis, length_km, ferry
    features: gpd.GeoDataFrame  # the rail features the edges come from (attributes, provenance)
    component: np.ndarray  # component label per node
    main_component: int
    component_km: dict[int, float]
    gaps: tuple[Gap, ...]
    osm_areas: tuple[tuple[float, float, float, float], ...] = ()
    _tree: shapely.STRtree | None = field(default=None, repr=False)
    _matrices: dict = field(default_factory=dict, repr=False)
    # Results computed once per network by other modules (e.g. the corridors' indicative lines).
    derived: dict = field(default_factory=dict, repr=False)

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.metric)
        return self._tree

    def summary(self) -> dict:
        """Nodes, edges, km, components and the reported gaps, JSON-ready."""
        return {
            "nodes": len(self.nodes),
            "edges": len(self.u),
            "km": round(float(self.edges["length_km"].sum()), 1),
            "components": len(self.component_km),
            "main_component_km": round(self.component_km[self.main_component], 1),
            "osm_areas": [list(box) for box in self.osm_areas],
            "gaps": [
                {
                    "component_km": round(gap.km, 1),
                    "gap_km": round(gap.gap_km, 1),
                    "near": gap.near,
                    "far": gap.far,
                    "countries": list(gap.countries),
                }
                for gap in self.gaps
            ],
        }

    def edge_component(self, edge: int) -> int:
        return int(self.component[self.u[edge]])

    def matrix(self, allowed: np.ndarray, weight: np.ndarray) -> tuple[sparse.csr_matrix, dict[tuple[int, int], int]]:
        """The symmetric cost matrix of the `allowed` edges with cost `weight`, and the cheapest edge per node pair.

        Parallel edges are reduced to the cheapest (a sparse matrix would add them up). Cached per options.
        """
        key = (allowed.tobytes(), weight.tobytes())
        if key in self._matrices:
            return self._matrices[key]
        index = np.flatnonzero(allowed & (self.u != self.v))
        low, high = np.minimum(self.u[index], self.v[index]), np.maximum(self.u[index], self.v[index])
        order = np.lexsort((weight[index], high, low))
        index, low, high = index[order], low[order], high[order]
        first = np.r_[True, (low[1:] != low[:-1]) | (high[1:] != high[:-1])]
        index, low, high = index[first], low[first], high[first]
        cost = np.maximum(weight[index], 1e-9)  # an explicit zero would read as "no edge"
        n = len(self.nodes)
        matrix = sparse.csr_matrix((np.r_[cost, cost], (np.r_[low, high], np.r_[high, low])), shape=(n, n))
        best = {(int(a), int(b)): int(e) for a, b, e in zip(low, high, index, strict=True)}
        if len(self._matrices) > 16:
            self._matrices.clear()
        self._matrices[key] = (matrix, best)
        return matrix, best

    def shortest(
        self, sources: list[int], allowed: np.ndarray, weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[tuple[int, int], int]]:
        """Dijkstra from each of `sources` (node indices): (costs, predecessors, cheapest edge per node pair)."""
        matrix, best = self.matrix(allowed, weight)
        costs, predecessors = csgraph.dijkstra(matrix, directed=False, indices=sources, return_predecessors=True)
        return costs, predecessors, best


# -- building ---------------------------------------------------------------------------------


def _routable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = frame["kind"].isin(ROUTABLE_KINDS).fillna(False).to_numpy(dtype=bool) & frame.geom_type.isin(
        ("LineString", "MultiLineString")
    ).to_numpy(dtype=bool)
    return frame[keep]


def _outside_areas(frame: gpd.GeoDataFrame, areas: list[tuple[float, ...]]) -> gpd.GeoDataFrame:
    """`frame` (embedded lines) with the parts inside the OSM `areas` (W,S,E,N boxes) cut away."""
    if not areas:
        return frame
    boxes = shapely.union_all([shapely.box(*box) for box in areas])
    touching = shapely.intersects(frame.geometry.values, boxes)
    if not touching.any():
        return frame
    frame = frame.copy()
    geometries = frame.geometry.values.copy()
    geometries[touching] = shapely.difference(geometries[touching], boxes)
    frame = frame.set_geometry(gpd.GeoSeries(geometries, index=frame.index, crs=frame.crs))
    return frame[~frame.geometry.is_empty]


def _pieces(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every line part split at vertices another part shares: (pieces, the line each comes from)."""
    parts, owner = shapely.get_parts(lines, return_index=True)
    usable = shapely.get_num_coordinates(parts) >= 2
    parts, owner = parts[usable], owner[usable]
    coords, part = shapely.get_coordinates(parts, return_index=True)
    start = np.r_[True, part[1:] != part[:-1]]
    end = np.r_[part[1:] != part[:-1], True]
    keys = np.round(coords * _VERTEX_GRID).astype(np.int64)
    pair = pd.DataFrame({"x": keys[:, 0], "y": keys[:, 1], "part": part})
    shared = pair.groupby(["x", "y"])["part"].transform("nunique").to_numpy() > 1
    cut = shared & ~start & ~end  # an inner vertex another part passes through: end one piece, start the next
    repeat = 1 + cut.astype(int)
    expanded = np.repeat(np.arange(len(coords)), repeat)
    second_copy = np.zeros(len(expanded), dtype=bool)
    second_copy[np.cumsum(repeat)[cut] - 1] = True
    new_piece = start[expanded] | second_copy
    piece = np.cumsum(new_piece) - 1
    pieces = shapely.linestrings(coords[expanded], indices=piece)
    piece_part = part[expanded][new_piece]
    return pieces, owner[piece_part]


def _snap_nodes(points: np.ndarray, metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node index per point (points closer than SNAP_M share a node) and each node's lon/lat."""
    pairs = cKDTree(metric).query_pairs(SNAP_M, output_type="ndarray")
    n = len(points)
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else None
    if graph is None:
        labels = np.arange(n)
    else:
        _, labels = csgraph.connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    node_of_label = np.empty(labels.max() + 1, dtype=np.int64)
    node_of_label[labels[np.sort(first)]] = np.arange(len(first))
    nodes = node_of_label[labels]
    coordinates = np.empty((len(first), 2))
    coordinates[nodes] = points
    return nodes, coordinates


def _to_metric(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    points = gpd.GeoSeries(shapely.points(x, y), crs=schema.CRS).to_crs(METRIC_CRS)
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _connectors(
    cut_ends: np.ndarray, osm_nodes: np.ndarray, nodes_metric: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from node, to node, metres) joining each cut end node to the nearest OSM node within CONNECT_KM."""
    if not len(cut_ends) or not len(osm_nodes):
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    distance, nearest = cKDTree(nodes_metric[osm_nodes]).query(nodes_metric[cut_ends])
    close = distance <= CONNECT_KM * 1000
    return cut_ends[close], osm_nodes[nearest[close]], distance[close]


def build_network(
    rail: gpd.GeoDataFrame,
    stored: gpd.GeoDataFrame | None = None,
    areas: list[tuple[float, float, float, float]] | None = None,
    covered: set[str] | None = None,
) -> Network:
    """The rail graph of `rail` (the embedded layer), with `stored` OSM detail taking precedence in `areas`.

    `areas` are W,S,E,N boxes (degrees) of the stored detail (default: its total bounds); `covered`
    the countries whose national gauge may be assumed for OSM lines without a gauge tag.
    """
    areas = list(areas or ([tuple(stored.total_bounds)] if stored is not None and len(stored) else []))
    embedded = _routable(rail)
    if stored is not None and len(stored):
        stored_ids = set(stored["id"])
        embedded = _outside_areas(embedded[~embedded["id"].isin(stored_ids)], areas)
        osm = _routable(stored)
        features = pd.concat([embedded, osm], ignore_index=True)
    else:
        osm = embedded.iloc[:0]
        features = embedded.reset_index(drop=True)
    features = gpd.GeoDataFrame(features, geometry="geometry", crs=schema.CRS)
    if covered is not None:
        filled, basis = gauge.assign(features["gauge"], features["country"], covered)
        features["gauge"] = filled
        features["gauge_basis"] = features["gauge_basis"].fillna(basis)
    pieces, owner = _pieces(features.geometry.values)
    starts = shapely.get_coordinates(shapely.get_point(pieces, 0))
    ends = shapely.get_coordinates(shapely.get_point(pieces, -1))
    points = np.vstack([starts, ends])
    points_metric = _to_metric(points[:, 0], points[:, 1])
    node_of_point, nodes = _snap_nodes(points, points_metric)
    u, v = node_of_point[: len(pieces)], node_of_point[len(pieces) :]
    nodes_metric = _to_metric(nodes[:, 0], nodes[:, 1])
    table = features.iloc[owner]
    edges = pd.DataFrame(
        {
            "feature": owner,
            "line_id": table["id"].astype("string").to_numpy(),
            "kind": table["kind"].astype("string").to_numpy(),
            "country": table["country"].astype("string").to_numpy(),
            "electrified": electrification(table["electrified"]).to_numpy(),
            "tracks": _tracks(table["tracks"]).to_numpy(),
            "gauge": table["gauge"].astype("string").to_numpy(),
            "gauge_basis": table["gauge_basis"].astype("string").to_numpy(),
            "length_km": geodesic_length_km(pieces),
            "ferry": table["kind"].eq(FERRY).fillna(False).to_numpy(dtype=bool),
            "osm": table["source"].eq("osm").fillna(False).to_numpy(dtype=bool),
        }
    )
    geometry = pieces
    if len(osm) and areas:
        cut_ends = _cut_ends(u, v, edges, nodes, areas)
        osm_nodes = np.unique(np.r_[u[edges["osm"].to_numpy()], v[edges["osm"].to_numpy()]])
        a, b, metres = _connectors(cut_ends, osm_nodes, nodes_metric)
        if len(a):
            lines = shapely.linestrings(np.stack([nodes[a], nodes[b]], axis=1))
            extra = pd.DataFrame(
                {
                    "feature": -1,
                    "line_id": pd.array([None] * len(a), dtype="string"),
                    "kind": CONNECTOR,
                    "country": edges["country"].to_numpy()[_any_edge_at(a, u, v)],
                    "electrified": "unknown",
                    "tracks": "unknown",
                    "gauge": pd.array([None] * len(a), dtype="string"),
                    "gauge_basis": pd.array([None] * len(a), dtype="string"),
                    "length_km": metres / 1000.0,
                    "ferry": False,
                    "osm": False,
                }
            )
            edges = pd.concat([edges, extra], ignore_index=True)
            u, v, geometry = np.r_[u, a], np.r_[v, b], np.r_[geometry, lines]
    metric = np.asarray(gpd.GeoSeries(geometry, crs=schema.CRS).to_crs(METRIC_CRS).values, dtype=object)
    component, component_km, main = _components(len(nodes), u, v, edges["length_km"].to_numpy())
    gaps = _gaps(component, component_km, main, nodes, nodes_metric, u, v, edges)
    return Network(
        nodes=nodes,
        u=u,
        v=v,
        geometry=np.asarray(geometry, dtype=object),
        metric=metric,
        edges=edges,
        features=features,
        component=component,
        main_component=main,
        component_km=component_km,
        gaps=gaps,
        osm_areas=tuple(tuple(float(x) for x in box) for box in areas) if len(osm) else (),
    )


def _tracks(values: pd.Series) -> pd.Series:
    """ "multiple", "single" or "unknown": Natural Earth's words, or OpenStreetMap's track count."""
    text = values.astype("string").str.strip().str.lower()
    count = pd.to_numeric(text, errors="coerce")
    out = text.where(text.isin(["multiple", "single"]), "unknown")
    out = out.mask(count.ge(2).fillna(False), "multiple").mask(count.eq(1).fillna(False), "single")
    return out.fillna("unknown")


def _any_edge_at(nodes_wanted: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For each node, the index of one edge ending there."""
    first = {}
    for index, node in enumerate(np.r_[u, v]):
        first.setdefault(int(node), index % len(u))
    return np.array([first[int(node)] for node in nodes_wanted], dtype=int)


def _cut_ends(u: np.ndarray, v: np.ndarray, edges: pd.DataFrame, nodes: np.ndarray, areas: list) -> np.ndarray:
    """Nodes of embedded lines, of degree 1, on the edge of an OSM area (where `_outside_areas` cut them)."""
    embedded = ~edges["osm"].to_numpy()
    ends = np.r_[u[embedded], v[embedded]]
    degree = np.bincount(np.r_[u, v], minlength=len(nodes))
    candidates = np.unique(ends[degree[ends] == 1])
    outline = shapely.union_all([shapely.box(*box).boundary for box in areas])
    on_edge = shapely.dwithin(shapely.points(nodes[candidates]), outline, 1e-6)
    return candidates[on_edge]


def _components(n: int, u: np.ndarray, v: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, dict[int, float], int]:
    graph = sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=False)
    per = np.bincount(labels[u], weights=km, minlength=labels.max() + 1)
    return labels, {int(i): float(value) for i, value in enumerate(per)}, int(np.argmax(per))


def _gaps(component, component_km, main, nodes, nodes_metric, u, v, edges) -> tuple[Gap, ...]:
    """The shortest gap from each sizeable component to the largest one."""
    main_nodes = np.flatnonzero(component == main)
    tree = cKDTree(nodes_metric[main_nodes])
    gaps = []
    for label, km in sorted(component_km.items(), key=lambda item: -item[1]):
        if label == main or km < GAP_REPORT_KM:
            continue
        members = np.flatnonzero(component == label)
        distance, nearest = tree.query(nodes_metric[members])
        best = int(np.argmin(distance))
        in_component = np.isin(u, members)
        countries = tuple(sorted(set(edges.loc[in_component, "country"].dropna())))
        gaps.append(
            Gap(
                component=label,
                km=km,
                gap_km=float(distance[best]) / 1000.0,
                near=tuple(round(float(c), 5) for c in nodes[members[best]]),
                far=tuple(round(float(c), 5) for c in nodes[main_nodes[nearest[best]]]),
                countries=countries,
            )
        )
    return tuple(gaps)


# -- the shared network -------------------------------------------------------------------------


def network_key(store_dir: Path | None = None) -> tuple:
    """What the network is built from: the embedded rail file and every stored rail area, with their times."""
    embedded = store.embedded_path("rail")
    stored = tuple(
        (record["path"], Path(record["path"]).stat().st_mtime_ns if Path(record["path"]).exists() else 0)
        for record in store.stored_areas("rail", store_dir)
    )
    return (str(embedded), embedded.stat().st_mtime_ns if embedded.exists() else 0, stored)


@lru_cache(maxsize=2)
def _network_for(key: tuple, store_dir: Path | None) -> Network:
    loaded = load_layers(("rail",), store_dir)
    stored = loaded.stored.get("rail")
    areas = [
        tuple(record["bbox"])
        for record in store.stored_areas("rail", store_dir)
        if isinstance(record.get("bbox"), list) and len(record["bbox"]) == 4
    ]
    table = load_countries()
    covered = set(table.loc[table["europe"].astype(bool), "iso2"])
    embedded = loaded["rail"] if stored is None else loaded["rail"][~loaded["rail"]["id"].isin(stored["id"])]
    return build_network(embedded, stored, areas or None, covered)


def default_network(store_dir: Path | None = None) -> Network:
    """The rail graph of the embedded layer and the stored OSM detail, built once per process and shared.

    Rebuilt only when the embedded rail file or a stored rail area changes (`network_key`). Raises
    store.DatasetError (naming the build command) when the embedded rail layer is missing.
    """
    return _network_for(network_key(store_dir), Path(store_dir) if store_dir else None)
