"""The folium map: styled layers, popups built on demand, legend, attribution, basemaps.

Speed (issue 6): features are not folium objects. Each layer is one compact JSON payload —
coordinates as integer deltas on the level's grid, properties dictionary-encoded per column —
drawn by a small script on Leaflet's canvas renderer (`prefer_canvas`). Popups are built in the
browser from that table only when a feature is clicked, with `textContent` (never innerHTML), so
no text from the data is ever parsed as HTML. The payload is also escaped for a <script> block.

Stable hooks for the browser tests: overlay names `LAYER_TITLES`, base layer names
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
from dataclasses import dataclass, replace
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.template import Template

from geo import layers as catalogue
from geo import lod, schema, settings, stats

BASEMAPS = ("outlines", "osm", "positron")
BASEMAP_TITLES = {
    "outlines": "Country outlines (offline)",
    "osm": "OpenStreetMap",
    "positron": "CartoDB Positron",
}
LAYER_TITLES = {name: layer.title for name, layer in catalogue.LAYERS.items()}
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


@dataclass(frozen=True)
class LineStyle:
    """How one class of lines is drawn: legend label, what a merged group of them is called, stroke."""

    label: str
    plural: str  # e.g. "motorways": titles a line merged from many ("Motorways in Poland, ...")
    color: str
    weight: float  # px
    dash: str | None = None  # Leaflet dashArray


# Drawing classes per line layer, keyed as `line_classes` returns them.
RAIL_STYLES = {
    "yes": LineStyle("Electrified", "electrified railways", "#1f5fbf", 2.2),
    "no": LineStyle("Not electrified", "non-electrified railways", "#c2571a", 2.0),
    "unknown": LineStyle("Electrification unknown", "railways of unknown electrification", "#6b6b6b", 1.6),
    "ferry": LineStyle("Rail ferry", "rail ferries", "#6a3d9a", 1.8, "6 5"),
}
ROAD_STYLES = {
    "motorway": LineStyle("Motorway", "motorways", "#d7301f", 2.4),
    "trunk": LineStyle("Trunk road", "trunk roads", "#f08c3a", 1.9),
    "primary": LineStyle("Primary road", "primary roads", "#d9b300", 1.4),
    "other": LineStyle("Other road", "other roads", "#9a9a9a", 1.2),
    "construction": LineStyle("Under construction", "roads under construction", "#8c8c8c", 1.6, "4 4"),
}
# Ports: fill by whether GISCO's 2013 data records a TEN-T code (0 = none recorded), radius by WPI harbour size.
PORT_FILLS = {"tent": ("TEN-T port (GISCO code)", "#0b4fa8"), "other": ("Other port", "#8fb3cc")}
PORT_SIZES = {"Large": 9, "Medium": 7, "Small": 5, "Very Small": 4, "unknown": 3.5}

# Columns never shown as popup rows (they are in the title, the footer or redundant).
_HIDDEN = {"id", "layer", "name", "tags", "source", "licence", "attribution", "source_date", "retrieved_at"}
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$")


# -- encoding ----------------------------------------------------------------------------------


def script_json(value: object) -> str:
    """`value` as JSON that is safe inside an HTML <script> element (no `</script>`, `<!--`, U+2028)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escaped)
    return text.replace("\u2029", "\\u2029")


def _paths(geometries: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The coordinate paths (lines or polygon rings) of each geometry and their nesting indices."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    kinds = shapely.get_type_id(parts)
    if np.all(kinds == 1):  # LineStrings: feature -> [path, ...]
        return parts, [owner]
    if np.all(kinds == 3):  # Polygons: feature -> [polygon -> [ring, ...], ...]
        rings, ring_owner = shapely.get_rings(parts, return_index=True)
        return rings, [owner, ring_owner]
    raise ValueError("geometries must be all (multi)lines or all (multi)polygons")


def grid_deltas(paths: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of `paths` (lines or rings) as the page writes them, and each row's path index.

    Integers on the 10**-decimals degree grid: each path's first point whole, then the step from
    the previous point; points repeated after rounding are dropped. Shape (n, 2), int64.
    """
    coords, path_of = shapely.get_coordinates(paths, return_index=True)
    grid = np.round(coords * 10**decimals).astype(np.int64)
    first = np.ones(len(grid), dtype=bool)
    first[1:] = path_of[1:] != path_of[:-1]
    delta = grid.copy()
    delta[1:] -= grid[:-1]
    delta[first] = grid[first]
    keep = first | np.any(delta != 0, axis=1)
    return delta[keep], path_of[keep]


def encode_geometries(geometries: Iterable, decimals: int) -> list[list]:
    """Each geometry as nested lists of integer paths `[x0, y0, dx1, dy1, ...]` in units of 10**-decimals degrees.

    Lines give `[[path, ...], ...]` per feature, polygons `[[[ring, ...], ...], ...]`. Points repeated
    after rounding are dropped; a line path needs 2 points and a ring 3 to be kept, so a feature
    may come out empty (`[]`). The browser decodes with `decodePath` in the runtime script.
    """
    geoms = np.asarray(list(geometries) if not isinstance(geometries, np.ndarray) else geometries, dtype=object)
    if not len(geoms):
        return []
    paths, owners = _paths(geoms)
    delta, path_of = grid_deltas(paths, decimals)
    counts = np.bincount(path_of, minlength=len(paths))
    minimum = 3 if len(owners) == 2 else 2
    flat = np.split(delta.ravel(), np.cumsum(counts)[:-1] * 2)
    encoded = [values.tolist() if counts[i] >= minimum else None for i, values in enumerate(flat)]
    if len(owners) == 2:  # rings -> polygons
        polygons: list[list] = [[] for _ in range(len(owners[0]))]
        for ring, polygon in zip(encoded, owners[1], strict=True):
            if ring is not None:
                polygons[polygon].append(ring)
        encoded = [p if p else None for p in polygons]
    features: list[list] = [[] for _ in range(len(geoms))]
    for part, feature in zip(encoded, owners[0], strict=True):
        if part is not None:
            features[feature].append(part)
    return features


def _display(values: pd.Series) -> list:
    """Popup text of each value (numbers trimmed, booleans yes/no); None for nulls."""
    if pd.api.types.is_bool_dtype(values):
        text = values.map({True: "yes", False: "no"})
    elif pd.api.types.is_float_dtype(values):
        text = values.round(2).astype("string").str.removesuffix(".0")
    else:
        text = values.astype("string")
    return [None if pd.isna(v) else str(v) for v in text]


def property_table(frame: pd.DataFrame, columns: Iterable[str]) -> dict:
    """Columns of `frame` for popups: `{"cols": [...], "data": {col: {"v": uniques, "c": codes} | {"r": values}}}`.

    Repetitive columns (provenance, kind, country) are dictionary-encoded; mostly unique ones (id,
    name) are stored raw. Code -1 means null. The JSON `tags` column is spread into one such column
    per key under `"tags": {"keys": [...], "data": {...}}`, which is far smaller than a JSON text per feature.
    """
    columns = [c for c in columns if c in frame.columns]
    table = {"cols": columns, "data": {column: _encode_column(_display(frame[column])) for column in columns}}
    if "tags" in columns:
        tags = _tag_columns(frame["tags"])
        table["data"].pop("tags")
        table["tags"] = {"keys": list(tags), "data": {key: _encode_column(values) for key, values in tags.items()}}
    return table


def _encode_column(values: list) -> dict:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    if len(uniques) > len(values) / 2:
        return {"r": values}
    return {"v": list(uniques), "c": codes.tolist()}


def _tag_columns(tags: pd.Series) -> dict[str, list]:
    """The JSON `tags` of each feature spread into one text column per key (None where a feature lacks it)."""
    records = []
    for text in tags.fillna("{}"):
        try:
            record = json.loads(text)
        except ValueError:
            record = {"tags": text}  # keep unparseable tags visible as text
        records.append(record if isinstance(record, dict) else {"tags": text})
    spread = pd.DataFrame.from_records(records, index=range(len(records)))
    spread = spread.reindex(sorted(spread.columns), axis=1)
    return {
        str(key): [None if _is_missing(v) else v if isinstance(v, str) else json.dumps(v) for v in spread[key]]
        for key in spread.columns
    }


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


# -- styling -----------------------------------------------------------------------------------


def line_classes(frame: pd.DataFrame, layer: str) -> pd.Series:
    """Drawing class of each rail or road feature (a key of RAIL_STYLES or ROAD_STYLES).

    Rail ferries are their own class, whatever their electrification.
    """
    if layer == "rail":
        classes = stats.electrification(frame["electrified"])
        return classes.mask(frame["kind"].eq(stats.FERRY).fillna(False).to_numpy(dtype=bool), "ferry")
    classes = stats.road_class(frame["kind"])
    building = frame["construction"].astype("boolean").fillna(False).to_numpy() | frame["kind"].eq("construction")
    return classes.mask(pd.Series(np.asarray(building, dtype=bool), index=frame.index), "construction")


def port_classes(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(fill key of PORT_FILLS, size key of PORT_SIZES) of each port."""
    tent = frame["ten_t_code"].astype("Int64").fillna(0).gt(0)
    fills = pd.Series(np.where(tent.to_numpy(dtype=bool), "tent", "other"), index=frame.index)
    sizes = frame["harbour_size"].astype("string").where(frame["harbour_size"].isin(list(PORT_SIZES)), "unknown")
    return fills, sizes.fillna("unknown")


def _style_table(styles: Mapping[str, LineStyle]) -> list[dict]:
    return [
        {"key": key, "label": style.label, "color": style.color, "weight": style.weight, "dash": style.dash}
        for key, style in styles.items()
    ]


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


def _popup_columns(layer: str, extra: Iterable[str] = ()) -> list[str]:
    shown = [c for c in schema.columns(layer) if c not in _HIDDEN]
    return ["id", "name", *shown, *extra, "tags", "source", "licence", "attribution", "source_date", "retrieved_at"]


def layer_payload(
    frame: gpd.GeoDataFrame,
    layer: str,
    decimals: int = lod.FULL_DECIMALS,
    documents: pd.Series | None = None,
    extra_columns: Mapping[str, pd.Series] | None = None,
    full_detail: pd.Series | None = None,
    country_names: Mapping[str, str] | None = None,
) -> LayerPayload:
    """Encode one layer for the map at `decimals` (coordinate rounding, degrees).

    `full_detail` (booleans aligned on `frame`'s index) marks lines kept at full precision whatever
    `decimals` is, e.g. the detail a user fetched, drawn over a coarse level. `documents` (per feature,
    its encoded document list from `popup_documents`, aligned on `frame`'s index) adds a `documents`
    property; `extra_columns` adds popup rows (e.g. why a port is on the entry-ports list). A line merged
    from many for a coarse zoom (`geo.lod`) is titled by what it stands for ("Motorways in Poland,
    simplified for this zoom"), with `country_names` ({alpha-2: name}) naming the country.
    Features whose geometry vanishes at this rounding are left out.
    """
    frame = frame.copy()
    extra = dict(extra_columns or {})
    for name, values in extra.items():
        frame[name] = values.reindex(frame.index)
    if documents is not None:
        frame["documents"] = documents.reindex(frame.index)
        extra["documents"] = frame["documents"]
    data: dict = {"layer": layer, "title": LAYER_TITLES[layer]}
    if layer == "ports":
        points = frame.geometry.representative_point()
        data["xy"] = np.round(np.column_stack([points.x, points.y]), 5).ravel().tolist()
        fills, sizes = port_classes(frame)
        data["fill"] = [list(PORT_FILLS).index(v) for v in fills]
        data["size"] = [list(PORT_SIZES).index(v) for v in sizes]
        data["fills"] = [{"key": k, "label": label, "color": color} for k, (label, color) in PORT_FILLS.items()]
        data["sizes"] = [{"key": k, "radius": r} for k, r in PORT_SIZES.items()]
    else:
        fine = np.zeros(len(frame), dtype=bool)
        if full_detail is not None:
            fine = full_detail.reindex(frame.index).fillna(False).to_numpy(dtype=bool)
        per_feature = np.where(fine, lod.FULL_DECIMALS, decimals)
        geometry: list = [None] * len(frame)
        for value in np.unique(per_feature):
            rows = np.flatnonzero(per_feature == value)
            for row, encoded in zip(rows, encode_geometries(frame.geometry.values[rows], int(value)), strict=True):
                geometry[row] = encoded
        kept = np.array([bool(g) for g in geometry], dtype=bool)
        frame = frame[kept]
        data["q"] = decimals
        if fine.any():  # per-feature grid only when it varies
            data["qs"] = per_feature[kept].tolist()
        data["geom"] = [g for g, k in zip(geometry, kept, strict=True) if k]
        styles = RAIL_STYLES if layer == "rail" else ROAD_STYLES
        classes = line_classes(frame, layer)
        data["styles"] = _style_table(styles)
        data["cls"] = [list(styles).index(v) for v in classes]
        frame = _title_merged_lines(frame, classes, styles, country_names or {})
    data["props"] = property_table(frame, _popup_columns(layer, extra))
    data["count"] = len(frame)
    data["credits"] = attribution_credits(frame)
    data["caveats"] = catalogue.get_layer(layer).caveats_for(frame["source"].dropna().unique())
    return LayerPayload(layer=layer, data=data, frame=frame)


def _title_merged_lines(
    frame: gpd.GeoDataFrame, classes: pd.Series, styles: Mapping[str, LineStyle], country_names: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """`frame` with the lines merged for a coarse zoom named by what they stand for, not by their level id."""
    merged = frame["id"].astype("string").str.match(lod.LEVEL_ID_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
    if not merged.any():
        return frame
    where = frame["country"].astype("string").map(lambda code: country_names.get(code, code), na_action="ignore")
    what = classes.map(lambda key: styles[key].plural[:1].upper() + styles[key].plural[1:])
    titles = what + (" in " + where).fillna("") + ", simplified for this zoom"
    frame = frame.copy()
    frame.loc[merged, "name"] = titles[merged].astype("string")
    return frame


def outline_payload(countries: gpd.GeoDataFrame) -> dict:
    """The offline basemap: country polygons simplified to ~1 km."""
    geoms = shapely.simplify(countries.geometry.values, OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    encoded = encode_geometries(geoms, OUTLINE_DECIMALS)
    return {"q": OUTLINE_DECIMALS, "geom": encoded, "credits": attribution_credits(pd.DataFrame([OUTLINE_CREDIT]))}


def documents_payload(ids: Iterable[str]) -> dict:
    """`{id: {t: short title, u: URL or None, a: address in words, s: status, i: identifier}}` for popups.

    `u` is the official text, or an address on an official site that the reference did not verify;
    `a` says which ("official text", "official site, address not verified", "no official address").
    A fact the catalogue could not verify is labelled so, never shown bare.
    """
    from geo import policy_views

    table = policy_views.documents_table()
    out = {}
    for doc_id in sorted(set(ids)):
        record = table.get(doc_id)
        if record is None:
            continue
        url = record["url"] or record["unverified_url"]
        identifier = policy_views.with_unverified_flag(record["identifier"], record["identifier_unverified"])
        status = policy_views.with_unverified_flag(record["status_label"], record["status_unverified"])
        if record["certainty"] == "news_only":
            status = f"{status}, news reports only"
        out[doc_id] = {
            "t": record["short_title"],
            "u": url if isinstance(url, str) and _SAFE_URL.match(url) else None,
            "a": record["address"],
            "s": status,
            "i": identifier,
        }
    return out


def popup_documents(frames: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.Series], dict]:
    """The policy documents of every feature, for popups: per layer a Series and one shared table.

    Each feature's value is "id~m~r|id~m~r..." (most relevant first, None when no document applies):
    `m` indexes the table's "matches" (how sure the match of the document to the feature is, e.g.
    "applies: probable, matched on the feature") and `r` its "reasons" (why it applies). The table's
    "documents" is `documents_payload` of every id used. Work is done once per distinct link list.
    """
    from geo import policies, policy_views

    catalogue = policies.load_catalogue()
    matches: dict[str, int] = {}
    reasons: dict[str, int] = {}
    ids: set[str] = set()

    def encode(link: policies.Link) -> str:
        ids.add(link.document)
        match = matches.setdefault(policy_views.applies_text(link.certainty, link.basis), len(matches))
        return f"{link.document}~{match}~{reasons.setdefault(link.reason, len(reasons))}"

    per_layer = {}
    for layer, frame in frames.items():
        if frame.empty:
            continue
        patterns, inverse = policies.link_patterns(frame, catalogue)
        texts = np.array(["|".join(map(encode, links)) or None for links in patterns], dtype=object)
        per_layer[layer] = pd.Series(texts[inverse], index=frame.index, dtype="object")
    table = {"documents": documents_payload(ids), "matches": list(matches), "reasons": list(reasons)}
    return per_layer, table


# -- folium elements ---------------------------------------------------------------------------

_RUNTIME_JS = (Path(__file__).parent / "render_runtime.js").read_text(encoding="utf-8")
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


def leaflet_assets(mode: str) -> tuple[str, str]:
    """(leaflet.js URL, leaflet.css URL) for `mode` "app" (served by Streamlit) or "cdn"."""
    base = {"app": settings.LEAFLET_APP_URL, "cdn": settings.LEAFLET_CDN_URL}.get(mode)
    if base is None:
        raise ValueError(f"assets must be 'app' or 'cdn', got {mode!r}")
    return base + "leaflet.js", base + "leaflet.css"


@dataclass
class MapRequest:
    """Everything a map shows. Frames are EPSG:4326 and already selected (country, bbox, level)."""

    frames: Mapping[str, gpd.GeoDataFrame]
    decimals: int = lod.FULL_DECIMALS
    basemap: str = "outlines"
    countries: gpd.GeoDataFrame | None = None  # outlines for the offline basemap
    seed_ports: pd.DataFrame | None = None  # locode, reason (geo.seed_ports)
    show_seed: bool = False
    highlight: str | None = None  # a feature id
    bounds: tuple[float, float, float, float] | None = None  # W,S,E,N to fit; default: the data
    notice: str | None = None  # shown on the map, e.g. "simplified level"
    documents: bool = True  # link features to policy documents (geo.policies)
    full_detail_ids: frozenset[str] = frozenset()  # lines drawn at full precision at any level
    assets: str = "app"
    height: str = "100%"


def _seed_reasons(ports: gpd.GeoDataFrame, seed: pd.DataFrame) -> pd.Series:
    reasons = dict(zip(seed["locode"], seed["reason"], strict=True))
    return ports["locode"].map(reasons).astype("string")


def _highlight(payloads: dict[str, LayerPayload], feature_id: str | None) -> dict | None:
    if not feature_id:
        return None
    for layer, payload in payloads.items():
        hits = np.flatnonzero(payload.frame["id"].astype(str).to_numpy() == feature_id)
        if len(hits):
            return {"layer": layer, "index": int(hits[0])}
    return None


def _fit_bounds(request: MapRequest, payloads: dict[str, LayerPayload], highlight: dict | None) -> list | None:
    if highlight is not None:
        geometry = payloads[highlight["layer"]].frame.geometry.iloc[highlight["index"]]
        west, south, east, north = geometry.buffer(0.15).bounds
    elif request.bounds is not None:
        west, south, east, north = request.bounds
    else:
        shown = [p.frame for p in payloads.values() if not p.frame.empty]
        if not shown:
            return None
        west, south, east, north = np.array([f.total_bounds for f in shown]).T
        west, south, east, north = west.min(), south.min(), east.max(), north.max()
    return [[float(south), float(west)], [float(north), float(east)]]


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
    counts: dict[str, int]  # features drawn per layer


def prepare_map(request: MapRequest) -> PreparedMap:
    """Encode everything `request` shows (the expensive part of building a map)."""
    if request.basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {', '.join(BASEMAPS)}, got {request.basemap!r}")
    leaflet_assets(request.assets)  # refuse an unknown mode early
    frames = {layer: frame for layer, frame in request.frames.items() if layer in LAYER_TITLES}
    documents, popup_table = popup_documents(frames) if request.documents else ({}, {})
    names = (
        {}
        if request.countries is None
        else dict(zip(request.countries["iso2"], request.countries["name"], strict=True))
    )
    payloads = {}
    for layer, frame in frames.items():
        extra = {}
        if layer == "ports" and request.seed_ports is not None:
            extra["entry_port"] = _seed_reasons(frame, request.seed_ports)
        fine = frame["id"].isin(request.full_detail_ids) if request.full_detail_ids else None
        payloads[layer] = layer_payload(frame, layer, request.decimals, documents.get(layer), extra, fine, names)
    highlight = _highlight(payloads, request.highlight)
    seed = None
    if "ports" in payloads and request.seed_ports is not None:
        members = payloads["ports"].frame["locode"].isin(request.seed_ports["locode"]).fillna(False)
        seed = script_json({"index": np.flatnonzero(members.to_numpy(dtype=bool)).tolist()})
    config = {
        "documents": popup_table.get("documents", {}),
        "matches": popup_table.get("matches", []),
        "reasons": popup_table.get("reasons", []),
        "highlight": highlight,
        "notice": request.notice,
    }
    has_outlines = request.countries is not None and not request.countries.empty
    return PreparedMap(
        basemap=request.basemap,
        show_seed=request.show_seed,
        assets=request.assets,
        height=request.height,
        config=script_json(config),
        layers={layer: script_json(payload.data) for layer, payload in payloads.items()},
        outlines=script_json(outline_payload(request.countries)) if has_outlines else None,
        seed=seed,
        bounds=_fit_bounds(request, payloads, highlight),
        highlighted=highlight is not None,
        counts={layer: len(payload.frame) for layer, payload in payloads.items()},
    )


def assemble_map(prepared: PreparedMap) -> folium.Map:
    """A new folium map from prepared data: overlays per layer, basemaps, layer control, view."""
    m = folium.Map(
        location=EUROPE_CENTER, zoom_start=4, tiles=None, prefer_canvas=True, control_scale=True, height=prepared.height
    )
    js, css = leaflet_assets(prepared.assets)
    m.default_js = [("leaflet", js)]
    m.default_css = [("leaflet_css", css)]
    m.add_child(_Runtime(prepared.config))
    outlines = folium.FeatureGroup(name=BASEMAP_TITLES["outlines"], overlay=False, show=prepared.basemap == "outlines")
    if prepared.outlines is not None:
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
        m.add_child(folium.FeatureGroup(name=LAYER_TITLES[layer]).add_child(_Payload("addLayer", layer, payload)))
    if prepared.seed is not None:
        group = folium.FeatureGroup(name=SEED_TITLE, show=prepared.show_seed)
        m.add_child(group.add_child(_Payload("addSeed", "ports", prepared.seed)))
    folium.LayerControl(collapsed=False).add_to(m)
    if prepared.bounds is not None:
        m.fit_bounds(prepared.bounds, max_zoom=11 if prepared.highlighted else None)
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


def plan_request(
    loaded,
    layers: Iterable[str],
    countries: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    **options,
) -> MapRequest:
    """The MapRequest for a selection, shared by the app and `python -m geo render`.

    `loaded` is `geo.select.load_layers()`; `countries` are alpha-2 codes (None: all); `bbox` is
    W,S,E,N degrees, cutting the layers to a region (default: no cut; the map fits the selected
    countries' outlines, else Europe). Without a `bbox` every feature of the countries is drawn, as
    the statistics and exports select them. The level of detail follows the area and the page budget
    (`geo.select.plan_view`); a coarser level is announced in the request's `notice`. `options` are
    further MapRequest fields (basemap, show_seed, ...).
    """
    from geo import areas, select

    codes = areas.normalise_countries(countries) if countries is not None else None
    area = bbox
    if area is None and codes and outlines is not None:
        area = areas.countries_bbox(outlines, codes)
    view = select.plan_view(loaded, layers, codes, bbox, extent=area)
    stored = [frame["id"] for frame in loaded.stored.values() if frame is not None]
    return MapRequest(
        frames=view.frames,
        decimals=lod.decimals_for_level(view.level),
        full_detail_ids=frozenset(pd.concat(stored)) if stored else frozenset(),
        countries=outlines,
        bounds=area,
        notice=view.message,
        **options,
    )
