"""`python -m geo refresh`: a local Overpass stand-in on 127.0.0.1, real responses, a store in a temporary folder.

A success publishes a new generation; a failure keeps the last good one and exits 1; a refresh killed
part-way leaves the store readable, and the next one cleans up after it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo import cli, select, settings, store, usecases
from geo.errors import InputError
from tests.fixtures.local_server import Reply, ScriptedServer
from tests.osm_support import SANKT_POELTEN

BBOX = "[15.3, 47.9, 16.0, 48.4]"


def write_config(tmp_path: Path, endpoint: str, areas: dict[str, str] | None = None) -> Path:
    areas = areas or {"st-poelten": '["rail", "ports"]'}
    text = f'endpoint = "{endpoint}/api/interpreter"\n'
    for name, layers in areas.items():
        text += f'\n[[area]]\nname = "{name}"\nbbox = {BBOX}\nlayers = {layers}\n'
    path = tmp_path / "refresh.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def quick_http(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "HTTP_RETRIES", 1)
    monkeypatch.setattr(settings, "HTTP_BACKOFF_S", 0.01)
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")


def refresh(tmp_path: Path, config: Path, capsys) -> tuple[int, str, str]:
    code = cli.main(["refresh", "--config", str(config), "--store", str(tmp_path / "store")])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_refresh_publishes_every_area_and_layer_with_its_time(tmp_path, capsys):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        code, out, err = refresh(tmp_path, write_config(tmp_path, server.url), capsys)
    assert code == 0, err
    assert "st-poelten · rail: 1,779 features" in err and "st-poelten · ports: 0 features" in err
    generation = store.current_generation(tmp_path / "store")
    assert f"as generation {generation}" in out
    assert len(server.requests) == 2 and all("[bbox:47.900000,15.300000" in r.form["data"] for r in server.requests)
    loaded = select.load_layers(["rail"], store_dir=tmp_path / "store")
    assert loaded.problems == [] and len(loaded.stored["rail"]) == 1779
    rows = {row["layer"]: row for row in usecases.stored_status(tmp_path / "store")}
    assert set(rows) == {"rail", "ports"} and rows["rail"]["area"] == "st-poelten"
    assert rows["rail"]["refreshed_at"] and rows["rail"]["features"] == 1779
    log = json.loads((tmp_path / "store" / "last-refresh.json").read_text())
    assert log["ok"] and log["generation"] == generation and [s["layer"] for s in log["steps"]] == ["rail", "ports"]


def test_a_failed_refresh_keeps_the_last_good_store_and_says_why(tmp_path, capsys):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        config = write_config(tmp_path, server.url)
        assert refresh(tmp_path, config, capsys)[0] == 0
    good = store.current_generation(tmp_path / "store")
    with ScriptedServer([Reply(504, b"<html><body>Gateway Timeout</body></html>")]) as server:
        code, out, err = refresh(tmp_path, write_config(tmp_path, server.url), capsys)
    assert code == 1 and out == ""
    assert err.strip().endswith(
        "error: refresh failed at st-poelten: rail: 127.0.0.1 answered HTTP 504: Gateway Timeout (tried 2 times); "
        "the store keeps serving its last good data"
    )
    assert store.current_generation(tmp_path / "store") == good
    assert len(select.load_layers(["rail"], store_dir=tmp_path / "store").stored["rail"]) == 1779
    assert [p.name for p in (tmp_path / "store" / "generations").iterdir()] == [good], "the failed one is removed"
    log = json.loads((tmp_path / "store" / "last-refresh.json").read_text())
    assert not log["ok"] and "HTTP 504" in log["error"] and log["generation"] is None


def test_a_refresh_killed_part_way_leaves_the_store_readable(tmp_path, capsys):
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        assert refresh(tmp_path, write_config(tmp_path, server.url), capsys)[0] == 0
    good = store.current_generation(tmp_path / "store")
    fast, stalled = Reply(body=SANKT_POELTEN.read_bytes()), Reply(body=SANKT_POELTEN.read_bytes(), delay_s=60)
    with ScriptedServer([fast, stalled]) as server:
        config = write_config(tmp_path, server.url, {"first": '["rail"]', "second": '["rail"]'})
        env = {**os.environ, "CORRIDOR_ATLAS_CACHE": str(tmp_path / "cache"), "CORRIDOR_ATLAS_MODE": "hosted"}
        command = [sys.executable, "-m", "geo", "refresh", "--config", str(config), "--store", str(tmp_path / "store")]
        process = subprocess.Popen(command, cwd=settings.REPO_DIR, env=env, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not list((tmp_path / "store" / "generations").glob("*/rail/osm_overpass__first.json")):
                assert process.poll() is None and time.monotonic() < deadline, "the first area was never written"
                time.sleep(0.1)
            # Half-built: the first area written, the second still waiting for Overpass.
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            process.kill()
            process.stderr.close()
    assert store.current_generation(tmp_path / "store") == good
    loaded = select.load_layers(["rail"], store_dir=tmp_path / "store")
    assert loaded.problems == [] and len(loaded.stored["rail"]) == 1779
    assert {row["area"] for row in usecases.stored_status(tmp_path / "store")} == {"st-poelten"}
    assert len(list((tmp_path / "store" / "generations").iterdir())) == 2, "the half-built generation is left over"
    with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as server:
        assert refresh(tmp_path, write_config(tmp_path, server.url), capsys)[0] == 0
    newest = store.current_generation(tmp_path / "store")
    assert sorted(p.name for p in (tmp_path / "store" / "generations").iterdir()) == sorted([good, newest])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[area]\n", "is not valid TOML"),
        ('endpoint = "ftp://x"\n[[area]]\nname="a"\nbbox=[1,2,3,4]\nlayers=["rail"]\n', "endpoint must be an http"),
        ("interval = 3\n", "unknown setting 'interval'"),
        ("", "names no area"),
        ('[[area]]\nname = "Helsinki!"\nbbox = [24.9, 60.15, 25.0, 60.2]\nlayers = ["rail"]\n', "name must be"),
        ('[[area]]\nname = "h"\nbbox = [25.0, 60.15, 24.9, 60.2]\nlayers = ["rail"]\n', "area 'h': bbox is inverted"),
        ('[[area]]\nname = "h"\nbbox = [0, 30, 20, 50]\nlayers = ["rail"]\n', "area too large"),
        ('[[area]]\nname = "h"\nbbox = "24.9,60.15,25,60.2"\nlayers = ["rail"]\n', "bbox must be four numbers"),
        ('[[area]]\nname = "h"\nbbox = [24.9, 60.15, 25.0, 60.2]\nlayers = ["ships"]\n', "unknown layer"),
        ('[[area]]\nname = "h"\nbbox = [24.9, 60.15, 25.0, 60.2]\nlayers = ["rail"]\nzoom = 3\n', "unknown field"),
        ('[[area]]\nname="h"\nbbox=[24.9,60.15,25,60.2]\nlayers=["rail"]\n' * 2, "'h' is named twice"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_field_and_nothing_is_fetched(tmp_path, capsys, text, message):
    config = tmp_path / "refresh.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        usecases.read_refresh_config(config)
    code, _, err = refresh(tmp_path, config, capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: refresh.toml")
    assert not (tmp_path / "store").exists()
