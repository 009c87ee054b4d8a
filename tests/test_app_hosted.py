"""Hosted mode: visitors are rate-limited, and live fetching is off."""

from __future__ import annotations

import re

from geo import settings
from tests.app_support import fresh_caches, map_script, run_app  # noqa: F401 - the fixture is autouse


def test_a_visitor_over_the_limit_keeps_the_page_and_learns_when_to_act(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 2)
    app = run_app()
    assert not app.exception
    assert not any("changes a minute" in w.value for w in app.warning)
    app.sidebar.multiselect(key="countries").set_value(["PL"]).run()  # the second run: allowed
    drawn = map_script(app)
    app.sidebar.multiselect(key="countries").set_value(["PL", "DE"]).run()  # the third within a minute
    (notice,) = [w.value for w in app.warning if "changes a minute" in w.value]
    assert re.search(r"repeat it in \d+ s", notice) and "previous selection" in notice
    assert map_script(app) == drawn, "the page keeps the map it drew, not a blank page"
    assert app.subheader and any(s.value == "Statistics" for s in app.subheader)
    assert not [b for b in app.get("download_button")], "no export is built while limited"
    app.sidebar.multiselect(key="countries").set_value(["PL", "DE"]).run()
    assert not app.exception


def test_local_mode_has_no_rate_limit(monkeypatch):
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 1)
    app = run_app()
    app.run()
    app.run()
    assert not any("changes a minute" in w.value for w in app.warning)


def test_hosted_mode_never_offers_live_fetching(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    app = run_app()
    assert not [button for button in app.button if button.key == "osm_fetch"]
    assert any("disabled on the hosted dashboard" in caption.value for caption in app.caption)
