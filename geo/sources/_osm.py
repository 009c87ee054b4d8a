"""OpenStreetMap features -> the common schema. Shared by the Overpass and .osm.pbf sources.

Both readers produce `OsmElements` (parallel arrays of element type, id, tags and a shapely
geometry in EPSG:4326 lon/lat); `normalise` picks the features of one layer by the layer
catalogue's tag filters, shapes their geometry for the layer, maps tags to schema columns and
adds provenance (source "osm", ODbL-1.0, "© OpenStreetMap contributors"). Both return their
features as a `FetchResult`, so neither source module imports the other.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geo import gauge, schema
from geo.errors import DatasetError
from geo.layers import LayerSpec, get_layer
from geo.sources import utc_timestamp
from geo.sources._geometry import geodesic_length_km

log = logging.getLogger(__name__)

SOURCE = "osm"
LICENCE = "ODbL-1.0"
ATTRIBUTION = "© OpenStreetMap contributors"
# Tags kept in the `tags` JSON of every layer, besides the filter keys and the layer's prefixes.
EXTRA_TAGS = ("name:en", "int_name", "wikidata", "construction")


@dataclass
class OsmElements:
    """OSM elements with geometry: `types[i]` in {"node", "way", "relation"}, `ids[i]`, `tags[i]`, `geometry[i]`.

    Geometry is shapely, EPSG:4326 (lon/lat degrees): Points for nodes, LineStrings for ways,
    Polygons/MultiPolygons for areas. `notes` lists elements that were dropped and why.
    """

    types: np.ndarray
    ids: np.ndarray
    tags: list[dict]
    geometry: np.ndarray
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> OsmElements:
        return cls(np.array([], dtype=object), np.array([], dtype=np.int64), [], np.array([], dtype=object))

    @classmethod
    def concat(cls, parts: Sequence[OsmElements]) -> OsmElements:
        """Join several batches, keeping the first copy of an element that appears in more than one."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        types = np.concatenate([p.types for p in parts])
        ids = np.concatenate([p.ids for p in parts])
        tags = [t for p in parts for t in p.tags]
        geometry = np.concatenate([p.geometry for p in parts])
        keys = pd.Series(types.astype(str)) + "/" + pd.Series(ids.astype(str))
        first = ~keys.duplicated().to_numpy()
        notes = [n for p in parts for n in p.notes]
        return cls(types[first], ids[first], [t for t, k in zip(tags, first, strict=True) if k], geometry[first], notes)


@dataclass
class FetchResult:
    """Features of one layer and area (EPSG:4326), and what happened while getting them."""

    frame: gpd.GeoDataFrame
    layer: str
    area: str  # the store key of the area ("" until a use case names it)
    bbox: tuple[float, float, float, float]  # W,S,E,N degrees
    # "network", "cache", "file", "stored" (network failed, stored copy used) or "none"
    origin: str
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


def file_retrieved_at(path: Path) -> str:
    """When a local file's data was retrieved, as far as we know: its modification time (UTC ISO 8601)."""
    return utc_timestamp(Path(path).stat().st_mtime)


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


def provenance(source_date: str | None, retrieved_at: str) -> schema.Provenance:
    """The provenance of OSM data: `source_date` is the data timestamp (ISO; cut to yyyy-mm-dd)."""
    return schema.Provenance(
        source=SOURCE,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        source_date=(source_date or "")[:10] or None,
        retrieved_at=retrieved_at,
    )


def file_area_key(path: Path) -> str:
    """A store area key from a file name: "Monaco 2020-02.osm.pbf" -> "monaco-2020-02"."""
    stem = Path(path).name.split(".osm")[0].removesuffix(".json")
    return re.sub(r"[^a-z0-9_.-]+", "-", stem.lower()).strip("-.")[:80] or "extract"


def filter_matches(layer: LayerSpec, element_type: str, tags: dict) -> str | None:
    """The feature kind if an element of `element_type` with `tags` belongs to `layer`, else None.

    A filter value "construction" matches only when the `construction` tag names one of the
    filter's other values (a motorway under construction, not any road). The kind is the matched
    value (`port`, `ferry_terminal`, `rail`, `motorway`...), the key itself for "any value" filters
    (`harbour=*` gives "harbour"), and for roads under construction the class being built.
    """
    for osm_filter in layer.osm_filters:
        if element_type not in osm_filter.elements:
            continue
        value = tags.get(osm_filter.key)
        if value is None:
            continue
        if not osm_filter.values:
            return osm_filter.key
        if value not in osm_filter.values:
            continue
        if value == "construction":
            built = tags.get("construction")
            if built not in osm_filter.values or built == "construction":
                continue
            return built if osm_filter.construction_kind == "built" else value
        return value
    return None


def _lines_for_layer(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rail and roads: keep valid lines; returns (geometry, keep mask)."""
    is_line = np.isin(shapely.get_type_id(geometry), (1, 5))
    keep = is_line & shapely.is_valid(geometry)
    return geometry, keep


def _points_and_areas(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point layers (ports): closed ways become polygons, open ways their point on the line; invalid areas
    are repaired."""
    geometry = geometry.copy()
    type_id = shapely.get_type_id(geometry)
    lines = type_id == 1
    closed = lines & shapely.is_closed(geometry) & (shapely.get_num_coordinates(geometry) >= 4)
    if closed.any():
        coords, index = shapely.get_coordinates(geometry[closed], return_index=True)
        geometry[closed] = shapely.polygons(shapely.linearrings(coords, indices=index))
    open_lines = lines & ~closed
    geometry[open_lines] = shapely.point_on_surface(geometry[open_lines])
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        repaired = shapely.make_valid(geometry[invalid])
        polygonal = np.isin(shapely.get_type_id(repaired), (3, 6))
        # A collection from repair: keep its polygonal part, else a point on it.
        polygon_parts = shapely.get_parts(repaired[~polygonal], return_index=True)
        for i, original in enumerate(np.flatnonzero(~polygonal)):
            members = polygon_parts[0][polygon_parts[1] == i]
            areas = members[np.isin(shapely.get_type_id(members), (3, 6))]
            repaired[original] = (
                shapely.union_all(areas) if len(areas) else shapely.point_on_surface(repaired[original])
            )
        geometry[invalid] = repaired
    keep = np.isin(shapely.get_type_id(geometry), (0, 3, 6)) & ~shapely.is_empty(geometry)
    return geometry, keep


def _tag_keeper(layer: LayerSpec) -> Callable[[dict], dict]:
    """A function returning the tags worth keeping in the `tags` column: filter keys, layer prefixes, a few extras."""
    keys = ({f.key for f in layer.osm_filters} | set(EXTRA_TAGS)) - set(layer.osm_columns)
    prefixes = layer.osm_tag_prefixes
    if not prefixes:
        return lambda tags: {k: tags[k] for k in keys.intersection(tags)}
    return lambda tags: {
        k: v for k, v in tags.items() if k not in layer.osm_columns and (k in keys or k.startswith(prefixes))
    }


def normalise(
    elements: OsmElements,
    layer_name: str,
    prov: schema.Provenance,
    *,
    origin: str,
    assign_country: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The features of `layer_name` among `elements`, in the common schema, and notes on what was dropped.

    `origin` (e.g. "overpass https://…/interpreter bbox 15.5,48.1,15.7,48.3" or "file monaco.osm.pbf")
    is kept in each feature's tags as `osm_origin`. Geometry EPSG:4326; `length_km` is geodesic km.
    """
    layer = get_layer(layer_name)
    kinds = [filter_matches(layer, t, tags) for t, tags in zip(elements.types, elements.tags, strict=True)]
    candidates = np.flatnonzero([k is not None for k in kinds]) if len(elements) else np.array([], dtype=np.int64)
    notes: list[str] = []
    in_range = schema.coordinates_ok(elements.geometry[candidates])
    if (~in_range).any():
        notes.append(f"{layer.name}: dropped {int((~in_range).sum())} features with {schema.BAD_COORDINATES}")
        candidates = candidates[in_range]
    geometry = elements.geometry[candidates]
    shaper = _points_and_areas if layer.geometry == "point" else _lines_for_layer
    geometry, keep = shaper(geometry)
    if (~keep).any():
        notes.append(f"{layer.name}: dropped {int((~keep).sum())} features with unusable geometry")
    positions = candidates[keep]
    geometry = geometry[keep]
    types = elements.types[positions].astype(str)
    ids = elements.ids[positions].astype(str)
    tags = [elements.tags[i] for i in positions]

    frame = pd.DataFrame(
        {
            "id": pd.Series(np.char.add(np.char.add("osm:", types), np.char.add("/", ids)), dtype="string")
            if len(positions)
            else pd.Series([], dtype="string"),
            "layer": layer.name,
            "name": [t.get("name") for t in tags],
            "kind": [kinds[i] for i in positions],
        }
    )
    for key, column in layer.osm_columns.items():
        frame[column] = [t.get(key) for t in tags]
    if "construction" in layer.columns:  # the filter key says "construction" (highway=construction)
        keys = [f.key for f in layer.osm_filters]
        frame["construction"] = [any(t.get(key) == "construction" for key in keys) for t in tags]
    if "length_km" in layer.columns:
        frame["length_km"] = geodesic_length_km(geometry)
    if "gauge_basis" in layer.columns:  # rail: where a gauge comes from (geo.gauge); untagged ones stay empty
        frame["gauge_basis"] = np.where(frame["gauge"].notna().to_numpy(dtype=bool), gauge.FROM_OSM, None)
    keeper = _tag_keeper(layer)
    frame["tags"] = pd.Series(
        [orjson.dumps({**keeper(t), "osm_origin": origin}, option=orjson.OPT_SORT_KEYS).decode() for t in tags],
        dtype="string",
    )
    frame = schema.with_provenance(frame, prov)
    frame["country"] = countries_of(geometry) if assign_country else pd.NA
    frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=schema.CRS), crs=schema.CRS)
    return schema.conform(frame, layer.name), notes


def countries_of(geometry: np.ndarray) -> pd.Series:
    """ISO 3166-1 alpha-2 country of each geometry: the country it touches, else the nearest (`geo.countries`).

    Left <NA> (never guessed) when the country table is missing or unreadable.
    """
    from geo import countries

    try:
        table = countries.load_countries()
    except DatasetError as exc:
        log.warning("countries left empty: %s", exc)
        return pd.Series(pd.NA, index=range(len(geometry)), dtype="string")
    if len(geometry) == 0:
        return pd.Series([], dtype="string")
    codes = countries.nearest_country(gpd.GeoSeries(geometry, crs=schema.CRS), table)
    return codes.reset_index(drop=True).astype("string")
