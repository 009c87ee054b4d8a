"""The page's wire format: integer grid paths, compact popup tables, JSON safe in a <script> element."""

from __future__ import annotations

import json

import numpy as np
import shapely

from geo import wire
from tests.test_render import HOSTILE, _decode, _ports, _rail


def test_encode_geometries_round_trips_lines_and_drops_collapsed_features():
    rail = _rail()
    encoded = wire.encode_geometries(rail.geometry.values, 3)
    assert len(encoded) == 3
    assert np.allclose(_decode(encoded[0][0], 3), [(18.0, 54.0), (18.1, 54.05), (18.2, 54.1)])
    assert [len(part) for part in encoded[1]] == [4, 4]  # two 2-point parts
    assert np.allclose(_decode(encoded[1][1], 3), [(17.6, 53.6), (17.7, 53.7)])
    assert wire.encode_geometries(rail.geometry.values, 2)[2] == []  # both points round to one


def test_encode_geometries_polygons_keep_rings():
    square = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], holes=[[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    (feature,) = wire.encode_geometries([shapely.MultiPolygon([square])], 1)
    assert len(feature) == 1 and len(feature[0]) == 2  # one polygon, outer ring plus one hole
    assert np.allclose(_decode(feature[0][0], 1)[:4], [(0, 0), (1, 0), (1, 1), (0, 1)])


def test_script_json_cannot_close_the_script_element():
    text = wire.script_json({"name": "</script><script>alert(1)</script>", "x": "a\u2028b"})
    assert "</script" not in text and "<" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "x": "a\u2028b"}


def test_property_table_dictionary_encodes_and_spreads_tags():
    rail = _rail()
    table = wire.property_table(rail, ["id", "kind", "electrified", "length_km", "tags"])
    assert table["data"]["id"] == {"p": "osm:way/", "r": ["1", "2", "3"]}  # their common prefix once
    assert [wire.column_value(table["data"]["id"], i) for i in range(3)] == ["osm:way/1", "osm:way/2", "osm:way/3"]
    assert table["data"]["kind"] == {"v": ["rail"], "c": [0, 0, 0]}
    assert table["data"]["length_km"]["r"] == ["10", "5", "1"]
    assert "tags" not in table["data"] and table["tags"]["keys"] == []
    ports = _ports()
    tags = wire.property_table(ports, ["tags"])["tags"]
    assert tags["keys"] == ["depth", "note"]
    assert tags["data"]["note"] == {"v": [HOSTILE], "c": [0, 0]}


def test_raw_columns_keep_nulls_and_texts_without_a_shared_prefix():
    assert wire._raw_column(["gisco:A", None, "gisco:B"]) == {"p": "gisco:", "r": ["A", None, "B"]}
    assert wire._raw_column(["osm:node/7"]) == {"r": ["osm:node/7"]}  # one value: nothing to share
    assert wire._raw_column(["10", "5", "1"]) == {"r": ["10", "5", "1"]}
    encoded = wire._raw_column(["ab1", None])
    assert wire.column_value(encoded, 1) is None and wire.column_value({"v": ["x"], "c": [-1, 0]}, 1) == "x"
