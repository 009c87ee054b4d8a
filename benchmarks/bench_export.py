"""Time and size of every export format on whole embedded layers (default: Europe rail and roads).

Run from the repository root:

    .venv/bin/python benchmarks/bench_export.py [--layer rail --layer roads] [--format gpkg ...]

Prints a Markdown table (layer, format, features, wall and CPU seconds, MB) and the machine it
ran on; results are recorded in benchmarks/README.md. CPU seconds (this process) are the steadier
figure on a shared machine.
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


def timed(action) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `action()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def row(layer: str, what: str, features: int, seconds: tuple[float, float], size: int) -> str:
    return f"| {layer} | {what} | {features:,} | {seconds[0]:.2f} | {seconds[1]:.2f} | {size / 1e6:.1f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", action="append", help="layers to export (default: rail, roads)")
    parser.add_argument("--format", action="append", help="formats (default: all, plus a GeoPackage bundle)")
    args = parser.parse_args(argv)
    layers = args.layer or ["rail", "roads"]
    formats = args.format or [*export.FORMATS, export.BUNDLE]

    print(f"Machine: {machine()}")
    print(f"Command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    print("| layer | format | features | wall s | CPU s | size (MB) |")
    print("|---|---|---:|---:|---:|---:|")
    frames = {}
    for layer in layers:
        seconds = timed(lambda layer=layer: frames.__setitem__(layer, store.read_embedded(layer)))
        print(row(layer, "(read GeoParquet)", len(frames[layer]), seconds, store.embedded_path(layer).stat().st_size))
    with tempfile.TemporaryDirectory() as tmp:
        for layer, frame in frames.items():
            for fmt in (key for key in formats if key != export.BUNDLE):
                path = Path(tmp) / f"{layer}{export.get_format(fmt).extension}"
                seconds = timed(lambda: export.write_layer(frame, layer, fmt, path))  # noqa: B023 (called at once)
                print(row(layer, export.get_format(fmt).label, len(frame), seconds, path.stat().st_size), flush=True)
                path.unlink()
        if export.BUNDLE in formats:
            path = Path(tmp) / "bundle.zip"
            seconds = timed(lambda: export.write_bundle(frames, path, export.DEFAULT_BUNDLE_FORMAT))
            total = sum(len(frame) for frame in frames.values())
            print(row("+".join(frames), "bundle (GeoPackage, zip)", total, seconds, path.stat().st_size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
