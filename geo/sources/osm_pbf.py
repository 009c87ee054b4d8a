"""OpenStreetMap features from .osm.pbf extracts (e.g. Geofabrik), with the same layer filters as Overpass.

Read with pyosmium (`osmium`): one streaming pass keeps only elements carrying a catalogue filter
key; ways become LineStrings through osmium's WKB factory (node locations cached in memory),
multipolygon relations become areas through osmium's area assembler (a second pass, only when
the ports layer is asked for). Geometry is decoded in bulk with `shapely.from_wkb`; the shared
`_osm.normalise` then applies the tag filters, schema and provenance. EPSG:4326 throughout.

`download_region` fetches a Geofabrik extract by region name, resuming an interrupted download.
This module only reads and downloads; importing into the store is `geo.usecases.import_file`.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import osmium
import shapely

from geo import settings
from geo.errors import FetchError, InputError
from geo.layers import get_layer
from geo.sources import _http, utc_timestamp
from geo.sources._http import Progress
from geo.sources._osm import FetchResult, OsmElements, file_result, file_retrieved_at, normalise, provenance

# Geofabrik region paths: "europe", "europe/monaco", "europe/germany/bremen".
_REGION = re.compile(r"^[a-z][a-z0-9-]{0,40}(/[a-z][a-z0-9-]{0,40}){0,3}$")


def _wkb_points(hex_wkb: str) -> int:
    """Number of points of a little-endian WKB LineString given as hex (bytes 5-8 of the blob)."""
    return int.from_bytes(bytes.fromhex(hex_wkb[10:18]), "little")


def _timestamp(path: Path, newest_object: datetime | None) -> str:
    """The data date: the extract's replication timestamp, else its newest object, else the file's mtime."""
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        stamp = reader.header().get("osmosis_replication_timestamp")
    finally:
        reader.close()
    if stamp:
        return stamp
    if newest_object is not None:
        return utc_timestamp(newest_object)
    return file_retrieved_at(path)


def read_elements(path: Path, layers: tuple[str, ...]) -> tuple[OsmElements, datetime | None]:
    """Elements carrying any filter key of `layers`, with geometry, and the newest object timestamp seen.

    Raises InputError (a ValueError) for a file osmium cannot read.
    """
    filters = [f for name in layers for f in get_layer(name).osm_filters]
    keys = sorted({f.key for f in filters})
    # Values per key (None: any value) to skip, before building geometry, the many objects a key
    # filter lets through (every highway, for a few motorways); `normalise` then checks exactly.
    accepted: dict[str, frozenset | None] = {}
    for f in filters:
        known = accepted.get(f.key, frozenset())
        accepted[f.key] = None if known is None or not f.values else known | set(f.values)

    def wanted(obj_tags) -> bool:
        for key, values in accepted.items():
            value = obj_tags.get(key)
            if value is not None and (values is None or value in values):
                return True
        return False

    key_filter = osmium.filter.KeyFilter(*keys)
    processor = osmium.FileProcessor(str(path)).with_locations()
    if "ports" in layers:
        processor = processor.with_areas(osmium.filter.KeyFilter(*keys))
    processor = processor.with_filter(key_filter)
    factory = osmium.geom.WKBFactory()
    types, ids, tags, wkb = [], [], [], []
    dropped = 0
    newest = None
    try:
        for obj in processor:
            if not wanted(obj.tags):
                continue
            if obj.is_node():
                kind, blob = "node", factory.create_point(obj)
            elif obj.is_way():
                try:
                    kind, blob = "way", factory.create_linestring(obj, osmium.geom.ALL)
                except (RuntimeError, osmium.InvalidLocationError):  # fewer than 2 located points
                    dropped += 1
                    continue
                if _wkb_points(blob) != len(obj.nodes):  # osmium skips nodes missing from the extract
                    dropped += 1
                    continue
            elif obj.is_area():
                if obj.from_way():  # closed ways arrive as lines; normalise turns them into areas
                    continue
                try:
                    kind, blob = "relation", factory.create_multipolygon(obj)
                except RuntimeError:
                    dropped += 1
                    continue
            else:
                continue  # relations themselves: their areas come as area objects
            types.append(kind)
            ids.append(obj.orig_id() if kind == "relation" else obj.id)
            tags.append(dict(obj.tags))
            wkb.append(blob)
            stamp = obj.timestamp
            if newest is None or stamp > newest:
                newest = stamp
    except RuntimeError as exc:
        raise InputError(f"{path.name} is not a readable .osm.pbf file ({exc}); download it again") from None
    elements = OsmElements(
        np.array(types, dtype=object),
        np.array(ids, dtype=np.int64),
        tags,
        shapely.from_wkb(np.array(wkb, dtype=object)),
    )
    if dropped:
        elements.notes.append(f"{dropped} elements without complete geometry dropped")
    return elements, newest


def load(
    path: Path,
    layers: tuple[str, ...] = ("rail", "roads", "ports"),
    *,
    assign_country: bool = True,
    progress: Progress | None = None,
) -> dict[str, FetchResult]:
    """Features of each of `layers` in the .osm.pbf at `path`, normalised (EPSG:4326, lengths in km).

    Raises FileNotFoundError for a missing file, ValueError for an unknown layer, InputError for an unreadable file.
    """
    path = Path(path)
    for name in layers:
        get_layer(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    started = time.monotonic()
    if progress:
        progress(0, len(layers) + 1, f"reading {path.name}")
    elements, newest = read_elements(path, tuple(layers))
    stamp = _timestamp(path, newest)
    retrieved_at = file_retrieved_at(path)
    prov = provenance(stamp, retrieved_at)
    results = {}
    for number, name in enumerate(layers, start=1):
        if progress:
            progress(number, len(layers) + 1, f"{name}: normalising")
        frame, dropped = normalise(elements, name, prov, origin=f"file {path.name}", assign_country=assign_country)
        results[name] = file_result(
            path,
            name,
            frame,
            source_date=stamp,
            retrieved_at=retrieved_at,
            started=started,
            notes=elements.notes + dropped,
        )
    if progress:
        progress(len(layers) + 1, len(layers) + 1, f"{path.name}: done")
    return results


def region_url(region: str, base_url: str | None = None) -> str:
    """The Geofabrik download URL of `region` ("europe/monaco"); InputError for a malformed name."""
    if not _REGION.match(region or ""):
        raise InputError(
            f"invalid Geofabrik region {str(region)[:60]!r}: use a path like 'europe/monaco' "
            "(lowercase letters, digits, '-', at most four levels)"
        )
    base = (base_url or settings.GEOFABRIK_URL).rstrip("/")
    return f"{base}/{region}-latest.osm.pbf"


def download_region(
    region: str,
    dest_dir: Path,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    **request_options,
) -> Path:
    """Download the Geofabrik extract of `region` into the folder `dest_dir`; the path of the file.

    Resumes a partial download (HTTP Range); the finished file is checked to be a readable .osm.pbf,
    else removed and FetchError raised. Raises FetchError (DownloadInterrupted: run again to resume)
    when the download fails, InputError for a malformed region name.
    """
    url = region_url(region, base_url)
    destination = Path(dest_dir) / f"{region.replace('/', '_')}-latest.osm.pbf"
    _http.download(url, destination, progress=progress, **request_options)
    try:
        reader = osmium.io.Reader(str(destination), osmium.osm.osm_entity_bits.NOTHING)
        reader.header()
        reader.close()
    except RuntimeError as exc:
        os.remove(destination)
        raise FetchError(f"{url} did not give a readable .osm.pbf ({exc}); the file was removed") from None
    return destination
