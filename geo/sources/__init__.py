"""Data sources. Each module turns one source into features of one layer of `geo.schema`.

Every file-based source module (the embedded snapshot's inputs) follows one small interface:

- `LAYER`: the layer it feeds (`"ports"`, `"rail"`, `"roads"`).
- `SOURCE`, `LICENCE`, `ATTRIBUTION`, `SOURCE_DATE`: its provenance, copied onto every feature.
- `INPUTS`: the raw files it reads, relative to the raw data folder (`settings.SHARED_DATA_DIR`).
- `load(data_dir: Path, *, retrieved_at: str | None = None) -> geopandas.GeoDataFrame`: the
  features, already passed through `schema.conform(frame, LAYER)` (EPSG:4326, ids, provenance).
  `retrieved_at` defaults to the current UTC time (`utc_timestamp()`); the build passes one value
  to every source so a whole build shares one time stamp.

Live sources (Overpass, .osm.pbf) keep the same constants and return conformed frames as well,
but take an area instead of a data folder.

Helpers shared by the source modules live here: `require_input`, `provenance`, `utc_timestamp`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from geo import schema
from geo.errors import MissingInputError


def utc_timestamp(when: datetime | float | None = None) -> str:
    """`when` (a datetime, or POSIX seconds such as a file's mtime; default: now) as UTC ISO 8601 to the
    second, e.g. "2026-11-22T00:10:00Z". A datetime without a time zone is taken as UTC."""
    if when is None:
        when = datetime.now(UTC)
    elif not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def require_input(data_dir: Path, relative: str) -> Path:
    """Path of raw input `relative` under `data_dir`; raises MissingInputError naming it if absent."""
    path = Path(data_dir) / relative
    if not path.is_file():
        raise MissingInputError(
            f"raw input {relative!r} not found in {Path(data_dir)} (expected {path}); "
            "point --data-dir at the shared open data folder"
        )
    return path


def provenance(module: ModuleType, retrieved_at: str | None = None) -> schema.Provenance:
    """The `schema.Provenance` of a source module, from its constants."""
    return schema.Provenance(
        source=module.SOURCE,
        licence=module.LICENCE,
        attribution=module.ATTRIBUTION,
        source_date=module.SOURCE_DATE,
        retrieved_at=retrieved_at or utc_timestamp(),
    )
