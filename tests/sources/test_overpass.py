"""Overpass source against a local HTTP server serving real responses (never the internet).

The source only reads: storing, the fallback to a stored copy and the hosted-mode refusal are
`geo.usecases.fetch_detail`, tested in tests/test_usecases.py.
"""

from __future__ import annotations

import email.utils
import functools
import json
import math

import pandas as pd
import pytest
import shapely

from geo import areas, schema, settings
from geo.errors import FetchError, InputError, OverpassError
from geo.layers import get_layer
from geo.sources import _http, osm_pbf, overpass
from tests.fixtures.local_server import Reply, ScriptedServer
from tests.fixtures.overpass_from_pbf import haversine_km, overpass_json
from tests.osm_support import OSM_DIR, SANKT_POELTEN, SANKT_POELTEN_BBOX, fetch_options


@functools.cache
def generated(pbf: str, layer: str, shape: str) -> tuple[bytes, dict]:
    """Overpass JSON (bytes) generated from a real extract by the independent fixture reader, and its summary."""
    document, expected = overpass_json(OSM_DIR / f"{pbf}.osm.pbf", layer, shape)
    return json.dumps(document).encode(), expected


@pytest.fixture
def options(tmp_path):
    return fetch_options(tmp_path)


def fetch(server: ScriptedServer, options: dict, layer: str = "rail", bbox: str = SANKT_POELTEN_BBOX, **extra):
    opts = {k: v for k, v in options.items() if k not in ("waits", "store_dir")}  # a source stores nothing
    box = areas.parse_bbox(bbox)
    return overpass.fetch_layer(layer, box, endpoint=f"{server.url}/api/interpreter", **opts, **extra)


def independent_reading(document: dict) -> tuple[set[str], float]:
    """Way ids and total haversine km of a `out body; >; out skel` document, in plain Python."""
    nodes = {e["id"]: (e["lon"], e["lat"]) for e in document["elements"] if e["type"] == "node"}
    ways = [e for e in document["elements"] if e["type"] == "way" and "railway" in e.get("tags", {})]
    return {f"osm:way/{w['id']}" for w in ways}, sum(haversine_km([nodes[n] for n in w["nodes"]]) for w in ways)


def test_real_sankt_poelten_response_matches_an_independent_reading(options):
    raw = SANKT_POELTEN.read_bytes()
    ids, km = independent_reading(json.loads(raw))
    with ScriptedServer([Reply(body=raw)]) as server:
        result = fetch(server, options)
    frame = result.frame
    assert result.origin == "network" and result.ok
    assert set(frame["id"]) == ids and len(ids) == 1779
    assert math.isclose(result.km, km, rel_tol=0.005)
    westbahn = frame.set_index("id").loc["osm:way/12718284"]
    assert (westbahn["name"], westbahn["gauge"], westbahn["voltage"], westbahn["frequency"]) == (
        "Westbahn",
        "1435",
        "15000",
        "16.7",
    )
    assert (westbahn["etcs"], westbahn["usage"], westbahn["maxspeed"], westbahn["ref"]) == (
        "2",
        "main",
        "160",
        "103 01",
    )
    assert westbahn["operator"] == "ÖBB-Infrastruktur AG"
    assert json.loads(westbahn["tags"])["railway"] == "rail"
    # Provenance on every feature.
    assert set(frame["source"]) == {"osm"} and set(frame["licence"]) == {"ODbL-1.0"}
    assert set(frame["attribution"]) == {"© OpenStreetMap contributors"}
    assert set(frame["source_date"]) == {"2024-04-07"}
    assert frame["retrieved_at"].notna().all()
    schema.validate(frame, "rail")


def test_countries_come_from_a_spatial_lookup(options):
    options["assign_country"] = True
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        frame = fetch(server, options).frame
    assert set(frame["country"]) == {"AT"}


def test_request_is_a_polite_post_with_timeout_and_maxsize(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        fetch(server, options)
    (request,) = server.requests
    assert request.method == "POST" and request.path == "/api/interpreter"
    assert request.headers["User-Agent"] == settings.USER_AGENT
    query = request.form["data"]
    assert (
        f"[timeout:{settings.OVERPASS_TIMEOUT_S}]" in query and f"[maxsize:{settings.OVERPASS_MAXSIZE_BYTES}]" in query
    )
    assert "[bbox:47.900000,15.300000,48.400000,16.000000]" in query
    assert 'way["railway"~"^(rail|light_rail|narrow_gauge|' in query
    assert 'way["railway"="construction"]["construction"~"^(rail|' in query


@pytest.mark.parametrize(
    ("pbf", "layer"),
    [
        ("monaco-2020-02", "rail"),
        ("monaco-2020-02", "roads"),
        ("monaco-2020-02", "ports"),
        ("malta-2018-08", "roads"),
        ("malta-2018-08", "ports"),
        ("helsinki", "rail"),
    ],
)
@pytest.mark.parametrize("shape", ["body", "geom"])
def test_both_response_shapes_generated_from_real_extracts(options, pbf, layer, shape, tmp_path):
    document, expected = generated(pbf, layer, shape)
    with ScriptedServer([Reply(body=document)]) as server:
        result = fetch(server, options, layer=layer, bbox="7.0,35.0,7.5,35.5")
    frame = result.frame
    assert sorted(frame["id"].str.removeprefix("osm:")) == expected["ids"]
    if layer != "ports":
        assert math.isclose(result.km, expected["km"], rel_tol=0.005)
    by_id = frame.set_index("id")
    mapping = {"name": "name", **get_layer(layer).osm_columns}
    for way, tags in expected["tags"].items():
        row = by_id.loc[f"osm:{way}"]
        for key, column in mapping.items():
            value = None if pd.isna(row[column]) else row[column]
            assert value == tags.get(key), (way, key)
    if layer == "ports":
        # Harbour areas arrive as polygons (closed ways, multipolygons), terminals as points.
        assert set(frame.geom_type) <= {"Point", "Polygon", "MultiPolygon"}
        relations = frame[frame["id"].str.startswith("osm:relation/")]
        assert all(relations.geom_type.isin(["Polygon", "MultiPolygon"]))
    schema.validate(frame, layer)


def test_monaco_harbour_multipolygon_is_assembled_in_both_shapes_like_osmium_does(options):
    """Relation 2221179 (seamark:type=harbour) against osmium's own area assembler."""
    pbf_area = osm_pbf.load(OSM_DIR / "monaco-2020-02.osm.pbf", ("ports",), assign_country=False)["ports"].frame
    expected = pbf_area.set_index("id").loc["osm:relation/2221179"].geometry
    for shape in ("body", "geom"):
        document, _ = generated("monaco-2020-02", "ports", shape)
        with ScriptedServer([Reply(body=document)]) as server:
            frame = fetch(server, options, layer="ports", bbox="7.4,43.7,7.5,43.8", shape=shape).frame
        harbour = frame.set_index("id").loc["osm:relation/2221179"]
        assert harbour["kind"] == "harbour" and harbour.geometry.geom_type in ("Polygon", "MultiPolygon")
        assert harbour.geometry.area > 0
        assert shapely.equals(shapely.normalize(harbour.geometry), shapely.normalize(expected))


# --- failures --------------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_then_succeeds(options):
    replies = [Reply(429, b"rate limited", {"Retry-After": "7"}), Reply(body=SANKT_POELTEN.read_bytes())]
    with ScriptedServer(replies) as server:
        result = fetch(server, options)
    assert result.ok and len(result.frame) == 1779
    assert options["waits"] == [7.0]
    assert len(server.requests) == 2


def test_504_retries_with_backoff_then_fails_with_the_reason(options):
    with (
        ScriptedServer(
            [Reply(504, b"<html><body>Gateway Timeout</body></html>", {"Content-Type": "text/html"})]
        ) as server,
        pytest.raises(FetchError, match="HTTP 504: Gateway Timeout") as caught,
    ):
        fetch(server, options)
    assert len(server.requests) == 3  # retries=2
    assert options["waits"] == [0.001, 0.002]
    assert "tried 3 times" in str(caught.value)


def test_error_remark_with_http_200_is_an_error(options):
    body = json.dumps(
        {
            "version": 0.6,
            "osm3s": {"timestamp_osm_base": "2024-04-07T19:24:22Z"},
            "elements": [],
            "remark": 'runtime error: Query timed out in "query" at line 3 after 180 seconds.',
        }
    ).encode()
    with ScriptedServer([Reply(body=body)]) as server, pytest.raises(OverpassError, match="Query timed out"):
        fetch(server, options)
    assert not list((options["cache_dir"] / "overpass").glob("*.body"))  # an error is never cached


def test_truncated_json_is_a_clear_error(options):
    with (
        ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes()[:50_000])]) as server,
        pytest.raises(OverpassError, match="not valid JSON"),
    ):
        fetch(server, options)


def test_html_instead_of_json_is_a_clear_error(options):
    html = b"<html><body><p><strong>Error</strong>: line 1: parse error: Unknown type</p></body></html>"
    with (
        ScriptedServer([Reply(body=html, headers={"Content-Type": "text/html"})]) as server,
        pytest.raises(OverpassError, match="HTML instead of Overpass JSON: Error : line 1: parse error"),
    ):
        fetch(server, options)


def test_timeout_is_retried_then_reported(options):
    with ScriptedServer([Reply(body=b"{}", delay_s=1.0)]) as server, pytest.raises(FetchError) as caught:
        fetch(server, options, timeout_s=0.2)
    assert len(server.requests) == 3
    message = str(caught.value)
    assert message == "127.0.0.1 did not answer within 0.2 s (tried 3 times)", "no library internals for the user"


def test_an_unknown_host_is_one_plain_sentence(options):
    """Offline, the name of the Overpass server cannot be looked up: say so, without library exceptions."""
    opts = {key: value for key, value in options.items() if key not in ("waits", "store_dir")}
    with pytest.raises(FetchError) as caught:
        overpass.fetch_layer(
            "rail", (15.6, 48.1, 15.7, 48.2), endpoint="http://overpass.invalid/api/interpreter", **opts
        )
    assert (
        str(caught.value)
        == "the address overpass.invalid could not be looked up (no network connection?) (tried 3 times)"
    )


# --- cache and tiles -------------------------------------------------------------------------------


def test_second_fetch_comes_from_the_cache(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        fetch(server, options)
        again = fetch(server, options)
    assert len(server.requests) == 1 and again.origin == "cache" and len(again.frame) == 1779


def test_corrupt_cache_entry_is_reported_and_refetched(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        fetch(server, options)
        (body,) = (options["cache_dir"] / "overpass").glob("*.body")
        body.write_bytes(body.read_bytes()[:1000])
        again = fetch(server, options)
    assert len(server.requests) == 2 and again.origin == "network" and len(again.frame) == 1779
    assert any("corrupt" in note for note in again.notes)


def test_large_area_is_split_into_tiles_with_progress(options):
    calls = []
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        result = fetch(server, options, bbox="14.0,47.0,16.0,48.5", progress=lambda *a: calls.append(a))
    assert len(server.requests) == 4  # 2 x 1.5 square degrees in tiles of at most 1
    assert len(result.frame) == 1779  # the same ways in every tile are merged once
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)
    boxes = [r.form["data"].split("[bbox:")[1].split("]")[0] for r in server.requests]
    assert len(set(boxes)) == 4


def test_tiles_cover_the_box_exactly():
    bbox = (10.0, 40.0, 13.5, 42.2)
    parts = overpass.tiles(bbox, 1.0)
    assert all((e - w) * (n - s) <= 1.0 + 1e-9 for w, s, e, n in parts)
    union = shapely.union_all([shapely.box(*t) for t in parts])
    assert math.isclose(union.area, shapely.box(*bbox).area)


@pytest.mark.parametrize(
    ("bbox", "message"),
    [((0, 30, 20, 50), "area too large"), ((15, 48, 14, 49), "inverted"), ((190, 48, 191, 49), "longitudes")],
)
def test_bad_input_fails_before_any_request(options, bbox, message):
    with ScriptedServer([Reply(body=b"{}")]) as server, pytest.raises(InputError, match=message):
        overpass.fetch_layer("rail", bbox, endpoint=server.url, cache_dir=options["cache_dir"])
    assert server.requests == []


def test_an_endpoint_that_is_not_http_is_refused(options):
    with pytest.raises(InputError, match="endpoint must be an http"):
        overpass.fetch_layer("rail", (15, 48, 16, 49), endpoint="ftp://example.org/api", cache_dir=options["cache_dir"])


def test_ports_query_covers_every_catalogue_filter():
    query = overpass.build_query("ports", (7.0, 43.0, 8.0, 44.0), shape="geom")
    for statement in (
        'way["landuse"~"^(port)$"];',
        'relation["landuse"~"^(port)$"];',
        'node["industrial"~"^(port)$"];',
        'node["harbour"];',
        'relation["harbour"];',
        'way["amenity"~"^(ferry_terminal)$"];',
        'node["seamark:type"~"^(harbour)$"];',
    ):
        assert statement in query
    assert query.endswith("out geom qt;")


def test_retry_after_accepts_seconds_and_http_dates():
    assert _http.retry_after_seconds("30") == 30.0
    now = 1_800_000_000.0
    assert _http.retry_after_seconds(email.utils.formatdate(now + 60, usegmt=True), now=now) == 60.0
    assert _http.retry_after_seconds("soon") is None


def test_malformed_elements_are_a_clear_error(options):
    body = json.dumps({"elements": [{"type": "way", "id": 1, "nodes": "not a list"}, "junk"]}).encode()
    with ScriptedServer([Reply(body=body)]) as server, pytest.raises(OverpassError, match="malformed elements"):
        fetch(server, options)
    assert not list((options["cache_dir"] / "overpass").glob("*.body"))
