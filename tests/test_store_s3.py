"""The store on S3-compatible object storage (a moto server on 127.0.0.1): refresh writes a generation there,
readers see it whole, a failure keeps the last good one, and a store out of reach is one plain sentence."""

from __future__ import annotations

import json
import time

import pytest

from geo import cli, select, settings, store, usecases
from tests.fixtures.local_server import Reply, ScriptedServer
from tests.osm_support import SANKT_POELTEN
from tests.s3_support import BUCKET, moto_s3

STORE = f"s3://{BUCKET}/hosted"


@pytest.fixture(autouse=True)
def quick_http(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "HTTP_RETRIES", 0)
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")


def _config(tmp_path, endpoint: str):
    path = tmp_path / "refresh.toml"
    path.write_text(
        f'endpoint = "{endpoint}"\n[[area]]\nname = "st-poelten"\nbbox = [15.3, 47.9, 16.0, 48.4]\nlayers = ["rail"]\n'
    )
    return path


def test_refresh_writes_to_object_storage_and_readers_see_it(tmp_path, capsys):
    with moto_s3():
        with ScriptedServer([Reply(body=SANKT_POELTEN.read_bytes())]) as overpass:
            assert cli.main(["refresh", "--config", str(_config(tmp_path, overpass.url)), "--store", STORE]) == 0
        generation = store.current_generation(STORE)
        loaded = select.load_layers(["rail"], store_dir=STORE)
        assert loaded.problems == [] and len(loaded.stored["rail"]) == 1779
        (row,) = usecases.stored_status(STORE)
        assert row["area"] == "st-poelten" and row["refreshed_at"] and row["path"].startswith(f"{STORE}/generations/")
        assert json.loads(store.location(STORE).fs.cat_file(f"{BUCKET}/hosted/last-refresh.json"))["ok"]
        with ScriptedServer([Reply(503, b"busy")]) as overpass:
            assert cli.main(["refresh", "--config", str(_config(tmp_path, overpass.url)), "--store", STORE]) == 1
        assert "the store keeps serving its last good data" in capsys.readouterr().err
        assert store.current_generation(STORE) == generation
        assert len(select.load_layers(["rail"], store_dir=STORE).stored["rail"]) == 1779
        with pytest.raises(store.OutputError, match="written by python -m geo refresh"):
            usecases.import_file(SANKT_POELTEN, ["rail"], store_dir=STORE)


def test_a_store_out_of_reach_is_one_sentence_and_quick(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.monotonic()
    loaded = select.load_layers(["rail"], store_dir="s3://nowhere-bucket/x")
    assert time.monotonic() - started < 20
    assert loaded.problems == [
        "the store cannot be reached (EndpointConnectionError), so only the embedded snapshot is shown"
    ]
    assert len(loaded["rail"]) == len(store.read_embedded("rail")), "the embedded snapshot still serves"
