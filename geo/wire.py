"""The map page's wire format: how geometries and popup tables travel to the browser as compact JSON.

Geometry (EPSG:4326 lon/lat degrees) becomes integer paths on a 10**-decimals degree grid: each
path's first point whole, then the step from the previous point (`grid_deltas`), so a European
line costs a few digits per vertex. Popup properties become one table per layer, each column
dictionary-encoded when repetitive (`property_table`). The browser decodes both in
`geo/render_runtime.js` (`decodePath`, `value`). JSON for a <script> element goes through
`script_json`, which makes it safe to embed.

Used by `geo.render` (payloads) and `geo.view` (estimating page weight).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import shapely
from jinja2.utils import htmlsafe_json_dumps

from geo.layers import Column

_COMPACT_JSON = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _compact_json(value: object, **options: object) -> str:
    # Line and paragraph separators end a JavaScript line in browsers older than ES2019.
    return _COMPACT_JSON(value, **options).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def script_json(value: object) -> str:
    """`value` as compact JSON that is safe inside an HTML <script> element (`<`, `>`, `&`, `'` and the
    line separators escaped)."""
    return str(htmlsafe_json_dumps(value, dumps=_compact_json))


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


def coordinate_chars(geometries: np.ndarray, decimals: int) -> int:
    """Characters the page spends on the lines `geometries` at `decimals`: the `grid_deltas` integers,
    comma-separated, each path in brackets."""
    parts = shapely.get_parts(geometries)
    if not len(parts):
        return 0
    delta, _ = grid_deltas(parts, decimals)
    digits = np.floor(np.log10(np.maximum(np.abs(delta), 1))) + 1
    return int(digits.sum() + (delta < 0).sum() + delta.size + 3 * len(parts))


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


def display_texts(values: pd.Series, column: Column | None = None) -> list:
    """Popup text of each value (numbers trimmed, booleans yes/no), in the column's words where it has
    them (`Column.value_labels`, `Column.missing`); None where nothing is shown."""
    if pd.api.types.is_bool_dtype(values):
        text = values.map({True: "yes", False: "no"})
    elif pd.api.types.is_float_dtype(values):
        text = values.round(2).astype("string").str.removesuffix(".0")
    else:
        text = values.astype("string")
    labels = column.value_labels if column is not None else {}
    missing = column.missing if column is not None else None
    return [missing if pd.isna(v) else labels.get(str(v), str(v)) for v in text]


def property_table(frame: pd.DataFrame, columns: Iterable[str], specs: Mapping[str, Column] | None = None) -> dict:
    """Columns of `frame` for popups: `{"cols": [...], "data": {col: {"v": uniques, "c": codes} | {"r": values}}}`.

    Values are shown as `display_texts` in the words of `specs` ({column: Column}, e.g. a layer's
    `all_columns()`). Repetitive columns (provenance, kind, country) are dictionary-encoded; mostly
    unique ones (id, name) are stored raw, less a prefix they all share (`"p"`). Code -1 means null;
    `column_value` decodes a value. The JSON `tags` column is spread into
    one such column per key under `"tags": {"keys": [...], "data": {...}}`, which is far smaller
    than a JSON text per feature.
    """
    specs = specs or {}
    columns = [c for c in columns if c in frame.columns]
    data = {column: _encode_column(display_texts(frame[column], specs.get(column))) for column in columns}
    table = {"cols": columns, "data": data}
    if "tags" in columns:
        tags = _tag_columns(frame["tags"])
        table["data"].pop("tags")
        table["tags"] = {"keys": list(tags), "data": {key: _encode_column(values) for key, values in tags.items()}}
    return table


def _encode_column(values: list) -> dict:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    if len(uniques) > len(values) / 2:
        return _raw_column(values)
    return {"v": list(uniques), "c": codes.tolist()}


def _raw_column(values: list) -> dict:
    """Mostly unique values stored raw; texts that all start alike (ids: "gisco:", "osm:way/") say their
    common prefix once, as "p" (about 14 kB less on the Europe page)."""
    texts = [value for value in values if value is not None]
    shared = len(texts) > 1 and all(isinstance(text, str) for text in texts)
    prefix = os.path.commonprefix(texts) if shared else ""  # noqa: RUF071 - a text prefix, not a path
    if len(prefix) < 2:
        return {"r": values}
    return {"p": prefix, "r": [None if value is None else value[len(prefix) :] for value in values]}


def column_value(encoded: dict, i: int) -> object:
    """Value `i` of a column as `property_table` encodes it (the browser's `corridorAtlas.value` reads the same)."""
    if "r" in encoded:
        raw = encoded["r"][i]
        return encoded.get("p", "") + raw if raw is not None else None
    code = encoded["c"][i]
    return None if code < 0 else encoded["v"][code]


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
