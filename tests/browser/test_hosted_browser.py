"""The hosted dashboard in headless Chromium, offline: hostile text stays text, a bad coordinate in the store
never blanks the map, no page shows internals, and a limited visitor keeps the page.

One app runs for the module in hosted mode on a prepared store (a refreshed generation): ports with
Markdown and HTML in their names, a rail area holding a coordinate out of range, and a corrupt area.
Each test is its own visitor: the app trusts 127.0.0.1 as a reverse proxy, and each browser context sends
its own X-Forwarded-For address.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import shapely
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from geo import export, settings, store
from tests.map_support import features

from .app_controls import pick_countries
from .leaflet_probe import map_frame, summary
from .offline import OfflineRouter, running_streamlit

pytestmark = pytest.mark.browser

EVIL = "https://evil.example"
# Names an OpenStreetMap contributor could type: a Markdown link, an image, raw HTML with a script.
LINK_NAME = f"Zqxport [Click here]({EVIL}/link)"
IMAGE_NAME = f"Zqyport ![pic]({EVIL}/name.png)"
HTML_NAME = f'Zqzport <img src="{EVIL}/html.png" onerror="alert(1)"><script>alert(2)</script>'
RATE_LIMIT = 14  # cost units a minute: a first page (3) and a few changes (3 each)
_visitors = itertools.count(10)


def _prepared_store(root: Path) -> None:
    """A refreshed store: hostile port names, a rail area with one coordinate out of range, a corrupt area."""
    ports = features(
        "ports",
        [shapely.Point(24.95, 60.16), shapely.Point(24.97, 60.16), shapely.Point(24.99, 60.16)],
        id=["osm:node/1", "osm:node/2", "osm:node/3"],
        name=[LINK_NAME, IMAGE_NAME, HTML_NAME],
        country="FI",
    )
    rail = features(
        "rail",
        [shapely.LineString([(24.9, 60.2), (25.0, 60.25)]), shapely.LineString([(24.9, 60.2), (24.9, 60.3)])],
        id=["osm:way/1", "osm:way/2"],
        country="FI",
        length_km=[6.7, 11.1],
    )
    generation = store.Generation(root)
    times = {"retrieved_at": "2026-11-30T00:00:00Z", "refreshed_at": "2026-11-30T00:00:00Z"}
    generation.write_area(ports, "ports", "osm_overpass", "helsinki", times)
    data = generation.write_area(rail, "rail", "osm_overpass", "helsinki", times)
    broken = rail.copy()
    broken.loc[1, "geometry"] = shapely.LineString([(24.9, 60.2), (24.9, 95.0)])  # written by a faulty tool
    store.write_geoparquet(broken, Path(data))
    corrupt = generation.write_area(ports.iloc[[0]].reset_index(drop=True), "ports", "osm_overpass", "torn", times)
    Path(corrupt).write_bytes(b"PAR1 torn")
    generation.publish({"finished_at": "2026-11-30T00:00:00Z"})


@pytest.fixture(scope="module")
def hosted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("hosted")
    _prepared_store(work / "store")
    env = {
        **os.environ,
        "CORRIDOR_ATLAS_MODE": "hosted",
        "CORRIDOR_ATLAS_STORE": str(work / "store"),
        "CORRIDOR_ATLAS_TRUSTED_PROXIES": "127.0.0.1",
        "CORRIDOR_ATLAS_RATE_LIMIT": str(RATE_LIMIT),
        # Streamlit's web server (uvicorn) would itself believe X-Forwarded-For from 127.0.0.1: leave that to
        # the app's own trusted-proxy setting, as the Dockerfile does.
        "FORWARDED_ALLOW_IPS": "",
    }
    with running_streamlit(
        settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=work / "streamlit.log"
    ) as url:
        yield url


@pytest.fixture
def visitor(browser: Browser, router: OfflineRouter) -> Iterator[tuple[Page, list[str]]]:
    """A page of a new visitor (its own X-Forwarded-For), and the dialogs it opened (none, ever)."""
    address = f"198.51.100.{next(_visitors)}"
    context: BrowserContext = browser.new_context(
        viewport={"width": 1400, "height": 950}, extra_http_headers={"X-Forwarded-For": address}
    )
    router.install(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    context.on("page", lambda new: dialogs.append(f"a new page opened: {new.url}"))
    yield page, dialogs
    context.close()
    assert router.unexpected_blocked() == [], f"requests left the machine: {router.unexpected_blocked()}"


def _page_text(page: Page) -> str:
    """The page's text as read: the app puts invisible word joiners (U+2060) where Markdown would make a link."""
    return page.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")


def _expect_text(page: Page, text: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in _page_text(page):
        assert time.monotonic() < deadline, f"{text!r} never appeared"
        page.wait_for_timeout(250)


def _assert_no_internals(page: Page) -> None:
    text = _page_text(page)
    for secret in ("Traceback", 'File "', str(settings.REPO_DIR), "/tmp/", "site-packages", "Error:"):
        assert secret not in text, secret


def _assert_nothing_evil(page: Page) -> None:
    for frame in page.frames:
        assert frame.locator('a[href*="evil.example"]').count() == 0, frame.url
        assert frame.locator('img[src*="evil.example"]').count() == 0, frame.url
        assert frame.locator("script:text('alert(2)')").count() == 0, frame.url


def test_markup_in_every_url_parameter_and_in_feature_names_appears_as_text(hosted_url, visitor, router):
    page, dialogs = visitor
    hostile = {
        "q": f"[Search me]({EVIL}/q)",
        "countries": f"![flag]({EVIL}/c.png),<img src={EVIL}/c2.png onerror=alert(3)>",
        "layers": f"ports,[rail]({EVIL}/l)",
        "basemap": f"<b>{EVIL}</b>",
        "doc": f"[doc]({EVIL}/d)",
        "seed": "<script>alert(4)</script>",
    }
    page.goto(hosted_url + "/?" + "&".join(f"{k}={quote(v)}" for k, v in hostile.items()))
    map_frame(page)
    _expect_text(page, f"'![flag]({EVIL}/c.png)'")
    _expect_text(page, f"[Search me]({EVIL}/q)")
    _assert_nothing_evil(page)
    # A stored port found by its hostile name: the caption and the popup show the name as typed.
    for name in (LINK_NAME, IMAGE_NAME, HTML_NAME):
        page.goto(hosted_url + "/?layers=ports&q=" + quote(name))
        frame = map_frame(page)
        _expect_text(page, f"Showing the region around {name}")
        feature_id = {LINK_NAME: "osm:node/1", IMAGE_NAME: "osm:node/2", HTML_NAME: "osm:node/3"}[name]
        # The search answer opens its popup: the name is its title, as typed.
        popup = frame.locator(f'.leaflet-popup .ca-popup[data-feature-id="{feature_id}"] .ca-popup-title').first
        expect(popup).to_have_text(name)
        _assert_nothing_evil(page)
    page.wait_for_timeout(1000)
    assert dialogs == []
    assert not [url for url in router.blocked if "evil.example" in url], "no image or link was fetched"


def test_a_store_with_an_out_of_range_coordinate_still_draws_the_map(hosted_url, visitor):
    page, _ = visitor
    page.goto(hosted_url)
    frame = map_frame(page)
    groups = summary(frame)["groups"]
    # Every port counts; at the Europe view the minor ones wait for a closer zoom.
    assert frame.evaluate("() => corridorAtlas.counts().ports") > 2000 and groups["ports"]["points"] > 200
    assert groups["rail"]["tiles"] >= 1 and groups["roads"]["tiles"] >= 1, "the networks come from the tiles"
    assert groups["rail"]["lines"] == 1, "the stored area, which has no tiles, draws its good line from the page"
    assert all(group["inside"] == group["total"] for group in groups.values())
    expect(
        page.get_by_text("stored rail area 'helsinki': 1 features with coordinates outside", exact=False)
    ).to_be_visible()
    page.goto(hosted_url + "/?countries=FI&layers=rail")
    frame = map_frame(page)
    ids = frame.evaluate(
        "() => corridorAtlas.layers.rail.features.map((_, i) => corridorAtlas.value(corridorAtlas.layers.rail.props, 'id', i))"
    )
    assert "osm:way/1" in ids and "osm:way/2" not in ids, "the good line is drawn, the bad one left out"


def test_no_page_shows_a_traceback_or_a_server_path(hosted_url, visitor):
    page, _ = visitor
    for query in ("", "?layers=zzz&countries=1e400,XX&basemap=%00&q=" + "x" * 5000, "?doc=../../etc/passwd&seed=2"):
        page.goto(hosted_url + "/" + query)
        map_frame(page)
        _assert_no_internals(page)
    expect(page.get_by_text("stored ports area 'torn' cannot be read", exact=False)).to_be_visible()
    expect(page.get_by_text("the next python -m geo refresh replaces it", exact=False).first).to_be_visible()
    bbox = page.locator(".st-key-export_bbox input")
    bbox.fill("1_0,2,3,4")
    bbox.press("Enter")
    expect(page.get_by_text("bbox must be four numbers", exact=False)).to_be_visible()
    _assert_no_internals(page)


def _pick_format(page: Page, label: str) -> None:
    """Pick a download format; the list closes when the page scrolls while it lays itself out, so try again."""
    for _ in range(5):
        combobox = page.locator(".st-key-export_format").get_by_role("combobox")
        if combobox.count() == 0:
            return
        combobox.click()
        try:
            page.get_by_role("option", name=label, exact=True).click(timeout=3_000)
            return
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")


def test_a_limited_visitor_keeps_the_page_and_another_is_not_limited(hosted_url, visitor, browser, router):
    page, _ = visitor
    page.goto(hosted_url)
    map_frame(page)
    # A panel that reruns alone (the download format) costs a rerun and pricing the new format; once over the
    # allowance the panel says so in its place and the rest of the page stays as it was.
    labels = itertools.cycle([fmt.label for fmt in export.FORMATS.values()][1:])
    for _ in range(RATE_LIMIT):
        if page.locator(".st-key-export_format").count() == 0:
            break
        _pick_format(page, next(labels))
        page.wait_for_timeout(1500)
    expect(page.locator(".st-key-export_format")).to_have_count(0)
    _expect_text(page, "limits how much one visitor can do per minute. You can act again in")
    _assert_no_internals(page)
    assert summary(map_frame(page))["groups"]["ports"]["points"] > 0, "the map is still there"
    # A change of the whole page: the page keeps its previous selection and says when the change applies.
    pick_countries(page, "Poland")
    _expect_text(page, "until then the page shows your previous selection")
    expect(page.get_by_text("Statistics", exact=True)).to_be_visible()
    europe = map_frame(page).evaluate("() => corridorAtlas.counts().ports")
    assert europe > 2000, "still the whole of Europe, as before"
    _assert_no_internals(page)
    # Another visitor behind the same proxy has a whole allowance.
    other = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.200"})
    router.install(other)
    second = other.new_page()
    second.goto(hosted_url)
    map_frame(second)
    expect(second.locator(".st-key-export_format")).to_be_visible()
    assert "limits how much one visitor" not in second.locator('[data-testid="stApp"]').inner_text()
    other.close()
