"""`python -m geo fetch overpass` and `python -m geo import`, run in-process against real files and a local server."""

from __future__ import annotations

import json

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


def test_import_bad_files_gives_one_line_and_exit_2(tmp_path, capsys):
    real = (OSM_DIR / "overpass_railways_sankt_poelten.json").read_text(encoding="utf-8")
    files = {
        "empty.json": b"",
        "html.json": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        "remark.json": b'{"elements": [], "remark": "runtime error: Query ran out of memory"}',
        "truncated.json": real.encode()[:5000],
        "huge-id.json": b'{"elements": [{"type": "node", "id": 123456789012345678901234567890, "lat": 1, "lon": 2}]}',
        "odd.json": b'{"elements": "none"}',
        "utf16-broken.json": b"\xff\xfe\x00\xd8",
        "html.osm.pbf": b"<html>404</html>",
        "empty.osm.pbf": b"",
        "truncated.osm.pbf": (OSM_DIR / "monaco-2020-02.osm.pbf").read_bytes()[:3000],
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        code = cli.main(["import", str(tmp_path / name), "--layer", "rail", "--store", str(tmp_path / "store")])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 2 and len(lines) == 1 and "Traceback" not in err, (name, err)
        assert name in lines[0], (name, lines[0])


def test_import_reads_bom_utf16_and_odd_tags(tmp_path, capsys):
    real = (OSM_DIR / "overpass_railways_sankt_poelten.json").read_text(encoding="utf-8")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + real.encode())
    (tmp_path / "utf16.json").write_bytes(real.encode("utf-16"))
    for name in ("bom.json", "utf16.json"):
        assert cli.main(["import", str(tmp_path / name), "--layer", "rail", "--dry-run"]) == 0
        assert "1779 rail features" in capsys.readouterr().out
    odd = {
        "elements": [
            {"type": "node", "id": 1, "lat": 48.1, "lon": 15.5, "tags": None},
            {"type": "node", "id": 2, "lat": 48.2, "lon": 15.6, "tags": {"railway": ["station"], "name": 5}},
            {"type": "node", "id": 3, "lat": 95.0, "lon": 15.6},
            {"type": "way", "id": 10, "nodes": [1, 2], "tags": {"railway": "rail", "maxspeed": 120, "name": None}},
            {"type": "way", "id": 11, "nodes": [2, 3], "tags": {"railway": "rail"}},
        ]
    }
    (tmp_path / "odd.json").write_text(json.dumps(odd), encoding="utf-8")
    assert cli.main(["import", str(tmp_path / "odd.json"), "--layer", "rail", "--store", str(tmp_path / "s")]) == 0
    captured = capsys.readouterr()
    assert "1 rail features" in captured.out
    assert "dropped 1 features with coordinates outside" in captured.err
    (record,) = store.stored_areas("rail", tmp_path / "s")
    assert store.read_area(record, "rail", tmp_path / "s").iloc[0]["maxspeed"] == "120"
