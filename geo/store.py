"""Reading and writing layers as GeoParquet, atomically, with a metadata record.

Two places hold data:
- the embedded snapshot in `settings.DATASETS_DIR` (`<layer>.parquet`, committed, read-only at run time);
- the user's store in `settings.STORE_DIR`: `<layer>/<source>__<area>.parquet` with a sidecar
  `<same name>.json` metadata record (source, query, bbox, retrieved_at, licence, ...).

Every write goes to a temporary file in the target folder and is moved into place with
`os.replace`, so a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from geo import schema, settings
from geo.errors import DatasetError, OutputError
from geo.layers import layer_names

BUILD_COMMAND = "python -m geo build-default"
# zstd level of every GeoParquet write. Measured on the embedded layers: level 9 instead of the
# default makes roads 8.5 -> 5.8 MB and rail 3.9 -> 2.5 MB for 0.3 s more per write; reads are unchanged.
PARQUET_ZSTD_LEVEL = 9
# The mode `open()` would give a new file under this process's umask (read once at import).
_UMASK = os.umask(0)
os.umask(_UMASK)
_NEW_FILE_MODE = 0o666 & ~_UMASK
_AREA_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


def unwritable(path: Path | str, exc: OSError) -> OutputError:
    """The one message for a file the system refused to write (permissions, a full disk ...)."""
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; choose a folder you can write to")


def check_output(path: Path, overwrite: bool) -> None:
    """OutputError unless a new file can go to `path`: no file in the way of its folders, nothing but a
    regular file replaced, and that only with `overwrite` (CLI: --force)."""
    path = Path(path)
    blocking = next((parent for parent in path.parents if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputError(f"cannot write {path}: {blocking} is a file, not a folder; choose another path")
    if path.exists() and not path.is_file():
        raise OutputError(f"{path} exists and is not a regular file; choose a file name")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; choose another name or allow replacing it (CLI: --force)")


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call `write(tmp)` on a temporary path beside `path`, then move it into place.

    If `write` raises, the temporary file is removed and `path` keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, _NEW_FILE_MODE)  # mkstemp makes owner-only files; give the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_geoparquet(frame: gpd.GeoDataFrame, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write `frame` to `path` (not atomically: callers pass a temporary path) as GeoParquet 1.1, zstd.

    `metadata` adds key-value pairs to the file's schema metadata (e.g. licence notes of an export).
    """
    options = {"compression": "zstd", "compression_level": PARQUET_ZSTD_LEVEL}
    frame.to_parquet(path, index=False, schema_version="1.1.0", **options)
    if metadata:
        table = pq.read_table(path)
        extra = {key.encode(): value.encode() for key, value in metadata.items()}
        pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **extra}), path, **options)


def write_table(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write `frame` to `path` as GeoParquet 1.1 (zstd), atomically; for tables that are not layers too."""
    return atomic_write(path, lambda tmp: write_geoparquet(frame, tmp))


def write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """Validate `frame` against the schema of `layer` and write it to `path` as GeoParquet."""
    schema.validate(frame, layer)
    return write_table(frame, path)


def read_table(path: Path, required: set[str]) -> gpd.GeoDataFrame:
    """Read a GeoParquet table that is not a layer (countries, places), checking it has the `required` columns.

    Raises DatasetError naming the build command when the file is missing, unreadable or lacks a column.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} is missing. Rebuild the embedded data with `{BUILD_COMMAND}`.")
    try:
        frame = gpd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for truncated or foreign files
        raise DatasetError(
            f"{path} is unreadable ({type(exc).__name__}: {exc}). Rebuild it with `{BUILD_COMMAND}`."
        ) from exc
    missing = set(required) - set(frame.columns)
    if missing:
        raise DatasetError(f"{path} lacks columns {sorted(missing)}. Rebuild it with `{BUILD_COMMAND}`.")
    return frame


def read_layer_file(path: Path, layer: str) -> gpd.GeoDataFrame:
    """Read a GeoParquet file of `layer` and check it against the schema.

    Raises DatasetError (never a bare traceback) when the file is missing, corrupt or off-schema.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} is missing. Rebuild the embedded data with `{BUILD_COMMAND}`.")
    try:
        frame = gpd.read_parquet(path)
        schema.validate(frame, layer)
    except schema.SchemaError as exc:
        raise DatasetError(f"{path} does not follow the schema ({exc}). Rebuild it with `{BUILD_COMMAND}`.") from exc
    except Exception as exc:  # pyarrow raises several types for truncated or foreign files
        raise DatasetError(
            f"{path} is unreadable ({type(exc).__name__}: {exc}). Rebuild it with `{BUILD_COMMAND}`."
        ) from exc
    return frame


def embedded_path(name: str) -> Path:
    """Path of an embedded dataset, e.g. `embedded_path("rail")` -> datasets/rail.parquet."""
    return settings.DATASETS_DIR / f"{name}.parquet"


def read_embedded(layer: str) -> gpd.GeoDataFrame:
    """The embedded Europe snapshot of `layer` (EPSG:4326)."""
    return read_layer_file(embedded_path(layer), layer)


def area_path(layer: str, source: str, area: str, store_dir: Path | None = None) -> Path:
    """Where the stored detail of one layer, source and area lives.

    `source` and `area` must be short lowercase keys (letters, digits, `_ . -`), so no user
    input can steer the path out of the store.
    """
    schema.columns(layer)  # raises for an unknown layer
    for label, value in (("source", source), ("area", area)):
        if not _AREA_KEY.match(value) or ".." in value:
            raise ValueError(f"invalid {label} key {value!r}: use lowercase letters, digits, '_', '.', '-'")
    return Path(store_dir or settings.STORE_DIR) / layer / f"{source}__{area}.parquet"


def write_area(
    frame: gpd.GeoDataFrame, layer: str, source: str, area: str, metadata: dict, store_dir: Path | None = None
) -> Path:
    """Store detail for one area: the GeoParquet first, then its metadata record, both atomically."""
    path = area_path(layer, source, area, store_dir)
    write_layer(frame, path, layer)
    record = {"layer": layer, "source": source, "area": area, "features": len(frame), **metadata}
    write_text_atomic(path.with_suffix(".json"), json.dumps(record, indent=2, ensure_ascii=False, default=str))
    return path


def stored_areas(layer: str | None = None, store_dir: Path | None = None) -> list[dict]:
    """Metadata records of every stored area (optionally of one layer), each with its `path`.

    A record whose JSON is unreadable is returned with an `error` key instead of being skipped,
    so the caller can report it and refetch.
    """
    root = Path(store_dir or settings.STORE_DIR)
    layers = [layer] if layer else list(layer_names())
    records = []
    for name in layers:
        for parquet in sorted((root / name).glob("*__*.parquet")):
            meta_path = parquet.with_suffix(".json")
            try:
                record = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                record = {"layer": name, "error": f"metadata unreadable: {exc}"}
            record["path"] = str(parquet)
            records.append(record)
    return records


def read_stored(layer: str, store_dir: Path | None = None) -> tuple[gpd.GeoDataFrame | None, list[str]]:
    """All stored detail of `layer`, concatenated, and a list of problems found.

    Corrupt files are reported in the problems list and left out, never silently used.
    """
    frames, problems = [], []
    for record in stored_areas(layer, store_dir):
        try:
            frames.append(read_layer_file(Path(record["path"]), layer))
        except DatasetError as exc:
            problems.append(str(exc))
    if not frames:
        return None, problems
    merged = pd.concat(frames, ignore_index=True).drop_duplicates("id", keep="last").reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS), problems
