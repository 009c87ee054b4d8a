"""The offline harness itself: CDN URLs map to local npm files, tiles are answered, the rest is blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from .offline import NODE_MODULES, cdn_asset_path, serve_directory

pytestmark = pytest.mark.browser

LEAFLET_JS = (NODE_MODULES / "leaflet" / "dist" / "leaflet.js").resolve()


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
        "https://unpkg.com/leaflet@1.9.4/dist/leaflet.js",
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet/1.9.4/leaflet.js",
    ],
)
def test_cdn_urls_resolve_to_the_installed_package(url: str) -> None:
    assert cdn_asset_path(url) == LEAFLET_JS


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/../../../../etc/passwd",
        "https://cdn.jsdelivr.net/npm/not-installed-package@1.0.0/index.js",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/missing.js",
        "https://example.com/npm/leaflet@1.9.4/dist/leaflet.js",
        "https://cdnjs.cloudflare.com/ajax/libs/unknown-lib/1.0/x.js",
    ],
)
def test_unknown_or_escaping_urls_get_no_local_file(url: str) -> None:
    assert cdn_asset_path(url) is None


PAGE = """<!doctype html>
<html><head>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css">
<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"></script>
</head><body>
<div id="map" style="width: 600px; height: 400px"></div>
<img id="tracker" src="https://example.com/pixel.png">
<script>
  window.testMap = L.map("map").setView([50, 10], 4);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png").addTo(window.testMap);
</script>
</body></html>
"""


def test_page_with_cdn_leaflet_and_osm_tiles_works_offline(page, router, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE)
    with serve_directory(tmp_path) as base_url:
        page.goto(f"{base_url}/index.html")
        page.wait_for_selector("img.leaflet-tile-loaded")
        assert page.evaluate("L.version") == "1.9.4"
        loaded_tile_width = page.evaluate("document.querySelector('img.leaflet-tile-loaded').naturalWidth")

    assert loaded_tile_width == 256
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" in router.from_cdn
    assert router.tiles and all("tile.openstreetmap.org" in url for url in router.tiles)
    assert router.blocked == ["https://example.com/pixel.png"]
