"""Rail routes from a port inland, and what they cross, break and fall under on the way.

A route joins an origin and a destination given by name, UN/LOCODE or id (a port, a place of the
GeoNames gazetteer, a border crossing: `geo.search`), or as a point "lat,lon" in degrees. Each end is
snapped to the nearest track within MAX_SNAP_KM that the options allow, and the route is the cheapest
path of the rail graph (`geo.network`): by length, unless the options say otherwise. Options:

- `avoid_ferry`: no rail ferries;
- `avoid_non_electrified`: no track the data knows to be not electrified (track of unknown
  electrification, most of the map, is allowed and reported);
- `prefer_multiple_track`: known single track counts double (unknown track counts are not penalised);
- `avoid_countries`: no track in these countries (ISO alpha-2);
- `within`: stay within the EU member states ("EU27") or the European NATO members ("NATO_EUROPE"),
  the catalogue's country groups (`geo.policies.country_group`).

The embedded roads are display fragments, not a network: there is no road routing.

`plan` returns a `Route`: its stretches (a frame of the `route` overlay, `geo.layers.ROUTE`, EPSG:4326)
and its explanation (`Route.explanation`, JSON-ready): length by country and by attribute, the
borders crossed with the gauges on both sides, the breaks of gauge, the corridors followed, the
documents that apply (with their links) and a TEN-T standards check that says "unknown" wherever the
data does not know. A question with no answer in the data (a port on an island without a rail link)
gives a `Route` with `found` false and the reason; bad input raises `RouteError` with one sentence.
Lengths are geodesic km; distances to the track straight-line km (EPSG:3035).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from geo import gauge, policies, policy_views, schema, search, select, store
from geo.countries import load_countries, resolve_country
from geo.errors import InputError
from geo.layers import FERRY, PROVENANCE_COLUMNS, get_layer
from geo.network import CONNECTOR, METRIC_CRS, Network, default_network
from geo.sources._geometry import geodesic_length_km

# The furthest an origin or destination may lie from the track it is snapped to.
MAX_SNAP_KM = 30.0
# Two ends closer than this are the same place.
SAME_PLACE_KM = 1.0
# A route's border point matches a crossing of the crossings layer this close.
CROSSING_MATCH_KM = 2.0
# Known single track costs this many times its length when multiple track is preferred.
SINGLE_TRACK_FACTOR = 2.0
POINT_LAYERS = ("ports", "crossings")
GROUPS = {"EU27": "the EU member states", "NATO_EUROPE": "the European NATO members"}
ROAD_NOTE = (
    "Roads are not routed: the map's major roads are display fragments (interchanges are missing, pieces are cut "
    "at tile edges), so a road route drawn on them would be invented."
)
_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$")
CONNECTOR_PROVENANCE = {
    "source": "connector",
    "licence": "public domain",
    "attribution": "Corridor Atlas: straight connector between the map's railways and your OpenStreetMap detail",
    "source_date": None,
}
INDICATIVE_NOTE = "indicative alignment, routed between the nodes the Commission names; not the legal map"


class RouteError(InputError):
    """A route cannot be asked this way (unknown or ambiguous place, same ends, a point far from any track,
    options that leave no path); the message is one sentence saying what to do. `choices` lists the
    matches of an ambiguous name."""

    def __init__(self, message: str, choices: Sequence[search.Result] = ()):
        super().__init__(message)
        self.choices = tuple(choices)


@dataclass(frozen=True)
class Options:
    """What a route may use (see the module docstring)."""

    avoid_ferry: bool = False
    avoid_non_electrified: bool = False
    prefer_multiple_track: bool = False
    avoid_countries: tuple[str, ...] = ()
    within: str | None = None  # a country group of the catalogue: "EU27" or "NATO_EUROPE"

    def active(self) -> list[str]:
        """The options in force, in words: "avoid rail ferries", "avoid CH", ..."""
        words = []
        if self.avoid_ferry:
            words.append("avoid rail ferries")
        if self.avoid_non_electrified:
            words.append("avoid track known to be not electrified")
        if self.prefer_multiple_track:
            words.append("prefer multiple track")
        if self.avoid_countries:
            words.append("avoid " + ", ".join(self.avoid_countries))
        if self.within:
            words.append(f"stay within {GROUPS.get(self.within, self.within)}")
        return words

    def without(self, option: str) -> Options:
        """These options less one of them (a field name; for `avoid_countries`, one code "avoid_countries:CH")."""
        name, _, code = option.partition(":")
        if name == "avoid_countries":
            return replace(self, avoid_countries=tuple(c for c in self.avoid_countries if c != code))
        return replace(self, **{name: None if name == "within" else False})

    def parts(self) -> list[tuple[str, str]]:
        """(option key for `without`, its words) for each option that can block a path."""
        out = []
        if self.avoid_ferry:
            out.append(("avoid_ferry", "avoiding rail ferries"))
        if self.avoid_non_electrified:
            out.append(("avoid_non_electrified", "avoiding track known to be not electrified"))
        out += [(f"avoid_countries:{code}", f"avoiding {code}") for code in self.avoid_countries]
        if self.within:
            out.append(("within", f"staying within {GROUPS.get(self.within, self.within)}"))
        return out


def make_options(
    avoid: Iterable[str] = (),
    avoid_countries: Iterable[str] = (),
    prefer: Iterable[str] = (),
    within: str | None = None,
) -> Options:
    """Options from words as the CLI and the URL carry them: avoid "ferry", "non-electrified"; prefer
    "multiple-track"; countries as codes or names; within "EU" / "EU27" / "NATO" / "NATO_EUROPE".

    Raises RouteError naming the accepted words for anything else.
    """
    avoid = {word.strip().lower() for word in avoid if word.strip()}
    unknown = avoid - {"ferry", "ferries", "non-electrified", "unelectrified"}
    if unknown:
        raise RouteError(f"unknown --avoid value {sorted(unknown)[0]!r}: use ferry or non-electrified")
    prefer = {word.strip().lower() for word in prefer if word.strip()}
    if prefer - {"multiple-track", "multiple_track", "double-track"}:
        raise RouteError(f"unknown --prefer value {sorted(prefer)[0]!r}: use multiple-track")
    try:
        codes = tuple(dict.fromkeys(resolve_country(text) for text in avoid_countries if str(text).strip()))
    except ValueError as exc:
        raise RouteError(str(exc)) from None
    group = None
    if within:
        key = within.strip().upper().replace("-", "_")
        group = {"EU": "EU27", "EU27": "EU27", "NATO": "NATO_EUROPE", "NATO_EUROPE": "NATO_EUROPE"}.get(key)
        if group is None:
            raise RouteError(f"unknown --within value {within[:40]!r}: use EU or NATO")
    return Options(
        avoid_ferry=bool(avoid & {"ferry", "ferries"}),
        avoid_non_electrified=bool(avoid & {"non-electrified", "unelectrified"}),
        prefer_multiple_track=bool(prefer),
        avoid_countries=codes,
        within=group,
    )


@dataclass(frozen=True)
class End:
    """An origin or destination: what it is, where (lon/lat degrees), and the query that found it."""

    query: str
    kind: str  # "port", "place", "crossing" or "point"
    id: str | None
    name: str
    country: str | None
    lon: float
    lat: float
    locode: str | None = None

    def label(self) -> str:
        return f"{self.name} ({self.country})" if self.country else self.name


# -- resolving names ------------------------------------------------------------------------------


def _files_key(layers: Sequence[str]) -> tuple:
    """The embedded files of `layers` and the places, and every stored area of them, with their times."""
    paths = [store.embedded_path(name) for name in (*layers, "places")]
    paths += [Path(record["path"]) for layer in layers for record in store.stored_areas(layer)]
    return tuple((str(path), path.stat().st_mtime_ns if path.exists() else 0) for path in paths)


@lru_cache(maxsize=2)
def _points_for(key: tuple) -> tuple[select.Layers, search.SearchIndex]:
    loaded = select.load_layers(POINT_LAYERS)
    return loaded, search.default_index(loaded["ports"], loaded["crossings"])


def point_layers() -> tuple[select.Layers, search.SearchIndex]:
    """The ports and crossings layers (stored detail merged) and the search index of them and the places,
    built once per process and rebuilt when one of their files changes."""
    return _points_for(_files_key(POINT_LAYERS))


def default_index() -> search.SearchIndex:
    """Ports, places and border crossings, indexed once per process (see `point_layers`)."""
    return point_layers()[1]


def parse_point(text: str) -> tuple[float, float] | None:
    """(lon, lat) of "lat,lon" in degrees (e.g. "52.23,21.01"); None when `text` is not two numbers.

    Raises RouteError when the numbers are no latitude and longitude.
    """
    match = _POINT.match(str(text))
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RouteError(f"{text.strip()[:40]!r} is no point: write latitude,longitude in degrees, e.g. 52.23,21.01")
    return lon, lat


def resolve(query: str, index: search.SearchIndex | None = None, role: str = "origin") -> End:
    """The port, place or crossing `query` names (or the point it gives as "lat,lon").

    Raises RouteError for an empty or unknown query, and for an ambiguous one with the choices attached.
    """
    text = " ".join(str(query or "").split())
    if not text:
        raise RouteError(f"Give an {role}: a port, a place, a border crossing, a UN/LOCODE or a point lat,lon.")
    point = parse_point(text)
    if point is not None:
        return End(text, "point", None, f"point {point[1]:.4f}, {point[0]:.4f}", None, point[0], point[1])
    try:
        decision = search.decide(index or default_index(), text, limit=8)
    except search.SearchError as exc:
        raise RouteError(f"{role.capitalize()}: {exc}") from None
    if decision.outcome == "none":
        raise RouteError(f"Unknown {role} {text[:60]!r}: {decision.message.split(': ', 1)[-1]}")
    if decision.answer is None:
        names = "; ".join(r.label() for r in decision.results[:5])
        raise RouteError(
            f"The {role} {text[:60]!r} is ambiguous; pick one by its UN/LOCODE or id: {names}.", decision.results
        )
    found = decision.answer
    return End(text, found.kind, found.id, found.name, found.country, found.lon, found.lat, found.locode)


# -- routing ----------------------------------------------------------------------------------------


def _allowed(network: Network, options: Options) -> np.ndarray:
    edges = network.edges
    allowed = np.ones(len(edges), dtype=bool)
    countries = edges["country"].astype("string")
    if options.avoid_ferry:
        allowed &= ~edges["ferry"].to_numpy(dtype=bool)
    if options.avoid_non_electrified:
        allowed &= edges["electrified"].to_numpy() != "no"
    if options.avoid_countries:
        allowed &= ~countries.isin(list(options.avoid_countries)).fillna(False).to_numpy(dtype=bool)
    if options.within:
        group = policies.country_group(options.within)
        allowed &= countries.isin(list(group)).fillna(False).to_numpy(dtype=bool)
    return allowed


def _weight(network: Network, options: Options) -> np.ndarray:
    weight = network.edges["length_km"].to_numpy(dtype=float).copy()
    if options.prefer_multiple_track:
        weight[network.edges["tracks"].to_numpy() == "single"] *= SINGLE_TRACK_FACTOR
    return weight


@dataclass(frozen=True)
class Snap:
    """Where an end meets the track: edge, fraction along it from node u (0..1), distance (km)."""

    edge: int
    fraction: float
    km: float
    lon: float
    lat: float


def _point_metric(lon: float, lat: float) -> shapely.Point:
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs=schema.CRS).to_crs(METRIC_CRS).iloc[0]


def snap(network: Network, lon: float, lat: float, allowed: np.ndarray | None = None) -> Snap | None:
    """The nearest point of an (allowed) edge to lon/lat within MAX_SNAP_KM, or None."""
    point = _point_metric(lon, lat)
    candidates = network.tree.query(point, predicate="dwithin", distance=MAX_SNAP_KM * 1000)
    if allowed is not None:
        candidates = candidates[allowed[candidates]]
    if not len(candidates):
        return None
    distances = shapely.distance(network.metric[candidates], point)
    best = int(candidates[int(np.argmin(distances))])
    line = network.metric[best]
    fraction = float(line.project(point, normalized=True)) if line.length > 0 else 0.0
    on = network.geometry[best].interpolate(fraction, normalized=True)
    return Snap(best, fraction, float(distances.min()) / 1000.0, float(on.x), float(on.y))


def nearest_track_km(network: Network, lon: float, lat: float) -> float:
    """Straight-line km from lon/lat to the nearest track of the network (any edge)."""
    point = _point_metric(lon, lat)
    nearest = network.tree.nearest(point)
    return float(shapely.distance(network.metric[nearest], point)) / 1000.0


@dataclass
class Track:
    """The edges of a found path, in order; fractions run from the edge's node u (0) to v (1)."""

    steps: list[tuple[int, float, float]]  # edge, fraction where the route enters it, fraction where it leaves
    cost: float


def _edge_between(best: Mapping[tuple[int, int], int], a: int, b: int) -> int:
    return best[(min(a, b), max(a, b))]


def _nodes_to(predecessors: np.ndarray, target: int) -> list[int]:
    nodes = [target]
    while predecessors[nodes[-1]] >= 0:
        nodes.append(int(predecessors[nodes[-1]]))
    return nodes[::-1]


def find_path(network: Network, start: Snap, end: Snap, allowed: np.ndarray, weight: np.ndarray) -> Track | None:
    """The cheapest path from `start` to `end` (snaps on allowed edges), or None when they are not connected."""
    u0, v0 = int(network.u[start.edge]), int(network.v[start.edge])
    u1, v1 = int(network.u[end.edge]), int(network.v[end.edge])
    w0, w1 = weight[start.edge], weight[end.edge]
    # Leaving the start edge towards u costs fraction * weight, towards v the rest; likewise arriving.
    leave = {u0: start.fraction * w0, v0: (1 - start.fraction) * w0}
    arrive = {u1: end.fraction * w1, v1: (1 - end.fraction) * w1}
    sources = list(leave)
    costs, predecessors, best = network.shortest(sources, allowed, weight)
    options = []
    if start.edge == end.edge:
        options.append((abs(end.fraction - start.fraction) * w0, None, None))
    for row, source in enumerate(sources):
        for target, tail in arrive.items():
            total = leave[source] + costs[row, target] + tail
            if np.isfinite(total):
                options.append((total, row, target))
    if not options:
        return None
    total, row, target = min(options, key=lambda option: option[0])
    if row is None:
        return Track([(start.edge, start.fraction, end.fraction)], total)
    source = sources[row]
    steps = [(start.edge, start.fraction, 1.0 if source == v0 else 0.0)]
    nodes = _nodes_to(predecessors[row], target)
    for a, b in itertools.pairwise(nodes):
        edge = _edge_between(best, a, b)
        forward = int(network.u[edge]) == a
        steps.append((edge, 0.0 if forward else 1.0, 1.0 if forward else 0.0))
    steps.append((end.edge, 0.0 if target == u1 else 1.0, end.fraction))
    steps = [step for step in steps if step[1] != step[2]]
    return Track(steps, total)


# -- the route ---------------------------------------------------------------------------------------


@dataclass
class Route:
    """A route, or the reason there is none (`found` false). `stretches` is a frame of the `route` overlay."""

    origin: End
    destination: End
    options: Options
    found: bool
    reason: str | None = None
    stretches: gpd.GeoDataFrame | None = None
    explanation: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.origin.label()} to {self.destination.label()}"


def _stretches(network: Network, path: Track, origin: End, destination: End) -> gpd.GeoDataFrame:
    """The path's edges as a `route` overlay frame: cut at the snaps, oriented along the route."""
    pieces, kept = [], []
    for position, (edge, start, end) in enumerate(path.steps):
        line = network.geometry[edge]
        low, high = sorted((start, end))
        piece = line if (low, high) == (0.0, 1.0) else shapely.ops.substring(line, low, high, normalized=True)
        if piece.geom_type != "LineString" or piece.is_empty or len(piece.coords) < 2:
            continue
        pieces.append(shapely.reverse(piece) if start > end else piece)
        kept.append(position)
    edges = np.array([path.steps[position][0] for position in kept], dtype=int)
    frame = network.edges.iloc[edges].reset_index(drop=True)
    km = geodesic_length_km(np.array(pieces, dtype=object))
    feature = frame["feature"].to_numpy()
    provenance = network.features.iloc[np.maximum(feature, 0)][list(PROVENANCE_COLUMNS)].reset_index(drop=True)
    connector = feature < 0
    for column, value in CONNECTOR_PROVENANCE.items():
        provenance.loc[connector, column] = value
    steps = np.arange(1, len(edges) + 1)
    frame = frame.assign(
        id=[f"route:{n}" for n in steps],
        layer="route",
        name=[f"{origin.label()} to {destination.label()}, stretch {n}" for n in steps],
        step=steps,
        from_km=np.round(np.r_[0.0, np.cumsum(km)[:-1]], 3),
        length_km=np.round(km, 3),
        tags=[json.dumps({"network_edge": int(edge)}) for edge in edges],
        **{column: provenance[column].to_numpy() for column in PROVENANCE_COLUMNS},
    )
    return schema.conform(gpd.GeoDataFrame(frame, geometry=pieces, crs=schema.CRS), "route")


def _blocking(network: Network, start: End, end: End, options: Options) -> list[str]:
    """The options whose removal alone lets a path through, in words."""
    words = []
    for key, text in options.parts():
        relaxed = options.without(key)
        allowed = _allowed(network, relaxed)
        a, b = snap(network, start.lon, start.lat, allowed), snap(network, end.lon, end.lat, allowed)
        if a and b and find_path(network, a, b, allowed, _weight(network, relaxed)) is not None:
            words.append(text)
    return words


def _far_from_track(network: Network, end: End, role: str) -> str:
    """ "The origin X lies N km from the nearest railway of the map, beyond ...", and whether its country has any."""
    distance = nearest_track_km(network, end.lon, end.lat)
    has_rail = end.country is not None and network.edges["country"].eq(end.country).any()
    where = "" if has_rail or end.country is None else f" The map's data has no railway in {end.country} at all."
    return (
        f"The {role} {end.label()} lies {distance:,.0f} km from the nearest railway of the map, "
        f"beyond the {MAX_SNAP_KM:.0f} km a route may start or end from the track.{where}"
    )


def _island_reason(network: Network, origin: End, destination: End, a: Snap, b: Snap) -> str:
    parts = []
    for end, snapped in ((origin, a), (destination, b)):
        label = network.edge_component(snapped.edge)
        if label == network.main_component:
            continue
        km = network.component_km[label]
        gap = next((g for g in network.gaps if g.component == label), None)
        where = (
            f"; the nearest gap to the main network is {gap.gap_km:,.0f} km (from {gap.near[1]:.2f}, {gap.near[0]:.2f})"
            if gap
            else ""
        )
        parts.append(
            f"{end.label()} lies on a separate rail network of {km:,.0f} km that the map's data does not join to the "
            f"main European network: no railway, bridge or rail ferry in the data links them{where}"
        )
    if not parts:
        parts.append(f"{origin.label()} and {destination.label()} lie on rail networks the data does not join")
    return "No rail link: " + ". ".join(parts) + "."


def plan(
    origin: End,
    destination: End,
    options: Options | None = None,
    network: Network | None = None,
    catalogue: policies.Catalogue | None = None,
) -> Route:
    """The route from `origin` to `destination` (see the module docstring).

    Raises RouteError for the same ends, a point far from any track and options that leave no path.
    """
    options = options or Options()
    network = network or default_network()
    catalogue = catalogue or policies.load_catalogue()
    if (origin.id is not None and origin.id == destination.id) or _km_between(origin, destination) < SAME_PLACE_KM:
        raise RouteError(
            f"The origin and the destination are the same place ({origin.label()}): pick two different ones."
        )
    for end, role in ((origin, "origin"), (destination, "destination")):
        if end.country and end.country in options.avoid_countries:
            raise RouteError(
                f"The {role} {end.label()} lies in {end.country}, which the options avoid: drop that country."
            )
    everything = np.ones(len(network.edges), dtype=bool)
    free = {role: snap(network, end.lon, end.lat) for end, role in ((origin, "origin"), (destination, "destination"))}
    for end, role in ((origin, "origin"), (destination, "destination")):
        if free[role] is None:
            far = _far_from_track(network, end, role)
            if end.kind == "point":  # a point the user gave: ask for a better one
                raise RouteError(f"{far} Pick a point nearer a railway.")
            reason = f"No rail link: {far}"
            return Route(
                origin, destination, options, False, reason, explanation=_unfound(origin, destination, options, reason)
            )
    unrestricted = find_path(
        network, free["origin"], free["destination"], everything, network.edges["length_km"].to_numpy()
    )
    if unrestricted is None:
        reason = _island_reason(network, origin, destination, free["origin"], free["destination"])
        return Route(
            origin, destination, options, False, reason, explanation=_unfound(origin, destination, options, reason)
        )
    allowed = _allowed(network, options)
    start, end = (
        snap(network, origin.lon, origin.lat, allowed),
        snap(network, destination.lon, destination.lat, allowed),
    )
    path = find_path(network, start, end, allowed, _weight(network, options)) if start and end else None
    if path is None:
        blocking = _blocking(network, origin, destination, options)
        which = (
            f"{' or '.join(blocking)} blocks it; without that option there is a route"
            if blocking
            else "the options together block it; drop some of them"
        )
        raise RouteError(f"No rail route from {origin.label()} to {destination.label()} with these options: {which}.")
    stretches = _stretches(network, path, origin, destination)
    route = Route(origin, destination, options, True, stretches=stretches)
    route.explanation = explain(route, network, (start, end), catalogue)
    return route


def _km_between(a: End, b: End) -> float:
    return float(search.distance_km(np.array([a.lon]), np.array([a.lat]), b.lon, b.lat)[0])


def _unfound(origin: End, destination: End, options: Options, reason: str) -> dict:
    return {
        "found": False,
        "reason": reason,
        "origin": asdict(origin),
        "destination": asdict(destination),
        "options": options.active(),
        "roads": ROAD_NOTE,
    }


# -- the explanation ---------------------------------------------------------------------------------


def _ordered_countries(stretches: pd.DataFrame) -> list[dict]:
    """Countries in the order the route enters them, with the km in each (a country entered twice is listed twice)."""
    out: list[dict] = []
    names = dict(zip(*_country_names(), strict=True))
    for code, km in zip(stretches["country"].fillna("?"), stretches["length_km"], strict=True):
        if out and out[-1]["country"] == code:
            out[-1]["km"] += float(km)
        else:
            out.append({"country": code, "name": names.get(code, code), "km": float(km)})
    for entry in out:
        entry["km"] = round(entry["km"], 1)
    return out


@lru_cache(maxsize=1)
def _country_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = load_countries()
    return tuple(table["iso2"]), tuple(table["name"])


def _km_by(stretches: pd.DataFrame, column: str, values: Sequence[str]) -> dict[str, float]:
    rail = stretches[stretches["kind"].isin(["rail"])]
    sums = rail.groupby(rail[column].fillna("unknown"))["length_km"].sum()
    return {value: round(float(sums.get(value, 0.0)), 1) for value in values}


def _crossings_layer() -> gpd.GeoDataFrame | None:
    try:
        return point_layers()[0]["crossings"]
    except store.DatasetError:
        return None


def _border_points(stretches: gpd.GeoDataFrame, crossings: gpd.GeoDataFrame | None) -> list[dict]:
    """Every change of country along the route: where, the gauges on both sides, the crossing it matches."""
    out = []
    rail = crossings[crossings["mode"] == "rail"] if crossings is not None else None
    rail_xy = np.column_stack([rail.geometry.x.to_numpy(), rail.geometry.y.to_numpy()]) if rail is not None else None
    rows = stretches.reset_index(drop=True)
    for i in range(1, len(rows)):
        before, after = rows.iloc[i - 1], rows.iloc[i]
        if before["country"] == after["country"] or pd.isna(before["country"]) or pd.isna(after["country"]):
            continue
        point = shapely.get_point(after.geometry, 0)
        entry = {
            "from_country": before["country"],
            "to_country": after["country"],
            "km_from_start": round(float(after["from_km"]), 1),
            "lon": round(point.x, 5),
            "lat": round(point.y, 5),
            "gauge_from": before["gauge"] if pd.notna(before["gauge"]) else None,
            "gauge_to": after["gauge"] if pd.notna(after["gauge"]) else None,
            "gauge_break": gauge.is_break(before["gauge"], after["gauge"]),
            "gauge_basis": before["gauge_basis"] if pd.notna(before["gauge_basis"]) else None,
            "by_ferry": bool(before["kind"] == FERRY or after["kind"] == FERRY),
            "id": None,
            "name": f"{before['country']}\u2013{after['country']} border",
        }
        if rail_xy is not None and len(rail_xy):
            km = search.distance_km(rail_xy[:, 0], rail_xy[:, 1], point.x, point.y)
            pair = {before["country"], after["country"]}
            ok = [
                j
                for j in np.argsort(km)[:5]
                if km[j] <= CROSSING_MATCH_KM and {rail["country"].iat[j], rail["other_country"].iat[j]} == pair
            ]
            if ok:
                entry["id"] = rail["id"].iat[ok[0]]
                entry["name"] = rail["name"].iat[ok[0]]
        out.append(entry)
    return out


def _gauge_breaks(stretches: gpd.GeoDataFrame, borders: list[dict]) -> list[dict]:
    """Every place along the route where the gauge changes so that trains cannot run on (borders or not)."""
    at_border = {b["km_from_start"]: b for b in borders}
    out = []
    rows = stretches.reset_index(drop=True)
    for i in range(1, len(rows)):
        before, after = rows.iloc[i - 1], rows.iloc[i]
        if gauge.is_break(before["gauge"], after["gauge"]):
            km = round(float(after["from_km"]), 1)
            border = at_border.get(km)
            out.append(
                {
                    "km_from_start": km,
                    "gauge_from": before["gauge"],
                    "gauge_to": after["gauge"],
                    "at": border["name"] if border else f"inside {after['country']}",
                    "crossing_id": border["id"] if border else None,
                    "gauge_basis": before["gauge_basis"]
                    if before["gauge_basis"] == after["gauge_basis"]
                    else f"{before['gauge_basis']} / {after['gauge_basis']}",
                }
            )
    return out


def _documents(route: Route, borders: list[dict], network: Network, catalogue: policies.Catalogue) -> list[dict]:
    """The documents that apply to the lines, the crossings (`borders`) and the ports of the route, most
    relevant first."""
    ids = set(route.stretches["line_id"].dropna())
    frames = [network.features[network.features["id"].isin(ids)]]
    loaded = point_layers()[0]
    wanted = {end.id for end in (route.origin, route.destination) if end.id}
    wanted |= {border["id"] for border in borders if border["id"]}
    for layer in ("ports", "crossings"):
        frames.append(loaded[layer][loaded[layer]["id"].isin(wanted)])
    together = pd.concat([frame for frame in frames if len(frame)], ignore_index=True)
    links = [link for row in policies.links_for(together, catalogue) for link in row]
    records = []
    for link in policies.merge_links(links):
        record = policy_views.document_record(catalogue.document(link.document), catalogue)
        records.append(
            {
                "id": record["id"],
                "short_title": record["short_title"],
                "status": policy_views.with_unverified_flag(record["status_label"], record["status_unverified"]),
                "applies": policy_views.applies_text(link.certainty, link.basis),
                "reason": link.reason,
                "url": record["url"] or record["unverified_url"],
                "address": record["address"],
                "certainty": record["certainty"],
            }
        )
    return records


def _corridors(route: Route, network: Network, catalogue: policies.Catalogue) -> list[dict]:
    """The corridors the route follows: along an indicative line (km shared), or only by country."""
    lines = corridor_lines(network, catalogue)
    used = route.stretches
    edges = np.array([json.loads(tags)["network_edge"] for tags in used["tags"]], dtype=int)
    km = used["length_km"].to_numpy(dtype=float)
    countries = set(used["country"].dropna())
    out = []
    for corridor in catalogue.corridors:
        line = lines.get(corridor.document)
        if line is not None:
            shared = float(km[np.isin(edges, line.edges)].sum())
            if shared >= 1.0:
                out.append(
                    {
                        "corridor": corridor.name,
                        "document": corridor.document,
                        "basis": "indicative line",
                        "km": round(shared, 1),
                        "note": f"Along the corridor's {INDICATIVE_NOTE}.",
                    }
                )
                continue
        if len(countries) > 1 and countries <= set(corridor.countries):
            out.append(
                {
                    "corridor": corridor.name,
                    "document": corridor.document,
                    "basis": "country",
                    "km": None,
                    "note": "Every country of the route is a country of the corridor; the route itself was not "
                    "matched to the corridor's alignment. " + (corridor.nodes_note or ""),
                }
            )
    for end, role in ((route.origin, "origin"), (route.destination, "destination")):
        if end.locode:
            for found in policies.port_corridors(end.locode, catalogue):
                out.append(
                    {
                        "corridor": found.corridor.name,
                        "document": found.corridor.document,
                        "basis": f"{role} port ({found.status})",
                        "km": None,
                        "note": f"{end.name} is named as a port of the corridor ({found.status}).",
                    }
                )
    return out


def _standards(stretches: gpd.GeoDataFrame, catalogue: policies.Catalogue) -> list[dict]:
    """The TEN-T standards check: each standard, its source and certainty, and what the data knows of the route."""
    if catalogue.standards is None:
        return []
    electrified = _km_by(stretches, "electrified", ("yes", "no", "unknown"))
    total = sum(electrified.values())
    known = electrified["yes"] + electrified["no"]
    out = []
    for standard in catalogue.standards.items:
        entry = {
            "id": standard.id,
            "standard": standard.standard,
            "applies_to": standard.applies_to,
            "deadline": standard.deadline,
            "document": standard.document,
            "article": standard.article or "not read in the legal text",
            "certainty": policies.STANDARD_CERTAINTY[standard.certainty],
            "source": standard.source,
        }
        if standard.measure == "electrified" and total > 0:
            entry["route_data"] = {
                "electrified_km": electrified["yes"],
                "not_electrified_km": electrified["no"],
                "unknown_km": electrified["unknown"],
                "electrified_share_of_known": round(electrified["yes"] / known, 3) if known else None,
                "unknown_share": round(electrified["unknown"] / total, 3),
            }
            share = f"{electrified['yes'] / known:.0%} of the {known:,.0f} km whose state is known" if known else "none"
            entry["assessment"] = (
                "electrified on every km of the route in the data (an older, undated state of the network)"
                if electrified["yes"] == total
                else "unknown"
            )
            entry["route_text"] = (
                f"Electrified: {share}; unknown for {electrified['unknown']:,.0f} of {total:,.0f} km "
                f"({electrified['unknown'] / total:.0%}). Which of these lines are core network is not in the data."
            )
        else:
            entry["route_data"] = None
            entry["assessment"] = "unknown"
            entry["route_text"] = standard.unknown_because or "The data does not know."
        out.append(entry)
    return out


def explain(route: Route, network: Network, snaps: tuple[Snap, Snap], catalogue: policies.Catalogue) -> dict:
    """The explanation of a found route, JSON-ready (see the module docstring)."""
    stretches = route.stretches
    borders = _border_points(stretches, _crossings_layer())
    start, end = snaps
    ends = {}
    for role, end_point, snapped in (("origin", route.origin, start), ("destination", route.destination, end)):
        ends[role] = {
            **asdict(end_point),
            "track_km": round(snapped.km, 1),
            "track_lon": round(snapped.lon, 5),
            "track_lat": round(snapped.lat, 5),
        }
    electrified = _km_by(stretches, "electrified", ("yes", "no", "unknown"))
    tracks = _km_by(stretches, "tracks", ("multiple", "single", "unknown"))
    kinds = stretches.groupby("kind")["length_km"].sum()
    geometry = shapely.line_merge(shapely.MultiLineString(list(stretches.geometry.values)))
    notes = [
        "Lengths are geodesic km along the map's railways (Natural Earth 1:10m, generalised), not timetable distances.",
        *route_caveats(stretches),
        gauge.NOTE,
        ROAD_NOTE,
    ]
    return {
        "found": True,
        "title": route.title,
        "origin": ends["origin"],
        "destination": ends["destination"],
        "options": route.options.active(),
        "length_km": round(float(stretches["length_km"].sum()), 1),
        "countries": [entry["country"] for entry in _ordered_countries(stretches)],
        "by_country": _ordered_countries(stretches),
        "by_attribute": {
            "electrified_km": electrified,
            "tracks_km": tracks,
            "ferry_km": round(float(kinds.get(FERRY, 0.0)), 1),
            "connector_km": round(float(kinds.get(CONNECTOR, 0.0)), 1),
        },
        "crossings": borders,
        "gauge_breaks": _gauge_breaks(stretches, borders),
        "corridors": _corridors(route, network, catalogue),
        "documents": _documents(route, borders, network, catalogue),
        "standards": _standards(stretches, catalogue),
        "standards_note": catalogue.standards.note if catalogue.standards else None,
        "notes": notes,
        "geometry": shapely.geometry.mapping(geometry),
    }


def route_caveats(stretches: pd.DataFrame) -> list[str]:
    """What a reader must know about the sources of the route's stretches (the rail layer's caveats)."""
    return list(get_layer("route").caveats_for(stretches["source"].dropna().unique()).values())


# -- indicative corridor lines ----------------------------------------------------------------------


@dataclass(frozen=True)
class CorridorLine:
    """A corridor's indicative line: routed between the nodes the Commission names (`Corridor.nodes`)."""

    document: str
    name: str
    edges: np.ndarray  # the network edges it runs on
    stretches: gpd.GeoDataFrame  # `route` overlay frame, kind "indicative"
    unrouted: tuple[str, ...]  # node pairs the data could not join, in words


def _place_ends(catalogue: policies.Catalogue) -> dict[str, End]:
    wanted = {node.place for corridor in catalogue.corridors for chain in corridor.nodes for node in chain}
    places = search.load_places()
    places = places[places["id"].isin(wanted)]
    return {
        row.id: End(row.id, "place", row.id, row.name, row.country, row.geometry.x, row.geometry.y)
        for row in places.itertuples()
    }


def corridor_lines(
    network: Network | None = None, catalogue: policies.Catalogue | None = None
) -> dict[str, CorridorLine]:
    """{corridor document id: its indicative line} for every corridor with nodes; computed once per network."""
    network = network or default_network()
    catalogue = catalogue or policies.load_catalogue()
    key = ("corridor_lines", id(catalogue))
    if key in network.derived:
        return network.derived[key]
    ends = _place_ends(catalogue)
    everything = np.ones(len(network.edges), dtype=bool)
    weight = network.edges["length_km"].to_numpy(dtype=float)
    lines = {}
    for corridor in catalogue.corridors:
        frames, unrouted = [], []
        for chain in corridor.nodes:
            for a, b in itertools.pairwise(chain):
                start, end = ends.get(a.place), ends.get(b.place)
                snaps = [snap(network, e.lon, e.lat) if e else None for e in (start, end)]
                path = find_path(network, snaps[0], snaps[1], everything, weight) if all(snaps) else None
                if path is None:
                    unrouted.append(f"{a.name} - {b.name}")
                    continue
                frames.append(_stretches(network, path, start, end))
        if not frames:
            continue
        stretches = pd.concat(frames, ignore_index=True)
        stretches["id"] = [f"route:{corridor.document}/{n}" for n in range(1, len(stretches) + 1)]
        stretches["step"] = pd.array(range(1, len(stretches) + 1), dtype="Int64")
        stretches["kind"] = "indicative"
        stretches["name"] = f"{corridor.name} corridor: {INDICATIVE_NOTE}"
        edges = np.array([json.loads(tags)["network_edge"] for tags in stretches["tags"]], dtype=int)
        frame = schema.conform(gpd.GeoDataFrame(stretches, geometry="geometry", crs=schema.CRS), "route")
        lines[corridor.document] = CorridorLine(corridor.document, corridor.name, edges, frame, tuple(unrouted))
    network.derived[key] = lines
    return lines


def document_view(
    frames: Mapping[str, pd.DataFrame], doc_id: str, catalogue: policies.Catalogue | None = None
) -> tuple[dict[str, pd.DataFrame], str, gpd.GeoDataFrame | None]:
    """For "show on map": the features `doc_id` applies to, a line saying what is shown, and for a corridor
    with nodes its indicative line (a `route` overlay frame) instead of whole countries.

    A corridor without nodes is shown by country, and the line says why it has no indicative line.
    """
    catalogue = catalogue or policies.load_catalogue()
    doc = catalogue.document(doc_id)
    corridor = next((c for c in catalogue.corridors if c.document == doc_id), None)
    line = corridor_lines(catalogue=catalogue).get(doc_id) if corridor and corridor.nodes else None
    if line is None:
        kept, notice = policy_views.document_view(frames, doc_id, catalogue)
        if corridor is not None:
            notice += f" The corridor is shown by country. {corridor.nodes_note or ''}".rstrip()
        return kept, notice, None
    masks = policies.features_for_document(doc_id, frames, basis=("feature",), catalogue=catalogue)
    kept = {layer: frame[masks[layer].to_numpy()] for layer, frame in frames.items()}
    named = sum(len(frame) for frame in kept.values())
    left_out = f" Not routed: {', '.join(line.unrouted)}." if line.unrouted else ""
    notice = (
        f"Showing {doc.short_title} as an {INDICATIVE_NOTE} ({line.stretches['length_km'].sum():,.0f} km), and the "
        f"{named} features named on it. {corridor.nodes_note or ''}{left_out}"
    )
    return kept, notice.strip(), line.stretches


# -- text ------------------------------------------------------------------------------------------------

DOCUMENTS_IN_TEXT = 12


def _end_text(end: Mapping, role: str) -> str:
    what = {
        "port": f"port {end.get('locode') or end.get('id')}",
        "place": "place (GeoNames)",
        "crossing": end.get("id"),
    }
    kind = what.get(end["kind"], "point")
    name = f"{end['name']} ({end['country']})" if end.get("country") else end["name"]
    track = (
        f"; {end['track_km']:,.1f} km from the track it {'starts' if role == 'From' else 'ends'} on"
        if "track_km" in end
        else ""
    )
    return f"{role}: {name}, {kind}{track}"


def explanation_text(explanation: Mapping) -> str:
    """The explanation as plain text: what the CLI prints, the app's panel says and exports carry."""
    if not explanation.get("found"):
        return "\n".join([explanation["reason"], explanation.get("roads", ROAD_NOTE)])
    e = explanation
    lines = [
        f"{e['title']}: {e['length_km']:,.0f} km by rail",
        _end_text(e["origin"], "From"),
        _end_text(e["destination"], "To"),
        f"Options: {'; '.join(e['options']) or 'none (the shortest by length)'}",
        "Countries: " + " -> ".join(f"{c['country']} {c['km']:,.0f} km" for c in e["by_country"]),
    ]
    attributes = e["by_attribute"]
    electrified, tracks = attributes["electrified_km"], attributes["tracks_km"]
    lines.append(
        f"Electrified: yes {electrified['yes']:,.0f} km, no {electrified['no']:,.0f} km, unknown "
        f"{electrified['unknown']:,.0f} km. Tracks: multiple {tracks['multiple']:,.0f} km, single "
        f"{tracks['single']:,.0f} km, unknown {tracks['unknown']:,.0f} km. Rail ferry: {attributes['ferry_km']:,.0f} km."
        + (
            f" Connectors to OpenStreetMap detail: {attributes['connector_km']:,.1f} km."
            if attributes["connector_km"]
            else ""
        )
    )
    lines.append(f"Borders crossed: {len(e['crossings']) or 'none'}")
    for border in e["crossings"]:
        ferry = " by rail ferry" if border["by_ferry"] else ""
        known = f" [{border['id']}]" if border["id"] else " (no crossing of the crossings layer within 2 km)"
        lines.append(
            f"  - km {border['km_from_start']:,.0f}: {border['name']}{known}{ferry}, gauge {border['gauge_from'] or '?'} "
            f"-> {border['gauge_to'] or '?'} mm"
        )
    lines.append(f"Breaks of gauge: {len(e['gauge_breaks']) or 'none'}")
    for found in e["gauge_breaks"]:
        lines.append(
            f"  - km {found['km_from_start']:,.0f}: {found['gauge_from']} -> {found['gauge_to']} mm at {found['at']} "
            f"({found['gauge_basis']})"
        )
    lines.append(f"Corridors: {len(e['corridors']) or 'none found'}")
    for corridor in e["corridors"]:
        km = f"{corridor['km']:,.0f} km, " if corridor["km"] else ""
        lines.append(f"  - {corridor['corridor']} ({km}{corridor['basis']}): {corridor['note']}")
    documents = e["documents"]
    lines.append(f"Documents that apply: {len(documents)}, most relevant first")
    for record in documents[:DOCUMENTS_IN_TEXT]:
        where = f"{record['address']}: {record['url']}" if record["url"] else record["address"]
        lines.append(f"  - {record['id']}: {record['short_title']} [{record['status']}]; {record['applies']}; {where}")
    if len(documents) > DOCUMENTS_IN_TEXT:
        lines.append(f"  ... and {len(documents) - DOCUMENTS_IN_TEXT} more (--json lists them all)")
    lines.append("TEN-T standards check:" + (f" {e['standards_note']}" if e.get("standards_note") else ""))
    for standard in e["standards"]:
        deadline = f", {standard['deadline']}" if standard["deadline"] else ""
        lines.append(
            f"  - {standard['standard']} ({standard['applies_to']}{deadline}; {standard['certainty']}; article: "
            f"{standard['article']}; source: {standard['source']}): {standard['assessment']}. {standard['route_text']}"
        )
    lines.append("Notes:")
    lines += [f"  - {note}" for note in e["notes"]]
    return "\n".join(lines)
