"""The real app in headless Chromium with every off-machine request blocked.

The map lives in streamlit-folium's component iframe; its Leaflet map is `window.map` there.
Features are drawn on a canvas (`prefer_canvas`), so the tests inspect the Leaflet layer objects
with JavaScript rather than the DOM.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from geo import select
from geo.layers import get_layer, layer_names, layers_with_levels

from .app_controls import pick_countries
from .leaflet_probe import map_frame, summary, wait_for_count

pytestmark = pytest.mark.browser

LOADED_POPUP = ".leaflet-popup .ca-popup:not(.ca-popup-loading)"


def test_app_shows_three_layers_over_europe_on_canvas(app_page: Page, router) -> None:
    frame = map_frame(app_page)
    result = summary(frame)
    groups = result["groups"]

    assert set(layer_names()) <= set(groups), groups.keys()
    assert groups["ports"]["points"] > 100
    # The lines come from vector tiles: one tile layer per line layer, nothing inline.
    for layer in layers_with_levels():
        assert groups[layer]["tiles"] == 1 and groups[layer]["lines"] == 0, (layer, groups[layer])
        assert frame.evaluate(f"() => corridorAtlas.counts().{layer}") == len(select.load_layers()[layer])
    for layer in layer_names():
        group = groups[layer]
        # Everything drawn is inside Europe's bounds, and on the canvas renderer.
        assert group["inside"] == group["total"], (layer, group)
        assert group["canvas"] == group["total"], (layer, group)
    assert result["canvases"] >= 1
    for title in (get_layer(layer).title for layer in layer_names()):
        assert title in result["overlays"]
    # Every port counts; at the Europe view the minor ones wait for a closer zoom (drawn, on the map).
    assert frame.evaluate("() => corridorAtlas.counts().ports") == len(select.load_layers()["ports"])
    assert frame.evaluate("() => corridorAtlas.drawn().ports") == groups["ports"]["points"]

    app_page.wait_for_timeout(1000)
    app_page.screenshot(path="/tmp/corridor-atlas-app.png")


def test_app_makes_no_request_off_the_machine(app_page: Page, router) -> None:
    map_frame(app_page)
    app_page.wait_for_timeout(1500)
    assert router.blocked == []
    # Leaflet comes from the app's own static folder, not a CDN.
    assert router.from_cdn == []


def test_clicking_a_port_opens_its_popup(app_page: Page) -> None:
    frame = map_frame(app_page)
    # Closer than the Europe view, where the important ports drawn stand close together.
    frame.evaluate("() => { corridorAtlas.map.setView([50.5, 10.0], 6, {animate: false}); }")
    app_page.wait_for_timeout(300)
    # A port inside the map view with no other port within 15 px, so the click can only mean it.
    target = frame.evaluate(
        """() => {
      const map = window.map, size = map.getSize();
      const features = corridorAtlas.layers.ports.features;
      const pts = features.map((f) => map.latLngToContainerPoint(f.getLatLng()));
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        if (!map.hasLayer(features[i])) continue;  // a minor port not drawn at this zoom
        if (p.x < 60 || p.y < 60 || p.x > size.x - 60 || p.y > size.y - 60) continue;
        if (pts.every((q, j) => j === i || q.distanceTo(p) > 15)) return {i, x: p.x, y: p.y};
      }
      return null;
    }"""
    )
    assert target is not None, "no isolated port in view"
    map_box = frame.locator(".leaflet-container").first.bounding_box()  # in page coordinates
    assert map_box
    app_page.mouse.click(map_box["x"] + target["x"], map_box["y"] + target["y"])

    # `.last`: a popup that was just closed may still be fading out. Port details are fetched on click.
    popup = frame.locator(LOADED_POPUP).last
    popup.wait_for(timeout=10_000)
    assert popup.get_attribute("data-layer") == "ports"
    clicked_id = popup.get_attribute("data-feature-id")
    title = popup.locator(".ca-popup-title").inner_text()
    assert clicked_id and title

    # The same port opened through the app's hook gives the same feature.
    frame.evaluate("() => { corridorAtlas.map.closePopup(); }")
    frame.locator(LOADED_POPUP).first.wait_for(state="detached", timeout=10_000)
    assert frame.evaluate("(i) => corridorAtlas.openPopup('ports', i)", target["i"])
    popup = frame.locator(LOADED_POPUP).last
    popup.wait_for(timeout=10_000)
    assert popup.get_attribute("data-feature-id") == clicked_id


def test_country_filter_in_sidebar_changes_the_map(app_page: Page) -> None:
    frame = map_frame(app_page)
    all_ports = frame.evaluate("() => corridorAtlas.counts().ports")
    expected_pl = len(select.select(select.load_layers()["ports"], ("PL",)))
    assert 0 < expected_pl < all_ports

    pick_countries(app_page, "Poland")
    assert wait_for_count(app_page, "ports", expected_pl) == expected_pl
    app_page.screenshot(path="/tmp/corridor-atlas-app-pl.png")
