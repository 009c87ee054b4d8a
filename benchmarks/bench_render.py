"""Page weight and build time of the map page: ours against a plain folium.GeoJson page of the same features.

Run from the repository root:

    .venv/bin/python benchmarks/bench_render.py [--keep DIR]

Both sides start from the same loaded layers (`geo.select.load_layers()`: the embedded snapshot,
every port, rail line and road) in one run:

- ours: `geo.usecases.map_request` + `render_html(..., inline_assets=True)`, exactly what
  `python -m geo render --out map.html` writes (level of detail by zoom, page budget, Leaflet
  embedded so the page works offline);
- plain: `folium.Map` with one `folium.GeoJson` per layer holding the full features (folium's
  defaults: SVG, properties as GeoJSON, Leaflet and its plugins from CDNs).

Views: the default Europe view (all layers) and the Rotterdam area (4.0,51.8,4.6,52.0; ours at full
detail clipped to the area, plain with the same features selected by the area). Build times
exclude loading the layers (the app loads them once per process); the CLI row is the whole
command, Python start-up and loading included. "Built again" repeats the Europe build in the same
process, with the level files and policy catalogue already read (the app's steady case).
Prints a Markdown table and the ratios.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import folium
from bench_export import machine

from geo import render, seed_ports, select, settings, usecases
from geo.countries import load_countries
from geo.layers import layer_names

ROTTERDAM = (4.0, 51.8, 4.6, 52.0)
VIEWS = {"Europe": None, "Rotterdam": ROTTERDAM}


def ours(loaded: select.Layers, outlines, bbox) -> str:
    """Our standalone page for `bbox` (None: Europe), as `python -m geo render` writes it."""
    request = usecases.map_request(
        loaded,
        list(layer_names()),
        None,
        bbox,
        outlines=outlines,
        seed_ports=seed_ports.load_seed_ports(),
        assets="cdn",
    )
    return render.render_html(request, inline_assets=True)


def plain_folium(loaded: select.Layers, bbox) -> str:
    """A plain folium page: one folium.GeoJson per layer with every feature and property."""
    m = folium.Map(location=render.EUROPE_CENTER, zoom_start=4)
    for layer in layer_names():
        frame = loaded[layer] if bbox is None else select.select(loaded[layer], bbox=bbox)
        folium.GeoJson(frame, name=layer).add_to(m)
    if bbox is not None:
        m.fit_bounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]])
    return m.get_root().render()


def _timed_build(build, bbox) -> tuple[str, float, float]:
    """The page `build(bbox)` returns, with its wall-clock and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    page = build(bbox)
    return page, time.perf_counter() - wall, time.process_time() - cpu


def build_pages(folder: Path) -> dict[str, dict]:
    """Write every benchmark page into `folder`; {name: {"path", "bytes", "wall_s", "cpu_s"}}."""
    loaded = select.load_layers()
    outlines = load_countries()
    builders = {
        "ours": lambda bbox: ours(loaded, outlines, bbox),
        "plain folium": lambda bbox: plain_folium(loaded, bbox),
    }
    pages: dict[str, dict] = {}
    for view, bbox in VIEWS.items():
        for side, build in builders.items():
            page, wall, cpu = _timed_build(build, bbox)
            path = folder / f"{side.replace(' ', '_')}_{view.lower()}.html"
            path.write_text(page, encoding="utf-8")
            name = f"{side}: {view}"
            pages[name] = {"path": path, "bytes": path.stat().st_size, "wall_s": wall, "cpu_s": cpu}
            print(f"built {name}: {pages[name]['bytes'] / 1e6:.2f} MB in {wall:.2f} s", file=sys.stderr)
            if name == "ours: Europe":
                # The first build also read the level files and the policy catalogue, once per process
                # in the app; the steady cost of each new selection is a repeat build.
                repeats = sorted(_timed_build(build, bbox)[1:] for _ in range(3))
                pages["ours: Europe, built again (median of 3)"] = {
                    **pages[name],
                    "wall_s": repeats[1][0],
                    "cpu_s": repeats[1][1],
                    "paint": False,
                }
    return pages


def cli_seconds(folder: Path) -> float:
    """Wall seconds of `python -m geo render --out` in a fresh process (start-up and loading included)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "geo", "render", "--out", str(folder / "cli_europe.html")],
        cwd=settings.REPO_DIR,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the pages to this folder instead of a temporary one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-render-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        pages = build_pages(folder)
        cli = cli_seconds(folder)
        print(f"Machine: {machine()}, folium {folium.__version__}")
        print()
        print("| page | MB | build wall s | build CPU s |")
        print("|---|---:|---:|---:|")
        for name, page in pages.items():
            print(f"| {name} | {page['bytes'] / 1e6:.2f} | {page['wall_s']:.2f} | {page['cpu_s']:.2f} |")
        print(
            f"| `python -m geo render --out map.html` (whole command) | {(folder / 'cli_europe.html').stat().st_size / 1e6:.2f} | {cli:.2f} | |"
        )
        print()
        for view in VIEWS:
            a, b = pages[f"ours: {view}"], pages[f"plain folium: {view}"]
            print(
                f"{view}: ours is {b['bytes'] / a['bytes']:.1f}x smaller and built {b['wall_s'] / a['wall_s']:.1f}x faster"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
