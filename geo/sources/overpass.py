"""Live OpenStreetMap features from an Overpass API endpoint, for one layer and one area.

Query text is built only from the layer catalogue's tag filters (`geo.layers`) and numbers
formatted here, after validation; no user text reaches it. Areas larger than
`settings.OVERPASS_TILE_DEG2` are split into tiles, fetched one by one with a progress callback,
and merged. Responses are cached on disk (`geo.sources._http`). Both Overpass JSON shapes are
parsed, vectorised with numpy and shapely 2:

- `out body; >; out skel qt;` ways list node ids, nodes carry coordinates;
- `out geom;` ways and relation members carry their coordinates inline.

All geometry is EPSG:4326 (lon/lat degrees); lengths in km.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter, methodcaller
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import shapely

from geo import schema, settings, store
from geo.layers import LayerSpec, get_layer
from geo.sources import _http
from geo.sources._osm import ATTRIBUTION, LICENCE, SOURCE, OsmElements, file_area_key, normalise, provenance

STORE_SOURCE = "osm_overpass"  # the store key of features fetched from Overpass
SHAPES = ("body", "geom")
_SAFE_TAG = re.compile(r"^[a-z0-9_:]+$")
_OUTPUT = {"body": "out body;\n>;\nout skel qt;", "geom": "out geom qt;"}

Progress = Callable[[int, int | None, str], None]


class OverpassError(RuntimeError):
    """The endpoint answered, but not with usable Overpass JSON (an error remark, HTML, truncated JSON)."""


# --- input validation ------------------------------------------------------------------------------


def parse_bbox(value: str | tuple | list) -> tuple[float, float, float, float]:
    """Validate a bbox "W,S,E,N" (lon/lat degrees, EPSG:4326) and return it as four floats.

    Raises ValueError when a value is not a finite number, out of range, or the box is inverted or empty.
    """
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 4:
        raise ValueError(f"bbox needs four numbers W,S,E,N (lon/lat degrees), got {str(value)[:60]!r}")
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"bbox values must be numbers W,S,E,N, got {str(value)[:60]!r}") from None
    if not all(map(math.isfinite, (west, south, east, north))):
        raise ValueError("bbox values must be finite numbers")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ValueError(f"bbox longitudes must be within -180..180, got W={west}, E={east}")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ValueError(f"bbox latitudes must be within -90..90, got S={south}, N={north}")
    if west >= east or south >= north:
        raise ValueError(f"bbox is inverted or empty: W={west} must be < E={east} and S={south} < N={north}")
    return west, south, east, north


def check_area_size(bbox: tuple[float, float, float, float], limit_deg2: float | None = None) -> None:
    """ValueError if `bbox` covers more than `limit_deg2` square degrees (default `settings.MAX_FETCH_AREA_DEG2`)."""
    limit = settings.MAX_FETCH_AREA_DEG2 if limit_deg2 is None else limit_deg2
    west, south, east, north = bbox
    size = (east - west) * (north - south)
    if size > limit:
        raise ValueError(
            f"area too large: {size:.1f} square degrees, the limit is {limit:g}; choose a smaller bbox or a country"
        )


def country_bbox(country: str) -> tuple[str, tuple[float, float, float, float]]:
    """(ISO alpha-2 code, bbox W,S,E,N) of a country code or name, within `settings.EUROPE_BBOX`.

    Raises `geo.countries.UnknownCountryError` (a ValueError) for an unknown country.
    """
    from geo import countries

    code = countries.resolve_country(country)
    table = countries.load_countries()
    shape = table.loc[table["iso2"] == code, "geometry"].union_all()
    clipped = shape.intersection(shapely.box(*settings.EUROPE_BBOX))
    west, south, east, north = (clipped if not clipped.is_empty else shape).bounds
    return code, (west, south, east, north)


def resolve_area(
    bbox: str | tuple | None = None, country: str | None = None
) -> tuple[tuple[float, float, float, float], str, str | None]:
    """Validate what the user asked for: (bbox, store area key, country code or None).

    A country gives its bbox; with both, the intersection is used. Raises ValueError before any request.
    """
    if bbox is None and country is None:
        raise ValueError("give a bbox (W,S,E,N) or a country")
    box = parse_bbox(bbox) if bbox is not None else None
    code = None
    if country is not None:
        code, country_box = country_bbox(country)
        if box is not None:
            west, south = max(box[0], country_box[0]), max(box[1], country_box[1])
            east, north = min(box[2], country_box[2]), min(box[3], country_box[3])
            if west >= east or south >= north:
                raise ValueError(f"bbox {box} does not overlap {code}")
            box = (west, south, east, north)
        else:
            box = country_box
    assert box is not None
    check_area_size(box)
    key = code.lower() if code and bbox is None else "bbox_" + "_".join(f"{v:.3f}" for v in box)
    return box, key, code


# --- query -----------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    if not _SAFE_TAG.match(text):  # catalogue values only; refuse anything that would need escaping
        raise ValueError(f"tag {text!r} in the layer catalogue is not a plain OSM key/value")
    return f'"{text}"'


def _filter_statements(layer: LayerSpec) -> list[str]:
    """One Overpass QL statement per element type and catalogue filter."""
    statements = []
    for osm_filter in layer.osm_filters:
        built = [v for v in osm_filter.values if v != "construction"]
        for element in osm_filter.elements:
            key = _quoted(osm_filter.key)
            if not osm_filter.values:
                statements.append(f"{element}[{key}];")
                continue
            if built:
                values = "|".join(_quoted(v)[1:-1] for v in built)
                statements.append(f'{element}[{key}~"^({values})$"];')
            if "construction" in osm_filter.values and built:
                statements.append(f'{element}[{key}="construction"]["construction"~"^({values})$"];')
    return statements


def build_query(
    layer: str,
    bbox: tuple[float, float, float, float],
    *,
    shape: str = "body",
    timeout_s: int = settings.OVERPASS_TIMEOUT_S,
    maxsize_bytes: int = settings.OVERPASS_MAXSIZE_BYTES,
) -> str:
    """Overpass QL for the features of `layer` inside `bbox` (W,S,E,N degrees), in output `shape`."""
    if shape not in SHAPES:
        raise ValueError(f"unknown output shape {shape!r}; choose one of {SHAPES}")
    west, south, east, north = parse_bbox(bbox)
    header = (
        f"[out:json][timeout:{int(timeout_s)}][maxsize:{int(maxsize_bytes)}]"
        f"[bbox:{south:.6f},{west:.6f},{north:.6f},{east:.6f}];"
    )
    body = "\n".join(f"  {s}" for s in _filter_statements(get_layer(layer)))
    return f"{header}\n(\n{body}\n);\n{_OUTPUT[shape]}"


def tiles(bbox: tuple[float, float, float, float], tile_deg2: float | None = None) -> list[tuple[float, ...]]:
    """Split `bbox` into a grid of equal tiles of at most `tile_deg2` square degrees each."""
    limit = settings.OVERPASS_TILE_DEG2 if tile_deg2 is None else tile_deg2
    west, south, east, north = bbox
    side = math.sqrt(limit)
    columns, rows = max(1, math.ceil((east - west) / side - 1e-9)), max(1, math.ceil((north - south) / side - 1e-9))
    xs, ys = np.linspace(west, east, columns + 1), np.linspace(south, north, rows + 1)
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(rows) for i in range(columns)]


# --- parsing ---------------------------------------------------------------------------------------


def decode(content: bytes) -> dict:
    """The Overpass JSON document in `content`; OverpassError for HTML, broken JSON or an error remark."""
    head = content[:512].lstrip()
    if head[:1] == b"<":
        text = " ".join(re.sub(rb"<[^>]*>", b" ", content[:4000]).decode("utf-8", "replace").split())
        raise OverpassError(f"the endpoint answered HTML instead of JSON: {text[:200]}")
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise OverpassError(f"the response is not valid JSON (truncated or corrupt?): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise OverpassError("the response is JSON but not an Overpass result (no 'elements' list)")
    remark = str(data.get("remark") or "")
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise OverpassError(f"Overpass reported: {remark[:300]}")
    return data


def _lines_from_inline(geometries: list[list]) -> tuple[np.ndarray, np.ndarray]:
    """LineStrings from inline `[{"lat":…,"lon":…}, …]` lists; (geometry, ok mask). Lists with gaps or < 2 points fail."""
    lengths = np.fromiter(map(len, geometries), np.int64, count=len(geometries))
    gaps = np.fromiter(map(methodcaller("__contains__", None), geometries), bool, count=len(geometries))
    ok = (lengths >= 2) & ~gaps
    good = [geometries[i] for i in np.flatnonzero(ok)]
    points = list(chain.from_iterable(good))
    lon = np.fromiter(map(itemgetter("lon"), points), float, count=len(points))
    lat = np.fromiter(map(itemgetter("lat"), points), float, count=len(points))
    out = np.full(len(geometries), None, dtype=object)
    if len(points):
        index = np.repeat(np.arange(len(good)), lengths[ok])
        out[ok] = shapely.linestrings(np.column_stack([lon, lat]), indices=index)
    return out, ok


def _lines_from_refs(refs: list[list[int]], node_ids: np.ndarray, node_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LineStrings from node-id lists looked up in sorted `node_ids`; (geometry, ok mask). Missing nodes fail a way."""
    lengths = np.fromiter(map(len, refs), np.int64, count=len(refs))
    flat = np.fromiter(chain.from_iterable(refs), np.int64, count=int(lengths.sum()))
    pos = np.clip(np.searchsorted(node_ids, flat), 0, max(len(node_ids) - 1, 0))
    found = node_ids[pos] == flat if len(node_ids) else np.zeros(len(flat), bool)
    owner = np.repeat(np.arange(len(refs)), lengths)
    missing = np.bincount(owner[~found], minlength=len(refs)) > 0
    ok = (lengths >= 2) & ~missing
    out = np.full(len(refs), None, dtype=object)
    take = ok[owner]
    if take.any():
        _, index = np.unique(owner[take], return_inverse=True)
        out[ok] = shapely.linestrings(node_xy[pos[take]], indices=index)
    return out, ok


def _areas_from_members(member_lines: list[np.ndarray]) -> np.ndarray:
    """A (multi)polygon per relation from its member ways' lines (outer and inner rings by even-odd)."""
    return np.array(
        [shapely.build_area(shapely.union_all(lines)) if len(lines) else None for lines in member_lines], dtype=object
    )


def parse_elements(data: dict) -> OsmElements:
    """Tagged nodes, ways and relations of an Overpass JSON document, with geometry (EPSG:4326).

    Handles both output shapes; no Python loop runs per vertex. Ways referencing nodes that are
    not in the response, and relations whose members do not close into an area, are dropped with a
    note. Raises OverpassError when elements lack the fields Overpass always sends.
    """
    try:
        return _parse_elements(data["elements"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise OverpassError(f"the response has malformed elements ({type(exc).__name__}: {exc})") from None


def _parse_elements(elements: list) -> OsmElements:
    types = np.array(list(map(methodcaller("get", "type"), elements)), dtype=object)
    notes: list[str] = []

    def pick(kind: str) -> list[dict]:
        index = np.flatnonzero(types == kind)
        return [elements[i] for i in index]

    nodes, ways, relations = pick("node"), pick("way"), pick("relation")

    # Nodes: every coordinate (for way lookups) and the tagged ones as point features.
    node_ids = np.fromiter(map(itemgetter("id"), nodes), np.int64, count=len(nodes))
    has_xy = np.fromiter(map(methodcaller("__contains__", "lat"), nodes), bool, count=len(nodes))
    located = [nodes[i] for i in np.flatnonzero(has_xy)] if not has_xy.all() else nodes
    xy = np.column_stack(
        [
            np.fromiter(map(itemgetter("lon"), located), float, count=len(located)),
            np.fromiter(map(itemgetter("lat"), located), float, count=len(located)),
        ]
    )
    located_ids = node_ids[has_xy]
    order = np.argsort(located_ids, kind="stable")
    sorted_ids, sorted_xy = located_ids[order], xy[order]
    tagged = np.fromiter(map(methodcaller("__contains__", "tags"), nodes), bool, count=len(nodes)) & has_xy
    point_features = shapely.points(xy[tagged[has_xy]]) if len(xy) else np.array([], dtype=object)
    node_tags = [nodes[i]["tags"] for i in np.flatnonzero(tagged)]

    # Ways: inline geometry (out geom) or node references (out body + skel).
    way_ids = np.fromiter(map(itemgetter("id"), ways), np.int64, count=len(ways))
    inline = np.fromiter(map(methodcaller("__contains__", "geometry"), ways), bool, count=len(ways))
    way_lines = np.full(len(ways), None, dtype=object)
    way_ok = np.zeros(len(ways), bool)
    if inline.any():
        idx = np.flatnonzero(inline)
        way_lines[idx], way_ok[idx] = _lines_from_inline([ways[i]["geometry"] for i in idx])
    if (~inline).any():
        idx = np.flatnonzero(~inline)
        refs = [ways[i].get("nodes", []) for i in idx]
        way_lines[idx], way_ok[idx] = _lines_from_refs(refs, sorted_ids, sorted_xy)
    way_tags = list(map(methodcaller("get", "tags", {}), ways))
    if (~way_ok).any():
        notes.append(f"{int((~way_ok).sum())} ways without complete geometry dropped")

    # Relations: areas assembled from member ways (inline member geometry, or ways in the response).
    lookup = dict(zip(way_ids[way_ok].tolist(), way_lines[way_ok], strict=True))
    member_lines = []
    for relation in relations:
        members = [m for m in relation.get("members", ()) if m.get("type") == "way"]
        inline_members = [m["geometry"] for m in members if "geometry" in m]
        lines = list(_lines_from_inline(inline_members)[0]) if inline_members else []
        lines += [lookup[m["ref"]] for m in members if "geometry" not in m and m.get("ref") in lookup]
        member_lines.append([g for g in lines if g is not None])
    relation_areas = _areas_from_members(member_lines)
    relation_ok = np.array([g is not None and not g.is_empty for g in relation_areas], dtype=bool)
    if len(relations) and (~relation_ok).any():
        notes.append(f"{int((~relation_ok).sum())} relations without a closed area dropped")

    parts = [
        OsmElements(np.full(int(tagged.sum()), "node", dtype=object), node_ids[tagged], node_tags, point_features),
        _subset("way", way_ids, way_tags, way_lines, way_ok),
        _subset(
            "relation",
            np.fromiter(map(itemgetter("id"), relations), np.int64, count=len(relations)),
            list(map(methodcaller("get", "tags", {}), relations)),
            relation_areas,
            relation_ok,
        ),
    ]
    # A way can come twice (tagged, and untagged from recursion): keep the tagged copy.
    parts = [_tagged_first(p) for p in parts]
    merged = OsmElements.concat(parts)
    merged.notes = notes
    return merged


def _subset(kind: str, ids: np.ndarray, tags: list, geometry: np.ndarray, ok: np.ndarray) -> OsmElements:
    keep = np.flatnonzero(ok)
    return OsmElements(np.full(len(keep), kind, dtype=object), ids[keep], [tags[i] for i in keep], geometry[keep])


def _tagged_first(elements: OsmElements) -> OsmElements:
    if not len(elements):
        return elements
    order = np.argsort([0 if t else 1 for t in elements.tags], kind="stable")
    return OsmElements(
        elements.types[order], elements.ids[order], [elements.tags[i] for i in order], elements.geometry[order]
    )


def _read(content: bytes) -> tuple[dict, OsmElements]:
    """The decoded document and its parsed elements; OverpassError for anything unusable."""
    data = decode(content)
    return data, parse_elements(data)


def data_timestamp(data: dict) -> str | None:
    """The OSM data timestamp of a response (`osm3s.timestamp_osm_base`), ISO 8601, or None."""
    osm3s = data.get("osm3s")
    stamp = osm3s.get("timestamp_osm_base") if isinstance(osm3s, dict) else None
    return str(stamp) if stamp and re.match(r"^\d{4}-\d{2}-\d{2}", str(stamp)) else None


# --- fetching --------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    """Features of one layer and area, and what happened while getting them."""

    frame: gpd.GeoDataFrame
    layer: str
    area: str
    bbox: tuple[float, float, float, float]
    origin: str  # "network", "cache", "stored" (network failed, stored copy used) or "none"
    message: str  # one line for the user
    query: str = ""
    source_date: str | None = None
    retrieved_at: str | None = None
    seconds: float = 0.0
    stored_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.origin in ("network", "cache")

    @property
    def km(self) -> float:
        return float(self.frame["length_km"].sum()) if "length_km" in self.frame else 0.0


def fetch_layer(
    layer: str,
    bbox: tuple[float, float, float, float],
    *,
    endpoint: str | None = None,
    shape: str = "body",
    tile_deg2: float | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    assign_country: bool = True,
    **request_options,
) -> FetchResult:
    """Fetch `layer` inside `bbox` (validated W,S,E,N degrees) from Overpass, tile by tile, and normalise it.

    Raises ValueError for bad input (before any request), `_http.FetchError` when the endpoint cannot be
    reached or keeps failing, OverpassError when it answers with an error. `request_options` go to
    `_http.request_with_retries` (timeout_s, retries, backoff_s, sleep).
    """
    get_layer(layer)
    bbox = parse_bbox(bbox)
    check_area_size(bbox)
    endpoint = endpoint or settings.OVERPASS_URL
    if not re.match(r"^https?://[^\s/]+", endpoint):
        raise ValueError(f"endpoint must be an http(s) URL, got {endpoint[:80]!r}")
    request_options.setdefault("timeout_s", settings.OVERPASS_TIMEOUT_S + 30)
    started = time.monotonic()
    boxes = tiles(bbox, tile_deg2)
    batches, stamps, notes, retrieved, queries, cached = [], [], [], [], [], []
    for number, box in enumerate(boxes, start=1):
        if progress:
            progress(number - 1, len(boxes), f"{layer}: tile {number} of {len(boxes)}")
        query = build_query(layer, box, shape=shape)
        response = _http.cached_post(
            endpoint,
            {"data": query},
            namespace="overpass",
            validate=_read,
            max_age_s=settings.OVERPASS_CACHE_MAX_AGE_S,
            cache_dir=cache_dir,
            use_cache=use_cache,
            **request_options,
        )
        data, elements = response.parsed or _read(response.content)
        batches.append(elements)
        notes += response.notes + elements.notes + _remark_note(data)
        stamps.append(data_timestamp(data))
        retrieved.append(response.retrieved_at)
        queries.append(query)
        cached.append(response.from_cache)
    if progress:
        progress(len(boxes), len(boxes), f"{layer}: {len(boxes)} of {len(boxes)} tiles fetched")
    known = [s for s in stamps if s]
    source_date = min(known) if known else None
    retrieved_at = min(retrieved)
    origin_text = f"overpass {endpoint} bbox {','.join(f'{v:.6f}' for v in bbox)}"
    frame, dropped = normalise(
        OsmElements.concat(batches),
        layer,
        provenance(source_date, retrieved_at),
        origin=origin_text,
        assign_country=assign_country,
    )
    origin = "cache" if all(cached) else "network"
    result = FetchResult(
        frame=frame,
        layer=layer,
        area="",
        bbox=bbox,
        origin=origin,
        message="",
        query="\n\n".join(queries),
        source_date=source_date,
        retrieved_at=retrieved_at,
        seconds=time.monotonic() - started,
        notes=notes + dropped,
    )
    result.message = summary(result)
    return result


def _remark_note(data: dict) -> list[str]:
    remark = data.get("remark")
    return [f"Overpass remark: {str(remark)[:200]}"] if remark else []


def summary(result: FetchResult) -> str:
    """One line: features, km, source, data date, time taken."""
    where = {"network": "fetched from Overpass", "cache": "from the local cache", "stored": "from the store"}
    text = f"{len(result.frame)} {result.layer} features"
    if result.layer != "ports":
        text += f", {result.km:,.1f} km"
    text += f", {where.get(result.origin, result.origin)}"
    if result.source_date:
        text += f", OSM data of {result.source_date[:10]}"
    return text + f", {result.seconds:.1f} s"


def fetch_area(
    layer: str,
    *,
    bbox: str | tuple | None = None,
    country: str | None = None,
    endpoint: str | None = None,
    store_dir: Path | None = None,
    save: bool = True,
    progress: Progress | None = None,
    **options,
) -> FetchResult:
    """Fetch, store and return `layer` for a bbox or a country; the one call the app and CLI make.

    Bad input raises ValueError before any request; in hosted mode it raises PermissionError. When the network or the endpoint fails, the
    stored copy of the same area is returned instead (`origin == "stored"`, the message says why),
    or, with nothing stored, a result with no features (`origin == "none"`). A corrupt stored copy
    is reported, not used. `options` go to `fetch_layer`.
    """
    if settings.MODE == "hosted":
        raise PermissionError("fetching live OpenStreetMap data is disabled on the hosted dashboard")
    if not get_layer(layer).osm_filters:
        raise ValueError(f"the {layer} layer is derived from other layers, not fetched: fetch rail or roads instead")
    box, area, code = resolve_area(bbox, country)
    try:
        result = fetch_layer(layer, box, endpoint=endpoint, progress=progress, **options)
    except (_http.FetchError, OverpassError) as exc:
        return _stored_fallback(layer, area, box, store_dir, f"could not fetch fresh data: {exc}")
    result.area = area
    if code:
        in_country = result.frame["country"].isna() | (result.frame["country"] == code)
        result.frame = result.frame[in_country.to_numpy()].reset_index(drop=True)
    if save and len(result.frame):
        metadata = {
            "source_key": SOURCE,
            "query": result.query,
            "endpoint": endpoint or settings.OVERPASS_URL,
            "bbox": list(box),
            "country": code,
            "retrieved_at": result.retrieved_at,
            "source_date": result.source_date,
            "licence": LICENCE,
            "attribution": ATTRIBUTION,
        }
        result.stored_path = str(store.write_area(result.frame, layer, STORE_SOURCE, area, metadata, store_dir))
    if not len(result.frame):
        result.message = f"no {layer} features in this area ({summary(result)})"
    else:
        result.message = summary(result)
    return result


def _stored_fallback(layer: str, area: str, bbox, store_dir: Path | None, reason: str) -> FetchResult:
    path = store.area_path(layer, STORE_SOURCE, area, store_dir)
    empty = schema.conform(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=schema.CRS)), layer)
    base = {"layer": layer, "area": area, "bbox": bbox}
    if not path.exists():
        return FetchResult(frame=empty, origin="none", message=f"{reason}; nothing stored for this area", **base)
    try:
        frame = store.read_layer_file(path, layer)
    except store.DatasetError as exc:
        return FetchResult(frame=empty, origin="none", message=f"{reason}; the stored copy is unusable ({exc})", **base)
    record = (
        json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) if path.with_suffix(".json").exists() else {}
    )
    when = record.get("retrieved_at", "an unknown time")
    return FetchResult(
        frame=frame,
        origin="stored",
        message=f"{reason}; showing the stored copy retrieved {when}",
        retrieved_at=record.get("retrieved_at"),
        source_date=record.get("source_date"),
        stored_path=str(path),
        **base,
    )


def stored_status(store_dir: Path | None = None, now: datetime | None = None) -> list[dict]:
    """Every stored area with its age: layer, source, area, retrieved_at, age_days, stale, features, error.

    `stale` is True when the data was retrieved more than `settings.STALE_AFTER_DAYS` days ago, or when
    its age is unknown; `error` is set for an area whose metadata record is unreadable.
    """
    now = now or datetime.now(UTC)
    rows = []
    for record in store.stored_areas(store_dir=store_dir):
        try:
            retrieved = datetime.fromisoformat(str(record.get("retrieved_at")).replace("Z", "+00:00"))
            age_days = (now - retrieved).total_seconds() / 86400
        except ValueError:
            age_days = None
        rows.append(
            {
                "layer": record.get("layer"),
                "source": record.get("source"),
                "area": record.get("area"),
                "features": record.get("features"),
                "retrieved_at": record.get("retrieved_at"),
                "age_days": age_days,
                "stale": age_days is None or age_days > settings.STALE_AFTER_DAYS,
                "error": record.get("error"),
                "path": record["path"],
            }
        )
    return rows


def file_retrieved_at(path: Path) -> str:
    """When a local file's data was retrieved, as far as we know: its modification time (UTC ISO 8601)."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_result(
    path: Path,
    layer: str,
    frame: gpd.GeoDataFrame,
    *,
    source_date: str | None,
    retrieved_at: str,
    started: float,
    notes: list[str],
) -> FetchResult:
    """The FetchResult of features read from a local file (`started`: time.monotonic() at the start)."""
    path = Path(path)
    result = FetchResult(
        frame=frame,
        layer=layer,
        area=file_area_key(path),
        bbox=tuple(frame.total_bounds) if len(frame) else (0.0, 0.0, 0.0, 0.0),
        origin="file",
        message="",
        query=f"file {path.name}",
        source_date=source_date,
        retrieved_at=retrieved_at,
        seconds=time.monotonic() - started,
        notes=notes,
    )
    result.message = summary(result)
    return result


def load_json(path: Path, layer: str, *, assign_country: bool = True) -> FetchResult:
    """Features of `layer` from a saved Overpass JSON response (either shape); retrieved_at is the file's mtime."""
    path = Path(path)
    started = time.monotonic()
    get_layer(layer)
    data = decode(path.read_bytes())
    elements = parse_elements(data)
    source_date = data_timestamp(data)
    retrieved_at = file_retrieved_at(path)
    frame, dropped = normalise(
        elements,
        layer,
        provenance(source_date, retrieved_at),
        origin=f"file {path.name}",
        assign_country=assign_country,
    )
    notes = elements.notes + dropped + _remark_note(data)
    return file_result(
        path, layer, frame, source_date=source_date, retrieved_at=retrieved_at, started=started, notes=notes
    )
