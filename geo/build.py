"""Build the embedded Europe snapshot: `datasets/{ports,rail,roads,countries}.parquet`, and the
levels of detail of the line layers the map draws (`datasets/<layer>_lod<k>.parquet`, `geo.lod`).

Runs every file-based source on the raw open data (`settings.SHARED_DATA_DIR`), writes each
layer atomically through `geo.store`, and reports features, km and size on disk. The same
input gives the same ids and rows; only `retrieved_at` (the build time, UTC) changes.
Command line: `python -m geo build-default [--data-dir DIR] [--out-dir DIR]`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from geo import lod, settings, store
from geo.sources import (
    MissingInputError,
    build_time,
    gisco_ports,
    natural_earth_countries,
    natural_earth_rail,
    osm_roads_2021,
    world_port_index,
)

SOURCE_MODULES = (natural_earth_countries, gisco_ports, world_port_index, natural_earth_rail, osm_roads_2021)


def check_inputs(data_dir: Path) -> None:
    """Raise MissingInputError naming every raw input file absent from `data_dir`."""
    missing = [name for module in SOURCE_MODULES for name in module.INPUTS if not (Path(data_dir) / name).is_file()]
    if missing:
        raise MissingInputError(
            f"missing raw input file(s) in {data_dir}: {', '.join(missing)}; "
            "point --data-dir at the shared open data folder"
        )


def write_countries(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write the country table as GeoParquet, atomically."""
    return store.atomic_write(
        path,
        lambda tmp: frame.to_parquet(
            tmp, compression="zstd", compression_level=store.PARQUET_ZSTD_LEVEL, index=False, schema_version="1.1.0"
        ),
    )


def build_layers(
    data_dir: Path,
    retrieved_at: str,
    country_table: gpd.GeoDataFrame,
    progress: Callable[[str], object] = print,
) -> dict:
    """Every layer of the snapshot as a conformed frame, keyed by layer name (no files written).

    `country_table` (Natural Earth countries) gives the coastline ports are typed sea or inland from.
    """
    progress("ports: GISCO Ports 2013 + World Port Index, typed sea or inland ...")
    gisco = gisco_ports.load(data_dir, retrieved_at=retrieved_at)
    wpi = world_port_index.load(data_dir, retrieved_at=retrieved_at)
    ports = world_port_index.merge_with_gisco(gisco, wpi, country_table)
    progress("rail: Natural Earth railroads, cut at borders ...")
    rail = natural_earth_rail.load(data_dir, retrieved_at=retrieved_at)
    progress("roads: OSM major roads 2021, cut at borders, merged and simplified (about half a minute) ...")
    roads = osm_roads_2021.load(data_dir, retrieved_at=retrieved_at)
    return {"ports": ports, "rail": rail, "roads": roads}


def build_default(
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    progress: Callable[[str], object] = print,
) -> dict:
    """Build the embedded snapshot into `out_dir` (default `datasets/`).

    Returns {name: {"path", "features", "km" (lines only), "bytes"}} for ports, rail, roads,
    countries and each level of detail ("rail_lod0", ...). Raises MissingInputError before
    writing anything if an input is missing.
    """
    data_dir = Path(data_dir or settings.SHARED_DATA_DIR)
    out_dir = Path(out_dir or settings.DATASETS_DIR)
    check_inputs(data_dir)
    started = time.monotonic()
    retrieved_at = build_time()
    progress(f"building the embedded snapshot from {data_dir} into {out_dir}")
    progress("countries: Natural Earth 1:50m ...")
    country_table = natural_earth_countries.load_countries(data_dir)
    layers = build_layers(data_dir, retrieved_at, country_table, progress)

    summary: dict[str, dict] = {}
    for layer, frame in layers.items():
        path = store.write_layer(frame, out_dir / f"{layer}.parquet", layer)
        summary[layer] = {"path": str(path), "features": len(frame)}
        if "length_km" in frame.columns:
            summary[layer]["km"] = round(float(frame["length_km"].sum()), 1)
    path = write_countries(country_table, out_dir / "countries.parquet")
    summary["countries"] = {"path": str(path), "features": len(country_table)}
    for name, entry in summary.items():
        entry["bytes"] = Path(entry["path"]).stat().st_size
        km = f", {entry['km']:,.0f} km" if "km" in entry else ""
        progress(f"  {name:<9} {entry['features']:>7,} features{km}, {entry['bytes'] / 1e6:.2f} MB  {entry['path']}")
    summary.update(lod.write_levels(layers, out_dir, progress))
    progress(f"done in {time.monotonic() - started:.0f} s")
    return summary
