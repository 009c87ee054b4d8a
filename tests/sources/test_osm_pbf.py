"""The .osm.pbf reader on real Geofabrik extracts (Monaco, Malta, Helsinki) and the Geofabrik downloader."""

from __future__ import annotations

import functools
import math

import pandas as pd
import pytest

from geo import schema, settings
from geo.errors import DownloadInterrupted, FetchError, InputError
from geo.layers import get_layer
from geo.sources import osm_pbf
from tests.fixtures.local_server import ScriptedServer
from tests.fixtures.overpass_from_pbf import overpass_json

OSM_DIR = settings.SHARED_DATA_DIR / "osm"
EXTRACTS = ("monaco-2020-02", "malta-2018-08", "helsinki")


@functools.cache
def loaded(name: str) -> dict:
    return osm_pbf.load(OSM_DIR / f"{name}.osm.pbf", assign_country=False)


@pytest.mark.parametrize("name", EXTRACTS)
@pytest.mark.parametrize("layer", ["rail", "roads", "ports"])
def test_layers_match_an_independent_reading(name, layer):
    """Ids, total length and mapped tags against pyosmium's SimpleHandler + plain-Python haversine."""
    _, expected = overpass_json(OSM_DIR / f"{name}.osm.pbf", layer, "geom")
    result = loaded(name)[layer]
    frame = result.frame
    assert sorted(frame["id"].str.removeprefix("osm:")) == expected["ids"]
    if layer != "ports":
        assert math.isclose(result.km, expected["km"], rel_tol=0.005, abs_tol=1e-9)
    by_id = frame.set_index("id")
    for way, tags in expected["tags"].items():
        for key, column in {"name": "name", **get_layer(layer).osm_columns}.items():
            value = by_id.at[f"osm:{way}", column]
            assert (None if pd.isna(value) else value) == tags.get(key), (way, key)
    schema.validate(frame, layer)


def test_known_contents_of_the_extracts():
    """Figures stated in ../shared/data/SOURCES.md: Monaco's 13 railway ways, Malta's 636 trunk ways."""
    assert len(loaded("monaco-2020-02")["rail"].frame) == 13
    roads = loaded("malta-2018-08")["roads"].frame
    assert int((roads["kind"] == "trunk").sum()) == 636
    helsinki = loaded("helsinki")["rail"].frame
    assert {"rail", "tram"} <= set(helsinki["kind"])  # its one subway way leaves the extract
    assert not loaded("helsinki")["roads"].frame["kind"].eq("motorway").any()


def test_provenance_uses_the_extract_timestamp():
    monaco = loaded("monaco-2020-02")["rail"].frame
    assert set(monaco["source_date"]) == {"2020-02-25"}
    assert set(monaco["source"]) == {"osm"} and set(monaco["licence"]) == {"ODbL-1.0"}
    assert set(monaco["attribution"]) == {"© OpenStreetMap contributors"}
    assert set(loaded("malta-2018-08")["roads"].frame["source_date"]) == {"2018-08-27"}
    # Helsinki's header has no replication timestamp: the newest object's date stands in.
    assert loaded("helsinki")["rail"].source_date.startswith("2019-")


def test_incomplete_ways_at_the_extract_edge_are_dropped_and_reported():
    helsinki = loaded("helsinki")["rail"]
    assert any("without complete geometry" in note for note in helsinki.notes)


def test_unreadable_or_missing_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes((OSM_DIR / "monaco-2020-02.osm.pbf").read_bytes()[:5000])
    with pytest.raises(InputError, match=r"not a readable \.osm\.pbf file"):
        osm_pbf.load(bad, ("rail",), assign_country=False)
    with pytest.raises(FileNotFoundError):
        osm_pbf.load(tmp_path / "absent.osm.pbf")
    with pytest.raises(ValueError, match="unknown layer"):
        osm_pbf.load(OSM_DIR / "monaco-2020-02.osm.pbf", ("canals",))


# --- Geofabrik download ----------------------------------------------------------------------------

MONACO = (OSM_DIR / "monaco-2020-02.osm.pbf").read_bytes()
PATH = "/europe/monaco-latest.osm.pbf"


def test_download_region_fetches_a_real_extract_with_progress(tmp_path):
    seen = []
    with ScriptedServer(files={PATH: MONACO}) as server:
        path = osm_pbf.download_region(
            "europe/monaco", tmp_path, base_url=server.url, progress=lambda *a: seen.append(a), retries=0
        )
    assert path.read_bytes() == MONACO
    assert seen[-1][:2] == (len(MONACO), len(MONACO))
    assert len(osm_pbf.load(path, ("rail",), assign_country=False)["rail"].frame) == 13


def test_interrupted_download_resumes_with_a_range_request(tmp_path):
    with ScriptedServer(files={PATH: MONACO}) as server:
        server.cut_after = 200_000
        with pytest.raises(DownloadInterrupted, match="run again to resume"):
            osm_pbf.download_region("europe/monaco", tmp_path, base_url=server.url, retries=0, resumes=0)
        part = tmp_path / "europe_monaco-latest.osm.pbf.part"
        kept = part.stat().st_size
        assert 0 < kept <= 200_000  # whole chunks received before the cut are kept
        server.cut_after = None
        path = osm_pbf.download_region("europe/monaco", tmp_path, base_url=server.url, retries=0)
    assert server.requests[-1].headers["Range"] == f"bytes={kept}-"
    assert path.read_bytes() == MONACO and not part.exists()


def test_a_flaky_connection_is_resumed_automatically(tmp_path):
    with ScriptedServer(files={PATH: MONACO}) as server:
        server.cut_after = 200_000  # every response stops after 200 kB
        path = osm_pbf.download_region("europe/monaco", tmp_path, base_url=server.url, retries=0, resumes=5)
    assert path.read_bytes() == MONACO
    ranges = [r.headers.get("Range") for r in server.requests]
    assert ranges[0] is None and all(r.startswith("bytes=") for r in ranges[1:]) and len(ranges) >= 3


def test_server_ignoring_range_restarts_the_download(tmp_path):
    part = tmp_path / "europe_monaco-latest.osm.pbf.part"
    part.write_bytes(b"stale bytes from an older file")
    with ScriptedServer(files={PATH: MONACO}) as server:
        server.honour_range = False
        path = osm_pbf.download_region("europe/monaco", tmp_path, base_url=server.url, retries=0)
    assert path.read_bytes() == MONACO


def test_a_download_that_is_not_a_pbf_is_removed(tmp_path):
    with (
        ScriptedServer(files={PATH: b"<html>Not found, sorry</html>"}) as server,
        pytest.raises(FetchError, match=r"did not give a readable \.osm\.pbf"),
    ):
        osm_pbf.download_region("europe/monaco", tmp_path, base_url=server.url, retries=0)
    assert not list(tmp_path.glob("*.osm.pbf"))


@pytest.mark.parametrize("region", ["../etc/passwd", "europe/monaco?x=1", "Europe/Monaco", "", "a/b/c/d/e"])
def test_invalid_region_names_fail_before_any_request(tmp_path, region):
    with ScriptedServer(files={PATH: MONACO}) as server, pytest.raises(InputError, match="invalid Geofabrik region"):
        osm_pbf.download_region(region, tmp_path, base_url=server.url)
    assert server.requests == []
