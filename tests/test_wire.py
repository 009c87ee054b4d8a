"""The page's wire format: integer grid paths, compact popup tables, JSON safe in a <script> element."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
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


def test_ids_sharing_prefixes_travel_as_prefix_codes_and_suffixes_and_decode_back():
    ids = [f"crossing:rail/{pair}/{n}" for pair in ("DE-PL", "PL-UA") for n in range(1, 60)] + [None, "ne:7"]
    frame = pd.DataFrame({"id": ids, "name": [f"Name {i}" for i in range(len(ids))]})
    table = wire.property_table(frame, ["id", "name"])
    encoded = table["data"]["id"]
    assert encoded["p"] == ["crossing:rail/DE-PL/", "crossing:rail/PL-UA/", "ne:"]
    assert encoded["c"][-2] == -1 and encoded["s"][:2] == ["1", "2"]
    assert len(wire.script_json(encoded)) < len(wire.script_json({"r": ids})) / 2
    assert wire.decode_column(encoded) == ids
    assert "r" in table["data"]["name"], "names share no prefix: raw"
    assert wire.decode_column(table["data"]["name"]) == frame["name"].tolist()


def test_property_table_dictionary_encodes_and_spreads_tags():
    rail = _rail()
    table = wire.property_table(rail, ["id", "kind", "electrified", "length_km", "tags"])
    assert table["data"]["id"] == {"r": ["osm:way/1", "osm:way/2", "osm:way/3"]}  # too few to split
    assert table["data"]["kind"] == {"v": ["rail"], "c": [0, 0, 0]}
    assert table["data"]["length_km"]["r"] == ["10", "5", "1"]
    assert "tags" not in table["data"] and table["tags"]["keys"] == []
    ports = _ports()
    tags = wire.property_table(ports, ["tags"])["tags"]
    assert tags["keys"] == ["depth", "note"]
    assert tags["data"]["note"] == {"v": [HOSTILE], "c": [0, 0]}


def test_columns_decode_with_their_nulls():
    assert wire.decode_column({"v": ["x"], "c": [-1, 0]}) == [None, "x"]
    assert wire.decode_column(wire.property_table(pd.DataFrame({"id": [None, "ab1"]}), ["id"])["data"]["id"]) == [
        None,
        "ab1",
    ]
