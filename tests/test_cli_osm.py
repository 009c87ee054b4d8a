"""`python -m geo fetch overpass` and `python -m geo import`, run in-process against real files and a local server."""

from __future__ import annotations

from geo import cli, settings, store
from tests.fixtures.local_server import Reply, ScriptedServer

OSM_DIR = settings.SHARED_DATA_DIR / "osm"


def test_import_pbf_stores_layers_and_prints_a_summary(tmp_path, capsys):
    code = cli.main(
        ["import", str(OSM_DIR / "monaco-2020-02.osm.pbf"), "--layer", "rail,ports", "--store", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "13 rail features, 11.7 km, file, OSM data of 2020-02-25" in out
    assert "5 ports features" in out
    assert {r["layer"] for r in store.stored_areas(store_dir=tmp_path)} == {"rail", "ports"}


def test_import_overpass_json(tmp_path, capsys):
    path = OSM_DIR / "overpass_railways_sankt_poelten.json"
    assert cli.main(["import", str(path), "--layer", "rail", "--store", str(tmp_path)]) == 0
    assert "1779 rail features" in capsys.readouterr().out
    (record,) = store.stored_areas("rail", tmp_path)
    assert record["source_date"] == "2024-04-07T19:24:22Z"


def test_fetch_overpass_against_a_local_endpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    body = (OSM_DIR / "overpass_railways_sankt_poelten.json").read_bytes()
    with ScriptedServer([Reply(body=body)]) as server:
        args = ["fetch", "overpass", "--layer", "rail", "--bbox", "15.3,47.9,16.0,48.4", "--endpoint", server.url]
        code = cli.main([*args, "--store", str(tmp_path / "store")])
    captured = capsys.readouterr()
    assert code == 0 and "1779 rail features" in captured.out and "fetched from Overpass" in captured.out
    assert "tile 1 of 1" in captured.err  # the progress bar


def test_bad_input_exits_2_before_any_request(tmp_path, capsys):
    with ScriptedServer([Reply(body=b"{}")]) as server:
        code = cli.main(["fetch", "overpass", "--layer", "rail", "--bbox", "16,48,15,49", "--endpoint", server.url])
        assert cli.main(["fetch", "overpass", "--layer", "ships", "--bbox", "15,48,16,49"]) == 2
    assert code == 2 and "inverted" in capsys.readouterr().err
    assert server.requests == []
    assert cli.main(["import", str(tmp_path / "notes.txt")]) == 2


def test_fetch_keeps_its_http_cache_in_the_store_it_is_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", None)  # CORRIDOR_ATLAS_CACHE unset
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "default-store")
    body = (OSM_DIR / "overpass_railways_sankt_poelten.json").read_bytes()
    with ScriptedServer([Reply(body=body)]) as server:
        args = ["fetch", "overpass", "--layer", "rail", "--bbox", "15.3,47.9,16.0,48.4", "--endpoint", server.url]
        assert cli.main([*args, "--store", str(tmp_path / "mine")]) == 0
    assert list((tmp_path / "mine" / "http-cache" / "overpass").glob("*.body"))
    assert not (tmp_path / "default-store").exists()
