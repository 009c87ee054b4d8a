"""Reading and writing layers as GeoParquet, atomically, with a metadata record.

Two places hold data:
- the embedded snapshot in `settings.DATASETS_DIR` (`<layer>.parquet`, committed, read-only at run time);
- the user's store in `settings.STORE_DIR`, a folder or S3-compatible object storage: per layer and area,
  a metadata record (source, query, bbox, retrieved_at, licence, ...) naming its GeoParquet data file,
  in generations published by `python -m geo refresh` (see "the user's store" below).

Every write to a folder goes to a temporary file in the target folder and is moved into place with
`os.replace`, so a crash mid-write leaves the previous file intact. Every read checks coordinates
(`schema.coordinates_ok`): a feature out of range is dropped and counted, never drawn.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from geo import schema, settings
from geo.errors import AreaExistsError, DatasetError, OutputError, StoreError
from geo.layers import layer_names

BUILD_COMMAND = "python -m geo build-default"
# zstd level of every GeoParquet write. Measured on the embedded layers: level 9 instead of the
# default makes roads 8.5 -> 5.8 MB and rail 3.9 -> 2.5 MB for 0.3 s more per write; reads are unchanged.
PARQUET_ZSTD_LEVEL = 9
# The mode `open()` would give a new file under this process's umask (read once at import).
_UMASK = os.umask(0)
os.umask(_UMASK)
_NEW_FILE_MODE = 0o666 & ~_UMASK
AREA_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


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


def _checked_frame(frame: gpd.GeoDataFrame, layer: str, label: str, problems: list[str] | None) -> gpd.GeoDataFrame:
    """`frame` without features whose coordinates are out of range (counted in `problems` and the log), checked
    against the schema of `layer` (SchemaError)."""
    frame, dropped = schema.drop_bad_coordinates(frame)
    if dropped:
        message = f"{label}: {dropped} features with {schema.BAD_COORDINATES} left out"
        log.warning(message)
        if problems is not None:
            problems.append(message)
    schema.validate(frame, layer)
    return frame


def read_layer_file(path: Path, layer: str, problems: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a GeoParquet file of `layer` and check it against the schema.

    Features with coordinates out of range or not finite are dropped (one bad feature never blanks a map),
    and a sentence saying how many is added to `problems`. Raises DatasetError (never a bare traceback)
    when the file is missing, corrupt or off-schema.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} is missing. Rebuild the embedded data with `{BUILD_COMMAND}`.")
    try:
        frame = _checked_frame(gpd.read_parquet(path), layer, f"{path.name}", problems)
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


def read_embedded(layer: str, problems: list[str] | None = None) -> gpd.GeoDataFrame:
    """The embedded Europe snapshot of `layer` (EPSG:4326); features dropped for bad coordinates go to `problems`."""
    return read_layer_file(embedded_path(layer), layer, problems)


# --- the user's store ------------------------------------------------------------------------------
#
# A store is a local folder or a prefix on S3-compatible object storage (`settings.STORE_DIR`), reached
# through fsspec. Each stored area of a layer is a metadata record `<layer>/<source>__<area>.json`
# naming its data file `<source>__<area>~<token>.parquet` ("data"). The record is written last and
# atomically, so a crash never pairs new data with old metadata: readers follow the record, and the
# data it names is complete. (Stores written before records named their data hold
# `<source>__<area>.parquet` beside the record; they are read too.)
#
# A store written by `python -m geo refresh` holds whole generations: `generations/<id>/<layer>/...`,
# and a small pointer object `CURRENT` naming the published one. Readers read the pointer first, so
# they see the old generation or the new one, never a half-built one (also on object storage, where
# nothing can be renamed). Such a store is only ever written by refresh.

POINTER = "CURRENT"
GENERATIONS = "generations"
LAST_REFRESH = "last-refresh.json"
# Object storage: seconds to wait for a connection, and for an answer.
STORE_CONNECT_TIMEOUT_S = 3.0
STORE_READ_TIMEOUT_S = 30.0
# Temporary files and unreferenced data this old (seconds) are leftovers of a killed write.
LEFTOVER_AGE_S = 3600.0
# A generation's id starts with its creation time to the microsecond, so ids sort by age.
_GENERATION_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")
_DATA_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*__[a-z0-9][a-z0-9_.-]*~[0-9a-f]{12}\.parquet$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Location:
    """Where a store lives: `url` as configured (a folder, or "s3://bucket/prefix"), its fsspec filesystem
    `fs`, and `root`, the store's path inside `fs`."""

    url: str
    fs: Any
    root: str

    @property
    def local(self) -> bool:
        return not self.url.startswith("s3://")

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def shown(self, path: str) -> str:
        """`path` as a person would type it: a local path, or an s3:// URL."""
        return path if self.local else f"s3://{path}"


def location(store_dir: Path | str | None = None) -> Location:
    """The store at `store_dir` (default `settings.STORE_DIR`): a folder, or "s3://bucket/prefix" configured by
    the standard AWS_* variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY ...)."""
    target = settings.STORE_DIR if store_dir is None else store_dir
    if isinstance(target, str) and target.startswith("s3://"):
        import s3fs

        # No listing cache: another process may publish a new generation at any time. Few, short retries: a
        # store out of reach must not hold a page for long (the embedded snapshot still serves).
        fs = s3fs.S3FileSystem(
            # Named here, not only left to botocore, so a changed endpoint gets its own (cached) filesystem.
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
            use_listings_cache=False,
            config_kwargs={
                "connect_timeout": STORE_CONNECT_TIMEOUT_S,
                "read_timeout": STORE_READ_TIMEOUT_S,
                "retries": {"max_attempts": 2, "mode": "standard"},
            },
        )
        fs.retries = 2  # s3fs's own retries of a failed call (default 5)
        return Location(target.rstrip("/"), fs, target.removeprefix("s3://").rstrip("/"))
    folder = os.path.abspath(target)
    return Location(folder, fsspec.filesystem("file"), folder)


def _unreachable(where: Location, exc: Exception) -> StoreError:
    """The one error for a store that cannot be read or written; the details go to the log."""
    log.warning("store %s: %r", where.url, exc)
    if where.local:
        return StoreError(f"the store folder {where.url} cannot be read ({type(exc).__name__}); check it exists")
    return StoreError(
        f"the store {where.url} cannot be reached ({type(exc).__name__}); check AWS_ENDPOINT_URL, the credentials "
        "and the bucket"
    )


def _read_json(where: Location, path: str) -> dict | None:
    """A JSON object stored at `path`, or None when there is none; ValueError when it is not a JSON object."""
    try:
        data = json.loads(where.fs.cat_file(path))
    except FileNotFoundError:
        return None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _put(where: Location, path: str, write: Callable[[Path], Any]) -> None:
    """Call `write(tmp)` on a local temporary file and store it at `path` whole: moved into place in a folder,
    uploaded as one object (an object appears whole or not at all) on object storage."""
    if where.local:
        atomic_write(Path(path), write)
        return
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder) / "object"
        write(tmp)
        where.fs.put_file(str(tmp), path)


def _json_text(record: dict) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False, default=str)


def current_generation(store_dir: Path | str | None = None) -> str | None:
    """The id of the generation a refreshed store serves, or None for a store refresh never wrote.

    Raises StoreError when the store cannot be reached or its pointer is unreadable.
    """
    where = location(store_dir)
    try:
        pointer = _read_json(where, where.path(POINTER))
    except Exception as exc:  # fsspec and botocore raise many types for a store out of reach
        raise _unreachable(where, exc) from None
    if pointer is None:
        return None
    generation = pointer.get("generation")
    if not isinstance(generation, str) or not _GENERATION_ID.match(generation):
        raise StoreError(f"the pointer {POINTER} of the store {where.url} is unreadable; run python -m geo refresh")
    return generation


def _data_root(where: Location, generation: str | None) -> str:
    return where.path(GENERATIONS, generation) if generation else where.root


def area_record(layer: str, source: str, area: str, store_dir: Path | str | None = None) -> dict | None:
    """The metadata record of one stored area (with its data file as `path`), or None when there is none."""
    _check_keys(layer, source, area)
    return next(
        (r for r in stored_areas(layer, store_dir) if r.get("source") == source and r.get("area") == area), None
    )


def _check_keys(layer: str, source: str, area: str) -> None:
    """`source` and `area` must be short lowercase keys (letters, digits, `_ . -`), so no user input can steer a
    path out of the store; `layer` must be known."""
    schema.columns(layer)  # raises for an unknown layer
    for label, value in (("source", source), ("area", area)):
        if not AREA_KEY.match(value) or ".." in value:
            raise ValueError(f"invalid {label} key {value!r}: use lowercase letters, digits, '_', '.', '-'")


def write_area(
    frame: gpd.GeoDataFrame,
    layer: str,
    source: str,
    area: str,
    metadata: dict,
    store_dir: Path | str | None = None,
    *,
    replace: bool = True,
) -> str:
    """Store detail for one area of a local store: its data file, then the record naming it; returns the data path.

    With `replace=False` an area already stored is kept and AreaExistsError raised (also when another process
    stores the same area at the same moment: exactly one of them wins). A store written by refresh, or one on
    object storage, is written only by refresh (OutputError).
    """
    _check_keys(layer, source, area)
    where = location(store_dir)
    if not where.local or current_generation(store_dir):
        raise OutputError(
            f"the store {where.url} is written by python -m geo refresh; add the area to its refresh.toml instead"
        )
    folder = Path(where.root) / layer
    stem = f"{source}__{area}"
    data = folder / f"{stem}~{uuid.uuid4().hex[:12]}.parquet"
    record = {"layer": layer, "source": source, "area": area, "features": len(frame), **metadata, "data": data.name}
    record_path = folder / f"{stem}.json"
    try:
        old = _read_json(where, str(record_path))
    except ValueError:
        old = None
    write_layer(frame, data, layer)
    try:
        if replace:
            write_text_atomic(record_path, _json_text(record))
        else:
            _claim(record_path, _json_text(record))
    except FileExistsError:
        data.unlink(missing_ok=True)
        existing = area_record(layer, source, area, store_dir) or {}
        raise AreaExistsError(f"{layer} area {area!r} is already stored", existing) from None
    except BaseException:
        data.unlink(missing_ok=True)
        raise
    for leftover in {(old or {}).get("data"), f"{stem}.parquet"} - {None, data.name}:
        if leftover == f"{stem}.parquet" or _DATA_NAME.match(str(leftover)):
            (folder / str(leftover)).unlink(missing_ok=True)
    clean_leftovers(store_dir, folders=[folder])
    return str(data)


def _claim(path: Path, text: str) -> None:
    """Write `text` to `path` only if no file is there, atomically (FileExistsError otherwise): the text goes to
    a temporary file first, then a hard link creates `path` in one step or fails."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp_name, _NEW_FILE_MODE)
        os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


def clean_leftovers(
    store_dir: Path | str | None = None, *, folders: list[Path] | None = None, older_than_s: float = LEFTOVER_AGE_S
) -> int:
    """Remove what killed writes left in a local store: temporary files, and data files no record names, older
    than `older_than_s`. Only `folders` when given (else the whole store). Returns how many files went."""
    where = location(store_dir)
    if not where.local:
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for folder in folders or [Path(p) for p, _, _ in os.walk(where.root)]:
        if not folder.is_dir():
            continue
        named = set()
        for record_path in folder.glob("*__*.json"):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                named.add(json.loads(record_path.read_text(encoding="utf-8")).get("data"))
        for path in folder.iterdir():
            leftover = (path.name.startswith(".") and path.name.endswith(".tmp")) or (
                _DATA_NAME.match(path.name) and path.name not in named
            )
            with contextlib.suppress(OSError):
                if leftover and path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed


def stored_areas(layer: str | None = None, store_dir: Path | str | None = None) -> list[dict]:
    """Metadata records of every stored area (optionally of one layer), each with `path`, its data file.

    A record whose JSON is unreadable (or data with no record) is returned with an `error` key instead of
    being skipped, so the caller can report it. Raises StoreError when the store cannot be reached.
    """
    where = location(store_dir)
    root = _data_root(where, current_generation(store_dir))
    records = []
    try:
        for name in [layer] if layer else list(layer_names()):
            folder = f"{root}/{name}"
            files = {Path(p).name for p in where.fs.glob(f"{folder}/*__*")} if where.fs.isdir(folder) else set()
            for json_name in sorted(f for f in files if f.endswith(".json") and not f.startswith(".")):
                stem = json_name.removesuffix(".json")
                source, _, area = stem.partition("__")
                try:
                    record = _read_json(where, f"{folder}/{json_name}") or {}
                except (ValueError, UnicodeDecodeError) as exc:
                    record = {"error": f"metadata unreadable ({type(exc).__name__})"}
                data = record.get("data") if isinstance(record.get("data"), str) else f"{stem}.parquet"
                record = {
                    "layer": name,
                    "source": source,
                    "area": area,
                    **record,
                    "path": where.shown(f"{folder}/{data}"),
                }
                records.append(record)
            for data_name in sorted(f for f in files if f.endswith(".parquet") and "~" not in f):
                stem = data_name.removesuffix(".parquet")
                if f"{stem}.json" not in files:
                    source, _, area = stem.partition("__")
                    path = where.shown(f"{folder}/{data_name}")
                    records.append(
                        {"layer": name, "source": source, "area": area, "error": "no metadata record", "path": path}
                    )
    except StoreError:
        raise
    except Exception as exc:  # fsspec and botocore raise many types for a store out of reach
        raise _unreachable(where, exc) from None
    return records


def repair_hint(refreshed: bool) -> str:
    """What repairs a stored area that cannot be read."""
    if refreshed:
        return "the next python -m geo refresh replaces it"
    return "fetch or import it again (python -m geo fetch / import), or delete it from the store"


def read_area(
    record: dict, layer: str, store_dir: Path | str | None = None, problems: list[str] | None = None
) -> gpd.GeoDataFrame:
    """The features of one stored area (a record of `stored_areas`), coordinates checked (see `read_layer_file`).

    Raises DatasetError naming the area, not its path, and what repairs it; the details go to the log.
    """
    where = location(store_dir)
    label = f"stored {layer} area {record.get('area')!r}"
    try:
        if record.get("error"):
            raise ValueError(record["error"])
        content = where.fs.cat_file(record["path"].removeprefix("s3://"))
        return _checked_frame(gpd.read_parquet(io.BytesIO(content)), layer, label, problems)
    except Exception as exc:  # pyarrow, fsspec and botocore raise many types for a bad or missing file
        log.warning("%s at %s cannot be read: %r", label, record.get("path"), exc)
        reason = "its data file is missing" if isinstance(exc, FileNotFoundError) else _short_reason(exc)
        refreshed = not where.local or bool(current_generation(store_dir))
        raise DatasetError(f"{label} cannot be read ({reason}); {repair_hint(refreshed)}") from None


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, schema.SchemaError):
        return "it does not follow the schema"
    if isinstance(exc, ValueError) and str(exc).startswith(("metadata unreadable", "no metadata record")):
        return str(exc)
    return "corrupt or truncated"


def read_stored(layer: str, store_dir: Path | str | None = None) -> tuple[gpd.GeoDataFrame | None, list[str]]:
    """All stored detail of `layer`, concatenated, and a list of problems found, each one sentence naming the area.

    Corrupt areas are reported and left out, never silently used; features with bad coordinates are dropped
    and counted; a store out of reach is one problem (the embedded snapshot still serves).
    """
    frames, problems = [], []
    try:
        records = stored_areas(layer, store_dir)
    except StoreError as exc:  # the details (the store's address) are in the log, for the operator
        reason = str(exc).partition("(")[2].partition(")")[0] or "unreadable"
        return None, [f"the store cannot be reached ({reason}), so only the embedded snapshot is shown"]
    for record in records:
        try:
            frames.append(read_area(record, layer, store_dir, problems))
        except DatasetError as exc:
            problems.append(str(exc))
    if not frames:
        return None, problems
    merged = pd.concat(frames, ignore_index=True).drop_duplicates("id", keep="last").reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.CRS), problems


class Generation:
    """A new generation of a refreshed store, written area by area and published in one step.

    Until `publish`, readers keep reading the generation the pointer names; `discard` removes what was
    written. Works the same in a folder and on object storage.
    """

    def __init__(self, store_dir: Path | str | None = None):
        self.store_dir = store_dir
        self.where = location(store_dir)
        self.id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}"
        self.root = self.where.path(GENERATIONS, self.id)

    def write_area(self, frame: gpd.GeoDataFrame, layer: str, source: str, area: str, metadata: dict) -> str:
        """Write one area's data, then its record, into this generation; returns the data path."""
        _check_keys(layer, source, area)
        schema.validate(frame, layer)
        stem = f"{source}__{area}"
        data_name = f"{stem}~{uuid.uuid4().hex[:12]}.parquet"
        folder = f"{self.root}/{layer}"
        if self.where.local:
            os.makedirs(folder, exist_ok=True)
        _put(self.where, f"{folder}/{data_name}", lambda tmp: write_geoparquet(frame, tmp))
        record = {"layer": layer, "source": source, "area": area, "features": len(frame), **metadata, "data": data_name}
        _put(self.where, f"{folder}/{stem}.json", lambda tmp: tmp.write_text(_json_text(record), encoding="utf-8"))
        return self.where.shown(f"{folder}/{data_name}")

    def publish(self, summary: dict) -> None:
        """Make this generation the one readers see (one small write of the pointer), then remove generations
        older than the one it replaces (readers that loaded that one may still be reading it)."""
        _put(self.where, f"{self.root}/refresh.json", lambda tmp: tmp.write_text(_json_text(summary), encoding="utf-8"))
        previous = current_generation(self.store_dir)
        pointer = {"generation": self.id, "published_at": summary.get("finished_at")}
        _put(self.where, self.where.path(POINTER), lambda tmp: tmp.write_text(_json_text(pointer), encoding="utf-8"))
        keep = {self.id, previous}
        try:
            for old in self._generations():
                if old not in keep and old < self.id:
                    self.where.fs.rm(self.where.path(GENERATIONS, old), recursive=True)
        except Exception as exc:  # published already: an old generation left behind goes at the next refresh
            log.warning("could not remove old generations of %s: %r", self.where.url, exc)

    def discard(self) -> None:
        """Remove what this generation wrote; the published one is untouched."""
        with contextlib.suppress(FileNotFoundError):
            self.where.fs.rm(self.root, recursive=True)

    def _generations(self) -> list[str]:
        folder = self.where.path(GENERATIONS)
        if not self.where.fs.isdir(folder):
            return []
        names = (Path(p.rstrip("/")).name for p in self.where.fs.ls(folder, detail=False))
        return sorted(name for name in names if _GENERATION_ID.match(name))


def write_refresh_log(summary: dict, store_dir: Path | str | None = None) -> str:
    """Write the summary of the last refresh run, good or failed, to `last-refresh.json` of the store."""
    where = location(store_dir)
    path = where.path(LAST_REFRESH)
    if where.local:
        os.makedirs(where.root, exist_ok=True)
    _put(where, path, lambda tmp: tmp.write_text(_json_text(summary), encoding="utf-8"))
    return where.shown(path)


def read_refresh_log(store_dir: Path | str | None = None) -> dict | None:
    """The summary of the last refresh run, or None when refresh never ran or it cannot be read."""
    where = location(store_dir)
    try:
        return _read_json(where, where.path(LAST_REFRESH))
    except Exception as exc:  # an unreadable log is not worth failing a page for
        log.warning("refresh log of %s: %r", where.url, exc)
        return None
