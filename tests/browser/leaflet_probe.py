"""Reading the Leaflet map of a page from the tests: the map is drawn on a canvas, so its layer
objects are inspected with JavaScript rather than the DOM."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Frame, Page

from geo import settings

MAP_TIMEOUT_S = 60.0

# Walks the Leaflet map's own layer objects: for each data group (tagged `caGroup` by the map runtime),
# its vector tile layers apart, features by Leaflet class, how many lie in (points) or reach into (lines) Europe's bounds and how
# many draw on a canvas; plus the overlay names listed in the layer control.
OVERLAY_SUMMARY_JS = """
() => {
  const out = {};
  const overlays = [];
  document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(
    (label) => overlays.push(label.textContent.trim()));
  // streamlit-folium names the map `window.map`; a standalone folium page names it `map_<id>`.
  const map = window.map || Object.keys(window).filter((k) => k.startsWith("map_")).map((k) => window[k])
    .find((value) => value instanceof L.Map);
  for (const entry of Object.values(map._layers)) {
    if (!(entry instanceof L.FeatureGroup) || !entry.caGroup) continue;
    let points = 0, lines = 0, canvas = 0, inside = 0, tiles = 0;
    const [west, south, east, north] = EUROPE_BBOX;
    const europe = L.latLngBounds([[south, west], [north, east]]);
    entry.eachLayer((feature) => {
      if (feature.queryTileFeaturesDebug) {  // a vector tile layer (protomaps-leaflet)
        tiles += 1;
        return;
      }
      if (feature instanceof L.CircleMarker) {
        points += 1;
        if (europe.contains(feature.getLatLng())) inside += 1;
      } else if (feature instanceof L.Polyline && !(feature instanceof L.Polygon)) {
        lines += 1;
        if (europe.intersects(feature.getBounds())) inside += 1;
      }
      if (feature._renderer instanceof L.Canvas) canvas += 1;
    });
    out[entry.caGroup] = {points, lines, canvas, inside, tiles, total: entry.getLayers().length - tiles};
  }
  return {groups: out, overlays, canvases: document.querySelectorAll('.leaflet-pane canvas').length};
}
"""


def map_frame(page: Page, previous: Frame | None = None) -> Frame:
    """The component frame whose Leaflet map has drawn its data layers (a new one if `previous` is given)."""
    deadline = time.monotonic() + MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame is page.main_frame or frame is previous:
                continue
            try:
                ready = frame.evaluate("() => !!(window.map && window.corridorAtlas && window.corridorAtlas.map)")
            except Exception:  # the frame navigated or detached while we asked
                continue
            if ready:
                return frame
        page.wait_for_timeout(250)
    pytest.fail(f"no Leaflet map appeared in the component iframe within {MAP_TIMEOUT_S:.0f} s")


def summary(frame: Frame) -> dict:
    script = OVERLAY_SUMMARY_JS.replace("EUROPE_BBOX", str(list(settings.EUROPE_BBOX)))
    return frame.evaluate(script)


def wait_for_count(page: Page, layer: str, expected: int) -> int | None:
    """Waits until the app's map shows `expected` features of `layer`; returns the last count seen.

    The map is redrawn in a new component iframe when a filter changes, so the frame is looked up again.
    """
    deadline = time.monotonic() + MAP_TIMEOUT_S
    shown = None
    while time.monotonic() < deadline:
        try:
            shown = map_frame(page).evaluate("(layer) => corridorAtlas.counts()[layer]", layer)
        except Exception:  # the component iframe is being replaced
            shown = None
        if shown == expected:
            break
        page.wait_for_timeout(500)
    return shown
