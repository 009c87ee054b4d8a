"""The layer catalogue: what each map layer is, how it looks and which OSM tags feed it.

The feature schema of each layer is in `geo.schema`; this module adds presentation and the
OpenStreetMap tag filters shared by the Overpass and .osm.pbf sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from geo import schema


@dataclass(frozen=True)
class OsmFilter:
    """Features whose tag `key` has one of `values` (any value when `values` is empty)."""

    key: str
    values: tuple[str, ...] = ()
    # Which OSM element kinds carry the feature: "way", "node", "relation".
    elements: tuple[str, ...] = ("way",)


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    description: str
    # The policy-catalogue modes this layer corresponds to.
    modes: tuple[str, ...]
    osm_filters: tuple[OsmFilter, ...]
    # OSM tags copied into schema columns (OSM key -> column); other useful tags go to `tags`.
    osm_columns: dict[str, str] = field(default_factory=dict)
    # OSM tag prefixes kept in `tags` as well.
    osm_tag_prefixes: tuple[str, ...] = ()
    # What a reader must know about a source's attributes in this layer, by `source` key: shown in the
    # legend, popups, statistics and export notes wherever features of that source appear.
    source_caveats: dict[str, str] = field(default_factory=dict)

    def caveats_for(self, sources: Iterable[object]) -> dict[str, str]:
        """{source: caveat} for those of `sources` (e.g. a frame's `source` values) this layer has a caveat for."""
        return {str(source): self.source_caveats[source] for source in sources if source in self.source_caveats}


LAYERS: dict[str, Layer] = {
    "ports": Layer(
        name="ports",
        title="Ports",
        description="Seaports and inland ports: GISCO Ports 2013 (with its TEN-T port codes), enriched from the World Port Index.",
        modes=("maritime_ports", "inland_waterway", "multimodal"),
        osm_filters=(
            OsmFilter("landuse", ("port",), ("way", "relation")),
            OsmFilter("industrial", ("port",), ("way", "relation", "node")),
            OsmFilter("harbour", (), ("way", "relation", "node")),
            OsmFilter("amenity", ("ferry_terminal",), ("way", "relation", "node")),
            OsmFilter("seamark:type", ("harbour",), ("way", "relation", "node")),
        ),
        osm_columns={},
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
    ),
    "rail": Layer(
        name="rail",
        title="Railways",
        description="Railway lines: Natural Earth railroads across Europe; OpenStreetMap tracks where loaded.",
        modes=("rail", "multimodal"),
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
    ),
    "roads": Layer(
        name="roads",
        title="Major roads",
        description="Motorways, trunk and primary roads from OpenStreetMap.",
        modes=("road", "multimodal"),
        osm_filters=(
            OsmFilter(
                "highway",
                ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link", "construction"),
            ),
        ),
        osm_columns={"ref": "ref", "maxspeed": "maxspeed", "operator": "operator"},
        source_caveats={
            "osm2021": "OpenStreetMap major roads as of February 2021, merged and simplified for display: interchanges "
            "are missing, so the pieces do not form a routable network."
        },
    ),
}

assert tuple(LAYERS) == schema.LAYERS


def get_layer(name: str) -> Layer:
    """The catalogue entry of layer `name`; ValueError naming the known layers otherwise."""
    try:
        return LAYERS[name]
    except KeyError:
        raise ValueError(f"unknown layer {name!r}; choose one of: {', '.join(LAYERS)}") from None
