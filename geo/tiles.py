"""Vector tiles: the line layers and the offline basemap as PMTiles archives, with the popups beside them.

A page that carries its data inline cannot grow to a country of OpenStreetMap detail, and it cannot
sharpen as the user zooms. Static vector tiles do both, and they are plain files any static server,
object store or CDN can serve with HTTP range requests. One archive holds, for every layer with levels
of detail (`geo.levels`), each zoom band fed from the level that suits it:

| zooms | 0-4 | 5 | 6-7 | 8-9 | 10 up to the archive's max zoom |
|---|---|---|---|---|---|
| data | level 0 | level 1 | level 2 | level 3 | the full layer |

Tile layers are named `<layer>.<level>` (e.g. `rail.4`). The offline basemap's country outlines are a
small archive of their own (`basemap`, layer `outlines`, zooms 0-6, scaled up beyond). Tile features keep only what the map draws and
filters on: `id`, `kind`, `country`, `cls` (the drawing class of the layer specification) and `doc`
(the index of the feature's policy-document list in the manifest's `sets`, -1 for none). No
feature is dropped at low zooms: gaps in a railway network are worse than coarse lines. Geometry is
EPSG:4326 in; tiles are Web Mercator.

Popups: every feature's full attributes are in static JSON shards beside the archive,
`<stem>/popups/<layer>/<n>.json` with n = `shard_of(id, shards)`, in the map's wire format
(`geo.wire.property_table`) plus the ids; the documents they name are in `<stem>/docs.json`. The
browser fetches a shard when a feature is clicked. Ports are drawn from the page itself (canvas), but
their popups come from the shards too, so the page stays small.

`manifest.json` names the current archives: their content-hashed file names (written atomically, so a
replaced archive never breaks an open session), zoom bands, layers and classes present, and document
lists. The embedded archive (`python -m geo build-tiles`, also run by `build-default`) goes up to zoom
10, where the embedded lines are at full detail; an area of the user's OpenStreetMap detail gets its
own archive up to zoom 14 after each fetch or import. The builder is freestiler, chosen by
measurement against tippecanoe (benchmarks/README.md); `_write_archive` is the one place that calls it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import requests
import shapely

from geo import levels, policy_views, settings, store, wire
from geo.errors import TilesError
from geo.layers import PROVENANCE_COLUMNS, get_layer, layer_names, layers_with_levels
from geo.sources import utc_timestamp

# Bumped whenever the archives' layout changes: the app refuses (and falls back from) other versions.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EMBEDDED = "embedded"
EMBEDDED_MAX_ZOOM = 10
AREA_MAX_ZOOM = 14
# The offline basemap: country outlines in an archive of their own, scaled up beyond its last zoom.
BASEMAP = "basemap"
OUTLINES = "outlines"
BASEMAP_MAX_ZOOM = 6
BASEMAP_TOLERANCE_DEG = 0.01
# Features per popup shard, about 100-300 kB of JSON each.
SHARD_FEATURES = 600
# Archives of a key kept besides the current one, so pages opened before a rebuild keep working.
KEEP_PREVIOUS = 1


@dataclass(frozen=True)
class Band:
    """Zooms `min_zoom`..`max_zoom` of a layer are drawn from level `level` (`levels.FULL`: the full layer)."""

    level: int
    min_zoom: int
    max_zoom: int


def bands(max_zoom: int) -> list[Band]:
    """The zoom bands of an archive going up to `max_zoom` (>= the first full-detail zoom)."""
    found, low = [], 0
    for level in levels.LEVELS:
        found.append(Band(level.number, low, level.max_zoom))
        low = level.max_zoom + 1
    if max_zoom < low:
        raise ValueError(f"an archive goes at least to zoom {low}, where the full layers start; got {max_zoom}")
    return [*found, Band(levels.FULL, low, max_zoom)]


def tile_layer(layer: str, level: int) -> str:
    """The name of a layer's tile layer at `level`, e.g. "rail.4"."""
    return f"{layer}.{level}"


def shard_of(feature_id: str, shards: int) -> int:
    """The popup shard holding `feature_id`: FNV-1a (32 bit) of its UTF-8 bytes, modulo `shards`.

    The browser computes the same (`fnv1a` in geo/render_runtime.js).
    """
    value = 0x811C9DC5
    for byte in str(feature_id).encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % shards


# -- building ---------------------------------------------------------------------------------------


def _tile_frame(frame: gpd.GeoDataFrame, layer: str, keys: pd.Series) -> gpd.GeoDataFrame:
    """The few attributes a tile keeps of each feature (see the module docstring)."""
    spec = get_layer(layer)
    return gpd.GeoDataFrame(
        {
            "id": frame["id"].astype(str).to_numpy(),
            "kind": frame["kind"].astype(str).to_numpy(),
            "country": frame["country"].astype("string").fillna("").to_numpy(),
            "cls": spec.line_class(frame).astype(str).to_numpy(),
            "doc": keys.reindex(frame.index).fillna(-1).astype(int).to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )


def _write_archive(inputs: Mapping[str, tuple[gpd.GeoDataFrame, int, int]], path: Path, max_zoom: int) -> None:
    """Write the tile layers `{name: (frame, min_zoom, max_zoom)}` as a PMTiles archive at `path`."""
    import freestiler  # imported here: only builds need it, the map does not

    layers = {
        name: freestiler.freestile_layer(frame, min_zoom=low, max_zoom=high)
        for name, (frame, low, high) in inputs.items()
        if len(frame)
    }
    freestiler.freestile(
        layers,
        path,
        min_zoom=0,
        max_zoom=max_zoom,
        base_zoom=0,  # keep every feature at every zoom: no thinning
        drop_rate=None,
        simplification=True,
        generate_ids=False,
        overwrite=True,
        quiet=True,
    )


def _place_archive(key: str, inputs: Mapping, max_zoom: int, out_dir: Path, work: Path) -> str:
    """Write the archive in `work`, then move it to `out_dir` under its content-hashed name; its stem."""
    archive = work / "archive.pmtiles"
    _write_archive(inputs, archive, max_zoom)
    stem = f"{key}-{hashlib.sha256(archive.read_bytes()).hexdigest()[:16]}"
    os.chmod(archive, 0o644)
    os.replace(archive, out_dir / f"{stem}.pmtiles")
    return stem


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.json")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _popup_columns(layer: str) -> list[str]:
    hidden = {"layer", "tags", *PROVENANCE_COLUMNS}
    columns = [c for c in get_layer(layer).all_columns() if c not in hidden]
    return [*columns, "documents", "tags", *PROVENANCE_COLUMNS]


def _write_popups(frames: Mapping[str, gpd.GeoDataFrame], folder: Path) -> dict[str, int]:
    """Popup shards of every feature of `frames` ({layer: its features, with a `documents` column}) into
    `folder`; returns {layer: number of shards}."""
    counts = {}
    for layer, frame in frames.items():
        if frame.empty:
            continue
        shards = max(1, math.ceil(len(frame) / SHARD_FEATURES))
        of = np.array([shard_of(feature_id, shards) for feature_id in frame["id"]])
        columns = get_layer(layer).all_columns()
        for shard in range(shards):
            rows = frame[of == shard]
            table = {
                "ids": rows["id"].astype(str).tolist(),
                "props": wire.property_table(rows, _popup_columns(layer), columns),
            }
            path = folder / "popups" / layer / f"{shard}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        counts[layer] = shards
    return counts


def build_archive(
    key: str,
    frames: Mapping[str, Mapping[int, gpd.GeoDataFrame]],
    out_dir: Path,
    *,
    max_zoom: int,
    popup_frames: Mapping[str, gpd.GeoDataFrame] | None = None,
    progress: Callable[[str], object] = print,
) -> dict:
    """Build one archive and its popups into `out_dir`, and return its manifest entry (not yet recorded).

    `frames` gives, per layer with levels, its frame at every level (0 .. `levels.FULL`); `popup_frames`
    adds layers that are not tiled but whose popups come from shards (ports). File names carry a hash
    of the archive's content, so a rebuild writes new files beside the old ones; nothing is replaced
    in place.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    popup_frames = dict(popup_frames or {})
    named = {tile_layer(layer, level): frame for layer, by_level in frames.items() for level, frame in by_level.items()}
    documents = policy_views.popup_documents({**named, **popup_frames})
    inputs = {}
    for band in bands(max_zoom):
        for layer, by_level in frames.items():
            name = tile_layer(layer, band.level)
            keys = documents.keys.get(name, pd.Series(-1, index=by_level[band.level].index))
            inputs[name] = (_tile_frame(by_level[band.level], layer, keys), band.min_zoom, band.max_zoom)
    progress(f"tiles {key}: {sum(len(frame) for frame, _, _ in inputs.values()):,} features, zooms 0-{max_zoom} ...")

    def with_documents(name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return (
            frame.assign(documents=documents.texts[name]) if name in documents.texts else frame.assign(documents=None)
        )

    popups = {
        layer: pd.concat([with_documents(tile_layer(layer, level), frame) for level, frame in by_level.items()])
        for layer, by_level in frames.items()
    }
    popups.update({layer: with_documents(layer, frame) for layer, frame in popup_frames.items()})
    with tempfile.TemporaryDirectory(prefix=".tiles-", dir=out_dir) as work:
        written = Path(work) / "popups"
        shards = _write_popups(popups, written)
        (written / "docs.json").write_text(json.dumps(documents.table, ensure_ascii=False), encoding="utf-8")
        if inputs:
            stem = _place_archive(key, inputs, max_zoom, out_dir, Path(work))
        else:  # popups only (a stored area of ports): named by their content
            stem = f"{key}-{_content_hash(written)}"
        if not (out_dir / stem).exists():  # the same content was built before: keep the files in place
            os.replace(written, out_dir / stem)
    if inputs:
        progress(f"  {stem}.pmtiles, {(out_dir / f'{stem}.pmtiles').stat().st_size / 1e6:.1f} MB")
    return {
        "file": f"{stem}.pmtiles" if inputs else None,
        "popups": f"{stem}/",
        "max_zoom": max_zoom,
        "bands": [band.__dict__ for band in bands(max_zoom)],
        "layers": {
            layer: {
                "tiled": layer in frames,
                "classes": sorted(set(get_layer(layer).line_class(frames[layer][levels.FULL])))
                if layer in frames
                else [],
                "shards": shards.get(layer, 1),
            }
            for layer in popups
        },
        "sets": [list(ids) for ids in documents.sets],
    }


# -- the manifest -----------------------------------------------------------------------------------


def read_manifest(tiles_dir: Path | None = None) -> dict:
    """The manifest of `tiles_dir` (default `settings.TILES_DIR`); TilesError when it is missing, corrupt
    or from another format version (the map then draws from the page)."""
    path = Path(tiles_dir or settings.TILES_DIR) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TilesError("no map tiles are built yet (run `python -m geo build-tiles`)") from None
    except (OSError, ValueError) as exc:
        raise TilesError(f"the map tiles' manifest is unreadable ({type(exc).__name__}); rebuild them") from exc
    if not isinstance(manifest, dict) or manifest.get("version") != FORMAT_VERSION:
        raise TilesError("the map tiles come from an older build; rebuild them with `python -m geo build-tiles`")
    return manifest


def _stem(entry: Mapping) -> str:
    """The name shared by an archive's file and its popups' folder."""
    return (entry.get("popups") or entry["file"]).removesuffix("/").removesuffix(".pmtiles")


def record_archive(key: str, entry: dict, tiles_dir: Path | None = None) -> dict:
    """Make `entry` the current archive of `key` in the manifest (written atomically), and delete the
    files of archives older than the `KEEP_PREVIOUS` ones before it. Returns the manifest."""
    folder = Path(tiles_dir or settings.TILES_DIR)
    try:
        manifest = read_manifest(folder)
    except TilesError:
        manifest = {"version": FORMAT_VERSION, "archives": {}, "previous": {}}
    current = manifest["archives"].get(key)
    previous = manifest["previous"].get(key, [])
    if current is not None and _stem(current) != _stem(entry):
        previous = [_stem(current), *[stem for stem in previous if stem != _stem(entry)]]
    for stale in previous[KEEP_PREVIOUS:]:
        (folder / f"{stale}.pmtiles").unlink(missing_ok=True)
        shutil.rmtree(folder / stale, ignore_errors=True)
    manifest["archives"][key] = {**entry, "built_at": utc_timestamp()}
    manifest["previous"][key] = previous[:KEEP_PREVIOUS]
    store.write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def check_archive(path: Path) -> None:
    """TilesError unless `path` is a readable PMTiles v3 archive (its header is checked, not every tile)."""
    from pmtiles.tile import deserialize_header

    try:
        with open(path, "rb") as archive:
            header = deserialize_header(archive.read(127))
    except FileNotFoundError:
        raise TilesError(f"the map tiles' archive {Path(path).name} is missing; rebuild the tiles") from None
    except Exception as exc:  # the reader raises assorted errors for a file that is not PMTiles
        raise TilesError(f"the map tiles' archive {Path(path).name} is corrupt; rebuild the tiles") from exc
    if header.get("version") != 3:
        raise TilesError(f"the map tiles' archive {Path(path).name} is not a PMTiles v3 archive; rebuild the tiles")


@lru_cache(maxsize=16)
def _probe(url: str, period: int) -> str | None:
    """Why the archive at `url` cannot be read with a range request, or None (one answer per `period`)."""
    try:
        answer = requests.get(
            url,
            headers={"Range": "bytes=0-126", "User-Agent": settings.USER_AGENT},
            timeout=settings.TILES_PROBE_TIMEOUT_S,
        )
    except requests.RequestException as exc:
        return f"the map tiles at {url} do not answer ({type(exc).__name__})"
    if answer.status_code != 206:
        return f"the map tiles at {url} answered HTTP {answer.status_code}, not a range (206)"
    return None


def check_remote(url: str) -> None:
    """TilesError unless `url` (an archive on object storage or a CDN) answers a range request; the answer
    is kept `settings.TILES_PROBE_TTL_S` seconds, so visitors do not each cause a request."""
    problem = _probe(url, int(time.time() // settings.TILES_PROBE_TTL_S))
    if problem:
        raise TilesError(problem)


# -- the builds -------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _fingerprint(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def fingerprint(path: Path) -> str:
    """A short hash of a data file's content (read once per version of the file): what an archive was built
    from, so the map refuses an archive built from other data."""
    stat = Path(path).stat()
    return _fingerprint(str(path), stat.st_mtime_ns, stat.st_size)


def build_embedded(
    out_dir: Path | None = None, datasets_dir: Path | None = None, progress: Callable[[str], object] = print
) -> dict:
    """The archive of the embedded snapshot (lines at every level, port popups) and the basemap, recorded
    as `EMBEDDED` and `BASEMAP` in the manifest of `out_dir` (default `settings.TILES_DIR`)."""
    from geo import countries

    frames = {
        layer: {level: levels.read_level(layer, level, datasets_dir) for level in range(levels.FULL + 1)}
        for layer in layers_with_levels()
    }
    points = {
        layer: levels.read_level(layer, levels.FULL, datasets_dir) for layer in layer_names() if layer not in frames
    }
    entry = build_archive(
        EMBEDDED,
        frames,
        out_dir or settings.TILES_DIR,
        max_zoom=EMBEDDED_MAX_ZOOM,
        popup_frames=points,
        progress=progress,
    )
    entry["built_from"] = {
        layer: fingerprint(levels.level_path(layer, levels.FULL, datasets_dir)) for layer in entry["layers"]
    }
    record_archive(EMBEDDED, entry, out_dir)
    build_basemap(countries.load_countries(Path(datasets_dir) / "countries.parquet" if datasets_dir else None), out_dir)
    return entry


def build_basemap(outlines: gpd.GeoDataFrame, out_dir: Path | None = None) -> dict:
    """The offline basemap: country outlines simplified to about 1 km in one small archive up to zoom
    `BASEMAP_MAX_ZOOM` (the map scales it up beyond), recorded as `BASEMAP` in the manifest."""
    out_dir = Path(out_dir or settings.TILES_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    simple = shapely.simplify(outlines.geometry.values, BASEMAP_TOLERANCE_DEG, preserve_topology=True)
    basemap = gpd.GeoDataFrame({"iso2": outlines["iso2"].to_numpy()}, geometry=simple, crs=outlines.crs)
    with tempfile.TemporaryDirectory(prefix=".tiles-", dir=out_dir) as work:
        inputs = {OUTLINES: (basemap, 0, BASEMAP_MAX_ZOOM)}
        stem = _place_archive(BASEMAP, inputs, BASEMAP_MAX_ZOOM, out_dir, Path(work))
    entry = {"file": f"{stem}.pmtiles", "max_zoom": BASEMAP_MAX_ZOOM, "layers": {OUTLINES: {"tiled": True}}}
    record_archive(BASEMAP, entry, out_dir)
    return entry


def area_key(record: Mapping) -> str:
    """The manifest key of the archive of one stored area (a record of `store.stored_areas`), e.g.
    "area-rail-osm_overpass__helsinki"."""
    return f"area-{record['layer']}-{record['source']}__{record['area']}"


def area_version(record: Mapping) -> str:
    """What a stored area's archive was built from: its data file's name, which every write makes new."""
    return str(record.get("data") or Path(str(record["path"])).name)


def build_area(
    record: Mapping,
    store_dir: Path | str | None = None,
    out_dir: Path | None = None,
    progress: Callable[[str], object] = print,
) -> dict:
    """The archive of one stored area of OpenStreetMap detail (`record`: its metadata from
    `store.stored_areas`), up to zoom `AREA_MAX_ZOOM`, its levels of detail built first; recorded in the
    manifest. A layer without levels (ports) gets popups only: its features are drawn from the page."""
    from geo import countries

    layer = record["layer"]
    frame = store.read_area(dict(record), layer, store_dir)
    key = area_key(record)
    out_dir = out_dir or settings.TILES_DIR
    if get_layer(layer).has_levels:
        names = dict(zip(*countries.load_countries()[["iso2", "name"]].to_numpy().T, strict=True))
        by_level = {**levels.build_levels(frame, layer, names), levels.FULL: frame}
        entry = build_archive(key, {layer: by_level}, out_dir, max_zoom=AREA_MAX_ZOOM, progress=progress)
    else:
        entry = build_archive(key, {}, out_dir, max_zoom=AREA_MAX_ZOOM, popup_frames={layer: frame}, progress=progress)
    entry["built_from"] = {layer: area_version(record)}
    record_archive(key, entry, out_dir)
    return entry


# -- what the map draws from tiles ------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """One current archive of the manifest: its key, its URLs (None: it has no such part) and its entry."""

    key: str
    url: str | None
    popups: str | None
    entry: Mapping


@dataclass(frozen=True)
class MapSources:
    """What the map can draw from tiles: the archives (embedded first), the basemap archive, and the stored
    areas whose archives are missing or out of date (their features are drawn from the page instead)."""

    archives: tuple[Archive, ...]
    basemap: Archive | None
    untiled_areas: tuple[Mapping, ...]

    def tiled(self, layer: str) -> tuple[int, ...]:
        """Indexes of the archives whose tiles draw `layer`."""
        return tuple(i for i, a in enumerate(self.archives) if a.entry["layers"].get(layer, {}).get("tiled"))

    def with_popups(self, layer: str) -> tuple[int, ...]:
        """Indexes of the archives holding popups of `layer`'s features."""
        return tuple(i for i, a in enumerate(self.archives) if layer in a.entry["layers"])


def map_sources(
    datasets_dir: Path | None = None, store_dir: Path | str | None = None, tiles_dir: Path | None = None
) -> MapSources:
    """The archives the map draws from, checked against the data in use.

    TilesError (the map then draws from the page, and says so) when the embedded archive is missing,
    corrupt, or built from other data than `datasets/`. A stored area whose archive is missing or out
    of date is listed in `untiled_areas` rather than failing the whole map.
    """
    folder = Path(tiles_dir or settings.TILES_DIR)
    manifest = read_manifest(folder)
    archives = manifest.get("archives", {})

    def archive(key: str) -> Archive:
        entry = archives[key]
        if entry.get("file"):
            check_archive(folder / entry["file"])
            if settings.TILES_URL.startswith(("http://", "https://")):
                check_remote(settings.TILES_URL + entry["file"])
        popups = settings.TILES_URL + entry["popups"] if entry.get("popups") else None
        return Archive(key, settings.TILES_URL + entry["file"] if entry.get("file") else None, popups, entry)

    if EMBEDDED not in archives or BASEMAP not in archives:
        raise TilesError("the map tiles are incomplete; rebuild them with `python -m geo build-tiles`")
    embedded = archive(EMBEDDED)
    for layer, built in embedded.entry.get("built_from", {}).items():
        if fingerprint(levels.level_path(layer, levels.FULL, datasets_dir)) != built:
            raise TilesError("the map tiles were built from other data; rebuild them with `python -m geo build-tiles`")
    found, untiled = [embedded], []
    for record in store.stored_areas(store_dir=store_dir):
        if record.get("error"):
            continue
        key = area_key(record)
        entry = archives.get(key)
        current = entry is not None and entry.get("built_from", {}).get(record["layer"]) == area_version(record)
        try:
            if not current:
                raise TilesError(f"the map tiles of {key} are missing or out of date")
            found.append(archive(key))
        except TilesError:
            untiled.append(record)
    return MapSources(tuple(found), archive(BASEMAP), tuple(untiled))
