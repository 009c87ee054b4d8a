"""The folium map: styled layers, popups built on demand, legend, attribution, basemaps.

Speed (issue 6): features are not folium objects. Each layer is one compact JSON payload —
coordinates as integer deltas on the level's grid, properties dictionary-encoded per column —
drawn by a small script on Leaflet's canvas renderer (`prefer_canvas`). Popups are built in the
browser from that table only when a feature is clicked, with `textContent` (never innerHTML), so
no text from the data is ever parsed as HTML. The payload is also escaped for a <script> block.

Every layer is drawn as its specification says (`geo.layers`): the payload carries its geometry
kind, drawing classes, labels and drawing order, so the browser code holds no layer names. Overlays
(a rail route, a corridor's indicative line: `Overlay`, drawn from the `route` specification) travel
the same way, on top, and the map fits them.

Stable hooks for the browser tests: overlay names (the layers' titles), base layer names
`BASEMAP_TITLES`, popups `<div class="ca-popup" data-layer=... data-feature-id=...>`, the legend
`.ca-legend`, the notice `.ca-notice`, and `window.corridorAtlas` (`counts()`, `openPopup(layer, i)`).

Geometry is EPSG:4326 in; Leaflet draws Web Mercator.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.template import Template

from geo import levels, policy_views, schema, settings, tiles, wire
from geo.layers import CASING_PX, COMMON_COLUMNS, PROVENANCE_COLUMNS, LayerSpec, get_layer
from geo.wire import script_json

BASEMAPS = ("outlines", "osm", "positron")
BASEMAP_TITLES = {
    "outlines": "Country outlines (offline)",
    "osm": "OpenStreetMap",
    "positron": "CartoDB Positron",
}
SEED_TITLE = "Debate entry ports"
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
POSITRON_URL = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"
POSITRON_ATTRIBUTION = (
    f'&copy; <a href="{OSM_COPYRIGHT_URL}" target="_blank" rel="noopener">OpenStreetMap</a> contributors '
    '&copy; <a href="https://carto.com/attributions" target="_blank" rel="noopener">CARTO</a>'
)
# Coordinates of the country outlines basemap, in decimals of a degree (~1 km).
OUTLINE_DECIMALS = 2
OUTLINE_TOLERANCE_DEG = 0.01
# The outlines' credit, as the attribution of Natural Earth features reads, so the control lists it once.
OUTLINE_CREDIT = {"attribution": "Made with Natural Earth", "licence": "public domain"}
EUROPE_CENTER = (54.0, 15.0)

# Columns never shown as popup rows (the title, the footer's provenance, or spread out as tags).
_NOT_ROWS = {"layer", "name", "tags", *PROVENANCE_COLUMNS}


# -- attribution -------------------------------------------------------------------------------


def attribution_credits(frame: pd.DataFrame) -> list[str]:
    """One escaped HTML credit per source of `frame` (columns `attribution`, `licence`); OSM data links the ODbL.

    A feature merged from several sources has "A; B" as its attribution: each credit is listed once,
    with the licence seen on features credited to that source alone. The map adds each credit to
    Leaflet's attribution control on its own, so one credit shared by several layers shows once.
    """
    licences: dict[str, set[str]] = {}
    for attribution, licence in frame[["attribution", "licence"]].astype(str).drop_duplicates().itertuples(index=False):
        credits = [part.strip() for part in attribution.split(";") if part.strip()]
        for credit in credits:
            licences.setdefault(credit, set())
            if len(credits) == 1:
                licences[credit].add(licence)
    items = []
    for credit in sorted(licences):
        names = sorted(licences[credit])
        if any(schema.is_odbl(name) for name in names):
            items.append(
                f'<a href="{OSM_COPYRIGHT_URL}" target="_blank" rel="noopener">{html.escape(credit)}</a> '
                f'(<a href="{ODBL_URL}" target="_blank" rel="noopener">{html.escape(", ".join(names))}</a>)'
            )
        else:
            items.append(html.escape(credit) + (f" ({html.escape(', '.join(names))})" if names else ""))
    return items


# -- payloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerPayload:
    """What the browser needs to draw one layer: JSON-ready dict plus the kept frame rows."""

    layer: str
    data: dict
    frame: gpd.GeoDataFrame


def _popup_columns(spec: LayerSpec, extra: Iterable[str] = ()) -> list[str]:
    rows = [c for c in spec.all_columns() if c not in _NOT_ROWS]
    return ["name", *rows, *extra, "tags", *PROVENANCE_COLUMNS]


def _class_table(styles: Mapping[str, object]) -> list[dict]:
    """The drawing classes of a layer as the browser reads them: key plus the style's fields that are set
    (the browser reads a missing dash or casing as none)."""
    return [
        {"key": key, **{name: value for name, value in style.__dict__.items() if value is not None}}
        for key, style in styles.items()
    ]


def _digits(values: list[int]) -> str | list[int]:
    """Small integers per feature (class indexes, zooms) as one digit each when all are 0-9: half the bytes
    of a JSON list, for thousands of points (the page budget is 200 kB); the browser reads both."""
    return "".join(map(str, values)) if all(0 <= v <= 9 for v in values) else values


def _index_of(keys: pd.Series, styles: Mapping[str, object]) -> list[int]:
    order = {key: position for position, key in enumerate(styles)}
    return [order[key] for key in keys]


def _marked(flags: pd.Series | None, index: pd.Index) -> np.ndarray:
    """`flags` (booleans on some index) as an array aligned on `index`; all False where missing or None."""
    if flags is None:
        return np.zeros(len(index), dtype=bool)
    return flags.reindex(index).fillna(False).to_numpy(dtype=bool)


def layer_payload(
    frame: gpd.GeoDataFrame,
    layer: str,
    decimals: int = levels.FULL_DECIMALS,
    documents: pd.Series | None = None,
    extra_columns: Mapping[str, pd.Series] | None = None,
    full_detail: pd.Series | None = None,
    extra_labels: Mapping[str, str] | None = None,
    popups: tuple[int, ...] = (),
    local: pd.Series | None = None,
) -> LayerPayload:
    """Encode one layer for the map at `decimals` (coordinate rounding, degrees), drawn as its spec says.

    A point layer sends each feature's position (a point inside an area) with its fill and size
    class; a line layer sends `geo.wire` paths with each feature's drawing class. `full_detail`
    (booleans aligned on `frame`'s index) marks lines kept at full precision whatever `decimals` is,
    e.g. the detail a user fetched, drawn over a coarse level. `documents` (per feature, its encoded
    document list from `popup_documents`) adds a `documents` property; `extra_columns` adds popup rows
    (e.g. why a port is on the entry-ports list), labelled by `extra_labels`. `popups` (indexes of the
    map's tile archives, `geo.tiles`) leaves the features' attributes out of the page: the browser
    fetches them from those archives' popup shards when a feature is clicked, so only ids and the
    extra columns travel; `local` (booleans aligned on `frame`'s index) marks the features no shard
    holds, whose popups travel in the page all the same. Features whose geometry vanishes at this
    rounding are left out.
    """
    spec = get_layer(layer)
    frame = frame.copy()
    extra = dict(extra_columns or {})
    for name, values in extra.items():
        frame[name] = values.reindex(frame.index)
    if documents is not None:
        frame["documents"] = documents.reindex(frame.index)
        if not popups:
            extra["documents"] = frame["documents"]
    columns = spec.all_columns()
    data: dict = {
        "layer": layer,
        "title": spec.title,
        "geometry": spec.geometry,
        "order": spec.order,
        "labels": {name: column.label for name, column in columns.items()} | dict(extra_labels or {}),
    }
    if spec.geometry == "point":
        points = frame.geometry.representative_point()
        data["xy"] = np.round(np.column_stack([points.x, points.y]), 5).ravel().tolist()
        data["fills"] = _class_table(spec.point_fills)
        data["fill"] = _digits(_index_of(spec.point_fill(frame), spec.point_fills))
        if spec.point_size is not None:
            data["sizes"] = _class_table(spec.point_sizes)
            data["size"] = _digits(_index_of(spec.point_size(frame), spec.point_sizes))
        if spec.point_min_zoom is not None:
            data["minZoom"] = _digits(spec.point_min_zoom(frame).clip(0, 9).astype(int).tolist())
    else:
        fine = _marked(full_detail, frame.index)
        per_feature = np.where(fine, levels.FULL_DECIMALS, decimals)
        geometry: list = [None] * len(frame)
        for value in np.unique(per_feature):
            rows = np.flatnonzero(per_feature == value)
            encoded = wire.encode_geometries(frame.geometry.values[rows], int(value))
            for row, paths in zip(rows, encoded, strict=True):
                geometry[row] = paths
        kept = np.array([bool(g) for g in geometry], dtype=bool)
        frame = frame[kept]
        data["q"] = decimals
        if fine.any():  # per-feature grid only when it varies
            data["qs"] = per_feature[kept].tolist()
        data["geom"] = [g for g, k in zip(geometry, kept, strict=True) if k]
        classes = spec.line_class(frame)
        data["styles"] = _class_table(spec.line_styles)
        data["cls"] = _index_of(classes, spec.line_styles)
    shown = ["id", *extra] if popups else ["id", *_popup_columns(spec, extra)]
    data["props"] = wire.property_table(frame, shown, columns)
    if popups:
        data["popups"] = list(popups)
        rows = np.flatnonzero(_marked(local, frame.index))
        if len(rows):
            own = [*extra, *(["documents"] if documents is not None else [])]
            data["local"] = {
                "rows": rows.tolist(),
                "props": wire.property_table(frame.iloc[rows], ["id", *_popup_columns(spec, own)], columns),
            }
    data["count"] = len(frame)
    data["credits"] = attribution_credits(frame)
    data["caveats"] = spec.caveats_for(frame["source"].dropna().unique())
    return LayerPayload(layer=layer, data=data, frame=frame)


def tiled_payload(
    selected: gpd.GeoDataFrame,
    inline: gpd.GeoDataFrame,
    layer: str,
    archives: tuple[int, ...],
    sources: tiles.MapSources,
    *,
    countries: Iterable[str] | None = None,
    document: str | None = None,
    ids: frozenset[str] | None = None,
    documents: pd.Series | None = None,
) -> LayerPayload:
    """A line layer drawn from vector tiles (`archives`: indexes into `sources.archives`), plus `inline`:
    its features no archive holds yet (a stored area whose tiles are missing), drawn from the page.

    The browser keeps only the features of `countries` (alpha-2 codes; None: all) and, with `document`,
    those that document applies to; with `ids`, only those features. Count, credits and caveats are those of `selected`, the features
    the tiles draw for this selection.
    """
    spec = get_layer(layer)
    payload = layer_payload(inline, layer, levels.FULL_DECIMALS, documents)
    present = set(spec.line_class(inline)) | {
        key for i in archives for key in sources.archives[i].entry["layers"][layer]["classes"]
    }
    doc_keys = None
    if document is not None and ids is None:
        doc_keys = {
            str(i): [key for key, ids in enumerate(sources.archives[i].entry["sets"]) if document in ids]
            for i in archives
        }
    payload.data.update(
        tiles=list(archives),
        present=[position for position, key in enumerate(spec.line_styles) if key in present],
        filter={
            "countries": None if countries is None else sorted(countries),
            "docs": doc_keys,
            "ids": None if ids is None else sorted(set(selected["id"]) & ids),
        },
        total=len(selected),
        credits=attribution_credits(selected),
        caveats=spec.caveats_for(selected["source"].dropna().unique()),
    )
    return payload


def tiles_config(sources: tiles.MapSources) -> dict:
    """What the browser needs to read the archives: their URLs, zoom bands, max zoom and popup shards."""
    return {
        "archives": [
            {
                "url": archive.url,
                "popups": archive.popups,
                "maxZoom": archive.entry["max_zoom"],
                "levels": [band["level"] for band in archive.entry["bands"]],
                "shards": {layer: info.get("shards", 1) for layer, info in archive.entry["layers"].items()},
            }
            for archive in sources.archives
        ],
        "basemap": {"url": sources.basemap.url, "maxZoom": sources.basemap.entry["max_zoom"]}
        if sources.basemap
        else None,
        "basemapCredits": attribution_credits(pd.DataFrame([OUTLINE_CREDIT])),
    }


def outline_payload(countries: gpd.GeoDataFrame) -> dict:
    """The offline basemap: country polygons simplified to ~1 km."""
    geoms = shapely.simplify(countries.geometry.values, OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    encoded = wire.encode_geometries(geoms, OUTLINE_DECIMALS)
    return {"q": OUTLINE_DECIMALS, "geom": encoded, "credits": attribution_credits(pd.DataFrame([OUTLINE_CREDIT]))}


# -- folium elements ---------------------------------------------------------------------------


def _compact_js(text: str) -> str:
    """The runtime as the page carries it: without its whole-line comments, indentation and blank lines
    (about a quarter of its size; the page budget is 200 kB). The runtime has no multi-line strings."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


_RUNTIME_JS = _compact_js((Path(__file__).parent / "render_runtime.js").read_text(encoding="utf-8"))
_RUNTIME_CSS = (Path(__file__).parent / "render_runtime.css").read_text(encoding="utf-8")


class _Text(Element):
    """Text that goes into the page as it is."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Verbatim(folium.MacroElement):
    """A MacroElement whose rendered header and script go into the page verbatim.

    folium wraps each rendered macro in a new Element, which compiles it as a Jinja template: for
    our megabytes of payload that is about 0.4 s on every render (every app rerun). Nothing in
    the rendered text is a template, so it is added as `_Text` instead.
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        macros = self._template.module.__dict__
        for part, target in (("header", figure.header), ("script", figure.script)):
            if part in macros:
                target.add_child(_Text(macros[part](self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Runtime(_Verbatim):
    """Defines `window.corridorAtlas` (decoder, popups, legend) for the map it is added to; add it first."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.js }}
        corridorAtlas.init({{ this._parent.get_name() }}, {{ this.config }});
        {% endmacro %}
        """
    )

    def __init__(self, config_json: str):
        super().__init__()
        self._name = "CorridorAtlasRuntime"
        self.js = _RUNTIME_JS
        self.css = _RUNTIME_CSS
        self.config = config_json


class _Payload(_Verbatim):
    """Draws one encoded layer (JSON text from `script_json`) into its parent FeatureGroup."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        corridorAtlas.{{ this.method }}({{ this.key|tojson }}, {{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, method: str, key: str, payload_json: str):
        super().__init__()
        self._name = "CorridorAtlasPayload"
        self.method = method
        self.key = key
        self.payload = payload_json


class _Call(_Verbatim):
    """Calls a method of the map runtime with arguments (JSON text), after everything added before it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        corridorAtlas.{{ this.method }}({{ this.arguments }});
        {% endmacro %}
        """
    )

    def __init__(self, method: str, arguments: str):
        super().__init__()
        self._name = "CorridorAtlasCall"
        self.method = method
        self.arguments = arguments


def leaflet_assets(mode: str) -> tuple[str, str]:
    """(leaflet.js URL, leaflet.css URL) for `mode` "app" (served by Streamlit) or "cdn"."""
    base = {"app": settings.LEAFLET_APP_URL, "cdn": settings.LEAFLET_CDN_URL}.get(mode)
    if base is None:
        raise ValueError(f"assets must be 'app' or 'cdn', got {mode!r}")
    return base + "leaflet.js", base + "leaflet.css"


@dataclass(frozen=True)
class Overlay:
    """A highlighted line drawn over the layers, e.g. a rail route or a corridor's indicative line.

    `frame` follows an overlay layer's specification (`geo.layers.OVERLAYS`, e.g. "route"), which gives
    its drawing classes, popup labels and legend; `key` names it on the page, `title` in the layer control.
    """

    key: str
    title: str
    frame: gpd.GeoDataFrame
    layer: str = "route"


@dataclass
class MapRequest:
    """Everything a map shows. Frames are EPSG:4326 and already selected (country, bbox, level)."""

    frames: Mapping[str, gpd.GeoDataFrame]
    decimals: int = levels.FULL_DECIMALS
    basemap: str = "outlines"
    countries: gpd.GeoDataFrame | None = None  # outlines for the offline basemap
    seed_ports: pd.DataFrame | None = None  # locode, reason (geo.seed_ports)
    show_seed: bool = False
    highlight: str | None = None  # a feature id
    bounds: tuple[float, float, float, float] | None = None  # W,S,E,N to fit; default: the data
    notice: str | None = None  # shown on the map, e.g. "simplified level"
    documents: bool = True  # link features to policy documents (geo.policies)
    full_detail_ids: frozenset[str] = frozenset()  # lines drawn at full precision at any level
    overlays: tuple[Overlay, ...] = ()  # drawn over the layers at full precision; the map fits them
    assets: str = "app"
    height: str = "100%"
    # Vector tiles (geo.tiles): when set, the line layers they hold are drawn from them, and `frames` holds
    # the whole selection of those layers (for counts and credits); `untiled` their features no archive
    # holds, drawn from the page (for a point layer, whose popups come from the archives, those features
    # carry their popups in the page). The tiles show only `filter_countries` (None: all) and, with `document`,
    # what that policy document applies to (or, with `filter_ids`, only those features).
    tiles: tiles.MapSources | None = None
    untiled: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    filter_countries: tuple[str, ...] | None = None
    document: str | None = None
    filter_ids: frozenset[str] | None = None  # when set, the tiles show only these features


def _seed_reasons(ports: gpd.GeoDataFrame, seed: pd.DataFrame) -> pd.Series:
    reasons = dict(zip(seed["locode"], seed["reason"], strict=True))
    return ports["locode"].map(reasons).astype("string")


# The entry ports of the public debate are features of this layer, found by UN/LOCODE.
SEED_LAYER = "ports"
SEED_COLUMN = "entry_port"
SEED_LABEL = "Entry port list"


def _always_drawn(data: dict, index: Iterable[int]) -> None:
    """Features `index` of a point layer's payload are drawn at every zoom (minimum zoom 0)."""
    zooms = [int(zoom) for zoom in data["minZoom"]]
    for i in index:
        zooms[i] = 0
    data["minZoom"] = _digits(zooms)


def _highlight(payloads: dict[str, LayerPayload], feature_id: str | None) -> dict | None:
    if not feature_id:
        return None
    for layer, payload in payloads.items():
        hits = np.flatnonzero(payload.frame["id"].astype(str).to_numpy() == feature_id)
        if len(hits):
            return {"layer": layer, "index": int(hits[0])}
    return None


def _fit_bounds(
    request: MapRequest, payloads: dict[str, LayerPayload], highlight: dict | None
) -> tuple[list | None, bool]:
    """The [[S, W], [N, E]] box the map opens on, and whether it frames land (the selected countries or
    area), which may be cut a little at its edges for a closer view (`corridorAtlas.fitBounds`)."""
    shown_overlays = [overlay.frame for overlay in request.overlays if len(overlay.frame)]
    if highlight is not None:
        geometry = payloads[highlight["layer"]].frame.geometry.iloc[highlight["index"]]
        west, south, east, north = geometry.buffer(0.15).bounds
    elif shown_overlays:
        west, south, east, north = np.array([frame.total_bounds for frame in shown_overlays]).T
        west, south, east, north = west.min() - 0.3, south.min() - 0.2, east.max() + 0.3, north.max() + 0.2
    elif request.bounds is not None:
        west, south, east, north = request.bounds
        return [[float(south), float(west)], [float(north), float(east)]], True
    else:
        shown = [p.frame for p in payloads.values() if not p.frame.empty]
        if not shown:
            return None, False
        west, south, east, north = np.array([f.total_bounds for f in shown]).T
        west, south, east, north = west.min(), south.min(), east.max(), north.max()
    return [[float(south), float(west)], [float(north), float(east)]], False


@dataclass(frozen=True)
class PreparedMap:
    """A map's data, encoded once: JSON texts ready for the page. Immutable, so it can be cached and
    shared by every session; `assemble_map` turns it into a fresh folium.Map cheaply."""

    basemap: str
    show_seed: bool
    assets: str
    height: str
    config: str
    layers: dict[str, str]  # layer -> payload JSON, in drawing-control order
    outlines: str | None
    seed: str | None
    bounds: list | None
    highlighted: bool
    land: bool  # `bounds` frame land, which may be cut a little at its edges for a closer view
    counts: dict[str, int]  # features drawn per layer (and per overlay key)
    titles: dict[str, str] = field(default_factory=dict)  # layer-control names of the overlays, by key
    basemap_tiles: bool = False  # the offline basemap comes from tiles (see `tiles_config`)
    tiled: bool = False  # the page reads vector tiles (it needs protomaps-leaflet)


def prepare_map(request: MapRequest) -> PreparedMap:
    """Encode everything `request` shows (the expensive part of building a map)."""
    if request.basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {', '.join(BASEMAPS)}, got {request.basemap!r}")
    leaflet_assets(request.assets)  # refuse an unknown mode early
    frames = {get_layer(layer).name: frame for layer, frame in request.frames.items()}
    sources = request.tiles
    tiled = {layer: sources.tiled(layer) for layer in frames} if sources else {}
    shards = {layer: sources.with_popups(layer) for layer in frames if not tiled[layer]} if sources else {}
    drawn = {
        layer: request.untiled.get(layer, frame.iloc[:0]) if tiled.get(layer) else frame
        for layer, frame in frames.items()
    }
    # Points of a layer with popup shards whose popups no shard holds (a stored area not yet tiled).
    local = {
        layer: frame["id"].isin(request.untiled[layer]["id"])
        for layer, frame in drawn.items()
        if shards.get(layer) and layer in request.untiled
    }
    inline_documents = {
        layer: frame[local[layer]] if shards.get(layer) else frame
        for layer, frame in drawn.items()
        if not shards.get(layer) or layer in local
    }
    popups = policy_views.popup_documents(inline_documents) if request.documents else None
    documents = popups.texts if popups else {}
    popup_table = popups.table if popups else {}
    seeded = request.seed_ports is not None and SEED_LAYER in frames
    payloads = {}
    for layer, frame in drawn.items():
        if tiled.get(layer):
            payloads[layer] = tiled_payload(
                frames[layer],
                frame,
                layer,
                tiled[layer],
                sources,
                countries=request.filter_countries,
                document=request.document,
                ids=request.filter_ids,
                documents=documents.get(layer),
            )
            continue
        extra = {SEED_COLUMN: _seed_reasons(frame, request.seed_ports)} if seeded and layer == SEED_LAYER else {}
        fine = frame["id"].isin(request.full_detail_ids) if request.full_detail_ids else None
        payloads[layer] = layer_payload(
            frame,
            layer,
            request.decimals,
            documents.get(layer),
            extra,
            fine,
            {SEED_COLUMN: SEED_LABEL},
            shards.get(layer, ()),
            local.get(layer),
        )
    highlight = _highlight(payloads, request.highlight)
    if highlight is not None and "minZoom" in payloads[highlight["layer"]].data:
        _always_drawn(payloads[highlight["layer"]].data, [highlight["index"]])  # a searched feature
    overlays = {}
    for overlay in request.overlays:
        payload = layer_payload(overlay.frame, overlay.layer, levels.FULL_DECIMALS)
        payload.data["title"] = overlay.title
        overlays[overlay.key] = payload
    seed = None
    if seeded:
        members = payloads[SEED_LAYER].frame["locode"].isin(request.seed_ports["locode"]).fillna(False)
        index = np.flatnonzero(members.to_numpy(dtype=bool)).tolist()
        seed = script_json({"index": index})
        if "minZoom" in payloads[SEED_LAYER].data:  # the entry ports of the debate, as their rings are
            _always_drawn(payloads[SEED_LAYER].data, index)
    config = {
        "documents": popup_table.get("documents", {}),
        "matches": popup_table.get("matches", []),
        "reasons": popup_table.get("reasons", []),
        "highlight": highlight,
        "notice": request.notice,
        # The popup footer: provenance rows, then the credit line.
        "footer": [[COMMON_COLUMNS[c].label, c] for c in PROVENANCE_COLUMNS if c != "attribution"],
        "credit": "attribution",
        "seedLabel": SEED_TITLE,
        "casingPx": CASING_PX,
        "tiles": tiles_config(sources) if sources else None,
    }
    bounds, land = _fit_bounds(request, payloads, highlight)
    has_outlines = request.countries is not None and not request.countries.empty and not (sources and sources.basemap)
    return PreparedMap(
        basemap=request.basemap,
        show_seed=request.show_seed,
        assets=request.assets,
        height=request.height,
        config=script_json(config),
        layers={key: script_json(payload.data) for key, payload in {**payloads, **overlays}.items()},
        outlines=script_json(outline_payload(request.countries)) if has_outlines else None,
        seed=seed,
        bounds=bounds,
        highlighted=highlight is not None,
        land=land,
        counts={
            key: payload.data.get("total", len(payload.frame)) for key, payload in {**payloads, **overlays}.items()
        },
        titles={overlay.key: overlay.title for overlay in request.overlays},
        basemap_tiles=bool(sources and sources.basemap),
        tiled=sources is not None,
    )


def assemble_map(prepared: PreparedMap) -> folium.Map:
    """A new folium map from prepared data: overlays per layer, basemaps, layer control, view."""
    m = folium.Map(
        location=EUROPE_CENTER, zoom_start=4, tiles=None, prefer_canvas=True, control_scale=True, height=prepared.height
    )
    js, css = leaflet_assets(prepared.assets)
    m.default_js = [("leaflet", js)]
    if prepared.tiled:
        # st_folium ignores header links, so the tile reader comes in through the map's own scripts.
        m.default_js.append(("protomaps_leaflet", settings.PROTOMAPS_LEAFLET_APP_URL))
    m.default_css = [("leaflet_css", css)]
    m.add_child(_Runtime(prepared.config))
    outlines = folium.FeatureGroup(name=BASEMAP_TITLES["outlines"], overlay=False, show=prepared.basemap == "outlines")
    if prepared.basemap_tiles:
        outlines.add_child(_Payload("addBasemapTiles", "outlines", "null"))
    elif prepared.outlines is not None:
        outlines.add_child(_Payload("addOutlines", "outlines", prepared.outlines))
    m.add_child(outlines)
    folium.TileLayer("OpenStreetMap", name=BASEMAP_TITLES["osm"], overlay=False, show=prepared.basemap == "osm").add_to(
        m
    )
    folium.TileLayer(
        POSITRON_URL,
        attr=POSITRON_ATTRIBUTION,
        name=BASEMAP_TITLES["positron"],
        overlay=False,
        show=prepared.basemap == "positron",
    ).add_to(m)
    for layer, payload in prepared.layers.items():
        group = folium.FeatureGroup(name=prepared.titles.get(layer) or get_layer(layer).title)
        m.add_child(group.add_child(_Payload("addLayer", layer, payload)))
    if prepared.seed is not None:
        group = folium.FeatureGroup(name=SEED_TITLE, show=prepared.show_seed)
        m.add_child(group.add_child(_Payload("addSeed", SEED_LAYER, prepared.seed)))
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(_Call("layout", ""))  # on a phone, the legend and the layer control close to buttons
    if prepared.bounds is not None:
        options = {"maxZoom": 11 if prepared.highlighted else None, "land": prepared.land}
        m.add_child(_Call("fitBounds", f"{json.dumps(prepared.bounds)}, {script_json(options)}"))
    return m


def build_map(request: MapRequest) -> folium.Map:
    """The folium map for `request`: overlays per layer, basemaps, legend, attribution, popups on demand.

    A folium map is mutated when rendered (streamlit-folium renames its elements), so never render
    one twice: cache `prepare_map` and call `assemble_map` for each page instead.
    """
    return assemble_map(prepare_map(request))


def _inline_assets(page: str) -> str:
    """Replace the Leaflet links of a CDN-built page by the vendored files, images as data URIs."""
    folder = settings.LEAFLET_VENDOR_DIR
    js_url, css_url = leaflet_assets("cdn")
    script = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = (folder / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((folder / "images").glob("*.png")):
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        style = style.replace(f"url(images/{image.name})", f"url(data:image/png;base64,{data})")
    page = re.sub(rf'<script src="{re.escape(js_url)}"></script>', lambda _: f"<script>{script}</script>", page)
    return re.sub(
        rf'<link rel="stylesheet" href="{re.escape(css_url)}"\s*/>', lambda _: f"<style>{style}</style>", page
    )


def render_html(request: MapRequest, inline_assets: bool = False) -> str:
    """A standalone HTML page of the map. With `inline_assets`, Leaflet is embedded so it works offline."""
    if inline_assets:
        request = replace(request, assets="cdn")
    page = build_map(request).get_root().render()
    return _inline_assets(page) if inline_assets else page
