"""Vector tiles (issue 10): build times, and the app's map drawn from tiles against the same map drawn
from the page (the app without tiles), in one run, in headless Chromium inside the app.

Run from the repository root:

    .venv/bin/python benchmarks/bench_tiles.py [--runs 3] [--skip-raw]

1. Build: the embedded archive (`tiles.build_embedded`), and a country-sized OpenStreetMap area: the
   340,001 raw road pieces of ../shared/data/lines/ (about 1.2 million vertices) as one stored area,
   levels built first, archive up to zoom 14 (what `tiles.build_area` does after a fetch or import).
2. In the app (`streamlit run app.py`, empty store), twice: with tiles, and with an empty tiles folder
   and tile building off (the map drawn from the page, as before tiles). For each: the bytes the app
   sends on its websocket for the first page (the map's HTML travels in it), the map component's
   DOM size, the Europe view's paint (from the component frame's navigation start until every
   visible tile, or the canvas, is drawn), and after `setView` on Rotterdam at zoom 12 the time
   until every visible tile is drawn; the archive requests and their HTTP statuses.
3. Serving: requests per second of the static route answering range requests of the archive, at 8
   and 32 concurrent clients (threads with keep-alive connections on this same machine).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
import pandas as pd
from bench_export import machine
from playwright.sync_api import sync_playwright

from geo import levels, schema, settings, tiles
from geo.sources import osm_roads_2021, provenance
from tests.browser.offline import CHROMIUM, CHROMIUM_ARGS, OfflineRouter, running_streamlit

RAW_ROADS = settings.SHARED_DATA_DIR / osm_roads_2021.INPUTS[0]
ROTTERDAM = (51.92, 4.40)

# Resolves to performance.now() once the map's data is drawn: every current tile of every tile layer
# loaded, or (no tiles) the canvas layers added; null while not yet.
DRAWN_JS = """
() => {
  const atlas = window.corridorAtlas;
  if (!atlas || !atlas.map) return null;
  const layers = Object.values(atlas.layers);
  if (!layers.length) return null;
  for (const layer of layers) {
    if (!layer.tileLayer) continue;
    const current = Object.values(layer.tileLayer._tiles).filter((tile) => tile.current);
    if (!current.length || !current.every((tile) => tile.loaded)) return null;
  }
  return performance.now();
}
"""


def _timed(label: str, action) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"| {label} | {seconds:.1f} s |", flush=True)
    return seconds


def bench_builds(skip_raw: bool) -> None:
    print("\n### Builds\n\n| build | wall time |\n|---|---:|")
    with tempfile.TemporaryDirectory() as folder:
        _timed(
            "embedded archive + popups + basemap", lambda: tiles.build_embedded(Path(folder), progress=lambda _: None)
        )
        sizes = sorted((p.stat().st_size, p.name) for p in Path(folder).glob("*.pmtiles"))
        print(f"\narchives: {', '.join(f'{name} {size / 1e6:.1f} MB' for size, name in sizes)}")
    if skip_raw or not RAW_ROADS.exists():
        return
    frame = _raw_roads_as_an_area()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        by_level = {**levels.build_levels(frame, "roads", {}), levels.FULL: frame}
        built_levels = time.perf_counter() - started
        entry = tiles.build_archive(
            "area-roads-raw", {"roads": by_level}, Path(folder), max_zoom=tiles.AREA_MAX_ZOOM, progress=lambda _: None
        )
        total = time.perf_counter() - started
        size = (Path(folder) / entry["file"]).stat().st_size
    print(
        f"\nraw roads: {len(frame):,} pieces; levels {built_levels:.0f} s, "
        f"levels + archive to zoom 14 + popups {total:.0f} s, archive {size / 1e6:.0f} MB"
    )


def _raw_roads_as_an_area() -> gpd.GeoDataFrame:
    """The raw road pieces in the roads schema, one feature each, as a stored area would hold them."""
    raw = gpd.read_parquet(RAW_ROADS)
    frame = pd.DataFrame(
        {
            "id": [f"raw:roads/{i}" for i in range(len(raw))],
            "layer": "roads",
            "kind": raw["class"],
            "country": None,
            "construction": raw["construction"].astype(bool),
            "length_km": raw["km"].round(3),
        }
    )
    frame = schema.with_provenance(frame, provenance(osm_roads_2021, None))
    return schema.conform(gpd.GeoDataFrame(frame, geometry=raw.geometry.values, crs=schema.CRS), "roads")


def _map_frame(page):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for frame in page.frames[1:]:
            try:
                if frame.evaluate("() => !!(window.corridorAtlas && window.corridorAtlas.map)"):
                    return frame
            except Exception:  # the frame is being replaced
                pass
        page.wait_for_timeout(100)
    raise TimeoutError("the map did not appear")


def _one_view(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    OfflineRouter().install(context)
    page = context.new_page()
    archive: list[int] = []
    page.on("response", lambda r: archive.append(r.status) if ".pmtiles" in r.url else None)
    # Everything the app sends a visitor travels on its websocket (the map's HTML inside a protobuf message).
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: sent.append(len(payload))))
    page.goto(url)
    frame = _map_frame(page)
    europe_ms = frame.wait_for_function(DRAWN_JS, timeout=120_000, polling=20).json_value()
    html = frame.evaluate("() => document.documentElement.outerHTML.length")
    websocket = sum(sent)
    before = len(archive)
    frame.evaluate(
        "([lat, lon]) => { window.benchStart = performance.now(); corridorAtlas.map.setView([lat, lon], 12, {animate: false}); }",
        ROTTERDAM,
    )
    page.wait_for_timeout(50)  # the new tiles are requested
    done = frame.wait_for_function(DRAWN_JS, timeout=60_000, polling=10).json_value()
    zoom_ms = done - frame.evaluate("() => window.benchStart")
    context.close()
    return {
        "html": html,
        "websocket": websocket,
        "europe_ms": europe_ms,
        "zoom_ms": zoom_ms,
        "statuses": archive,
        "after_zoom": len(archive) - before,
    }


def bench_app(runs: int) -> str | None:
    print("\n### In the app (headless Chromium)\n")
    rows = []
    served = None
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for label, extra in (
            ("tiles", {}),
            (
                "from the page (no tiles)",
                {"CORRIDOR_ATLAS_TILES_DIR": f"{work}/none", "CORRIDOR_ATLAS_BUILD_TILES": "no"},
            ),
        ):
            env = {**os.environ, "CORRIDOR_ATLAS_STORE": f"{work}/store", **extra}
            with running_streamlit(
                settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=Path(work) / "app.log"
            ) as url:
                _one_view(browser, url)  # warm the server's caches: the figures are for a visitor, not a cold process
                results = [_one_view(browser, url) for _ in range(runs)]
                if extra == {}:
                    served = bench_serving(url)
            rows.append((label, results))
        browser.close()
    print(
        "| map | app page sent, kB (websocket, all of it) | map component DOM kB | Europe drawn, ms (median) | runs | Rotterdam z12 drawn after setView, ms (median) | runs | archive requests (statuses) |"
    )
    print("|---|---:|---:|---:|---|---:|---|---|")
    for label, results in rows:
        statuses = sorted({s for r in results for s in r["statuses"]})
        requests = statistics.median(len(r["statuses"]) for r in results)
        europe = [r["europe_ms"] for r in results]
        zoom = [r["zoom_ms"] for r in results]
        html = statistics.median(r["html"] for r in results) / 1000
        sent = statistics.median(r["websocket"] for r in results) / 1000
        print(
            f"| {label} | {sent:.0f} | {html:.0f} | {statistics.median(europe):,.0f} | {_runs(europe)} | "
            f"{statistics.median(zoom):,.0f} | {_runs(zoom)} | {requests:.0f} ({_runs(statuses) or 'none'}) |"
        )
    return served


def _runs(values) -> str:
    return ", ".join(f"{value:,.0f}" for value in values)


def _load(host: str, port: int, path: str, size: int, clients: int, seconds: float) -> tuple[int, set[int]]:
    """`clients` threads reading random 16 kB ranges of `path` for `seconds`: requests made, statuses seen."""
    counts, statuses, stop = [0] * clients, set(), time.monotonic() + seconds

    def client(i: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        rng = random.Random(i)
        while time.monotonic() < stop:
            start = rng.randrange(0, size - 20_000)
            connection.request("GET", path, headers={"Range": f"bytes={start}-{start + 16_383}"})
            response = connection.getresponse()
            response.read()
            statuses.add(response.status)
            counts[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), statuses


def bench_serving(url: str, seconds: float = 5.0) -> str:
    manifest = tiles.read_manifest()
    name = manifest["archives"][tiles.EMBEDDED]["file"]
    size = (settings.TILES_DIR / name).stat().st_size
    host, port = url.removeprefix("http://").split(":")
    lines = ["\n### Serving range requests (static route)\n", "| clients | requests/s | statuses |", "|---:|---:|---|"]
    for clients in (8, 32):
        counts, statuses = _load(host, int(port), f"{settings.TILES_URL}{name}", size, clients, seconds)
        lines.append(f"| {clients} | {counts / seconds:,.0f} | {_runs(sorted(statuses))} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-raw", action="store_true", help="skip the 340,001 raw road pieces (about 2 minutes)")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    bench_builds(args.skip_raw)
    served = bench_app(args.runs)
    if served:
        print(served)


if __name__ == "__main__":
    main()
