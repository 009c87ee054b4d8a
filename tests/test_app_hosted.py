"""Hosted mode: visitors are rate-limited by weighted actions, live fetching is off, errors are one plain sentence,
and a refresh of the store is picked up without a restart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import shapely
import streamlit as st

from geo import settings, store, usecases
from geo.sources import utc_timestamp
from tests.app_support import fresh_caches, map_script, run_app  # noqa: F401 - the fixture is autouse
from tests.map_support import features


def test_a_visitor_over_the_limit_keeps_the_page_and_learns_when_to_act(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    # A first page costs a rerun and pricing its downloads (1 + 2); a second selection the same again.
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 6)
    app = run_app()
    assert not app.exception
    assert not any("limits how much one visitor" in w.value for w in app.warning)
    app.sidebar.multiselect(key="countries").set_value(["PL"]).run()  # 6 units: allowed
    drawn = map_script(app)
    app.sidebar.multiselect(key="countries").set_value(["PL", "DE"]).run()  # over the allowance
    (notice,) = [w.value for w in app.warning if "limits how much one visitor" in w.value]
    assert re.search(r"act again in \d+ s", notice) and "previous selection" in notice
    assert map_script(app) == drawn, "the page keeps the map it drew, not a blank page"
    assert app.subheader and any(s.value == "Statistics" for s in app.subheader)
    assert not [b for b in app.get("download_button")], "no export is built while limited"
    app.sidebar.multiselect(key="countries").set_value(["PL", "DE"]).run()
    assert not app.exception


def test_downloads_pause_until_the_allowance_covers_one(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 13)  # 1 + 2 spent: a download (10) still fits
    assert [b for b in run_app().get("download_button")]
    st.cache_resource.clear()  # as in a new process: a fresh allowance
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 12)  # now it does not
    app = run_app()
    assert not [b for b in app.get("download_button")]
    assert any(re.search(r"Downloads are paused: .* Try again in \d+ s", i.value) for i in app.info)


def test_local_mode_has_no_rate_limit(monkeypatch):
    monkeypatch.setattr(settings, "HOSTED_REQUESTS_PER_MINUTE", 1)
    app = run_app()
    app.run()
    app.run()
    assert not any("limits how much one visitor" in w.value for w in app.warning)


def test_hosted_mode_never_offers_live_fetching(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    app = run_app()
    assert not [button for button in app.button if button.key == "osm_fetch"]
    assert any("disabled on the hosted dashboard" in caption.value for caption in app.caption)


def _broken_statistics(*args, **kwargs):
    raise RuntimeError(f"boom in {settings.REPO_DIR}/geo/stats.py")


def test_a_hosted_visitor_sees_one_plain_sentence_never_the_error(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(usecases, "country_statistics", _broken_statistics)
    app = run_app()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert error.startswith("Something went wrong while preparing this part of the page. Reload the page")
    shown = " ".join(str(e.value) for e in [*app.markdown, *app.caption, *app.error, *app.warning, *app.info])
    assert "boom" not in shown and str(settings.REPO_DIR) not in shown
    assert map_script(app), "what was drawn before the failure stays"


def test_locally_the_error_is_shown_to_the_developer(monkeypatch):
    monkeypatch.setattr(usecases, "country_statistics", _broken_statistics)
    app = run_app()
    assert app.exception and "boom" in app.exception[0].message


def test_hosted_visitors_see_when_the_data_was_refreshed_and_a_new_refresh_appears(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "STORE_CHECK_S", 0.0)
    port = features("ports", [shapely.Point(24.95, 60.16)], id=["osm:node/1"], name=["Helsinki harbour"])
    first = store.Generation()
    three_days_ago = utc_timestamp(datetime.now(UTC) - timedelta(days=3, hours=1))
    first.write_area(
        port, "ports", "osm_overpass", "helsinki", {"retrieved_at": three_days_ago, "refreshed_at": three_days_ago}
    )
    first.publish({})
    app = run_app()
    (line,) = [c.value for c in app.caption if "helsinki" in c.value]
    assert "1 features · refreshed 3 days ago" in line
    two = features("ports", [shapely.Point(24.95, 60.16), shapely.Point(25.0, 60.17)], id=["osm:node/1", "osm:node/2"])
    second = store.Generation()
    second.write_area(
        two,
        "ports",
        "osm_overpass",
        "helsinki",
        {"retrieved_at": utc_timestamp(), "refreshed_at": utc_timestamp()},
    )
    second.publish({})
    app.run()
    (line,) = [c.value for c in app.caption if "helsinki" in c.value]
    assert "2 features" in line and "refreshed just now" in line
