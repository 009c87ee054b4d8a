"""Benchmarks of the live OSM readers against well-known alternatives, on the same real inputs.

1. Overpass JSON bytes -> GeoDataFrame: `geo.sources.overpass` (decode + parse + normalise to the
   schema) against overpy (`Overpass.parse_json`, then LineStrings and a GeoDataFrame) and osmnx's
   own parser (`osmnx.features._create_gdf`, which `features_from_*` calls on each response).
2. .osm.pbf -> the three layers: `geo.sources.osm_pbf.load` against pyrosm
   (`OSM.get_data_by_custom_criteria` with the same tag filters), time and peak memory, each run in
   a fresh process so peak RSS belongs to that reader alone.

Command, from the repository root: `.venv/bin/python benchmarks/bench_osm.py [--repeat 5]`
Needs the benchmark extras: `.venv/bin/pip install -r benchmarks/requirements.txt`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings
from geo.layers import LAYERS

OSM_DIR = settings.SHARED_DATA_DIR / "osm"
SANKT_POELTEN = OSM_DIR / "overpass_railways_sankt_poelten.json"
PBF_FILES = ("malta-2018-08", "helsinki")


def ours(raw: bytes):
    from geo.sources import _osm, overpass

    data = overpass.decode(raw)
    elements = overpass.parse_elements(data)
    frame, _ = _osm.normalise(
        elements, "rail", _osm.provenance("2024-04-07", "2026-01-01T00:00:00Z"), origin="bench", assign_country=False
    )
    return frame


def ours_parse_only(raw: bytes):
    import geopandas as gpd
    import pandas as pd

    from geo.sources import overpass

    elements = overpass.parse_elements(overpass.decode(raw))
    frame = pd.DataFrame.from_records(elements.tags)
    frame.insert(0, "id", elements.ids)
    return gpd.GeoDataFrame(frame, geometry=elements.geometry, crs="EPSG:4326")


def with_overpy(raw: bytes):
    import geopandas as gpd
    import overpy
    from shapely.geometry import LineString

    result = overpy.Overpass().parse_json(raw)
    rows, geometry = [], []
    for way in result.ways:
        if "railway" not in way.tags:
            continue
        nodes = way.get_nodes(resolve_missing=False)
        rows.append({"id": way.id, **way.tags})
        geometry.append(LineString([(float(n.lon), float(n.lat)) for n in nodes]))
    return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")


def with_osmnx(raw: bytes):
    import shapely
    from osmnx import features

    data = json.loads(raw)
    return features._create_gdf([data], shapely.box(-180, -90, 180, 90), {"railway": True})


def best_of(function, raw: bytes, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = len(function(raw))
        times.append(time.perf_counter() - started)
    return min(times), count


def overpass_table(repeat: int) -> None:
    raw = SANKT_POELTEN.read_bytes()
    megabytes = len(raw) / 1e6
    print(f"\n### Overpass JSON -> GeoDataFrame: {SANKT_POELTEN.name} ({megabytes:.2f} MB), best of {repeat}\n")
    print("| parser | features | seconds | MB/s | features/s | time vs first row |")
    print("|---|---:|---:|---:|---:|---:|")
    results = {}
    for name, function in (
        ("corridor-atlas: parse to GeoDataFrame (tags as columns)", ours_parse_only),
        ("corridor-atlas: parse + normalise to the schema (lengths, provenance, validation)", ours),
        ("overpy 0.7 (parse_json, then LineStrings)", with_overpy),
        ("osmnx 2.1 (features._create_gdf)", with_osmnx),
    ):
        results[name] = best_of(function, raw, repeat)
    base = results[next(iter(results))][0]
    for name, (seconds, count) in results.items():
        print(
            f"| {name} | {count:,} | {seconds:.3f} | {megabytes / seconds:.1f} | {count / seconds:,.0f} |"
            f" {seconds / base:.1f}× |"
        )


def pyrosm_filters() -> dict[str, dict]:
    """The layer catalogue's filters in pyrosm's `custom_filter` form."""
    filters = {}
    for name, layer in LAYERS.items():
        filters[name] = {f.key: list(f.values) if f.values else True for f in layer.osm_filters}
    return filters


def run_one(tool: str, path: str) -> None:
    """Child process: read all three layers of `path` with `tool`; print seconds, features, peak MB."""
    from geo.sources import osm_pbf

    if tool == "pyrosm":
        import pyrosm
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # after imports
    started = time.perf_counter()
    if tool == "ours":
        results = osm_pbf.load(Path(path), assign_country=False)
        features = sum(len(r.frame) for r in results.values())
    else:
        osm = pyrosm.OSM(path)
        features = 0
        for name, custom in pyrosm_filters().items():
            frame = osm.get_data_by_custom_criteria(
                custom_filter=custom, filter_type="keep", keep_nodes=name == "ports", keep_relations=name == "ports"
            )
            features += 0 if frame is None else len(frame)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "features": features, "peak_mb": peak_mb, "added_mb": peak_mb - baseline_mb}))


def pbf_table(repeat: int) -> None:
    print(f"\n### .osm.pbf -> rail, roads and ports layers, best of {repeat} (fresh process each)\n")
    print("| file | reader | features | seconds | peak RSS (MB) | peak above imports (MB) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in PBF_FILES:
        path = OSM_DIR / f"{name}.osm.pbf"
        for tool, label in (("ours", "corridor-atlas osm_pbf (pyosmium)"), ("pyrosm", "pyrosm 0.25")):
            runs = []
            for _ in range(repeat):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", tool, str(path)], capture_output=True, text=True, check=True
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            best = min(runs, key=lambda r: r["seconds"])
            peak = max(r["peak_mb"] for r in runs)
            added = max(r["added_mb"] for r in runs)
            print(
                f"| {name} ({path.stat().st_size / 1e6:.1f} MB) | {label} | {best['features']:,} |"
                f" {best['seconds']:.2f} | {peak:.0f} | {added:.0f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*args.one)
        return
    print(f"Machine: {platform.processor() or platform.machine()}, 2 cores, Python {platform.python_version()}")
    overpass_table(args.repeat)
    pbf_table(max(1, args.repeat // 2))
    print(f"\nCommand: .venv/bin/python benchmarks/bench_osm.py --repeat {args.repeat}")


if __name__ == "__main__":
    main()
