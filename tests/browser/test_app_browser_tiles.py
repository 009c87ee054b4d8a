"""The app's lines from vector tiles in headless Chromium, offline: zooming from Europe to Rotterdam
fetches new tile ranges, draws the full-detail level, and a click on a railway opens its popup."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from geo import levels, store

from .leaflet_probe import map_frame

pytestmark = pytest.mark.browser

ROTTERDAM = (51.92, 4.40)

# Resolves once every visible tile of the rail tile layer has been drawn.
RAIL_TILES_DRAWN_JS = """
() => {
  const layer = corridorAtlas.layers.rail.tileLayer;
  const tiles = Object.values(layer._tiles);
  return tiles.length > 0 && tiles.every((tile) => tile.current === false || tile.loaded);
}
"""

# The tiled rail features under the map's view, found the way a click finds them: {layer, id, x, y}.
RAIL_UNDER_VIEW_JS = """
() => {
  const map = corridorAtlas.map, layer = corridorAtlas.layers.rail.tileLayer, size = map.getSize();
  const found = [];
  for (let x = 80; x < size.x - 80; x += 20) {
    for (let y = 80; y < size.y - 80; y += 20) {
      const at = map.containerPointToLatLng([x, y]);
      for (const [, hits] of layer.queryTileFeaturesDebug(at.lng, at.lat, 1)) {
        for (const hit of hits) {
          if (hit.layerName.startsWith("rail.")) found.push({layer: hit.layerName, id: String(hit.feature.props.id), x, y});
        }
      }
    }
  }
  return found;
}
"""


def _wait_for_rail_tiles(frame) -> None:
    frame.wait_for_function(RAIL_TILES_DRAWN_JS, timeout=30_000)


def test_zooming_to_rotterdam_fetches_tiles_draws_full_detail_and_opens_a_railway_popup(app_page: Page) -> None:
    ranges: list[tuple[str, int]] = []
    app_page.on(
        "response",
        lambda response: (
            ranges.append((response.request.headers.get("range", ""), response.status))
            if ".pmtiles" in response.url
            else None
        ),
    )
    frame = map_frame(app_page)
    _wait_for_rail_tiles(frame)
    at_europe = len(ranges)
    europe_levels = {hit["layer"] for hit in frame.evaluate(RAIL_UNDER_VIEW_JS)}
    assert europe_levels and f"rail.{levels.FULL}" not in europe_levels  # Europe is drawn from a coarse level

    frame.evaluate("([lat, lon]) => { corridorAtlas.map.setView([lat, lon], 12, {animate: false}); }", ROTTERDAM)
    frame.wait_for_function("() => corridorAtlas.map.getZoom() === 12")
    _wait_for_rail_tiles(frame)
    app_page.wait_for_timeout(500)

    # New byte ranges of the archive were read, each answered with partial content.
    new = ranges[at_europe:]
    assert new, "no tile was fetched after zooming in"
    assert all(header.startswith("bytes=") and status == 206 for header, status in ranges), ranges

    # At zoom 12 the lines come from the full layer: real features of the embedded rail, not merged ones.
    hits = frame.evaluate(RAIL_UNDER_VIEW_JS)
    assert hits and {hit["layer"] for hit in hits} == {f"rail.{levels.FULL}"}
    rail_ids = set(store.read_embedded("rail")["id"])
    assert {hit["id"] for hit in hits} <= rail_ids

    # A real click on one of them opens its popup, with its policy documents.
    target = hits[len(hits) // 2]
    box = frame.locator(".leaflet-container").first.bounding_box()
    assert box
    app_page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    popup = frame.locator(".leaflet-popup .ca-popup:not(.ca-popup-loading)").last
    popup.wait_for(timeout=15_000)
    assert popup.get_attribute("data-layer") == "rail"
    assert popup.get_attribute("data-feature-id") in rail_ids
    assert "Policy documents" in popup.inner_text()
    assert popup.locator("a[href^='https://eur-lex.europa.eu/']").count() > 0
