"""Time and size of every export format on whole embedded layers (default: Europe rail and roads).

Run from the repository root:

    .venv/bin/python benchmarks/bench_export.py [--layer rail --layer roads] [--format gpkg ...]

Prints a Markdown table (layer, format, features, seconds, MB) and the machine it ran on;
results are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyogrio

from geo import __version__, export, store


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"GDAL {pyogrio.__gdal_version_string__}, pyogrio {pyogrio.__version__}, corridor-atlas {__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", action="append", help="layers to export (default: rail, roads)")
    parser.add_argument("--format", action="append", help="formats (default: all, plus a GeoPackage bundle)")
    args = parser.parse_args(argv)
    layers = args.layer or ["rail", "roads"]
    formats = args.format or [*export.FORMATS, export.BUNDLE]

    print(f"Machine: {machine()}")
    print(f"Command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    print("| layer | format | features | seconds | size (MB) |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        frames = {}
        for layer in layers:
            started = time.perf_counter()
            frames[layer] = store.read_embedded(layer)
            print(
                f"| {layer} | (read GeoParquet) | {len(frames[layer]):,} | {time.perf_counter() - started:.2f} | "
                f"{store.embedded_path(layer).stat().st_size / 1e6:.1f} |"
            )
        for layer, frame in frames.items():
            for fmt in formats:
                if fmt == export.BUNDLE:
                    continue
                path = Path(tmp) / f"{layer}{export.get_format(fmt).extension}"
                started = time.perf_counter()
                export.write_layer(frame, layer, fmt, path)
                seconds = time.perf_counter() - started
                print(
                    f"| {layer} | {export.get_format(fmt).label} | {len(frame):,} | {seconds:.2f} | "
                    f"{path.stat().st_size / 1e6:.1f} |",
                    flush=True,
                )
                path.unlink()
        if export.BUNDLE in formats:
            path = Path(tmp) / "bundle.zip"
            started = time.perf_counter()
            export.write_bundle(frames, path, export.DEFAULT_BUNDLE_FORMAT)
            seconds = time.perf_counter() - started
            total = sum(len(frame) for frame in frames.values())
            print(
                f"| {'+'.join(frames)} | bundle (GeoPackage, zip) | {total:,} | {seconds:.2f} | "
                f"{path.stat().st_size / 1e6:.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
