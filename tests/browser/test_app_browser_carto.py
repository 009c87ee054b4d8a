"""Cartography that reads at a glance (issue 14), in headless Chromium, offline: the opening view on a
laptop and on a phone, ports by importance, the PNG download, and the notices for bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from geo import select, settings

from .leaflet_probe import map_frame
from .offline import OfflineRouter

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

VIEW_JS = """() => {
  const b = map.getBounds();
  return {zoom: map.getZoom(), west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth()};
}"""
# Page-coordinate boxes of the legend and the layer control, and of the map.
CONTROL_BOXES_JS = """() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; };
  return {
    legend: box(document.querySelector('.ca-legend')),
    layers: box(document.querySelector('.leaflet-control-layers')),
    map: box(map.getContainer()),
  };
}"""


@contextmanager
def opened(browser: Browser, app_url: str, viewport: dict, init_script: str | None = None) -> Iterator[Page]:
    """The app in a fresh offline browser context of `viewport`; no request may leave the machine."""
    router = OfflineRouter()
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    router.install(context)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url)
        yield page
        assert router.unexpected_blocked() == []
    finally:
        context.close()


def _not_blank(png: bytes, min_colours: int = 50) -> None:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) >= min_colours, "the picture is (almost) one colour"


def test_desktop_opens_on_europes_land_at_zoom_4_and_the_map_fills_the_window(browser: Browser, app_url: str) -> None:
    with opened(browser, app_url, DESKTOP) as page:
        frame = map_frame(page)
        view = frame.evaluate(VIEW_JS)
        assert view["zoom"] >= 4, view
        assert view["west"] >= -35 and view["east"] <= 65 and view["south"] >= 28 and view["north"] <= 75, view
        # Europe's land is in view: from Portugal to the Baltic, from Sicily to Norway.
        assert view["west"] < -9 and view["east"] > 28 and view["south"] < 37 and view["north"] > 63, view
        map_box = page.locator(MAP_IFRAME).bounding_box()
        assert map_box and map_box["height"] >= 0.7 * DESKTOP["height"], map_box
        assert map_box["y"] + map_box["height"] <= DESKTOP["height"] + 1  # the whole map is in the window
        # A reader's page: no Deploy button.
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0


def test_ports_appear_by_importance_and_all_are_drawn_closer_in(browser: Browser, app_url: str) -> None:
    total = len(select.load_layers()["ports"])
    with opened(browser, app_url, DESKTOP) as page:
        frame = map_frame(page)
        assert frame.evaluate("() => corridorAtlas.counts().ports") == total  # counts see every port
        drawn = frame.evaluate("() => corridorAtlas.drawn().ports")
        assert 200 < drawn < total / 2, drawn
        assert "more as you zoom in" in frame.locator('.ca-legend-section[data-layer="ports"]').inner_text()
        frame.evaluate("() => { map.setView([54.4, 18.6], 8, {animate: false}); }")
        frame.wait_for_function(f"() => corridorAtlas.drawn().ports === {total}")
        assert "more as you zoom in" not in frame.locator('.ca-legend-section[data-layer="ports"]').inner_text()


def test_phone_legend_and_layer_control_start_as_buttons_and_open(browser: Browser, app_url: str) -> None:
    with opened(browser, app_url, PHONE) as page:
        frame = map_frame(page)
        frame.wait_for_function("() => map.getContainer().classList.contains('ca-small')")
        boxes = frame.evaluate(CONTROL_BOXES_JS)
        covered = boxes["legend"]["w"] * boxes["legend"]["h"] + boxes["layers"]["w"] * boxes["layers"]["h"]
        assert covered <= 0.25 * boxes["map"]["w"] * boxes["map"]["h"], boxes
        # The sidebar starts closed on a phone: the map is the page.
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_attribute("aria-expanded") == "false" or not sidebar.is_visible()

        frame.locator(".ca-legend-toggle").click()
        legend_body = frame.locator(".ca-legend-body")
        legend_body.wait_for(state="visible")
        assert "Railways" in legend_body.inner_text()
        frame.locator(".leaflet-control-layers-toggle").click()
        frame.locator(".leaflet-control-layers-expanded").wait_for(state="visible")
        assert frame.evaluate(CONTROL_BOXES_JS)["layers"]["h"] > boxes["layers"]["h"]


def test_phone_popup_fits_the_map_and_scrolls_inside(browser: Browser, app_url: str) -> None:
    with opened(browser, app_url, PHONE) as page:
        frame = map_frame(page)
        index = frame.evaluate(
            "() => corridorAtlas.layers.ports.features.findIndex((f, i) => corridorAtlas.layers.ports.minZoom[i] === 0)"
        )
        frame.evaluate(f"() => {{ corridorAtlas.openPopup('ports', {index}); }}")
        popup = frame.locator(".leaflet-popup .ca-popup:not(.ca-popup-loading)").last
        popup.wait_for(timeout=15_000)
        box = frame.evaluate(
            """() => { const p = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();
                       const s = map.getSize(); return {w: p.width, h: p.height, mapW: s.x, mapH: s.y}; }"""
        )
        assert box["w"] <= box["mapW"] and box["h"] <= box["mapH"], box


def test_download_this_view_as_png(browser: Browser, app_url: str) -> None:
    with opened(browser, app_url, DESKTOP) as page:
        frame = map_frame(page)
        page.wait_for_timeout(1500)  # let the tiles paint
        with page.expect_download() as download:
            frame.get_by_role("button", name="PNG").click()
        png = open(download.value.path(), "rb").read()  # noqa: SIM115 - a file Playwright owns
        assert download.value.suggested_filename.endswith(".png")
        assert len(png) > 50_000, len(png)
        _not_blank(png)
        image = Image.open(io.BytesIO(png))
        size = frame.evaluate("() => map.getSize()")
        assert image.width == size["x"] and image.height > size["y"]  # the credits band below the map


def test_a_browser_without_canvas_gets_a_notice(browser: Browser, app_url: str) -> None:
    no_canvas = "HTMLCanvasElement.prototype.getContext = function () { return null; };"
    with opened(browser, app_url, DESKTOP, init_script=no_canvas) as page:
        frame = map_frame(page)
        notice = frame.locator(".ca-no-canvas")
        notice.wait_for(state="visible")
        assert "no canvas support" in notice.inner_text()
        assert frame.locator(".ca-png-button").count() == 0


def test_a_window_too_small_gets_a_notice_and_the_map_keeps_its_size(browser: Browser, app_url: str) -> None:
    with opened(browser, app_url, {"width": 640, "height": 360}) as page:
        map_frame(page)
        assert page.locator(".ca-small-window").is_visible()
        assert page.locator(MAP_IFRAME).bounding_box()["height"] >= 360
    with opened(browser, app_url, DESKTOP) as page:
        map_frame(page)
        assert not page.locator(".ca-small-window").is_visible()


def test_cli_render_png_writes_a_picture(tmp_path) -> None:
    # In its own process, as a user runs it (Playwright's sync driver of the tests holds this thread).
    out = tmp_path / "italy.png"
    command = ["render", "--png", str(out), "--png-size", "900x700", "--layer", "ports,rail", "--country", "IT"]
    done = subprocess.run(
        [sys.executable, "-m", "geo", *command], cwd=settings.REPO_DIR, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    png = out.read_bytes()
    assert len(png) > 20_000
    _not_blank(png)
    assert Image.open(out).size == (900, 700)
