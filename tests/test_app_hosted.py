"""Hosted mode: visitors are rate-limited, and live fetching is off."""

from __future__ import annotations

from geo import settings
from tests.app_support import fresh_caches, run_app  # noqa: F401 - the fixture is autouse


def test_a_visitor_rerunning_too_fast_is_stopped_with_a_notice(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 2)
    app = run_app()
    assert not app.exception
    assert not any("Too many requests" in w.value for w in app.warning)
    app.run()
    app.run()  # the third run within a minute
    assert any("Too many requests" in w.value for w in app.warning)
    assert not app.get("component_instance"), "the map is not drawn for a refused run"


def test_local_mode_has_no_rate_limit(monkeypatch):
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 1)
    app = run_app()
    app.run()
    app.run()
    assert not any("Too many requests" in w.value for w in app.warning)


def test_hosted_mode_never_offers_live_fetching(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    app = run_app()
    assert not [button for button in app.button if button.key == "osm_fetch"]
    assert any("disabled on the hosted dashboard" in caption.value for caption in app.caption)
