"""The app's "Load detailed OpenStreetMap data" panel, driven with Streamlit's AppTest and a local Overpass server."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from tests.fixtures.local_server import Reply, ScriptedServer

APP = str(settings.REPO_DIR / "app.py")
RESPONSE = (settings.SHARED_DATA_DIR / "osm" / "overpass_railways_sankt_poelten.json").read_bytes()


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(settings, "HTTP_BACKOFF_S", 0.001)
    return tmp_path


def _run() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def _texts(app: AppTest) -> list[str]:
    """The messages shown, as read (messages built from data or answers are Markdown-escaped)."""
    return [e.value.replace("\\", "") for e in [*app.success, *app.warning, *app.error, *app.caption]]


def test_loading_an_area_stores_it_and_lists_its_age(local, monkeypatch):
    with ScriptedServer([Reply(body=RESPONSE)]) as server:
        monkeypatch.setattr(settings, "OVERPASS_URL", server.url)
        app = _run()
        assert "No detailed OpenStreetMap data stored yet." in _texts(app)
        app.selectbox(key="osm_layer").set_value("rail")
        app.text_input(key="osm_bbox").input("15.3,47.9,16.0,48.4")
        app.button(key="osm_fetch").click().run()
    assert len(server.requests) == 1
    assert any(t.startswith("1779 rail features") and "fetched from Overpass" in t for t in _texts(app))
    assert any(
        "rail · bbox_15.300_47.900_16.000_48.400 · 1,779 features · osm_overpass · retrieved just now" in t
        for t in _texts(app)
    )


def test_network_failure_says_so(local, monkeypatch):
    with ScriptedServer([Reply(503, b"busy")]) as server:
        monkeypatch.setattr(settings, "OVERPASS_URL", server.url)
        monkeypatch.setattr(settings, "HTTP_RETRIES", 0)
        app = _run()
        app.text_input(key="osm_bbox").input("15.3,47.9,16.0,48.4")
        app.button(key="osm_fetch").click().run()
    assert any("could not fetch fresh data" in t and "nothing stored" in t for t in _texts(app))


def test_bad_bbox_is_reported_before_any_request(local, monkeypatch):
    with ScriptedServer([Reply(body=RESPONSE)]) as server:
        monkeypatch.setattr(settings, "OVERPASS_URL", server.url)
        app = _run()
        app.text_input(key="osm_bbox").input("16,48,15,49")
        app.button(key="osm_fetch").click().run()
    assert server.requests == []
    assert any("inverted" in e.value for e in app.error)


def test_hosted_mode_offers_no_fetch(local, monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    app = _run()
    assert any(
        t.startswith("Loading live OpenStreetMap data is disabled on the hosted dashboard;") for t in _texts(app)
    )
    assert not [b for b in app.button if b.key == "osm_fetch"]
