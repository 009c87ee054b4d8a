"""Time to paint each map page in headless Chromium: ours against a plain folium.GeoJson page.

Run from the repository root:

    .venv/bin/python benchmarks/bench_paint.py [--runs 3] [--keep DIR]

Builds the pages with `bench_render.build_pages` (both sides, same data, one run), serves them
from 127.0.0.1 and opens each in a fresh browser context of Debian's Chromium (Playwright's
Python driver with `executable_path=/usr/bin/chromium`; never `playwright install`). Leaflet's
CDN URLs are answered from the vendored copy in static/vendor/leaflet; every other request leaving
the machine (tiles, jQuery, Bootstrap, fonts) is aborted, the same for both pages.

"Painted" = the page's `load` event has fired (every inline script ran, so every layer was added
to the map), then an animation frame, the timers queued meanwhile, and two more frames have passed
(Leaflet's canvas renderer redraws on the next frame; SVG is laid out and painted by then), and the
page drew something (our runtime's feature counts, or folium's SVG paths and markers).
The figure is `performance.now()` at that moment: milliseconds since navigation started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_export import machine
from bench_render import build_pages
from playwright.sync_api import sync_playwright

from geo import settings
from tests.browser.offline import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, serve_directory

VIEWPORT = {"width": 1400, "height": 800}
PAINTED_JS = """
async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  // Work the page queued while loading (timers, then canvas redraws) runs before the figure is read.
  await frame();
  await new Promise((done) => setTimeout(done, 0));
  await frame();
  await frame();
  const count = (selector) => document.querySelectorAll(selector).length;
  return {
    ms: performance.now(),
    svg_paths: count('.leaflet-overlay-pane path'),
    canvases: count('.leaflet-overlay-pane canvas, .leaflet-marker-pane canvas'),
    markers: count('.leaflet-marker-pane > *'),
    atlas: window.corridorAtlas ? window.corridorAtlas.counts() : null,
  };
}
"""


class VendoredLeaflet:
    """Route handler: Leaflet from static/vendor/leaflet, 127.0.0.1 untouched, everything else aborted."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def handle(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        name = parts.path.rsplit("/", 1)[-1]
        if (parts.hostname or "") in LOCAL_HOSTS:
            route.continue_()
        elif "leaflet" in parts.path and (settings.LEAFLET_VENDOR_DIR / name).is_file():
            route.fulfill(path=settings.LEAFLET_VENDOR_DIR / name, headers={"Access-Control-Allow-Origin": "*"})
        elif "leaflet" in parts.path and (settings.LEAFLET_VENDOR_DIR / "images" / name).is_file():
            route.fulfill(path=settings.LEAFLET_VENDOR_DIR / "images" / name)
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def paint_ms(browser, url: str) -> dict:
    """One cold load of `url` in a fresh context: milliseconds until painted, and what was drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    router = VendoredLeaflet()
    context.route("**/*", router.handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load", timeout=300_000)
    result = page.evaluate(PAINTED_JS)
    context.unroute_all(behavior="ignoreErrors")
    context.close()
    drawn = result["svg_paths"] + result["canvases"] + result["markers"]
    if not drawn:
        raise RuntimeError(f"{url}: nothing was drawn (page errors: {errors[:3]})")
    return {**result, "errors": errors}


def drawn(result: dict) -> str:
    """What the page drew: our runtime's feature counts (canvas), or folium's SVG paths and markers."""
    if result["atlas"]:
        return ", ".join(f"{count:,} {layer}" for layer, count in result["atlas"].items() if count) + " (canvas)"
    return f"{result['svg_paths']:,} SVG paths, {result['markers']:,} markers"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold loads per page (median reported)")
    parser.add_argument("--keep", type=Path, help="write the pages to this folder instead of a temporary one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        pages = build_pages(folder)
        print(f"Machine: {machine()}, Chromium {CHROMIUM}")
        print()
        print("| page | MB | paint ms (median) | runs (ms) | drawn | page errors |")
        print("|---|---:|---:|---|---|---:|")
        medians = {}
        with serve_directory(folder) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, page in pages.items():
                if not page.get("paint", True):
                    continue
                runs = [paint_ms(browser, f"{base}/{page['path'].name}") for _ in range(args.runs)]
                times = [run["ms"] for run in runs]
                medians[name] = statistics.median(times)
                last = runs[-1]
                print(
                    f"| {name} | {page['bytes'] / 1e6:.2f} | {medians[name]:,.0f} | {', '.join(f'{t:,.0f}' for t in times)} "
                    f"| {drawn(last)} | {len(last['errors'])} |"
                )
            browser.close()
        print()
        for ours, plain in (("ours: Europe", "plain folium: Europe"), ("ours: Rotterdam", "plain folium: Rotterdam")):
            if ours in medians and plain in medians:
                print(f"{ours} paints {medians[plain] / medians[ours]:.1f}x faster than {plain}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
