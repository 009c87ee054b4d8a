"""Shared OSM normalisation: tag filters, geometry per layer, tags kept, provenance, ids."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo import schema
from geo.layers import get_layer
from geo.sources import _osm


@pytest.mark.parametrize(
    ("layer", "element", "tags", "kind"),
    [
        ("rail", "way", {"railway": "rail"}, "rail"),
        ("rail", "way", {"railway": "platform"}, None),
        ("rail", "node", {"railway": "rail"}, None),  # rail is built from ways only
        ("rail", "way", {"railway": "construction", "construction": "rail"}, "construction"),
        ("rail", "way", {"railway": "construction"}, None),  # under construction, but not a railway line
        ("roads", "way", {"highway": "motorway"}, "motorway"),
        ("roads", "way", {"highway": "residential"}, None),
        ("roads", "way", {"highway": "construction", "construction": "motorway"}, "motorway"),
        ("roads", "way", {"highway": "construction", "construction": "residential"}, None),
        ("ports", "way", {"landuse": "port"}, "port"),
        ("ports", "node", {"landuse": "port"}, None),
        ("ports", "node", {"harbour": "yes"}, "harbour"),
        ("ports", "relation", {"seamark:type": "harbour"}, "harbour"),
        ("ports", "node", {"amenity": "ferry_terminal"}, "ferry_terminal"),
        ("ports", "node", {"amenity": "parking"}, None),
    ],
)
def test_filter_matches_follows_the_catalogue(layer, element, tags, kind):
    assert _osm.filter_matches(get_layer(layer), element, tags) == kind


def _elements(types, tags, geometry):
    return _osm.OsmElements(
        np.array(types, dtype=object), np.arange(1, len(types) + 1), tags, np.array(geometry, dtype=object)
    )


PROV = _osm.provenance("2024-04-07T19:24:22Z", "2026-11-22T00:00:00Z")


def test_ports_closed_ways_become_polygons_and_open_ones_points():
    square = shapely.LineString([(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)])
    bowtie = shapely.LineString([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])  # self-intersecting: repaired
    pier = shapely.LineString([(2, 2), (3, 3)])
    elements = _elements(
        ["way", "way", "way", "node"],
        [
            {"landuse": "port"},
            {"harbour": "yes"},
            {"amenity": "ferry_terminal"},
            {"harbour": "yes", "name": "<b>x</b>"},
        ],
        [square, bowtie, pier, shapely.Point(4, 4)],
    )
    frame, notes = _osm.normalise(elements, "ports", PROV, origin="test", assign_country=False)
    assert list(frame.geom_type) == ["Polygon", "MultiPolygon", "Point", "Point"]
    assert frame.geometry.iloc[1].area == pytest.approx(0.5)
    assert frame["name"].iloc[3] == "<b>x</b>"  # kept as data; escaping is the renderer's job
    assert list(frame["id"]) == ["osm:way/1", "osm:way/2", "osm:way/3", "osm:node/4"]
    assert notes == []
    schema.validate(frame, "ports")


def test_rail_columns_tags_and_provenance():
    line = shapely.LineString([(15.0, 48.0), (15.0, 48.1)])
    tags = {"railway": "rail", "gauge": "1435", "railway:etcs": "2", "name": "Westbahn", "wikidata": "Q1", "fixme": "x"}
    frame, _ = _osm.normalise(_elements(["way"], [tags], [line]), "rail", PROV, origin="test", assign_country=False)
    row = frame.iloc[0]
    assert (row["gauge"], row["etcs"], row["name"], row["kind"]) == ("1435", "2", "Westbahn", "rail")
    assert row["length_km"] == pytest.approx(11.12, rel=0.01)  # 0.1 degree of latitude
    assert json.loads(row["tags"]) == {"railway": "rail", "wikidata": "Q1", "osm_origin": "test"}
    assert (row["source"], row["licence"], row["source_date"]) == ("osm", "ODbL-1.0", "2024-04-07")
    assert row["attribution"] == "© OpenStreetMap contributors"


def test_unusable_line_geometry_is_dropped_with_a_note():
    good = shapely.LineString([(0, 0), (1, 1)])
    degenerate = shapely.LineString([(0, 0), (0, 0)])
    elements = _elements(["way", "way"], [{"highway": "primary"}, {"highway": "primary"}], [good, degenerate])
    frame, notes = _osm.normalise(elements, "roads", PROV, origin="test", assign_country=False)
    assert list(frame["id"]) == ["osm:way/1"] and "dropped 1" in notes[0]
    assert not frame["construction"].iloc[0]


def test_concat_keeps_the_first_copy_of_an_element():
    a = _elements(["way"], [{"railway": "rail"}], [shapely.LineString([(0, 0), (1, 1)])])
    b = _elements(
        ["way", "node"], [{}, {"harbour": "yes"}], [shapely.LineString([(0, 0), (2, 2)]), shapely.Point(1, 1)]
    )
    merged = _osm.OsmElements.concat([a, b])
    assert list(merged.types) == ["way", "node"] and merged.tags[0] == {"railway": "rail"}


@pytest.mark.parametrize(
    ("name", "key"),
    [("monaco-2020-02.osm.pbf", "monaco-2020-02"), ("Mein Export (1).json", "mein-export-1"), ("../../x.osm", "x")],
)
def test_file_area_key_is_a_safe_store_key(name, key):
    assert _osm.file_area_key(name) == key
