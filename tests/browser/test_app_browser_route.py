"""Routing from a port to a city in the real app: the route is drawn over the map and explained below it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from geo import route

from .leaflet_probe import MAP_TIMEOUT_S, map_frame

pytestmark = pytest.mark.browser

# The route layer as the map runtime holds it: its title, features, classes and where it reaches.
ROUTE_JS = """
() => {
  const layer = corridorAtlas.layers.route;
  if (!layer || !window.map.hasLayer(layer.group)) return null;
  const bounds = layer.group.getBounds();
  return {
    title: layer.title,
    count: layer.features.length,
    lines: layer.features.filter((f) => f instanceof L.Polyline).length,
    west: bounds.getWest(), east: bounds.getEast(), south: bounds.getSouth(), north: bounds.getNorth(),
    legend: Array.from(document.querySelectorAll('.ca-legend-section[data-layer="route"] .ca-legend-item'))
      .map((item) => item.textContent),
    visible: window.map.getBounds().contains(bounds.getCenter()),
  };
}
"""


def _type(page: Page, key: str, text: str) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    field.press("Enter")


def _drawn_route(page: Page) -> dict:
    deadline = time.monotonic() + MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            drawn = map_frame(page).evaluate(ROUTE_JS)
        except Exception:  # the map is being redrawn in a new frame
            drawn = None
        if drawn:
            return drawn
        page.wait_for_timeout(500)
    pytest.fail("no route was drawn on the map")


def test_routing_from_a_port_to_a_city_draws_and_explains_the_route(app_page: Page) -> None:
    map_frame(app_page)
    _type(app_page, "route_from", "NLRTM")
    _type(app_page, "route_to", "Warsaw")

    drawn = _drawn_route(app_page)
    expected = route.plan(route.resolve("NLRTM"), route.resolve("Warsaw"))
    assert drawn["title"] == f"Route: {expected.title}"
    assert drawn["count"] == drawn["lines"] == len(expected.stretches)
    west, south, east, north = expected.stretches.total_bounds
    assert drawn["west"] == pytest.approx(west, abs=0.01) and drawn["east"] == pytest.approx(east, abs=0.01)
    assert drawn["south"] == pytest.approx(south, abs=0.01) and drawn["north"] == pytest.approx(north, abs=0.01)
    assert drawn["visible"] and drawn["legend"] == ["Route"]

    # The explanation below the map: length, countries in order, borders, documents, and the URL to share.
    panel = app_page.locator('[data-testid="stMain"]')
    expect(panel.get_by_text("Route by rail", exact=True)).to_be_visible()
    expect(panel.get_by_text("NL → DE → PL")).to_be_visible()
    expect(panel.get_by_text(f"{expected.explanation['length_km']:,.0f} km", exact=True)).to_be_visible()
    expect(panel.get_by_text("Documents that apply")).to_be_visible()
    expect(panel.get_by_text("TEN-T standards check")).to_be_visible()
    assert "from=NLRTM" in app_page.url and "to=Warsaw" in app_page.url
    app_page.screenshot(path="/tmp/corridor-atlas-route.png", full_page=True)
