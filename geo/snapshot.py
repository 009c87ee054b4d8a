"""Pictures of a map page: headless Chromium, driven by Playwright, as the browser tests drive it.

`python -m geo render --png OUT.png` uses it. Playwright's Python package (requirements-dev.txt) and a
Chromium (Debian's `chromium`, or the binary named by CORRIDOR_ATLAS_CHROMIUM) must be installed; the
page is opened from a file, with Leaflet embedded, so it needs no network for the default basemap.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from geo.errors import OutputError

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Chromium headless, with everything that would phone home switched off.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Ready: the runtime has drawn its layers; the attribution must lie inside the picture.
_READY_JS = "() => !!(window.corridorAtlas && corridorAtlas.map && Object.keys(corridorAtlas.layers).length)"
_ATTRIBUTION_SHOWN_JS = """() => {
  const box = document.querySelector('.leaflet-control-attribution');
  if (!box || !box.textContent.trim()) return false;
  const r = box.getBoundingClientRect();
  return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
}"""
INSTALL_HINT = (
    "install Playwright's Python package (pip install -r requirements-dev.txt) and Chromium "
    "(apt-get install chromium), or set CORRIDOR_ATLAS_CHROMIUM to a Chromium binary"
)


def chromium_path() -> Path:
    """The Chromium binary: CORRIDOR_ATLAS_CHROMIUM, else Debian's."""
    return Path(os.environ.get("CORRIDOR_ATLAS_CHROMIUM", DEFAULT_CHROMIUM))


def parse_size(text: str) -> tuple[int, int]:
    """ "WIDTHxHEIGHT" in CSS pixels (e.g. "1400x900") as two ints; OutputError for anything else."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise OutputError(f"picture size must be WIDTHxHEIGHT in pixels, e.g. 1400x900, got {text[:40]!r}") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise OutputError(f"picture size must be 200 to 8000 pixels each way, got {width}x{height}")
    return width, height


def page_png(page_html: str, width: int, height: int, timeout_s: float = 90.0) -> bytes:
    """A PNG of `page_html` (a standalone map page) in a `width` x `height` window, attribution included.

    OutputError, saying what to install, when Playwright or Chromium is missing.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise OutputError(f"--png needs a headless browser: {INSTALL_HINT}") from None
    chromium = chromium_path()
    if not chromium.is_file():
        raise OutputError(f"--png needs Chromium, not found at {chromium}: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="corridor-atlas-png-") as folder:
        page_file = Path(folder) / "map.html"
        page_file.write_text(page_html, encoding="utf-8")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
                try:
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(page_file.as_uri(), timeout=timeout_s * 1000)
                    page.wait_for_function(_READY_JS, timeout=timeout_s * 1000)
                    page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
                    page.wait_for_timeout(300)  # the canvases paint on the next animation frames
                    if not page.evaluate(_ATTRIBUTION_SHOWN_JS):
                        raise OutputError(
                            f"the map's attribution does not fit in {width}x{height}; choose a larger size"
                        )
                    return page.screenshot(type="png")
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise OutputError(f"the headless browser failed: {str(exc).splitlines()[0]}") from None
