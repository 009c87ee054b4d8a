"""Time and memory of building the embedded snapshot, step by step, from the raw open data.

Run from the repository root:

    .venv/bin/python benchmarks/bench_build.py [--data-dir ../shared/data]

Writes into a temporary folder (never datasets/). Prints a Markdown table (step, features,
wall and CPU seconds, peak resident memory of the process so far) and the machine; results
are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_export import machine, timed

from geo import settings, store
from geo.sources import (
    geonames_places,
    gisco_ports,
    natural_earth_countries,
    natural_earth_rail,
    osm_roads_2021,
    utc_timestamp,
    world_port_index,
)


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=settings.SHARED_DATA_DIR)
    data_dir = parser.parse_args().data_dir
    stamp = utc_timestamp()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as out:
        out_dir = Path(out)
        steps = [
            ("countries", lambda: natural_earth_countries.load_countries(data_dir)),
            ("ports: GISCO", lambda: gisco_ports.load(data_dir, retrieved_at=stamp)),
            ("ports: WPI", lambda: world_port_index.load(data_dir, retrieved_at=stamp)),
            (
                "ports: merge",
                lambda: world_port_index.merge_with_gisco(
                    results["ports: GISCO"], results["ports: WPI"], results["countries"]
                ),
            ),
            ("rail", lambda: natural_earth_rail.load(data_dir, retrieved_at=stamp)),
            ("roads", lambda: osm_roads_2021.load(data_dir, retrieved_at=stamp)),
            ("places", lambda: geonames_places.load(data_dir, retrieved_at=stamp)),
        ]
        print(f"Machine: {machine()}\n")
        print("| step | features | wall s | CPU s | peak memory (MB) |")
        print("|---|---:|---:|---:|---:|")
        for name, action in steps:
            wall, cpu = timed(lambda name=name, action=action: results.__setitem__(name, action()))
            print(f"| {name} | {len(results[name]):,} | {wall:.2f} | {cpu:.2f} | {peak_mb():.0f} |")
        writes = [
            ("write ports", lambda: store.write_layer(results["ports: merge"], out_dir / "ports.parquet", "ports")),
            ("write rail", lambda: store.write_layer(results["rail"], out_dir / "rail.parquet", "rail")),
            ("write roads", lambda: store.write_layer(results["roads"], out_dir / "roads.parquet", "roads")),
            ("write countries", lambda: store.write_table(results["countries"], out_dir / "countries.parquet")),
            ("write places", lambda: store.write_table(results["places"], out_dir / "places.parquet")),
        ]
        for name, action in writes:
            wall, cpu = timed(action)
            print(f"| {name} |  | {wall:.2f} | {cpu:.2f} | {peak_mb():.0f} |")


if __name__ == "__main__":
    main()
