"""What a user can do, written once for the app (`app.py`) and the command line (`geo/cli.py`).

Both front ends only read input and present results; each action they offer is one function here,
which checks the input, calls the library (sources, store, select, policies ...) and returns plain
results. Errors a user can fix are raised as `geo.errors.AtlasError` subclasses whose message names
the fix. Areas are EPSG:4326: a bbox is W,S,E,N in degrees of longitude/latitude.

Sections:
- Detailed OpenStreetMap data: `fetch_detail`, `import_file`, `download_extract`, `stored_status`.
- Refreshing a hosted store: `read_refresh_config`, `refresh` (its per-area steps: `REFRESH_STEPS`).
- Features and policies: `find_feature`, `selection_policies`, `feature_policies`.
- Maps, statistics and downloads: `map_request`, `country_statistics`, `download`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import (
    areas,
    countries,
    export,
    levels,
    policy_views,
    render,
    route,
    schema,
    select,
    settings,
    stats,
    store,
    tiles,
    view,
)
from geo.errors import (
    AreaExistsError,
    DatasetError,
    FetchError,
    HostedModeError,
    InputError,
    OutputError,
    OverpassError,
    StoreError,
    TilesError,
)
from geo.layers import get_layer, layer_names, osm_layer_names
from geo.sources import osm_pbf, overpass, utc_timestamp
from geo.sources._http import Progress
from geo.sources._osm import ATTRIBUTION, LICENCE, SOURCE, FetchResult, file_area_key, summary

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)

# The store's source keys of OpenStreetMap detail: fetched from Overpass, imported from a .osm.pbf,
# imported from a saved Overpass .json response.
FETCHED = "osm_overpass"
IMPORTED_PBF = "osm_pbf"
IMPORTED_JSON = "osm_file"


# --- detailed OpenStreetMap data -------------------------------------------------------------------


def resolve_area(
    bbox: str | Sequence[float] | None = None, country: str | None = None
) -> tuple[areas.BBox, str, str | None]:
    """What the user asked for, checked: (bbox W,S,E,N degrees, store area key, ISO alpha-2 code or None).

    A country gives its box within Europe's bounds; with both, their overlap is used. Raises
    InputError (or UnknownCountryError) before any request, also for an area over
    `settings.MAX_FETCH_AREA_DEG2` square degrees.
    """
    if bbox is None and country is None:
        raise InputError("give a bbox (W,S,E,N) or a country")
    box = areas.parse_bbox(bbox) if bbox is not None else None
    code = None
    if country is not None:
        code = countries.resolve_country(country)
        country_box = areas.countries_bbox(countries.load_countries(), [code])
        if country_box is None:
            raise InputError(f"{code} has no land within Europe's bounds; give a bbox W,S,E,N instead")
        if box is not None:
            west, south = max(box[0], country_box[0]), max(box[1], country_box[1])
            east, north = min(box[2], country_box[2]), min(box[3], country_box[3])
            if west >= east or south >= north:
                raise InputError(f"bbox {box} does not overlap {code}")
            box = (west, south, east, north)
        else:
            box = country_box
    assert box is not None
    areas.check_area_size(box)
    key = code.lower() if code and bbox is None else "bbox_" + "_".join(f"{v:.3f}" for v in box)
    return box, key, code


def fetch_detail(
    layer: str,
    *,
    bbox: str | Sequence[float] | None = None,
    country: str | None = None,
    endpoint: str | None = None,
    store_dir: Path | None = None,
    save: bool = True,
    progress: Progress | None = None,
    **options,
) -> FetchResult:
    """Fetch `layer` for a bbox or a country from Overpass, store it, and return it.

    Refused in hosted mode (HostedModeError). Bad input raises InputError before any request. When the
    network or the endpoint fails, the stored copy of the same area is returned instead
    (`origin == "stored"`, the message says why), or, with nothing stored, a result with no features
    (`origin == "none"`). A corrupt stored copy is reported, not used. The HTTP cache is that of the
    store (`settings.cache_dir(store_dir)`); `options` go to `overpass.fetch_layer`.
    """
    if settings.MODE == "hosted":
        raise HostedModeError("fetching live OpenStreetMap data is disabled on the hosted dashboard")
    if not get_layer(layer).osm_filters:
        raise InputError(f"the {layer} layer is derived from other layers, not fetched: fetch rail or roads instead")
    box, area, code = resolve_area(bbox, country)
    options.setdefault("cache_dir", settings.cache_dir(store_dir))
    try:
        result = overpass.fetch_layer(layer, box, endpoint=endpoint, progress=progress, **options)
    except (FetchError, OverpassError) as exc:
        return _stored_copy(layer, area, box, store_dir, f"could not fetch fresh data: {exc}")
    result.area = area
    if code:
        in_country = result.frame["country"].isna() | (result.frame["country"] == code)
        result.frame = result.frame[in_country.to_numpy()].reset_index(drop=True)
    if save and len(result.frame):
        where = {"endpoint": endpoint or settings.OVERPASS_URL, "country": code}
        result.stored_path = str(_save(result, FETCHED, store_dir, **where))
    result.message = summary(result) if len(result.frame) else f"no {layer} features in this area ({summary(result)})"
    return result


def _save(result: FetchResult, source_key: str, store_dir: Path | str | None, replace: bool = True, **extra) -> str:
    """Write a result to the store with its metadata record (query, bbox, dates, licence), then build its
    map tiles; the data file's path."""
    path = store.write_area(
        result.frame, result.layer, source_key, result.area, _metadata(result, **extra), store_dir, replace=replace
    )
    record = store.area_record(result.layer, source_key, result.area, store_dir)
    if record is not None:
        _tile_area(record, store_dir)
    return path


def _tile_area(record: dict, store_dir: Path | str | None, progress: Callable[[str], object] | None = None) -> None:
    """Build the vector tiles (for ports: the popups) of a stored area. A failure is logged, not raised: the
    data is stored, and the map draws an area without tiles from the page."""
    try:
        tiles.build_area(record, store_dir, progress=progress or log.info)
    except Exception:  # any failure of the tiler leaves the map drawing from the page
        log.exception("the map tiles of %s could not be built", tiles.area_key(record))


def prepare_tiles(store_dir: Path | str | None = None, progress: Callable[[str], object] | None = None) -> str | None:
    """Make the map's vector tiles current: build the embedded archive (and basemap) when they are missing,
    corrupt or built from other data, and the archive of each stored area that has none. Returns None when
    the tiles are usable, else why not (the map then draws from the page)."""
    progress = progress or log.info
    try:
        sources = tiles.map_sources(store_dir=store_dir)
    except TilesError as exc:
        progress(f"building the map tiles: {exc}")
        try:
            tiles.build_embedded(progress=progress)
            sources = tiles.map_sources(store_dir=store_dir)
        except Exception as failure:  # reported; the map falls back to drawing from the page
            log.exception("the map tiles could not be built")
            return f"the map tiles could not be built ({failure})"
    for record in sources.untiled_areas:
        _tile_area(dict(record), store_dir, progress)
    return None


def _metadata(result: FetchResult, **extra) -> dict:
    """The metadata record of a fetched or imported area: where it came from, when, under which licence."""
    return {
        "source_key": SOURCE,
        "query": result.query,
        **extra,
        "bbox": list(result.bbox),
        "retrieved_at": result.retrieved_at,
        "source_date": result.source_date,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
    }


def _stored_copy(layer: str, area: str, bbox: areas.BBox, store_dir: Path | str | None, reason: str) -> FetchResult:
    """The stored copy of a fetched area, after a failed fetch; `reason` starts the message."""
    empty = schema.conform(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=schema.CRS)), layer)
    base = {"layer": layer, "area": area, "bbox": bbox}
    try:
        record = store.area_record(layer, FETCHED, area, store_dir)
        if record is None:
            return FetchResult(frame=empty, origin="none", message=f"{reason}; nothing stored for this area", **base)
        frame = store.read_area(record, layer, store_dir)
    except (DatasetError, StoreError) as exc:
        return FetchResult(frame=empty, origin="none", message=f"{reason}; the stored copy is unusable ({exc})", **base)
    when = record.get("retrieved_at", "an unknown time")
    return FetchResult(
        frame=frame,
        origin="stored",
        message=f"{reason}; showing the stored copy retrieved {when}",
        retrieved_at=record.get("retrieved_at"),
        source_date=record.get("source_date"),
        stored_path=record["path"],
        **base,
    )


def import_file(
    path: Path,
    layers: Iterable[str] | None = None,
    *,
    store_dir: Path | None = None,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[FetchResult]:
    """Read `layers` (default: all fetched from OpenStreetMap) from a .osm.pbf extract or a saved Overpass .json response and store
    each layer that has features, unless `dry_run`. InputError for another kind of file.

    A stored area is named after the file and keeps the file's SHA-256: importing the same file again
    replaces it with the same data, but a different file of the same name is refused (InputError naming
    `--replace`) unless `replace`. Of two imports of different files racing for one name, one is stored
    and the other refused, never silently lost.
    """
    path = Path(path)
    names = list(layers or osm_layer_names())
    if not path.name.endswith(".pbf") and path.suffix != ".json":
        raise InputError(f"{path.name}: import reads .osm.pbf extracts and Overpass .json responses")
    digest = _file_digest(path)
    source_key = IMPORTED_PBF if path.name.endswith(".pbf") else IMPORTED_JSON
    if not dry_run and not replace:
        for layer in names:
            _check_same_file(path, layer, source_key, file_area_key(path), digest, store_dir)
    if source_key == IMPORTED_PBF:
        results = list(osm_pbf.load(path, tuple(names), progress=progress).values())
    else:
        results = [overpass.load_json(path, layer) for layer in names]
    for result in results:
        if len(result.frame) and not dry_run:
            try:
                result.stored_path = _save(result, source_key, store_dir, replace, file_sha256=digest)
            except AreaExistsError as exc:
                if exc.record.get("file_sha256") != digest:
                    raise _same_name(path, result.layer, result.area, exc.record) from None
                result.stored_path = exc.record.get("path")  # the same file, stored by another import just now
    return results


def _file_digest(path: Path) -> str:
    """The SHA-256 of a file (hex); a missing file is FileNotFoundError naming it."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_same_file(
    path: Path, layer: str, source_key: str, area: str, digest: str, store_dir: Path | str | None
) -> None:
    """InputError when `area` of `layer` is stored from a different file than the one at `path`."""
    existing = store.area_record(layer, source_key, area, store_dir)
    if existing is not None and existing.get("file_sha256") != digest:
        raise _same_name(path, layer, area, existing)


def _same_name(path: Path, layer: str, area: str, existing: dict) -> InputError:
    when = str(existing.get("retrieved_at") or "an unknown date")[:10]
    return InputError(
        f"{path.name}: another file of this name was imported as {layer} area {area!r} (data of {when}); "
        "pass --replace to replace it, or rename the file to add it as a new area"
    )


def download_extract(
    region: str,
    dest_dir: Path | None = None,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    **request_options,
) -> Path:
    """Download the Geofabrik .osm.pbf extract of `region` ("europe/monaco") into `dest_dir` (default
    `<settings.STORE_DIR>/pbf`, or `.cache/pbf` when the store is on object storage), resuming a partial
    download; import it with `import_file`."""
    where = store.location()
    default = Path(where.root) / "pbf" if where.local else settings.REPO_DIR / ".cache" / "pbf"
    folder = Path(dest_dir) if dest_dir else default
    return osm_pbf.download_region(region, folder, base_url=base_url, progress=progress, **request_options)


def seconds_since(timestamp: object, now: datetime | None = None) -> float | None:
    """Seconds from an ISO 8601 time (e.g. "2026-11-22T00:10:00Z"; no zone: UTC) to `now` (default: now), or
    None when `timestamp` is missing or unreadable."""
    try:
        when = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - when).total_seconds()


def stored_status(store_dir: Path | None = None, now: datetime | None = None) -> list[dict]:
    """Every stored area with its age: layer, source, area, retrieved_at, refreshed_at, age_days, stale, features,
    error, path.

    `stale` is True when the data was retrieved more than `settings.STALE_AFTER_DAYS` days ago, or when
    its age is unknown; `error` is set for an area whose metadata record is unreadable. `refreshed_at` is
    when `python -m geo refresh` last wrote the area (None for fetched or imported areas). Raises
    StoreError when the store cannot be reached.
    """
    rows = []
    for record in store.stored_areas(store_dir=store_dir):
        seconds = seconds_since(record.get("retrieved_at"), now)
        age_days = None if seconds is None else seconds / 86400
        rows.append(
            {
                "layer": record.get("layer"),
                "source": record.get("source"),
                "area": record.get("area"),
                "features": record.get("features"),
                "retrieved_at": record.get("retrieved_at"),
                "refreshed_at": record.get("refreshed_at"),
                "age_days": age_days,
                "stale": age_days is None or age_days > settings.STALE_AFTER_DAYS,
                "error": record.get("error"),
                "path": record["path"],
            }
        )
    return rows


# --- refreshing a hosted store ---------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshArea:
    """One area of a refresh: its store key `name`, `bbox` (W,S,E,N degrees, EPSG:4326) and layers."""

    name: str
    bbox: areas.BBox
    layers: tuple[str, ...]


@dataclass(frozen=True)
class RefreshConfig:
    """What `python -m geo refresh` rebuilds: the Overpass `endpoint` (None: `settings.OVERPASS_URL`) and areas."""

    endpoint: str | None
    areas: tuple[RefreshArea, ...]


def read_refresh_config(path: Path) -> RefreshConfig:
    """The refresh configuration in the TOML file at `path`; InputError naming the file and the field otherwise.

    Format: an optional `endpoint = "https://..."`, then one `[[area]]` table per area with `name` (a store
    key: lowercase letters, digits, `_ . -`), `bbox = [W, S, E, N]` and `layers = ["rail", "ports"]`.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name} is not valid TOML ({exc}); fix the line it names") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text; save it as UTF-8") from None
    unknown = set(document) - {"endpoint", "area"}
    if unknown:
        raise InputError(f"{path.name}: unknown setting {sorted(unknown)[0]!r}; use endpoint and [[area]] tables")
    endpoint = document.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or not re.match(r"^https?://[^\s/]+\S*$", endpoint)):
        raise InputError(f"{path.name}: endpoint must be an http(s) URL, got {str(endpoint)[:80]!r}")
    tables = document.get("area")
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{path.name} names no area; add an [[area]] table with name, bbox and layers")
    found: list[RefreshArea] = []
    for number, table in enumerate(tables, start=1):
        found.append(_refresh_area(path.name, number, table))
    names = [area.name for area in found]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(f"{path.name}: area {duplicated[0]!r} is named twice; give each area its own name")
    return RefreshConfig(endpoint, tuple(found))


def _refresh_area(file_name: str, number: int, table: object) -> RefreshArea:
    where = f"{file_name}, area {number}"
    if not isinstance(table, dict):
        raise InputError(f"{where}: write each area as an [[area]] table")
    unknown = set(table) - {"name", "bbox", "layers"}
    if unknown:
        raise InputError(f"{where}: unknown field {sorted(unknown)[0]!r}; an area has name, bbox and layers")
    name = table.get("name")
    if not isinstance(name, str) or not store.AREA_KEY.match(name) or ".." in name:
        raise InputError(f"{where}: name must be lowercase letters, digits, '_', '.' or '-', got {str(name)[:40]!r}")
    where = f"{file_name}, area {name!r}"
    bbox = table.get("bbox")
    if not isinstance(bbox, list) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox):
        raise InputError(f"{where}: bbox must be four numbers [W, S, E, N] in degrees")
    try:
        box = areas.validate_bbox(bbox)
        areas.check_area_size(box)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    layers = table.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(v, str) for v in layers):
        raise InputError(f'{where}: layers must be a list of layer names, e.g. ["rail", "ports"]')
    try:
        for layer in layers:
            get_layer(layer)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    return RefreshArea(name, box, tuple(dict.fromkeys(layers)))


@dataclass
class RefreshRun:
    """What one refresh did: each area and layer written (`steps`), and why it failed (`error`), if it did."""

    store: str
    started_at: str
    steps: list[dict] = field(default_factory=list)
    generation: str | None = None
    finished_at: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "store": self.store,
            "generation": self.generation,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "steps": self.steps,
        }


# The steps run for each area, in order: each writes into the new generation and returns one row per
# thing it did. With vector tiles (issue 10), "rebuild the area's tiles" is appended here, so a tile
# archive is published in the same generation as the data it is drawn from.
RefreshStep = Callable[[RefreshArea, RefreshConfig, store.Generation, Progress | None, dict], list[dict]]


def _fetch_area_layers(
    area: RefreshArea, config: RefreshConfig, generation: store.Generation, progress: Progress | None, options: dict
) -> list[dict]:
    """Fetch each layer of `area` from Overpass (never from the HTTP cache) and write it, empty or not."""
    rows = []
    for layer in area.layers:
        try:
            result = overpass.fetch_layer(
                layer, area.bbox, endpoint=config.endpoint, progress=progress, use_cache=False, **options
            )
        except (FetchError, OverpassError) as exc:
            raise type(exc)(f"{layer}: {exc}") from None
        result.area = area.name
        refreshed_at = utc_timestamp()
        metadata = _metadata(result, endpoint=config.endpoint or settings.OVERPASS_URL, refreshed_at=refreshed_at)
        generation.write_area(result.frame, layer, FETCHED, area.name, metadata)
        rows.append(
            {
                "area": area.name,
                "layer": layer,
                "features": len(result.frame),
                "refreshed_at": refreshed_at,
                "source_date": result.source_date,
                "seconds": round(result.seconds, 1),
                "notes": result.notes,
            }
        )
    return rows


REFRESH_STEPS: tuple[RefreshStep, ...] = (_fetch_area_layers,)


def _tile_published(store_dir: Path | str | None) -> None:
    """After a refresh is published: the map tiles of its areas, into `settings.TILES_DIR` (upload them to
    `settings.TILES_URL` when the map reads tiles from object storage). Until they are built, the map draws
    the new areas from the page; a failure is logged and leaves it so."""
    try:
        problem = prepare_tiles(store_dir)
    except Exception:  # the refresh itself succeeded; the tiles follow at the next refresh or app start
        log.exception("the map tiles of the refreshed store could not be built")
        return
    if problem:
        log.warning(problem)


def refresh(
    config: RefreshConfig,
    store_dir: Path | str | None = None,
    *,
    progress: Progress | None = None,
    report: Callable[[dict], None] | None = None,
    **options,
) -> RefreshRun:
    """Rebuild the store (a folder or s3://bucket/prefix; default `settings.STORE_DIR`) from `config`.

    Every area runs `REFRESH_STEPS` into a new generation, published in one step only when all succeed:
    readers never see a half-built store, and a failure (an endpoint down, an error answer) keeps the last
    good generation and is returned in `RefreshRun.error`, naming the area and layer. `report(row)` is
    called after each area and layer. The run's summary goes to `last-refresh.json` of the store, good or
    failed, and the published generation keeps its own. Works in hosted mode too: this is the operator's
    tool, not the visitors'. `options` go to `overpass.fetch_layer` (retries, backoff_s, sleep ...).
    """
    where = store.location(store_dir)
    run = RefreshRun(store=where.url, started_at=utc_timestamp())
    generation, current = None, "the store"
    try:
        store.clean_leftovers(store_dir)
        generation = store.Generation(store_dir)
        for area in config.areas:
            current = area.name
            for step in REFRESH_STEPS:
                for row in step(area, config, generation, progress, options):
                    run.steps.append(row)
                    if report:
                        report(row)
        run.generation, run.finished_at = generation.id, utc_timestamp()
        generation.publish(run.summary())
        _tile_published(store_dir)
    except (FetchError, OverpassError, StoreError, OutputError, OSError) as exc:
        run.generation, run.error = None, f"{current}: {exc}"
        if generation is not None:
            with contextlib.suppress(Exception):  # the store may be what failed; the pointer was never moved
                generation.discard()
    run.finished_at = run.finished_at or utc_timestamp()
    try:
        store.write_refresh_log(run.summary(), store_dir)
    except Exception as exc:  # the refresh's own outcome stands; the operator sees it on stderr
        log.warning("could not write the refresh log: %r", exc)
    return run


# --- features and policies -------------------------------------------------------------------------


def find_feature(feature_id: str, store_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The feature `feature_id` (e.g. "gisco:NLRTM") from the embedded snapshot or the store, as a one-row frame.

    InputError for a malformed id or one found nowhere.
    """
    if not schema.ID_PATTERN.match(feature_id):
        raise InputError(f"feature ids look like 'gisco:NLRTM' or 'osm:way/123', got {feature_id[:80]!r}")
    for layer in layer_names():
        embedded = store.embedded_path(layer)
        if embedded.exists():
            frame = gpd.read_parquet(embedded, filters=[("id", "==", feature_id)])
            if len(frame):
                return frame
        for record in store.stored_areas(layer, store_dir):
            try:
                frame = store.read_area(record, layer, store_dir)
            except DatasetError:
                continue  # reported where the store is listed; a search goes on
            if (frame["id"] == feature_id).any():
                return frame[frame["id"] == feature_id].reset_index(drop=True)
    raise InputError(f"no feature {feature_id!r} in the embedded data or your store; search by name in the app")


def selection_policies(layers: Iterable[str] | None = None, country_names: Iterable[str] | None = None) -> dict:
    """The EU documents that may apply to `layers` (default: all) in the countries named (codes or names;
    default: anywhere), as `policy_views.selection_report` gives them."""
    codes = [countries.resolve_country(name) for name in country_names or ()] or None
    return policy_views.selection_report(list(layers or ()) or None, codes)


def feature_policies(feature_id: str) -> dict:
    """The EU documents that apply to one feature, each with how sure the match is and why
    (`policy_views.feature_report`)."""
    return policy_views.feature_report(find_feature(feature_id))


# --- maps, statistics and downloads ----------------------------------------------------------------


def map_request(
    loaded: select.Layers,
    layers: Iterable[str],
    country_codes: Iterable[str] | None = None,
    bbox: areas.BBox | None = None,
    *,
    outlines: gpd.GeoDataFrame | None = None,
    document: str | None = None,
    tiled: bool = False,
    **options,
) -> render.MapRequest:
    """What the map shows for a selection, for the app and `python -m geo render`.

    `loaded` is `geo.select.load_layers()`; `country_codes` are alpha-2 codes (None: all); `bbox` is
    W,S,E,N degrees, cutting the layers to a region (default: no cut; the map fits the selected
    countries' outlines, else Europe). Without a `bbox` every feature of the countries is drawn, as
    the statistics and exports select them. The level of detail follows the area and the page budget
    (`geo.view.plan_view`); a coarser level is announced in the request's `notice`. `document` (a
    policy document id) keeps only the features it applies to ("show on map"). `options` are further
    `render.MapRequest` fields (basemap, seed_ports, show_seed, highlight, assets ...).

    With `tiled`, the lines are drawn from the vector tiles (`geo.tiles`), which sharpen as the user
    zooms, and `bbox` only frames the view; when the tiles cannot be used the map is drawn from the page
    as without `tiled`, and its notice says why.
    """
    codes = areas.normalise_countries(country_codes) if country_codes is not None else None
    area = bbox
    if area is None and outlines is not None:
        # All of Europe is framed on the land of the countries the snapshot has features in, not on the
        # outlines table (Greenland) nor on every feature (a ferry line far out in the Atlantic).
        area = areas.countries_bbox(outlines, codes or snapshot_countries(loaded))
    fallback = None
    if tiled:
        try:
            return _tiled_request(
                loaded,
                layers,
                codes,
                bbox or area,
                outlines,
                document,
                tiles.map_sources(store_dir=loaded.store_dir),
                options,
            )
        except TilesError as exc:
            log.warning("map tiles not used: %s", exc)
            fallback = f"The map is drawn without detail that follows the zoom: {exc}."
    planned = view.plan_view(loaded, layers, codes, bbox, extent=area)
    frames, notice = planned.frames, " ".join(filter(None, [fallback, planned.message])) or None
    if document:
        frames, shown, corridor = _document_view(frames, document)
        notice = " ".join(filter(None, [notice, shown]))
        options["overlays"] = (*options.get("overlays", ()), *corridor)
    stored = [frame["id"] for frame in loaded.stored.values() if frame is not None]
    return render.MapRequest(
        frames=frames,
        decimals=levels.decimals_for_level(planned.level),
        full_detail_ids=frozenset(pd.concat(stored)) if stored else frozenset(),
        countries=outlines,
        bounds=area,
        notice=notice,
        **options,
    )


def snapshot_countries(loaded: select.Layers) -> list[str]:
    """The alpha-2 codes of the countries at least one feature of the loaded layers lies in."""
    codes: set[str] = set()
    for layer in layer_names():
        frame = loaded[layer]
        for column in select.country_columns(frame):
            codes |= set(frame[column].dropna().astype(str))
    return sorted(codes)


def _tiled_request(
    loaded: select.Layers,
    layers: Iterable[str],
    codes: list[str] | None,
    area: areas.BBox | None,
    outlines: gpd.GeoDataFrame | None,
    document: str | None,
    sources: tiles.MapSources,
    options: dict,
) -> render.MapRequest:
    """The map request of `map_request` when the tiles are used: whole selections, nothing planned by level."""
    frames = {layer: select.select(loaded[layer], codes) for layer in layers}
    parts: dict[str, list] = {}
    for record in sources.untiled_areas:
        if record["layer"] in frames:
            try:
                stored = store.read_area(dict(record), record["layer"], loaded.store_dir)
            except DatasetError:  # `load_layers` has already told the reader this area cannot be read
                continue
            parts.setdefault(record["layer"], []).append(select.select(stored, codes))
    untiled = {layer: pd.concat(found) for layer, found in parts.items()}
    notice, only = None, None
    if document:
        frames, notice, corridor = _document_view(frames, document)
        untiled = _document_view(untiled, document)[0] if untiled else {}
        if corridor:  # the features named on the corridor's line, not all those of its countries
            options["overlays"] = (*options.get("overlays", ()), *corridor)
            only = frozenset(pd.concat([frame["id"] for frame in frames.values()])) if frames else frozenset()
    return render.MapRequest(
        frames=frames,
        countries=outlines,
        bounds=area,
        notice=notice,
        tiles=sources,
        untiled=untiled,
        filter_countries=tuple(codes) if codes is not None else None,
        document=document,
        filter_ids=only,
        **options,
    )


def _document_view(
    frames: dict[str, gpd.GeoDataFrame], document: str
) -> tuple[dict[str, gpd.GeoDataFrame], str, tuple[render.Overlay, ...]]:
    """ "Show on map" of a policy document: the features it applies to, a line saying what is shown, and
    for a corridor with nodes its indicative line as an overlay (`route.document_view`)."""
    kept, notice, line = route.document_view(frames, document)
    corridor = () if line is None else (render.Overlay("corridor", "Corridor (indicative alignment)", line),)
    return kept, notice, corridor


def country_statistics(loaded: select.Layers, country_codes: Iterable[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """The statistics of the selected countries (None: all of Europe), and what a reader must know about
    their sources (`geo.stats`)."""
    codes = None if country_codes is None else list(country_codes)
    frames = {layer: select.select(loaded[layer], codes) for layer in loaded.frames}
    return stats.country_stats(frames, countries=codes), stats.caveats(frames)


def download(
    loaded: select.Layers,
    layers: Sequence[str],
    fmt: str,
    selection: export.Selection,
    *,
    bundle: bool = False,
    max_features: int | None = None,
) -> export.Download:
    """One download (one layer, or a bundle of `layers`) of the selection, checked now and built on demand."""
    frames = {layer: export.select_layer(loaded[layer], selection) for layer in layers}
    if bundle:
        return export.bundle_download(frames, fmt, selection, max_features)
    return export.layer_download(frames[layers[0]], layers[0], fmt, selection, max_features)
