"""The rail graph: snapping, splitting at shared vertices, OSM detail over the embedded lines, components."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import network, route, store
from tests.map_support import features

EMBEDDED = {"source": "natural_earth", "licence": "public domain", "attribution": "Made with Natural Earth"}


def _rail(geometries, **columns):
    defaults = {"kind": "rail", "country": "PL", "electrified": "unknown", "tracks": "unknown", "gauge": "1435"}
    return features("rail", geometries, **{**defaults, **columns})


def test_ends_closer_than_the_tolerance_share_a_node():
    # 0.0003 degrees of latitude is about 33 m: snapped; 0.003 (about 330 m) is not.
    lines = _rail(
        [
            shapely.LineString([(20.0, 52.0), (20.1, 52.0)]),
            shapely.LineString([(20.1, 52.0003), (20.2, 52.0)]),
            shapely.LineString([(20.2, 52.003), (20.3, 52.0)]),
        ]
    )
    graph = network.build_network(lines)
    assert len(graph.nodes) == 5
    assert len(graph.component_km) == 2
    main = graph.component_km[graph.main_component]
    assert main == pytest.approx(graph.edges["length_km"].iloc[:2].sum())


def test_lines_meeting_at_an_inner_vertex_are_split_there():
    """OpenStreetMap ways join at shared nodes that may lie inside another way."""
    through = shapely.LineString([(20.0, 52.0), (20.1, 52.0), (20.2, 52.0)])
    branch = shapely.LineString([(20.1, 52.0), (20.1, 52.1)])
    graph = network.build_network(_rail([through, branch]))
    assert len(graph.u) == 3 and len(graph.nodes) == 4
    assert len(graph.component_km) == 1


def test_stored_osm_detail_replaces_the_embedded_lines_in_its_area():
    embedded = _rail([shapely.LineString([(19.0, 52.0), (21.0, 52.0)])], id="ne:rail/1", **EMBEDDED)
    osm = _rail(
        [shapely.LineString([(19.52, 52.0), (20.0, 52.02), (20.48, 52.0)])],  # ends 1.4 km inside the area
        id="osm:way/7",
        electrified="contact_line",
        tracks="2",
    )
    box = (19.5, 51.9, 20.5, 52.1)
    graph = network.build_network(embedded, osm, [box])
    kinds = graph.edges["kind"].tolist()
    assert kinds.count(network.CONNECTOR) == 2
    assert graph.edges.loc[graph.edges["kind"] == network.CONNECTOR, "length_km"].tolist() == pytest.approx(
        [1.37, 1.37], abs=0.05
    )
    inside = graph.edges[graph.edges["line_id"] == "ne:rail/1"]
    assert inside["length_km"].sum() == pytest.approx(2 * 34.3, rel=0.05)  # 0.5 degrees of longitude each side
    assert len(graph.component_km) == 1
    osm_edge = graph.edges[graph.edges["line_id"] == "osm:way/7"].iloc[0]
    assert (osm_edge["electrified"], osm_edge["tracks"]) == ("yes", "multiple")
    origin = route.End("a", "point", None, "west", "PL", 19.05, 52.0)
    destination = route.End("b", "point", None, "east", "PL", 20.95, 52.0)
    found = route.plan(origin, destination, network=graph)
    assert "osm:way/7" in set(found.stretches["line_id"])
    assert found.explanation["by_attribute"]["connector_km"] == pytest.approx(2.74, abs=0.1)


def test_the_embedded_network_is_connected_except_islands_and_reports_its_gaps():
    graph = network.default_network()
    summary = graph.summary()
    assert summary["km"] == pytest.approx(store.read_embedded("rail")["length_km"].sum(), rel=1e-3)
    assert graph.component_km[graph.main_component] > 0.95 * summary["km"]
    sicily = [gap for gap in graph.gaps if gap.countries == ("IT",) and gap.near[1] < 39]
    assert sicily and sicily[0].gap_km < 20  # the Strait of Messina has no rail ferry in the data
    ireland = [gap for gap in graph.gaps if "IE" in gap.countries]
    assert ireland and ireland[0].km > 1500
    ferries = graph.edges[graph.edges["ferry"]]
    assert len(ferries) >= 14 and set(ferries["kind"]) == {"ferry"}


def test_network_is_built_once_and_rebuilt_when_stored_detail_changes(tmp_path):
    first = network.default_network(tmp_path)
    assert network.default_network(tmp_path) is first
    osm = _rail([shapely.LineString([(20.0, 52.0), (20.2, 52.1)])], id="osm:way/1")
    store.write_area(osm, "rail", "osm", "test", {"bbox": [19.9, 51.9, 20.3, 52.2]}, tmp_path)
    second = network.default_network(tmp_path)
    assert second is not first
    assert "osm:way/1" in set(second.edges["line_id"])
    assert second.osm_areas == ((19.9, 51.9, 20.3, 52.2),)


def test_matrix_keeps_the_cheapest_of_parallel_edges():
    short = shapely.LineString([(20.0, 52.0), (20.1, 52.0)])
    long = shapely.LineString([(20.0, 52.0), (20.05, 52.05), (20.1, 52.0)])
    graph = network.build_network(_rail([long, short]))
    weight = graph.edges["length_km"].to_numpy()
    matrix, best = graph.matrix(np.ones(len(weight), dtype=bool), weight)
    ((pair, edge),) = best.items()
    assert edge == int(np.argmin(weight)) and matrix[pair] == pytest.approx(weight.min())
