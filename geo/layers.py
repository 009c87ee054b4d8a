"""The layer specifications: everything the atlas knows about a map layer, in one place per layer.

A `LayerSpec` says what a layer is (title, description, policy modes), what its features carry
(columns with dtype, label and meaning; geometry kind), where OpenStreetMap has it (tag filters),
how it is drawn (drawing classes with their legend labels and strokes or fills, the drawing
order), how it is generalised for coarse zooms (the attributes each level of detail keeps), what
its statistics count, and what a reader must know about a source's attributes. The schema,
sources, levels of detail, map, legend, popups, statistics, exports and policy rules all read it;
the browser receives its part as configuration. Adding a layer means adding one `LayerSpec` to
`LAYERS` (or calling `register`).

This module is the bottom of the package: it imports only `geo.errors`.
Geometry is EPSG:4326 (lon/lat degrees); lengths are kilometres, depths metres.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from geo.errors import UnknownLayerError

GeometryKind = Literal["point", "line"]


@dataclass(frozen=True)
class Column:
    """One attribute: its pandas dtype, the label popups and tables show, and what it means.

    `value_labels` shows stored values in words (GISCO's TEN-T code 0 is "none recorded"), and
    `missing` is what a popup says when the value is null (None: the row is left out).
    """

    dtype: str
    label: str
    description: str
    value_labels: Mapping[str, str] = field(default_factory=dict)
    missing: str | None = None


# Columns every feature of every layer carries, in this order. The provenance columns (source to
# retrieved_at) are shown in a popup's footer, not as rows.
COMMON_COLUMNS: dict[str, Column] = {
    "id": Column(
        "string", "Feature id", 'Stable id, prefixed by its source: "gisco:NLRTM", "ne:rail/7559", "osm:way/123".'
    ),
    "layer": Column("string", "Layer", "The layer the feature belongs to."),
    "name": Column("string", "Name", "Name as the source gives it."),
    "kind": Column("string", "Kind", 'What the feature is, e.g. "port", "rail", "ferry", "motorway".'),
    "country": Column(
        "string", "Country", 'ISO 3166-1 alpha-2 code of the country it lies in (Greece is "GR", never "EL").'
    ),
    "source": Column("string", "Source", 'Short key of the data source, e.g. "gisco", "natural_earth", "osm".'),
    "licence": Column("string", "Licence", 'Licence of the source data, e.g. "ODbL-1.0", "public domain".'),
    "attribution": Column("string", "Credit", "The credit line the source's licence asks for."),
    "source_date": Column("string", "Data date", "Date of the data itself (yyyy, yyyy-mm or yyyy-mm-dd), if known."),
    "retrieved_at": Column("string", "Retrieved", "UTC time the data was retrieved or built into the snapshot."),
    "tags": Column("string", "Source attributes", "JSON object of the source's attributes that have no column."),
}
PROVENANCE_COLUMNS = ("source", "licence", "attribution", "source_date", "retrieved_at")


@dataclass(frozen=True)
class LineStyle:
    """How one class of lines is drawn: legend label, what a merged group of them is called, stroke.

    The styles of all layers together must stay distinguishable for colour-blind readers (`geo.palette`:
    colour, or else dash or width); `casing` outlines the line (roads), so that roads and railways differ
    by more than hue.
    """

    label: str
    plural: str  # e.g. "motorways": titles a line merged from many ("Motorways in Poland, ...")
    color: str
    weight: float  # px
    dash: str | None = None  # Leaflet dashArray
    casing: str | None = None  # colour of an outline CASING_PX wider than the line, drawn under it


# Total extra width of a line's casing (px): the outline shows this much, split over both sides.
CASING_PX = 1.6


@dataclass(frozen=True)
class PointStyle:
    """How one class of points is drawn: legend label and fill colour (`fills`) or radius (`sizes`), and
    its symbol (fills only): border crossings and breaks of gauge have their own shapes, ports are circles."""

    label: str
    color: str = "#ffffff"
    radius: float = 5.0  # px
    shape: Literal["circle", "square", "diamond"] = "circle"


@dataclass(frozen=True)
class Statistic:
    """One column of the per-country statistics: the value each feature adds to its country's sum."""

    column: str
    label: str
    unit: Literal["count", "km"]
    value: Callable[[pd.DataFrame], np.ndarray] = field(repr=False)
    help: str = ""


@dataclass(frozen=True)
class Ratio:
    """A statistics column computed from two others after summing (NaN where the denominator is 0)."""

    column: str
    label: str
    numerator: str
    denominator: str
    unit: Literal["share"] = "share"
    help: str = ""


@dataclass(frozen=True)
class OsmFilter:
    """Features whose tag `key` has one of `values` (any value when `values` is empty)."""

    key: str
    values: tuple[str, ...] = ()
    # Which OSM element kinds carry the feature: "way", "node", "relation".
    elements: tuple[str, ...] = ("way",)
    # The kind of a feature under construction (value "construction", with the `construction` tag naming
    # what is built): "construction" itself, or "built" for the class being built (a motorway).
    construction_kind: Literal["construction", "built"] = "construction"


@dataclass(frozen=True)
class LayerSpec:
    """Everything the atlas knows about one layer (see the module docstring)."""

    name: str
    title: str
    description: str
    # The policy-catalogue modes this layer corresponds to.
    modes: tuple[str, ...]
    geometry: GeometryKind
    # Geometry types a feature may have (a point layer may also hold areas, drawn at a point inside).
    geometry_types: frozenset[str]
    # The layer's own columns, after COMMON_COLUMNS.
    columns: dict[str, Column]
    # Drawing: classes of lines, or fills and sizes of points, each with the function giving every
    # feature's class key.
    line_styles: dict[str, LineStyle] = field(default_factory=dict)
    line_class: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, repr=False)
    point_fills: dict[str, PointStyle] = field(default_factory=dict)
    point_fill: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, repr=False)
    point_sizes: dict[str, PointStyle] = field(default_factory=dict)
    point_size: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, repr=False)
    # Points only: the zoom from which each feature is drawn, so that at Europe's scale the important ones
    # do not bury the network under the rest (None: all from the start). Filters, search and counts
    # still see every feature, and a searched or highlighted one is always drawn.
    point_min_zoom: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, repr=False)
    # Drawing order, bottom to top.
    order: int = 0
    # Lines only: per level of detail (0 = coarsest), the attributes kept apart when lines are merged
    # (besides kind, country and provenance). Empty: the layer has no levels of detail.
    level_keys: tuple[tuple[str, ...], ...] = ()
    statistics: tuple[Statistic | Ratio, ...] = ()
    # The statistic the app shows as the layer's headline figure.
    headline: str | None = None
    # OpenStreetMap: tag filters, tags copied into columns (OSM key -> column), tag prefixes kept in `tags`.
    osm_filters: tuple[OsmFilter, ...] = ()
    osm_columns: dict[str, str] = field(default_factory=dict)
    osm_tag_prefixes: tuple[str, ...] = ()
    # What a reader must know about a source's attributes in this layer, by `source` key: shown in the
    # legend, popups, statistics and export notes wherever features of that source appear.
    source_caveats: dict[str, str] = field(default_factory=dict)
    # The columns naming the countries a feature belongs to: selections and statistics count it in each
    # (a border crossing belongs to both its countries).
    country_columns: tuple[str, ...] = ("country",)

    def all_columns(self) -> dict[str, Column]:
        """Common columns first, then the layer's own."""
        return {**COMMON_COLUMNS, **self.columns}

    def dtypes(self) -> dict[str, str]:
        """{column: pandas dtype} of every column, in schema order (geometry excluded)."""
        return {name: column.dtype for name, column in self.all_columns().items()}

    def caveats_for(self, sources: Iterable[object]) -> dict[str, str]:
        """{source: caveat} for those of `sources` (e.g. a frame's `source` values) this layer has a caveat for."""
        return {str(source): self.source_caveats[source] for source in sources if source in self.source_caveats}

    @property
    def has_levels(self) -> bool:
        return bool(self.level_keys)

    def describe(self) -> dict:
        """What the layer is and what each attribute means, JSON-ready (`python -m geo layers`, the app)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "geometry": self.geometry,
            "attributes": [
                {"column": name, "label": column.label, "type": column.dtype, "meaning": column.description}
                for name, column in self.all_columns().items()
            ],
            "caveats": dict(self.source_caveats),
        }


# -- reading attributes ---------------------------------------------------------------------------

# OSM `electrified` values that mean "no power supply"; every other value except unknown means powered.
_NOT_ELECTRIFIED = frozenset({"no", "false", "0"})
_UNKNOWN = frozenset({"", "unknown"})
ROAD_CLASSES = ("motorway", "trunk", "primary")
FERRY = "ferry"


def electrification(values: pd.Series) -> pd.Series:
    """Each rail feature's electrification as "yes", "no" or "unknown" (OSM values such as "contact_line" are "yes")."""
    text = values.astype("string").str.strip().str.lower().fillna("unknown")
    out = pd.Series("yes", index=values.index, dtype="string")
    out[text.isin(_NOT_ELECTRIFIED).to_numpy()] = "no"
    out[text.isin(_UNKNOWN).to_numpy()] = "unknown"
    return out


def road_class(kinds: pd.Series) -> pd.Series:
    """Road class of each feature: "motorway", "trunk", "primary" (links count with their road), else "other"."""
    base = kinds.astype("string").str.removesuffix("_link")
    return base.where(base.isin(ROAD_CLASSES), "other").fillna("other")


def _is_ferry(frame: pd.DataFrame) -> np.ndarray:
    return frame["kind"].eq(FERRY).fillna(False).to_numpy(dtype=bool)


def _length(frame: pd.DataFrame) -> np.ndarray:
    return frame["length_km"].astype("Float64").fillna(0.0).to_numpy(dtype=float)


def rail_class(frame: pd.DataFrame) -> pd.Series:
    """Drawing class of rail features: electrification, and "ferry" for rail ferries whatever their power."""
    return electrification(frame["electrified"]).mask(_is_ferry(frame), FERRY)


def road_drawing_class(frame: pd.DataFrame) -> pd.Series:
    """Drawing class of road features: the road class, or "construction" for roads being built."""
    building = frame["construction"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    building |= frame["kind"].eq("construction").fillna(False).to_numpy(dtype=bool)
    return road_class(frame["kind"]).mask(building, "construction")


def port_fill(frame: pd.DataFrame) -> pd.Series:
    """ "tent" for a port with a TEN-T code recorded in GISCO's 2013 data, else "other" (no code recorded)."""
    tent = frame["ten_t_code"].astype("Int64").fillna(0).gt(0).to_numpy(dtype=bool)
    return pd.Series(np.where(tent, "tent", "other"), index=frame.index)


def port_size(frame: pd.DataFrame) -> pd.Series:
    """The World Port Index harbour size of each port, "unknown" where it has none."""
    sizes = frame["harbour_size"].astype("string")
    return sizes.where(sizes.isin(["Large", "Medium", "Small", "Very Small"]), "unknown").fillna("unknown")


# The zoom from which the less important points appear (Leaflet zooms: Europe is 4, a country 6).
DETAIL_ZOOM = 6
MINOR_ZOOM = 7


def port_min_zoom(frame: pd.DataFrame) -> pd.Series:
    """Large and Medium harbours (WPI) and ports with a TEN-T code from the start, Small ones from
    DETAIL_ZOOM, the rest from MINOR_ZOOM (entry ports and a searched port are drawn always: `geo.render`)."""
    size = port_size(frame).to_numpy()
    zoom = np.where(np.isin(size, ("Large", "Medium")) | (port_fill(frame).to_numpy() == "tent"), 0, MINOR_ZOOM)
    zoom = np.where((zoom > 0) & (size == "Small"), DETAIL_ZOOM, zoom)
    return pd.Series(zoom, index=frame.index)


def _rail_km(state: str | None) -> Callable[[pd.DataFrame], np.ndarray]:
    """Per-feature km of railway (rail ferries excluded) in electrification `state` (None: any, "known": not unknown)."""

    def value(frame: pd.DataFrame) -> np.ndarray:
        keep = ~_is_ferry(frame)
        if state is not None:
            electrified = electrification(frame["electrified"]).to_numpy()
            keep &= electrified != "unknown" if state == "known" else electrified == state
        return np.where(keep, _length(frame), 0.0)

    return value


def _road_km(road: str | None) -> Callable[[pd.DataFrame], np.ndarray]:
    def value(frame: pd.DataFrame) -> np.ndarray:
        length = _length(frame)
        return length if road is None else np.where(road_class(frame["kind"]).to_numpy() == road, length, 0.0)

    return value


# -- the layers -----------------------------------------------------------------------------------

_WPI = "World Port Index (NGA), edition date not in the file"

PORTS = LayerSpec(
    name="ports",
    title="Ports",
    description="Seaports and inland ports: GISCO ports with TEN-T codes, enriched from the World Port Index.",
    modes=("maritime_ports", "inland_waterway", "multimodal"),
    geometry="point",
    geometry_types=frozenset({"Point", "Polygon", "MultiPolygon"}),
    columns={
        "locode": Column("string", "UN/LOCODE", 'UN/LOCODE without space, e.g. "NLRTM"; unique within the layer.'),
        "port_type": Column(
            "string",
            "Port type",
            '"sea" or "inland", inferred from the World Port Index and the distance to the sea '
            "(rule in geo/sources/world_port_index.py); empty where the data cannot tell.",
            missing="not known",
        ),
        "port_type_basis": Column("string", "Port type evidence", "The evidence for the port type, in a sentence."),
        "ten_t_code": Column(
            "Int64",
            "TEN-T port code (GISCO 2013)",
            "TEN_CODE as recorded in GISCO's Ports 2013 data (published 2014-12); 0 means no code was recorded "
            "there, not that the port is off the TEN-T network (Rijeka and Oslo have 0 too).",
            value_labels={"0": "none recorded"},
        ),
        "port_hierarchy": Column("Int64", "Port hierarchy (GISCO)", "GISCO's PORT_HIER_CODE 0-4, stored as published."),
        "nuts": Column("string", "NUTS region", "NUTS region code (GISCO)."),
        "harbour_size": Column("string", "Harbour size (WPI)", f"Large, Medium, Small or Very Small ({_WPI})."),
        "harbour_type": Column("string", "Harbour type (WPI)", f"e.g. Coastal (Natural), River (Basins) ({_WPI})."),
        "channel_depth_m": Column("Float64", "Channel depth (m)", f"Metres; empty where not known ({_WPI})."),
        "cargo_pier_depth_m": Column("Float64", "Cargo pier depth (m)", f"Metres; empty where not known ({_WPI})."),
        "max_vessel_length_m": Column("Float64", "Max vessel length (m)", f"Metres ({_WPI})."),
        "max_vessel_draft_m": Column("Float64", "Max vessel draft (m)", f"Metres ({_WPI})."),
        "railway": Column("string", "Rail connection (WPI)", f"Rail connection at the port ({_WPI})."),
        "wpi_match": Column(
            "string",
            "Matched to the WPI by",
            'How the World Port Index record was matched to the GISCO port: "UN/LOCODE" or "name and distance".',
        ),
        "wpi_match_km": Column(
            "Float64", "GISCO to WPI position (km)", "Distance between the GISCO and World Port Index positions, km."
        ),
    },
    point_fills={
        "tent": PointStyle("TEN-T port (GISCO code)", "#0b4fa8"),
        "other": PointStyle("Other port", "#8fb3cc"),
    },
    point_fill=port_fill,
    point_sizes={
        "Large": PointStyle("Large harbour (WPI)", radius=9),
        "Medium": PointStyle("Medium harbour (WPI)", radius=7),
        "Small": PointStyle("Small harbour (WPI)", radius=5),
        "Very Small": PointStyle("Very Small harbour (WPI)", radius=4),
        "unknown": PointStyle("Harbour size not known", radius=3.5),
    },
    point_size=port_size,
    point_min_zoom=port_min_zoom,
    order=30,
    statistics=(
        Statistic("ports", "Ports", "count", lambda frame: np.ones(len(frame))),
        Statistic(
            "ten_t_ports",
            "With TEN-T code (GISCO 2013)",
            "count",
            lambda frame: port_fill(frame).eq("tent").to_numpy(dtype=float),
            "Ports with a TEN-T code recorded in GISCO's 2013 data; the others have none recorded there.",
        ),
    ),
    headline="ports",
    osm_filters=(
        OsmFilter("landuse", ("port",), ("way", "relation")),
        OsmFilter("industrial", ("port",), ("way", "relation", "node")),
        OsmFilter("harbour", (), ("way", "relation", "node")),
        OsmFilter("amenity", ("ferry_terminal",), ("way", "relation", "node")),
        OsmFilter("seamark:type", ("harbour",), ("way", "relation", "node")),
    ),
    osm_tag_prefixes=(
        "seamark:",
        "harbour",
        "operator",
        "ref",
        "port",
        "landuse",
        "industrial",
        "amenity",
        "website",
    ),
)

_NE_RAIL = "Natural Earth 1:10m railroads (undated; an older state of the network)"

RAIL = LayerSpec(
    name="rail",
    title="Railways",
    description="Railway lines: Natural Earth railroads across Europe; OpenStreetMap tracks where loaded.",
    modes=("rail", "multimodal"),
    geometry="line",
    geometry_types=frozenset({"LineString", "MultiLineString"}),
    columns={
        "electrified": Column(
            "string",
            "Electrified",
            f'"yes", "no" or "unknown" ({_NE_RAIL}), or OpenStreetMap\'s value, e.g. "contact_line".',
        ),
        "tracks": Column(
            "string", "Tracks", f'"single", "multiple" or "unknown" ({_NE_RAIL}), or OpenStreetMap\'s track count.'
        ),
        "gauge": Column(
            "string",
            "Gauge (mm)",
            'Track gauge in mm: OpenStreetMap\'s gauge tag where it gives one ("1435;1520" is dual gauge), else '
            "the nominal gauge of the country's network (1520 in the Baltic states, Ukraine, Belarus, Moldova, "
            "Russia and the Caucasus, 1524 in Finland, 1668 in Spain and Portugal, 1600 in Ireland and Northern "
            "Ireland, 1435 elsewhere; see gauge_basis).",
        ),
        "gauge_basis": Column(
            "string",
            "Gauge from",
            '"OpenStreetMap" where the gauge tag gives it; "assumed from the national network" where only the '
            "country does (Natural Earth has no gauge, so a line that differs from its national network, such as "
            "Poland's broad-gauge LHS line or a Spanish high-speed line, is labelled wrongly); empty outside the "
            "countries the atlas covers.",
        ),
        "voltage": Column("string", "Voltage (V)", "Electrification voltage (OpenStreetMap)."),
        "frequency": Column(
            "string", "Frequency (Hz)", "Electrification frequency; 0 is direct current (OpenStreetMap)."
        ),
        "maxspeed": Column("string", "Max speed", "Maximum speed, km/h unless a unit is given (OpenStreetMap)."),
        "etcs": Column("string", "ETCS", "ETCS level (OpenStreetMap railway:etcs)."),
        "usage": Column("string", "Usage", "main, branch, industrial ... (OpenStreetMap)."),
        "service": Column("string", "Service", "siding, yard, spur ... (OpenStreetMap)."),
        "operator": Column("string", "Operator", "Infrastructure operator (OpenStreetMap)."),
        "ref": Column("string", "Line number", "Line reference (OpenStreetMap)."),
        "length_km": Column("Float64", "Length (km)", "Geodesic length on the WGS 84 ellipsoid, km."),
    },
    line_styles={
        # Railways: solid and uncased; electrified blue, not electrified black, unknown thin grey.
        "yes": LineStyle("Electrified", "electrified railways", "#1f5fbf", 2.2),
        "no": LineStyle("Not electrified", "non-electrified railways", "#1a1a1a", 2.2),
        "unknown": LineStyle("Electrification unknown", "railways of unknown electrification", "#9e9e9e", 1.4),
        FERRY: LineStyle("Rail ferry", "rail ferries", "#6a3d9a", 1.8, "6 5"),
    },
    line_class=rail_class,
    order=20,
    level_keys=(
        ("electrified",),
        ("electrified",),
        ("electrified", "tracks"),
        ("electrified", "tracks", "usage", "gauge"),
    ),
    statistics=(
        Statistic(
            "rail_km",
            "Rail km",
            "km",
            _rail_km(None),
            "Railway lines; rail ferries are counted apart, not as railway.",
        ),
        Statistic(
            "rail_ferry_km", "Rail ferry km", "km", lambda frame: np.where(_is_ferry(frame), _length(frame), 0.0)
        ),
        Statistic("rail_electrified_km", "Electrified km", "km", _rail_km("yes")),
        Statistic("rail_known_km", "Electrification known km", "km", _rail_km("known")),
        Ratio("electrified_share", "Electrified share", "rail_electrified_km", "rail_known_km"),
    ),
    headline="rail_km",
    osm_filters=(
        OsmFilter(
            "railway",
            (
                "rail",
                "light_rail",
                "narrow_gauge",
                "subway",
                "tram",
                "construction",
                "preserved",
                "funicular",
                "monorail",
            ),
        ),
    ),
    osm_columns={
        "electrified": "electrified",
        "tracks": "tracks",
        "gauge": "gauge",
        "voltage": "voltage",
        "frequency": "frequency",
        "maxspeed": "maxspeed",
        "railway:etcs": "etcs",
        "usage": "usage",
        "service": "service",
        "operator": "operator",
        "ref": "ref",
    },
    source_caveats={
        "natural_earth": "Electrification and track count from Natural Earth describe an older state of the "
        "network than today (a line electrified since may show as not electrified), and the file carries no date."
    },
)

_ROAD_CASING = "#5c4a32"

ROADS = LayerSpec(
    name="roads",
    title="Major roads",
    description="Motorways, trunk and primary roads from OpenStreetMap.",
    modes=("road", "multimodal"),
    geometry="line",
    geometry_types=frozenset({"LineString", "MultiLineString"}),
    columns={
        "ref": Column("string", "Road number", 'Road numbers, e.g. "A 2" (OpenStreetMap).'),
        "construction": Column("boolean", "Under construction", "True for a road being built (OpenStreetMap)."),
        "maxspeed": Column("string", "Max speed", "Maximum speed, km/h unless a unit is given (OpenStreetMap)."),
        "operator": Column("string", "Operator", "Road operator (OpenStreetMap)."),
        "length_km": Column("Float64", "Length (km)", "Geodesic length on the WGS 84 ellipsoid, km."),
    },
    line_styles={
        # Roads: cased, and each class 1.5 times as wide as the next, so the width alone ranks them.
        "motorway": LineStyle("Motorway", "motorways", "#d7301f", 4.2, casing=_ROAD_CASING),
        "trunk": LineStyle("Trunk road", "trunk roads", "#f08c3a", 2.8, casing=_ROAD_CASING),
        "primary": LineStyle("Primary road", "primary roads", "#f2d13a", 1.8, casing=_ROAD_CASING),
        "other": LineStyle("Other road", "other roads", "#e3cfa0", 1.2, casing=_ROAD_CASING),
        "construction": LineStyle("Under construction", "roads under construction", "#8c8c8c", 1.8, "4 4"),
    },
    line_class=road_drawing_class,
    order=10,
    level_keys=(("construction",), ("construction",), ("construction",), ("construction", "ref")),
    statistics=(
        Statistic("road_motorway_km", "Motorway km", "km", _road_km("motorway")),
        Statistic("road_trunk_km", "Trunk km", "km", _road_km("trunk")),
        Statistic("road_primary_km", "Primary km", "km", _road_km("primary")),
        Statistic("road_other_km", "Other road km", "km", _road_km("other")),
        Statistic("road_km", "Road km", "km", _road_km(None), "Motorways, trunk and primary roads."),
    ),
    headline="road_km",
    osm_filters=(
        OsmFilter(
            "highway",
            ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link", "construction"),
            construction_kind="built",
        ),
    ),
    osm_columns={"ref": "ref", "maxspeed": "maxspeed", "operator": "operator"},
    source_caveats={
        "osm2021": "OpenStreetMap major roads as of February 2021, merged and simplified for display: interchanges "
        "are missing, so the pieces do not form a routable network."
    },
)


def crossing_fill(frame: pd.DataFrame) -> pd.Series:
    """Drawing class of border crossings: "gauge_break", "rail", "ferry" (rail ferry) or "road" (indicative)."""
    mode = frame["mode"].astype("string").fillna("")
    broken = frame["gauge_break"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    ferry = frame["kind"].eq(FERRY).fillna(False).to_numpy(dtype=bool)
    out = np.where(mode.eq("road").to_numpy(), "road", np.where(broken, "gauge_break", np.where(ferry, FERRY, "rail")))
    return pd.Series(out, index=frame.index)


def _crossing_count(wanted: str) -> Callable[[pd.DataFrame], np.ndarray]:
    def value(frame: pd.DataFrame) -> np.ndarray:
        fill = crossing_fill(frame).to_numpy()
        if wanted == "rail":
            return np.isin(fill, ("rail", "gauge_break", FERRY)).astype(float)
        return (fill == wanted).astype(float)

    return value


_DERIVED = "Derived at build time (geo/crossings.py)"

CROSSINGS = LayerSpec(
    name="crossings",
    title="Border crossings",
    description="Where a railway or a major road of the map crosses a national border: the two countries, the "
    "line, and for railways the gauges on both sides. Road crossings are indicative.",
    modes=("rail", "road", "multimodal"),
    geometry="point",
    geometry_types=frozenset({"Point"}),
    columns={
        "other_country": Column(
            "string",
            "Other country",
            "ISO 3166-1 alpha-2 code of the country on the other side; `country` is the first of the two codes "
            "in alphabetical order. Selections and statistics count a crossing in both countries.",
        ),
        "mode": Column("string", "Mode", '"rail" or "road".'),
        "line_id": Column("string", "Line", "Id of the rail or road feature on the `country` side."),
        "other_line_id": Column("string", "Line on the other side", "Id of the feature on the other side."),
        "gauge": Column("string", "Gauge (mm)", "Rail: the gauge on the `country` side (see gauge_basis)."),
        "other_gauge": Column("string", "Gauge on the other side (mm)", "Rail: the gauge on the other side."),
        "gauge_break": Column(
            "boolean",
            "Break of gauge",
            "Rail: true where a train must change gauge (1520 and 1524 mm run together); empty where a gauge is "
            "not known. With assumed gauges the change-over may in fact lie a little inland (e.g. Šeštokai in "
            "Lithuania on the line from Poland).",
            missing="not known",
        ),
        "gauge_basis": Column(
            "string",
            "Gauges from",
            'Where the gauges come from: "assumed from the national network" or "OpenStreetMap".',
        ),
        "indicative": Column(
            "boolean",
            "Indicative",
            "True for road crossings: the embedded roads are display fragments, so a road crossing can be missing "
            "or misplaced.",
        ),
        "nearest_place": Column(
            "string", "Nearest town", "The nearest town of 15,000+ people (GeoNames), with its country."
        ),
        "nearest_place_km": Column("Float64", "Distance to the town (km)", "Straight-line distance, km."),
    },
    point_fills={
        "gauge_break": PointStyle("Rail crossing with a break of gauge", "#d62728", 6.5, "diamond"),
        "rail": PointStyle("Rail crossing", "#1b2a3a", 3.2, "square"),
        FERRY: PointStyle("Rail ferry crossing", "#6a3d9a", 3.5, "square"),
        "road": PointStyle("Road crossing (indicative)", "#f08c3a", 3.5, "square"),
    },
    point_fill=crossing_fill,
    # The many indicative road crossings appear from a country's scale; rail crossings and breaks of gauge always.
    point_min_zoom=lambda frame: pd.Series(np.where(crossing_fill(frame).eq("road"), DETAIL_ZOOM, 0), frame.index),
    order=35,
    statistics=(
        Statistic(
            "rail_crossings",
            "Rail border crossings",
            "count",
            _crossing_count("rail"),
            "Where a railway crosses a border (rail ferries included); each counts in both its countries, once "
            "in the total.",
        ),
        Statistic("gauge_breaks", "Breaks of gauge", "count", _crossing_count("gauge_break")),
        Statistic(
            "road_crossings",
            "Road border crossings (indicative)",
            "count",
            _crossing_count("road"),
            "Indicative: the embedded roads are display fragments.",
        ),
    ),
    headline="rail_crossings",
    source_caveats={
        "derived_rail": f"{_DERIVED} from the Natural Earth railroads where they meet the 1:50m country borders; "
        "at sea the point lies where the line leaves the land outline. Gauges are mostly assumed from the "
        "national network.",
        "derived_roads": f"{_DERIVED} from the 2021 OpenStreetMap major roads, which are display fragments "
        "(interchanges missing, pieces cut at tile edges): road crossings are indicative, some are missing or "
        "misplaced.",
    },
    country_columns=("country", "other_country"),
)

# Every layer, in the order controls and exports list them. Read it through `layer_names()`
# and `get_layer()` at call time, so a layer registered later is seen everywhere.
LAYERS: dict[str, LayerSpec] = {spec.name: spec for spec in (PORTS, RAIL, ROADS, CROSSINGS)}


ROUTE = LayerSpec(
    name="route",
    title="Route",
    description="A rail route (geo/route.py), or the indicative line of a corridor routed between the nodes the "
    "Commission names: one feature per stretch of railway, in order.",
    modes=("rail",),
    geometry="line",
    geometry_types=frozenset({"LineString", "MultiLineString"}),
    columns={
        "step": Column("Int64", "Step", "Position of the stretch along the route, from 1."),
        "line_id": Column(
            "string", "Railway line", "Id of the rail feature the stretch runs on (empty for a connector)."
        ),
        "electrified": Column("string", "Electrified", '"yes", "no" or "unknown", as the rail layer says.'),
        "tracks": Column("string", "Tracks", '"multiple", "single" or "unknown", as the rail layer says.'),
        "gauge": Column("string", "Gauge (mm)", "As the rail layer says (see gauge_basis)."),
        "gauge_basis": Column("string", "Gauge from", '"assumed from the national network" or "OpenStreetMap".'),
        "from_km": Column(
            "Float64", "From km", "Distance from the start of the route to the start of the stretch, km."
        ),
        "length_km": Column("Float64", "Length (km)", "Geodesic length of the stretch on the WGS 84 ellipsoid, km."),
    },
    line_styles={
        "rail": LineStyle("Route", "routes", "#e6007e", 6.5),
        FERRY: LineStyle("Route by rail ferry", "rail ferry stretches", "#e6007e", 4.5, "8 6"),
        "connector": LineStyle("Route: gap joined to OpenStreetMap detail", "connectors", "#e6007e", 2.8, "2 4"),
        "indicative": LineStyle(
            "Corridor: indicative alignment, routed between the nodes the Commission names; not the legal map",
            "indicative corridor alignments",
            "#00695c",
            6.5,
        ),
    },
    line_class=lambda frame: (
        frame["kind"].astype("string").where(frame["kind"].isin(["rail", FERRY, "connector", "indicative"]), "rail")
    ),
    order=50,
    source_caveats=RAIL.source_caveats,
)
# Layers that are drawn and exported but are not map layers of their own (not in `layer_names()`).
OVERLAYS: dict[str, LayerSpec] = {ROUTE.name: ROUTE}


def get_layer(name: str) -> LayerSpec:
    """The specification of layer `name` (a map layer or an overlay); UnknownLayerError naming the layers otherwise."""
    try:
        return LAYERS[name] if name in LAYERS else OVERLAYS[name]
    except (KeyError, TypeError):
        raise UnknownLayerError(f"unknown layer {name!r}; choose one of: {', '.join(LAYERS)}") from None


def layer_names() -> tuple[str, ...]:
    """The names of every layer, in order."""
    return tuple(LAYERS)


def osm_layer_names() -> tuple[str, ...]:
    """The layers OpenStreetMap has (those with tag filters); derived layers such as crossings are not fetched."""
    return tuple(name for name, spec in LAYERS.items() if spec.osm_filters)


def layers_with_levels() -> tuple[str, ...]:
    """The layers that have levels of detail (the line layers)."""
    return tuple(name for name, spec in LAYERS.items() if spec.has_levels)


def register(spec: LayerSpec) -> None:
    """Add (or replace) a layer specification; every module sees it from the next call on."""
    if spec.geometry == "line" and (spec.line_class is None or not spec.line_styles):
        raise ValueError(f"line layer {spec.name!r} needs line_styles and a line_class")
    if spec.geometry == "point" and (spec.point_fill is None or not spec.point_fills):
        raise ValueError(f"point layer {spec.name!r} needs point_fills and a point_fill")
    LAYERS[spec.name] = spec
