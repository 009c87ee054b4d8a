"""Live OpenStreetMap features from an Overpass API endpoint, for one layer and one area.

This module only reads: it builds the query, fetches it tile by tile and normalises the answer.
Storing the result, the hosted-mode refusal and the fallback to a stored copy are the use case
`geo.usecases.fetch_detail`.

Query text is built only from the layer catalogue's tag filters (`geo.layers`) and numbers
formatted here, after validation (`geo.areas`); no user text reaches it. Areas larger than
`settings.OVERPASS_TILE_DEG2` are split into tiles, fetched one by one with a progress callback,
and merged. Responses are cached on disk (`geo.sources._http`). Both Overpass JSON shapes are
parsed, vectorised with numpy and shapely 2:

- `out body; >; out skel qt;` ways list node ids, nodes carry coordinates;
- `out geom;` ways and relation members carry their coordinates inline.

All geometry is EPSG:4326 (lon/lat degrees); lengths in km.
"""

from __future__ import annotations

import codecs
import math
import re
import time
from itertools import chain
from operator import itemgetter, methodcaller
from pathlib import Path

import numpy as np
import orjson
import shapely

from geo import settings
from geo.areas import BBox, check_area_size, validate_bbox
from geo.errors import InputError, OverpassError
from geo.layers import LayerSpec, get_layer
from geo.sources import _http
from geo.sources._http import Progress
from geo.sources._osm import FetchResult, OsmElements, file_result, file_retrieved_at, normalise, provenance, summary

SHAPES = ("body", "geom")
_SAFE_TAG = re.compile(r"^[a-z0-9_:]+$")
_OUTPUT = {"body": "out body;\n>;\nout skel qt;", "geom": "out geom qt;"}

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
    bbox: BBox,
    *,
    shape: str = "body",
    timeout_s: int | None = None,
    maxsize_bytes: int | None = None,
) -> str:
    """Overpass QL for the features of `layer` inside `bbox` (W,S,E,N degrees), in output `shape`.

    `timeout_s` and `maxsize_bytes` default to `settings.OVERPASS_TIMEOUT_S` and `settings.OVERPASS_MAXSIZE_BYTES`.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown output shape {shape!r}; choose one of {SHAPES}")
    timeout_s = settings.OVERPASS_TIMEOUT_S if timeout_s is None else timeout_s
    maxsize_bytes = settings.OVERPASS_MAXSIZE_BYTES if maxsize_bytes is None else maxsize_bytes
    west, south, east, north = validate_bbox(bbox)
    header = (
        f"[out:json][timeout:{int(timeout_s)}][maxsize:{int(maxsize_bytes)}]"
        f"[bbox:{south:.6f},{west:.6f},{north:.6f},{east:.6f}];"
    )
    body = "\n".join(f"  {s}" for s in _filter_statements(get_layer(layer)))
    return f"{header}\n(\n{body}\n);\n{_OUTPUT[shape]}"


def tiles(bbox: BBox, tile_deg2: float | None = None) -> list[tuple[float, ...]]:
    """Split `bbox` into a grid of equal tiles of at most `tile_deg2` square degrees each."""
    limit = settings.OVERPASS_TILE_DEG2 if tile_deg2 is None else tile_deg2
    west, south, east, north = bbox
    side = math.sqrt(limit)
    columns, rows = max(1, math.ceil((east - west) / side - 1e-9)), max(1, math.ceil((north - south) / side - 1e-9))
    xs, ys = np.linspace(west, east, columns + 1), np.linspace(south, north, rows + 1)
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(rows) for i in range(columns)]


# --- parsing ---------------------------------------------------------------------------------------


def _utf8(content: bytes) -> bytes:
    """`content` as UTF-8 without a byte-order mark: JSON saved as UTF-16 (with or without a BOM) is re-encoded."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :]
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif content[:1] == b"\0" and content[1:2] not in (b"", b"\0"):
        encoding = "utf-16-be"
    elif content[1:2] == b"\0" and content[:1] != b"\0":
        encoding = "utf-16-le"
    else:
        return content
    try:
        return content.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        raise OverpassError("the text looks like UTF-16 but does not decode; save it again as UTF-8") from None


def decode(content: bytes) -> dict:
    """The Overpass JSON document in `content` (UTF-8, UTF-8 with a BOM or UTF-16); OverpassError for an empty
    body, HTML, broken JSON or an error remark."""
    content = _utf8(content)
    head = content[:512].lstrip()
    if not head:
        raise OverpassError("there is no content (an empty answer or file)")
    if head[:1] == b"<":
        text = " ".join(re.sub(rb"<[^>]*>", b" ", content[:4000]).decode("utf-8", "replace").split())
        raise OverpassError(f"HTML instead of Overpass JSON: {text[:200]}")
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise OverpassError(f"not valid JSON (truncated or corrupt?): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise OverpassError("JSON, but not an Overpass result (no 'elements' list)")
    remark = str(data.get("remark") or "")
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise OverpassError(f"Overpass reported: {remark[:300]}")
    return data


def _tags(element: dict) -> dict[str, str]:
    """The tags of an element as text: a missing, null or odd-typed `tags` is none, values that are numbers or
    booleans become text, keys or values of other types (lists, objects, null) are left out."""
    tags = element.get("tags")
    if not isinstance(tags, dict):
        return {}
    return {
        key: value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in tags.items()
        if isinstance(key, str) and isinstance(value, str | int | float | bool)
    }


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
    except OverflowError:
        raise OverpassError("an element id is not a 64-bit integer, as OpenStreetMap ids are") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise OverpassError(f"malformed elements ({type(exc).__name__}: {exc})") from None


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
    all_node_tags = list(map(_tags, nodes))
    tagged = np.fromiter(map(bool, all_node_tags), bool, count=len(nodes)) & has_xy
    point_features = shapely.points(xy[tagged[has_xy]]) if len(xy) else np.array([], dtype=object)
    node_tags = [all_node_tags[i] for i in np.flatnonzero(tagged)]

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
    way_tags = list(map(_tags, ways))
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
            list(map(_tags, relations)),
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


def fetch_layer(
    layer: str,
    bbox: BBox,
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
    """Fetch `layer` inside `bbox` (W,S,E,N degrees) from Overpass, tile by tile, and normalise it.

    Raises InputError for bad input (before any request), `FetchError` when the endpoint cannot be
    reached, keeps failing or the whole fetch outlasts `settings.HTTP_DEADLINE_S`, OverpassError when it
    answers with an error. `cache_dir` defaults to
    `settings.cache_dir()`. `request_options` go to `_http.request_with_retries` (timeout_s, retries,
    backoff_s, sleep). The result's `area` is left empty; nothing is stored.
    """
    get_layer(layer)
    bbox = validate_bbox(bbox)
    check_area_size(bbox)
    endpoint = endpoint or settings.OVERPASS_URL
    if not re.match(r"^https?://[^\s/]+", endpoint):
        raise InputError(f"endpoint must be an http(s) URL, got {endpoint[:80]!r}")
    request_options.setdefault("timeout_s", settings.OVERPASS_TIMEOUT_S + 30)
    # One deadline for the whole fetch, every tile and retry included (settings.HTTP_DEADLINE_S).
    request_options.setdefault("deadline", _http.deadline_after())
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


def load_json(path: Path, layer: str, *, assign_country: bool = True) -> FetchResult:
    """Features of `layer` from a saved Overpass JSON response (either shape); retrieved_at is the file's mtime."""
    path = Path(path)
    started = time.monotonic()
    get_layer(layer)
    try:
        data = decode(path.read_bytes())
        elements = parse_elements(data)
    except OverpassError as exc:
        raise InputError(f"{path.name} is not a usable Overpass JSON response: {exc}") from None
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
