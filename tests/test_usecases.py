"""geo.usecases: what the app and the CLI both do, against a local Overpass server, real responses and real files."""

from __future__ import annotations

import json
import math
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from geo import areas, schema, settings, store, usecases
from geo.countries import load_countries
from geo.errors import AtlasError, HostedModeError, InputError, UnknownCountryError
from geo.layers import layer_names
from tests.fixtures.local_server import Reply, ScriptedServer
from tests.fixtures.overpass_from_pbf import overpass_json
from tests.osm_support import OSM_DIR, SANKT_POELTEN, SANKT_POELTEN_BBOX, fetch_options

MONACO = OSM_DIR / "monaco-2020-02.osm.pbf"


@pytest.fixture
def options(tmp_path):
    return fetch_options(tmp_path)


def fetch(server: ScriptedServer, options: dict, layer: str = "rail", bbox: str = SANKT_POELTEN_BBOX, **extra):
    opts = {k: v for k, v in options.items() if k != "waits"}
    return usecases.fetch_detail(layer, bbox=bbox, endpoint=f"{server.url}/api/interpreter", **{**opts, **extra})


# --- fetching detail -------------------------------------------------------------------------------


def test_fetch_stores_the_area_with_a_metadata_record(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        result = fetch(server, options)
    assert result.origin == "network" and result.ok and result.area == "bbox_15.300_47.900_16.000_48.400"
    assert result.message.startswith("1779 rail features, ") and "fetched from Overpass" in result.message
    assert Path(result.stored_path).exists()
    (record,) = store.stored_areas("rail", options["store_dir"])
    assert record["source"] == "osm_overpass" and record["features"] == 1779
    assert record["licence"] == "ODbL-1.0" and record["bbox"] == [15.3, 47.9, 16.0, 48.4]
    assert record["endpoint"] == f"{server.url}/api/interpreter" and record["country"] is None
    assert "[out:json]" in record["query"] and record["retrieved_at"] == result.retrieved_at
    stored, problems = store.read_stored("rail", options["store_dir"])
    assert problems == [] and len(stored) == 1779


def test_a_country_fetch_queries_its_bbox_and_keeps_its_features(options):
    options["assign_country"] = True
    document = json.dumps(overpass_json(MONACO, "rail", "body")[0]).encode()
    expected = overpass_json(MONACO, "rail", "body")[1]
    with ScriptedServer([Reply(body=document)]) as server:
        result = fetch(server, options, bbox=None, country="Monaco")
    west, south, east, north = areas.countries_bbox(load_countries(), ["MC"])
    assert f"[bbox:{south:.6f},{west:.6f},{north:.6f},{east:.6f}]" in server.requests[0].form["data"]
    assert result.area == "mc" and len(result.frame) > 0
    assert set(result.frame["country"]) == {"MC"}  # the lines across the border in France are left out
    assert len(result.frame) < len(expected["ids"])
    (record,) = store.stored_areas("rail", options["store_dir"])
    assert record["country"] == "MC"


def test_a_bbox_and_a_country_fetch_their_overlap():
    box, key, code = usecases.resolve_area("7.0,43.0,7.42,44.0", "MC")
    monaco = areas.countries_bbox(load_countries(), ["MC"])
    assert code == "MC" and key == "bbox_" + "_".join(f"{v:.3f}" for v in box)
    assert box == (monaco[0], monaco[1], 7.42, monaco[3])


def test_the_http_cache_is_that_of_the_store(options, monkeypatch):
    """With no cache folder set, a fetch into `--store DIR` keeps its responses in DIR/http-cache."""
    monkeypatch.setattr(settings, "CACHE_DIR", None)
    del options["cache_dir"]
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        fetch(server, options)
        again = fetch(server, options)
    assert len(server.requests) == 1 and again.origin == "cache"
    assert len(list((options["store_dir"] / "http-cache" / "overpass").glob("*.body"))) == 1


def test_empty_result_gives_no_features_and_stores_nothing(options):
    body = json.dumps({"version": 0.6, "osm3s": {"timestamp_osm_base": "2024-04-07T19:24:22Z"}, "elements": []})
    with ScriptedServer([Reply(body=body.encode())]) as server:
        result = fetch(server, options)
    assert result.ok and len(result.frame) == 0 and result.stored_path is None
    assert result.message.startswith("no rail features in this area (0 rail features")
    assert store.stored_areas("rail", options["store_dir"]) == []


def test_504_falls_back_to_nothing_stored_and_says_why(options):
    with ScriptedServer([Reply(504, b"<html><body>Gateway Timeout</body></html>", {"Content-Type": "text/html"})]) as s:
        result = fetch(s, options)
    assert len(s.requests) == 3  # retries=2
    assert result.origin == "none" and not result.ok and len(result.frame) == 0
    assert result.message.startswith("could not fetch fresh data: ") and "HTTP 504: Gateway Timeout" in result.message
    assert result.message.endswith("(tried 3 times); nothing stored for this area")


def test_an_error_answer_falls_back_too(options):
    body = json.dumps({"elements": [], "remark": 'runtime error: Query timed out in "query" at line 3.'}).encode()
    with ScriptedServer([Reply(body=body)]) as server:
        result = fetch(server, options)
    assert result.origin == "none" and "Overpass reported: runtime error: Query timed out" in result.message


def test_network_failure_falls_back_to_the_stored_copy_and_says_so(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        first = fetch(server, options)
    with ScriptedServer([Reply(503, b"busy")]) as server:
        second = fetch(server, options, use_cache=False)
    assert second.origin == "stored" and len(second.frame) == 1779 and second.stored_path == first.stored_path
    assert "stored copy retrieved" in second.message and first.retrieved_at in second.message
    assert second.source_date == first.source_date


def test_a_connection_dropped_mid_body_falls_back_to_the_stored_copy(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        first = fetch(server, options)
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes(), cut_after=10_000)]) as server:
        second = fetch(server, options, use_cache=False)
    assert len(server.requests) == 3, "retried before falling back"
    assert second.origin == "stored" and len(second.frame) == 1779 and first.retrieved_at in second.message


def test_corrupt_stored_copy_is_reported_not_used(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        first = fetch(server, options)
    Path(first.stored_path).write_bytes(b"PAR1 this is not parquet")
    with ScriptedServer([Reply(503, b"busy")]) as server:
        second = fetch(server, options, use_cache=False)
    assert second.origin == "none" and len(second.frame) == 0
    assert "stored copy is unusable" in second.message


def test_fallback_without_data_is_an_empty_frame_in_the_schema(options):
    with ScriptedServer([Reply(503, b"busy")]) as server:
        result = fetch(server, options, layer="roads")
    assert len(result.frame) == 0
    schema.validate(result.frame, "roads")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bbox": "15,48,14,49"}, "inverted"),
        ({"bbox": "15,48,16,48"}, "inverted"),
        ({"bbox": "190,48,191,49"}, "longitudes"),
        ({"bbox": "15,-95,16,49"}, "latitudes"),
        ({"bbox": "15,48,16"}, "four numbers"),
        ({"bbox": "15,48,16,nan"}, "finite"),
        ({"bbox": "1_5,48,16,49"}, "four numbers"),
        ({"bbox": '15,48,16,49"];out;'}, "numbers"),
        ({"bbox": "0,30,20,50"}, "area too large"),
        ({"bbox": "15,48,16,49", "layer": "canals"}, "unknown layer"),
        ({"country": "Atlantis"}, "unknown country"),
        ({"bbox": "0,40,1,41", "country": "MC"}, "does not overlap MC"),
        ({}, "give a bbox"),
    ],
)
def test_bad_input_fails_before_any_request(options, kwargs, message):
    layer = kwargs.pop("layer", "rail")
    with ScriptedServer([Reply(body=b"{}")]) as server, pytest.raises(ValueError, match=message) as caught:
        usecases.fetch_detail(layer, endpoint=server.url, store_dir=options["store_dir"], **kwargs)
    assert server.requests == []
    if layer != "canals":  # geo.layers.get_layer still raises a plain ValueError
        assert isinstance(caught.value, AtlasError)


def test_a_country_outside_the_bounds_of_the_map_is_refused(monkeypatch):
    monkeypatch.setattr(settings, "EUROPE_BBOX", (-25.0, 60.0, -10.0, 70.0))  # Iceland only
    assert usecases.resolve_area(country="Iceland")[1:] == ("is", "IS")
    with pytest.raises(InputError, match="MC has no land within Europe's bounds; give a bbox W,S,E,N instead"):
        usecases.resolve_area(country="Monaco")


def test_hosted_mode_never_fetches(options, monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    with ScriptedServer([Reply(body=b"{}")]) as server, pytest.raises(HostedModeError, match="hosted") as caught:
        fetch(server, options)
    assert server.requests == [] and isinstance(caught.value, PermissionError)


def test_stored_status_reports_age_and_staleness(options):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        result = fetch(server, options)
    retrieved = datetime.fromisoformat(result.retrieved_at.replace("Z", "+00:00"))
    fresh = usecases.stored_status(options["store_dir"], now=retrieved + timedelta(days=2))
    old = usecases.stored_status(options["store_dir"], now=retrieved + timedelta(days=settings.STALE_AFTER_DAYS + 1))
    assert [(r["layer"], r["area"], r["features"]) for r in fresh] == [
        ("rail", "bbox_15.300_47.900_16.000_48.400", 1779)
    ]
    assert math.isclose(fresh[0]["age_days"], 2.0) and not fresh[0]["stale"]
    assert old[0]["stale"]
    (options["store_dir"] / "rail" / "osm_overpass__bbox_15.300_47.900_16.000_48.400.json").write_text("{broken")
    (broken,) = usecases.stored_status(options["store_dir"])
    assert broken["stale"] and "unreadable" in broken["error"]


# --- importing files and downloading extracts ------------------------------------------------------


def test_import_pbf_stores_each_layer(tmp_path):
    results = usecases.import_file(MONACO, ["roads", "rail"], store_dir=tmp_path)
    assert [r.layer for r in results] == ["roads", "rail"]
    roads = results[0]
    assert re.fullmatch(r"osm_pbf__monaco-2020-02~[0-9a-f]{12}\.parquet", Path(roads.stored_path).name)
    (record,) = store.stored_areas("roads", tmp_path)
    assert record["features"] == len(roads.frame) and record["licence"] == "ODbL-1.0"
    assert record["source_date"] == "2020-02-25T21:59:02Z" and record["query"] == "file monaco-2020-02.osm.pbf"
    stored, problems = store.read_stored("roads", tmp_path)
    assert problems == [] and sorted(stored["id"]) == sorted(roads.frame["id"])
    assert len(store.read_stored("rail", tmp_path)[0]) == 13


def test_import_overpass_json_and_dry_run(tmp_path):
    (dry,) = usecases.import_file(SANKT_POELTEN, ["rail"], store_dir=tmp_path, dry_run=True)
    assert len(dry.frame) == 1779 and dry.stored_path is None and store.stored_areas(store_dir=tmp_path) == []
    (result,) = usecases.import_file(SANKT_POELTEN, ["rail"], store_dir=tmp_path)
    assert Path(result.stored_path).name.startswith("osm_file__overpass_railways_sankt_poelten~")
    (record,) = store.stored_areas("rail", tmp_path)
    assert record["source_date"] == "2024-04-07T19:24:22Z" and record["features"] == 1779


def test_import_refuses_other_files(tmp_path):
    with pytest.raises(InputError, match=r"notes\.txt: import reads \.osm\.pbf extracts and Overpass \.json"):
        usecases.import_file(tmp_path / "notes.txt")


def test_download_extract_goes_to_the_store_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    with ScriptedServer(files={"/europe/monaco-latest.osm.pbf": MONACO.read_bytes()}) as server:
        path = usecases.download_extract("europe/monaco", base_url=server.url, retries=0)
    assert path == tmp_path / "store" / "pbf" / "europe_monaco-latest.osm.pbf"
    assert path.read_bytes() == MONACO.read_bytes()


# --- features and policies -------------------------------------------------------------------------


def test_find_feature_in_the_embedded_data_and_the_store(tmp_path):
    rotterdam = usecases.find_feature("gisco:NLRTM")
    assert len(rotterdam) == 1 and rotterdam.iloc[0]["name"] == "Rotterdam"
    usecases.import_file(MONACO, ["rail"], store_dir=tmp_path)
    stored_id = store.read_stored("rail", tmp_path)[0]["id"].iloc[0]
    assert usecases.find_feature(stored_id, store_dir=tmp_path).iloc[0]["id"] == stored_id
    with pytest.raises(InputError, match="feature ids look like"):
        usecases.find_feature("NLRTM")
    with pytest.raises(InputError, match="no feature 'gisco:ZZZZZ'"):
        usecases.find_feature("gisco:ZZZZZ")


def test_policy_reports_resolve_country_names_and_feature_ids():
    report = usecases.selection_policies(["rail"], ["Poland", "DE"])
    assert report["selection"] == {"layers": ["rail"], "countries": ["PL", "DE"]}
    assert "rail-interop-2016" in {d["id"] for d in report["documents"]}
    assert usecases.selection_policies()["selection"]["layers"] == list(layer_names())
    with pytest.raises(UnknownCountryError):
        usecases.selection_policies(["rail"], ["Atlantis"])
    assert usecases.feature_policies("gisco:NLRTM")["selection"]["name"] == "Rotterdam"


def test_derived_layers_are_not_fetched_from_openstreetmap(tmp_path):
    with pytest.raises(InputError, match="crossings layer is derived"):
        usecases.fetch_detail("crossings", bbox="15.3,47.9,16.0,48.4", store_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def _edited_copy(tmp_path: Path, name: str = "overpass_railways_sankt_poelten.json") -> Path:
    """A different file with the same name as the real Sankt Pölten response (one way fewer)."""
    data = json.loads(SANKT_POELTEN.read_text(encoding="utf-8"))
    first_way = next(i for i, e in enumerate(data["elements"]) if e["type"] == "way")
    del data["elements"][first_way]
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")
    return folder / name


def test_a_different_file_with_the_same_name_is_refused_unless_replaced(tmp_path):
    store_dir = tmp_path / "store"
    usecases.import_file(SANKT_POELTEN, ["rail"], store_dir=store_dir)
    usecases.import_file(SANKT_POELTEN, ["rail"], store_dir=store_dir)  # the same file again: fine
    other = _edited_copy(tmp_path)
    with pytest.raises(InputError, match="pass --replace to replace it, or rename the file") as refused:
        usecases.import_file(other, ["rail"], store_dir=store_dir)
    assert "another file of this name was imported as rail area 'overpass_railways_sankt_poelten'" in str(refused.value)
    assert len(store.read_stored("rail", store_dir)[0]) == 1779, "the first import is kept"
    usecases.import_file(other, ["rail"], store_dir=store_dir, replace=True)
    assert len(store.read_stored("rail", store_dir)[0]) == 1778


def test_two_concurrent_imports_of_one_name_never_lose_one_silently(tmp_path):
    store_dir = tmp_path / "store"
    files = [SANKT_POELTEN, _edited_copy(tmp_path)]
    outcomes: dict[int, object] = {}

    def run(number: int) -> None:
        try:
            outcomes[number] = usecases.import_file(files[number], ["rail"], store_dir=store_dir)
        except InputError as exc:
            outcomes[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [n for n, outcome in outcomes.items() if isinstance(outcome, InputError)]
    assert len(refused) == 1 and "--replace" in str(outcomes[refused[0]])
    (winner,) = set(outcomes) - set(refused)
    (record,) = store.stored_areas("rail", store_dir)
    assert record["features"] == len(outcomes[winner][0].frame) == [1779, 1778][winner]
