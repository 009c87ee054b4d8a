"""Export layers, or a selection of them, as GIS files with their licence and attribution.

Formats (keys of `FORMATS`): GeoJSON (RFC 7946), GeoPackage, GeoParquet, FlatGeobuf, KML,
CSV (WKT geometry, plus longitude/latitude for point layers) and a zipped Shapefile with a
field-name map. A bundle zips several layers in one of those formats with a README.txt, the
licence notes of every source inside and a metadata.json. A rail route (`geo.route`) is exported
as GeoJSON, GPX or CSV (`ROUTE_FORMATS`, `write_route`) with its explanation in the metadata.

Every export keeps exactly the schema's columns (`geo.schema`), in EPSG:4326 (lon/lat degrees).
Files are written to a temporary path and moved into place (`geo.store.atomic_write`), so a
failed export never leaves a half-written file. Licence and attribution come from the
features' own `source`/`licence`/`attribution` columns, so the notes always match the data.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
import textwrap
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo import __version__, schema, settings, store
from geo.errors import ExportError
from geo.layers import get_layer
from geo.select import load_layers, select

APP_NAME = "corridor-atlas"
BUNDLE = "bundle"
DEFAULT_BUNDLE_FORMAT = "gpkg"
# CSV geometry precision: 7 decimals of a degree is about 1 cm, finer than any source here.
CSV_DECIMALS = 7
# dBASE text fields hold at most 254 bytes; longer values go to a sidecar CSV in the zip.
DBF_MAX_BYTES = 254
DBF_MAX_NAME = 10
ODBL_NOTICE = (
    "Contains information from OpenStreetMap, (c) OpenStreetMap contributors, which is made "
    "available under the Open Database License (ODbL) 1.0: https://opendatacommons.org/licenses/odbl/1-0/ "
    "Share-alike: if you publicly use a database adapted from this data, you must offer that "
    "database under the ODbL too. See https://www.openstreetmap.org/copyright"
)
LICENCE_URLS = {"ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/"}
# The key under which a file's own metadata holds its notes (`file_notes`).
NOTES_KEY = "corridor_atlas"
# The full licence text that travels with every export holding OpenStreetMap data (in datasets/licences/).
ODBL_TEXT_FILE = "ODbL-1.0.txt"
# Cells a spreadsheet would run as a formula; CSV text starting with one gets a leading "'".
_FORMULA_START = re.compile(r"[=+\-@\t\r]")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class ExportFormat:
    """One output format: how it is named, labelled and written."""

    key: str
    label: str
    extension: str
    media_type: str
    # Text formats can be written to standard output (`--out -`).
    streamable: bool
    # write(frame, layer, path, notes): `notes` (`file_notes`) go into the file's own metadata where the
    # format has room for them.
    write: Callable[[gpd.GeoDataFrame, str, Path, dict], None] = field(repr=False)
    # Whether a file of this format holds the licence texts itself (in its metadata or, for zips, as
    # files). Single files of OpenStreetMap data in other formats are zipped with the licence.
    carries_licence: bool = True


@dataclass(frozen=True)
class Selection:
    """What part of the layers an export holds; recorded in the file name and metadata.json.

    `bbox` is (min_lon, min_lat, max_lon, max_lat) in EPSG:4326 degrees. `filters` are the app's
    other active filters as readable (name, value) pairs, already applied to the frames.
    """

    countries: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    filters: tuple[tuple[str, str], ...] = ()

    def area_label(self) -> str:
        """Short file-name part naming the area: "PL-DE", "bbox_14.1_49_24.2_54.9" or "europe"."""
        parts = []
        if self.countries:
            parts.append("-".join(self.countries))
        if self.bbox is not None:
            parts.append("bbox_" + "_".join(f"{value:.2f}".rstrip("0").rstrip(".") for value in self.bbox))
        return safe_filename("_".join(parts) or "europe")

    def as_dict(self) -> dict:
        return {
            "countries": list(self.countries) or None,
            "bbox": list(self.bbox) if self.bbox is not None else None,
            "filters": dict(self.filters) or None,
        }


def select_layer(frame: gpd.GeoDataFrame, selection: Selection) -> gpd.GeoDataFrame:
    """The features of `frame` in `selection`'s countries and intersecting its bbox (kept whole, not cut)."""
    return select(frame, countries=list(selection.countries) or None, bbox=selection.bbox)


# ---------------------------------------------------------------------------------------------
# File names


def safe_filename(name: str, default: str = "export") -> str:
    """`name` reduced to a plain file name that cannot leave its folder.

    Accents are folded to ASCII, path separators and other unsafe characters become "_", leading
    dots are dropped (no hidden files, no ".."), Windows device names are prefixed and the length
    is capped at 120 characters. An empty result becomes `default`.
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_NAME_CHARS.sub("_", ascii_name)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip("._- ")[:120].rstrip("._- ")
    if not cleaned:
        return default
    if _WINDOWS_RESERVED.match(cleaned):
        cleaned = f"_{cleaned}"
    return cleaned


def path_inside(folder: Path, name: str) -> Path:
    """`folder / safe_filename(name)`, checked to resolve inside `folder`."""
    folder = Path(folder).resolve()
    path = (folder / safe_filename(name)).resolve()
    if path.parent != folder:
        raise ExportError(f"file name {name!r} would leave {folder}")
    return path


def export_filename(
    layers: Sequence[str], fmt: str, selection: Selection | None = None, day: date | None = None
) -> str:
    """A file name saying what an export holds, e.g. `corridor-atlas_rail_PL_2026-11-21.gpkg`."""
    extension = ".zip" if fmt == BUNDLE else get_format(fmt).extension
    what = "-".join(safe_filename(layer) for layer in layers) or "layers"
    area = (selection or Selection()).area_label()
    day = day or datetime.now(UTC).date()
    return f"{APP_NAME}_{what}_{area}_{day.isoformat()}{extension}"


# ---------------------------------------------------------------------------------------------
# Checks


def get_format(key: str) -> ExportFormat:
    """The format registered under `key`; ExportError listing the known keys otherwise."""
    try:
        return FORMATS[key]
    except KeyError:
        known = ", ".join([*FORMATS, BUNDLE])
        raise ExportError(f"unknown export format {key!r}; choose one of: {known}") from None


def export_limit() -> int | None:
    """Most features one export may hold: `settings.HOSTED_MAX_EXPORT_FEATURES` when hosted, else no limit."""
    return settings.HOSTED_MAX_EXPORT_FEATURES if settings.MODE == "hosted" else None


def check_count(features: int, what: str, max_features: int | None = None) -> None:
    """ExportError when `features` (of layers named `what`) is zero or above `max_features`."""
    if features == 0:
        raise ExportError(
            f"no {what} features in the selection: nothing to export. Widen the area or clear the filters."
        )
    if max_features is not None and features > max_features:
        raise ExportError(
            f"{features:,} {what} features selected; this server exports at most {max_features:,}. "
            "Choose a smaller area or a country."
        )


def prepare(frame: gpd.GeoDataFrame, layer: str, max_features: int | None = None) -> gpd.GeoDataFrame:
    """`frame` reduced to the schema's columns of `layer` and checked, ready to write.

    Raises ExportError for an empty selection or more than `max_features` features, and
    SchemaError when a schema column is missing or mistyped.
    """
    check_count(0 if frame is None else len(frame), layer, max_features)
    missing = [name for name in schema.columns(layer) if name not in frame.columns]
    if missing:
        raise schema.SchemaError(f"{layer}: cannot export, columns missing: {missing}")
    out = gpd.GeoDataFrame(frame[[*schema.columns(layer), frame.geometry.name]], crs=frame.crs)
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    schema.validate(out.reset_index(drop=True), layer)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Format writers: each writes one layer to `path` (a fresh temporary path).


def _write_with_gdal(
    driver: str,
    dataset_options: dict[str, str] | None = None,
    notes_options: Callable[[dict], dict] | None = None,
    **options: str,
) -> Callable[[gpd.GeoDataFrame, str, Path, dict], None]:
    """A writer through GDAL; `notes_options(notes)` gives the keyword arguments that store the notes."""

    def write(frame: gpd.GeoDataFrame, layer: str, path: Path, notes: dict) -> None:
        extra = notes_options(notes) if notes_options else {}
        # Arrow keeps nullable booleans and integers typed (the classic path turns them into floats).
        pyogrio.write_dataframe(
            frame, path, driver=driver, layer=layer, use_arrow=True, dataset_options=dataset_options, **options, **extra
        )

    return write


def _write_geoparquet(frame: gpd.GeoDataFrame, layer: str, path: Path, notes: dict) -> None:
    # The store's writer without its atomic move: the export makes its own temporary file.
    store.write_geoparquet(frame, path, metadata={NOTES_KEY: json.dumps(notes, ensure_ascii=False)})


def csv_table(frame: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """The CSV form of a layer: schema columns, `longitude`/`latitude` for point layers, then `wkt`.

    For a polygon feature of a point layer (a port area) longitude/latitude is a point inside it.
    Text starting with = + - @ gets a leading apostrophe so spreadsheets show it instead of running it.
    """
    table = pd.DataFrame(frame.drop(columns="geometry"))
    for name, dtype in schema.columns(layer).items():
        if dtype == "string":
            table[name] = formula_safe(table[name])
    geometries = frame.geometry.to_numpy()
    if get_layer(layer).geometry == "point":
        inside = shapely.point_on_surface(geometries)
        table["longitude"] = shapely.get_x(inside).round(CSV_DECIMALS)
        table["latitude"] = shapely.get_y(inside).round(CSV_DECIMALS)
    table["wkt"] = shapely.to_wkt(geometries, rounding_precision=CSV_DECIMALS)
    return table


def formula_safe(values: pd.Series) -> pd.Series:
    """Text values with a leading apostrophe where a spreadsheet would run them as a formula (= + - @ tab CR)."""
    formula = values.str.match(_FORMULA_START).fillna(False).astype(bool)
    return values.where(~formula, "'" + values)


def _write_csv(frame: gpd.GeoDataFrame, layer: str, path: Path, notes: dict) -> None:
    csv_table(frame, layer).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def shapefile_field_names(names: Sequence[str]) -> dict[str, str]:
    """Map each column name to a unique dBASE field name of at most 10 characters."""
    short: dict[str, str] = {}
    for name in names:
        candidate, number = name[:DBF_MAX_NAME], 0
        while candidate in short.values():
            number += 1
            suffix = f"_{number}"
            candidate = name[: DBF_MAX_NAME - len(suffix)] + suffix
        short[name] = candidate
    return short


def _geometry_families(frame: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split a frame by Shapefile geometry family (one family per .shp file)."""
    family = frame.geom_type.map(
        {"Point": "points", "MultiPoint": "points", "LineString": "lines", "MultiLineString": "lines"}
    ).fillna("polygons")
    return {name: frame[family == name] for name in ("points", "lines", "polygons") if (family == name).any()}


def _long_text_values(frame: gpd.GeoDataFrame, layer: str) -> list[tuple[str, str, str]]:
    """(id, column, value) of every text value too long for a dBASE field, guarded like the CSV export's cells."""
    rows = []
    for name, dtype in schema.columns(layer).items():
        if dtype != "string":
            continue
        values = frame[name].dropna()
        too_long = formula_safe(values[values.str.encode("utf-8").str.len() > DBF_MAX_BYTES])
        rows += [(frame.at[index, "id"], name, text) for index, text in too_long.items()]
    return rows


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


def _write_shapefile_zip(frame: gpd.GeoDataFrame, layer: str, path: Path, notes: dict) -> None:
    names = shapefile_field_names(list(schema.columns(layer)))
    families = _geometry_families(frame)
    parts = {layer if len(families) == 1 else f"{layer}_{family}": part for family, part in families.items()}
    long_values = _long_text_values(frame, layer)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for stem, part in parts.items():
            shp = Path(tmp) / f"{stem}.shp"
            with warnings.catch_warnings():
                # Values GDAL truncates are written in full to long_values.csv below.
                warnings.filterwarnings("ignore", message=".*has been truncated to 254", category=RuntimeWarning)
                pyogrio.write_dataframe(
                    part.rename(columns=names),
                    shp,
                    driver="ESRI Shapefile",
                    use_arrow=True,
                    encoding="UTF-8",
                    # Shrink text fields to their longest value (else 254 bytes each, for every row).
                    RESIZE="YES",
                )
            for component in sorted(Path(tmp).glob(f"{stem}.*")):
                archive.write(component, component.name)
        archive.writestr(
            "field_names.csv", _csv_text(["shapefile_field", "full_name"], [(s, f) for f, s in names.items()])
        )
        if long_values:
            archive.writestr("long_values.csv", _csv_text(["id", "field", "value"], long_values))
        archive.writestr("README.txt", readme(parts, {stem: [f"{stem}.shp"] for stem in parts}, "shp"))
        for name, licence_path in licence_files({layer: frame}).items():
            archive.write(licence_path, name)


FORMATS: dict[str, ExportFormat] = {
    fmt.key: fmt
    for fmt in (
        ExportFormat(
            "geojson",
            "GeoJSON",
            ".geojson",
            "application/geo+json",
            True,
            # A foreign member of the FeatureCollection (RFC 7946, section 6.1).
            _write_with_gdal(
                "GeoJSON",
                notes_options=lambda notes: {"FOREIGN_MEMBERS_COLLECTION": json.dumps({NOTES_KEY: notes})},
                RFC7946="YES",
            ),
        ),
        ExportFormat(
            "gpkg",
            "GeoPackage",
            ".gpkg",
            "application/geopackage+sqlite3",
            False,
            _write_with_gdal("GPKG", notes_options=lambda notes: {"layer_metadata": _text_items(notes)}),
        ),
        ExportFormat("parquet", "GeoParquet", ".parquet", "application/vnd.apache.parquet", False, _write_geoparquet),
        ExportFormat(
            "fgb",
            "FlatGeobuf",
            ".fgb",
            "application/octet-stream",
            False,
            _write_with_gdal(
                "FlatGeobuf", notes_options=lambda notes: {"TITLE": notes["title"], "DESCRIPTION": _notes_text(notes)}
            ),
        ),
        ExportFormat(
            "kml",
            "KML",
            ".kml",
            "application/vnd.google-earth.kml+xml",
            True,
            # GDAL's KML driver entity-escapes all text; LIBKML wraps it in CDATA and breaks on "]]>".
            _write_with_gdal("KML", dataset_options={"NameField": "name"}),
            carries_licence=False,
        ),
        ExportFormat("csv", "CSV", ".csv", "text/csv", True, _write_csv, carries_licence=False),
        ExportFormat("shp", "Shapefile (zip)", ".shp.zip", "application/zip", False, _write_shapefile_zip),
    )
}


def _write_gpx(frame: gpd.GeoDataFrame, layer: str, path: Path, notes: dict) -> None:
    """GPX 1.1 of a route: one track (trk), one track segment (trkseg) per stretch, in order.

    The track is named by the notes' title; the GPX metadata carry the title, the explanation
    (`notes["explanation"]`, plain text) or the other notes, and the credits as copyright author.
    """
    parts = [part for geometry in frame.geometry.values for part in shapely.get_parts(geometry)]
    track = gpd.GeoDataFrame(
        {
            "name": [notes["title"]],
            "desc": [notes.get("summary", notes["title"])],
            "src": [notes.get("attribution", "")],
        },
        geometry=[shapely.MultiLineString(parts)],
        crs=schema.CRS,
    )
    described = notes.get("explanation") or _notes_text(notes)
    options = {
        "METADATA_NAME": notes["title"],
        "METADATA_DESCRIPTION": described,
        "METADATA_COPYRIGHT_AUTHOR": notes.get("attribution", ""),
        "METADATA_KEYWORDS": "Corridor Atlas, rail route",
    }
    pyogrio.write_dataframe(track, path, driver="GPX", layer="tracks", dataset_options=options)


# A route's track for GPS devices and mapping tools; offered for routes (`ROUTE_FORMATS`), not for layers.
GPX = ExportFormat("gpx", "GPX track", ".gpx", "application/gpx+xml", True, _write_gpx, carries_licence=False)
# The formats a route is exported in, with its explanation: GeoJSON keeps it in the file's metadata, GPX in
# its metadata description, CSV in a zip beside the table (route.json, README.txt).
ROUTE_FORMATS: dict[str, ExportFormat] = {"geojson": FORMATS["geojson"], "gpx": GPX, "csv": FORMATS["csv"]}
ROUTE_LAYER = "route"


# ---------------------------------------------------------------------------------------------
# Writing one layer


def write_layer(frame: gpd.GeoDataFrame, layer: str, fmt: str, path: Path, max_features: int | None = None) -> Path:
    """Write `frame` (features of `layer`) as format `fmt` to `path`, atomically. Returns the path.

    Raises ExportError for an unknown format, an empty selection or too many features; an
    OSError from an unwritable folder propagates. In every failure no file is left at `path`
    (or its previous content is kept).
    """
    export_format = get_format(fmt)
    ready = prepare(frame, layer, max_features)
    name = f"{layer}{export_format.extension}"
    notes = file_notes(ready, layer)
    return store.atomic_write(
        Path(path), lambda tmp: _write_fresh(tmp, name, lambda fresh: export_format.write(ready, layer, fresh, notes))
    )


def needs_licence_zip(frame: gpd.GeoDataFrame, fmt: str) -> bool:
    """Whether one layer in format `fmt` must be zipped with its licence texts: OpenStreetMap data (ODbL)
    in a format that cannot hold the licence itself (CSV, KML)."""
    return not get_format(fmt).carries_licence and _has_odbl(frame)


def _has_odbl(frame: gpd.GeoDataFrame) -> bool:
    return any(schema.is_odbl(value) for value in frame["licence"].dropna().unique())


def _write_fresh(tmp: Path, name: str, write: Callable[[Path], None]) -> None:
    """Call `write(path)` on a new file `name` in a scratch folder beside `tmp`, then move it to `tmp`.

    GDAL reads details from the extension and will not write over the empty file atomic_write made.
    """
    with tempfile.TemporaryDirectory(prefix=".export-", dir=tmp.parent) as work:
        fresh = Path(work) / name
        write(fresh)
        os.replace(fresh, tmp)


def layer_bytes(frame: gpd.GeoDataFrame, layer: str, fmt: str, max_features: int | None = None) -> bytes:
    """The file `write_layer` would write, as bytes (for download buttons)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_layer(frame, layer, fmt, Path(tmp) / f"{layer}{get_format(fmt).extension}", max_features)
        return path.read_bytes()


def write_stream(
    frame: gpd.GeoDataFrame, layer: str, fmt: str, stream: BinaryIO, max_features: int | None = None
) -> int:
    """Write a text format (GeoJSON, CSV, KML) to a binary stream such as stdout; returns bytes written."""
    export_format = get_format(fmt)
    if not export_format.streamable:
        streamable = ", ".join(key for key, value in FORMATS.items() if value.streamable)
        raise ExportError(f"{export_format.label} cannot be written to standard output; use one of: {streamable}")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_layer(frame, layer, fmt, Path(tmp) / f"{layer}{export_format.extension}", max_features)
        with path.open("rb") as source:
            shutil.copyfileobj(source, stream)
        return path.stat().st_size


# ---------------------------------------------------------------------------------------------
# Licence notes, README and metadata


def source_summary(frame: gpd.GeoDataFrame) -> list[dict]:
    """One record per (source, licence, attribution) in `frame`: feature count and date ranges."""
    keys = ["source", "licence", "attribution"]
    summary = []
    for (source, licence, attribution), group in frame.groupby(keys, sort=True, dropna=False):
        source_dates = group["source_date"].dropna()
        retrieved = group["retrieved_at"].dropna()
        summary.append(
            {
                "source": source,
                "licence": licence,
                "licence_url": LICENCE_URLS.get(licence),
                "attribution": attribution,
                "features": len(group),
                "source_date": [source_dates.min(), source_dates.max()] if len(source_dates) else None,
                "retrieved_at": [retrieved.min(), retrieved.max()] if len(retrieved) else None,
            }
        )
    return summary


def sources_frame(frame: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """One row per source of a layer's features, for readers: features, licence, credit, how old, caveat."""
    caveats = get_layer(layer).source_caveats
    return pd.DataFrame(
        [
            {
                "source": record["source"],
                "features": record["features"],
                "licence": record["licence"],
                "credit": record["attribution"],
                "data date": _range(record["source_date"]) if record["source_date"] else "not stated by the source",
                "retrieved or built": _range(record["retrieved_at"]),
                "note": caveats.get(record["source"], ""),
            }
            for record in source_summary(frame)
        ]
    )


def licence_files(frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, Path]:
    """Licence texts in `datasets/licences/` that apply to the frames, by archive name.

    A file applies when its name without extension is one of the frames' `licence` or `source`
    values, case-insensitively (e.g. `ODbL-1.0.txt`, `gisco.md`); OpenStreetMap data of any source
    also brings the OpenStreetMap notice `osm.md`.
    """
    folder = settings.DATASETS_DIR / "licences"
    if not folder.is_dir():
        return {}
    keys = {
        str(value).lower()
        for frame in frames.values()
        for column in ("licence", "source")
        for value in frame[column].dropna().unique()
    }
    if any(_has_odbl(frame) for frame in frames.values()):
        keys.add("osm")
    return {
        f"licences/{path.name}": path
        for path in sorted(folder.iterdir())
        if path.is_file() and path.stem.lower() in keys
    }


def caveats(frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, dict[str, str]]:
    """{name: {source: caveat}}: what a reader must know about the attributes of these frames' sources.

    `frames` are keyed by any name (a layer, or a part of one such as "ports_points"); each frame's
    own `layer` column says which layer's caveats apply.
    """
    found = {
        name: get_layer(str(frame["layer"].iloc[0])).caveats_for(frame["source"].dropna().unique())
        for name, frame in frames.items()
        if len(frame)
    }
    return {name: notes for name, notes in found.items() if notes}


def file_notes(frame: gpd.GeoDataFrame, layer: str) -> dict:
    """What a single exported file carries in its own metadata: credits, licences, caveats and, for
    OpenStreetMap data, the ODbL notice and the full licence text.

    GeoJSON keeps it as a `corridor_atlas` member of the FeatureCollection, GeoPackage as layer
    metadata, GeoParquet as file metadata, FlatGeobuf as the layer description.
    """
    notes = {
        "title": f"Corridor Atlas export: {layer}",
        "made_with": f"{APP_NAME} {__version__}",
        "crs": schema.CRS,
        "attribution": "; ".join(sorted(frame["attribution"].dropna().unique())),
        "licences": "; ".join(sorted(frame["licence"].dropna().unique())),
        "caveats": " ".join(caveats({layer: frame}).get(layer, {}).values()),
    }
    if _has_odbl(frame):
        notes["odbl_notice"] = ODBL_NOTICE
        licence = settings.DATASETS_DIR / "licences" / ODBL_TEXT_FILE
        notes["odbl_text"] = licence.read_text(encoding="utf-8") if licence.is_file() else LICENCE_URLS["ODbL-1.0"]
    return {key: value for key, value in notes.items() if value}


def _text_items(notes: dict) -> dict[str, str]:
    return {key.upper(): str(value) for key, value in notes.items()}


def _notes_text(notes: dict) -> str:
    return "\n\n".join(f"{key}: {value}" for key, value in notes.items() if key != "title")


def readme(
    frames: Mapping[str, gpd.GeoDataFrame],
    files: Mapping[str, Sequence[str]],
    fmt: str,
    selection: Selection | None = None,
) -> str:
    """README.txt of an export: what each file is, the selection, and every source's licence and credit."""
    export_format = ROUTE_FORMATS[fmt] if fmt in ROUTE_FORMATS else get_format(fmt)
    lines = [
        "Corridor Atlas export",
        "=====================",
        f"Made {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with corridor-atlas {__version__}.",
        "Coordinates: EPSG:4326 (WGS 84 longitude/latitude, degrees). Lengths in km, depths in metres.",
        *([f"Area: {_describe_selection(selection)}"] if selection is not None else []),
        "",
        "Files",
        "-----",
    ]
    for layer, names in files.items():
        count = len(frames[layer]) if layer in frames else 0
        for name in names:
            lines.append(f"{name}: {layer} layer, {_count(count)} ({export_format.label})")
    if fmt == "shp":
        lines += [
            "field_names.csv: Shapefile field names (at most 10 characters) and the full column names.",
            "long_values.csv (if present): text values longer than a Shapefile field holds (254 bytes), in full.",
            "Layers mixing points and areas are split into <layer>_points and <layer>_polygons.",
        ]
    if fmt == "csv":
        lines.append(
            "CSV: UTF-8, geometry as WKT (7 decimals); ports also have longitude/latitude (a point inside "
            "an area port). Text starting with = + - @ is prefixed with ' so spreadsheets do not run it."
        )
    if fmt == "geojson":
        lines.append("GeoJSON (RFC 7946): coordinates to 7 decimals; `tags` is a JSON object, elsewhere JSON text.")
    lines += [
        "",
        "Every feature carries its own source, licence, attribution, source_date and retrieved_at columns.",
        "",
        "Sources, licences and attribution",
        "---------------------------------",
    ]
    odbl = False
    for layer, frame in frames.items():
        for record in source_summary(frame):
            odbl = odbl or schema.is_odbl(record["licence"])
            url = f" <{record['licence_url']}>" if record["licence_url"] else ""
            dates = f", data dated {_range(record['source_date'])}" if record["source_date"] else ""
            lines.append(
                f"- {layer}: {record['source']} ({_count(record['features'])}{dates}, "
                f"retrieved {_range(record['retrieved_at'])})"
            )
            lines.append(f"  Licence: {record['licence']}{url}")
            lines.append(f"  Credit: {record['attribution']}")
    notes = caveats(frames)
    if notes:
        lines += ["", "About the attributes", "--------------------"]
        for layer, by_source in notes.items():
            for source, text in by_source.items():
                lines += textwrap.wrap(f"- {layer} ({source}): {text}", 100, subsequent_indent="  ")
    if odbl:
        lines += ["", "OpenStreetMap data", "------------------", *textwrap.wrap(ODBL_NOTICE, 100)]
        lines.append(f"The full text of the licence is in licences/{ODBL_TEXT_FILE}.")
    lines += ["", "Full licence texts, where shipped, are in licences/. More: datasets/SOURCES.md in the project."]
    return "\n".join(lines) + "\n"


def _count(features: int) -> str:
    return f"{features:,} feature" if features == 1 else f"{features:,} features"


def _range(values: Sequence[str] | None) -> str:
    if not values:
        return "unknown"
    low, high = values
    return low if low == high else f"{low} to {high}"


def _describe_selection(selection: Selection) -> str:
    parts = []
    if selection.countries:
        parts.append("countries " + ", ".join(selection.countries))
    if selection.bbox is not None:
        box = ", ".join(f"{value:g}" for value in selection.bbox)
        parts.append(f"bbox (W, S, E, N degrees) {box}, features crossing its edge kept whole")
    parts += [f"{name} = {value}" for name, value in selection.filters]
    return "; ".join(parts) or "the whole Europe snapshot"


def metadata(
    frames: Mapping[str, gpd.GeoDataFrame],
    files: Mapping[str, Sequence[str]],
    fmt: str,
    selection: Selection | None = None,
) -> dict:
    """metadata.json of a bundle: software, selection, bounds, and per layer its files and sources."""
    selection = selection or Selection()
    bounds = [frame.total_bounds for frame in frames.values()]
    return {
        "title": "Corridor Atlas export",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "software": {"name": APP_NAME, "version": __version__},
        "crs": schema.CRS,
        "format": get_format(fmt).label,
        "selection": selection.as_dict(),
        "bbox": [
            float(min(b[0] for b in bounds)),
            float(min(b[1] for b in bounds)),
            float(max(b[2] for b in bounds)),
            float(max(b[3] for b in bounds)),
        ],
        "layers": {
            layer: {
                "files": list(files[layer]),
                "features": len(frame),
                "bbox": [float(value) for value in frame.total_bounds],
                "sources": source_summary(frame),
                "caveats": caveats({layer: frame}).get(layer, {}),
            }
            for layer, frame in frames.items()
        },
    }


# ---------------------------------------------------------------------------------------------
# Bundles


def prepare_bundle(
    frames: Mapping[str, gpd.GeoDataFrame], max_features: int | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """The non-empty frames, each `prepare`d, and the names of the empty ones.

    ExportError when every frame is empty or together they exceed `max_features`.
    """
    empty = [layer for layer, frame in frames.items() if frame is None or len(frame) == 0]
    kept = {layer: frame for layer, frame in frames.items() if layer not in empty}
    check_count(sum(len(frame) for frame in kept.values()), " or ".join(frames) or "layer", max_features)
    return {layer: prepare(frame, layer) for layer, frame in kept.items()}, empty


def write_bundle(
    frames: Mapping[str, gpd.GeoDataFrame],
    path: Path,
    fmt: str = DEFAULT_BUNDLE_FORMAT,
    selection: Selection | None = None,
    max_features: int | None = None,
) -> Path:
    """Zip several layers (`{layer: frame}`) as format `fmt` with README.txt, metadata.json and licences.

    Empty layers are left out and named in the README; if every layer is empty, or together
    they exceed `max_features`, ExportError is raised and nothing is written.
    """
    export_format = get_format(fmt)
    ready, empty = prepare_bundle(frames, max_features)
    files = {layer: [f"{layer}{export_format.extension}"] for layer in ready}
    notes = readme(ready, files, fmt, selection)
    if empty:
        notes += "\nLayers with no features in the selection (left out): " + ", ".join(empty) + "\n"

    def write_zip(zip_path: Path) -> None:
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for layer, frame in ready.items():
                layer_path = zip_path.parent / files[layer][0]
                export_format.write(frame, layer, layer_path, file_notes(frame, layer))
                archive.write(layer_path, files[layer][0])
            archive.writestr("README.txt", notes)
            record = metadata(ready, files, fmt, selection)
            record["empty_layers"] = empty
            archive.writestr("metadata.json", json.dumps(record, indent=2, ensure_ascii=False, default=str))
            for name, licence_path in licence_files(ready).items():
                archive.write(licence_path, name)

    return store.atomic_write(Path(path), lambda tmp: _write_fresh(tmp, "bundle.zip", write_zip))


def bundle_bytes(
    frames: Mapping[str, gpd.GeoDataFrame],
    fmt: str = DEFAULT_BUNDLE_FORMAT,
    selection: Selection | None = None,
    max_features: int | None = None,
) -> bytes:
    """The zip `write_bundle` would write, as bytes (for download buttons)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_bundle(frames, Path(tmp) / "bundle.zip", fmt, selection, max_features).read_bytes()


# ---------------------------------------------------------------------------------------------
# Size estimates for download labels


def estimate_size(frame: gpd.GeoDataFrame, layer: str, fmt: str, sample: int = 200) -> int:
    """Approximate size in bytes of `frame` written as `fmt`, from writing two small samples.

    The fixed overhead (headers, indexes) and the per-feature cost are fitted from samples of
    `sample` and `2 * sample` evenly spaced features; small frames are written whole.
    """
    count = len(frame)
    if count == 0:
        return 0
    if count <= 2 * sample:
        return len(layer_bytes(frame, layer, fmt))
    step = count // (2 * sample)
    spread = frame.iloc[:: max(step, 1)].iloc[: 2 * sample]
    small = len(layer_bytes(spread.iloc[::2], layer, fmt))
    large = len(layer_bytes(spread, layer, fmt))
    per_feature = max(large - small, 0) / (len(spread) - len(spread.iloc[::2]))
    overhead = max(small - per_feature * len(spread.iloc[::2]), 0)
    return int(overhead + per_feature * count)


def human_size(size: int) -> str:
    """`size` bytes as a short approximate text, e.g. "~3.2 MB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"~{value:.0f} {unit}" if unit == "B" or value >= 100 else f"~{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Download:
    """One download button: its label, file name and a callable that builds the bytes on demand."""

    label: str
    file_name: str
    media_type: str
    build: Callable[[], bytes] = field(repr=False)


def layer_download(
    frame: gpd.GeoDataFrame, layer: str, fmt: str, selection: Selection | None = None, max_features: int | None = None
) -> Download:
    """A download of one layer: checked now (empty, limit, format), built only when `build()` is called.

    OpenStreetMap data in a format that cannot hold its licence (CSV, KML) comes as a zip with the
    licence texts and a README (`needs_licence_zip`).
    """
    export_format = get_format(fmt)
    ready = prepare(frame, layer, max_features)
    size = human_size(estimate_size(ready, layer, fmt))
    if needs_licence_zip(ready, fmt):
        return Download(
            label=f"{export_format.label} in a zip with the ODbL licence · {len(ready):,} features · {size}",
            file_name=export_filename([layer], fmt, selection) + ".zip",
            media_type="application/zip",
            build=lambda: bundle_bytes({layer: ready}, fmt, selection),
        )
    return Download(
        label=f"{export_format.label} · {len(ready):,} features · {size}",
        file_name=export_filename([layer], fmt, selection),
        media_type=export_format.media_type,
        build=lambda: layer_bytes(ready, layer, fmt),
    )


def bundle_download(
    frames: Mapping[str, gpd.GeoDataFrame],
    fmt: str = DEFAULT_BUNDLE_FORMAT,
    selection: Selection | None = None,
    max_features: int | None = None,
) -> Download:
    """A download of a bundle of `frames`, checked now and built only when `build()` is called."""
    export_format = get_format(fmt)
    kept, _ = prepare_bundle(frames, max_features)
    total = sum(len(frame) for frame in kept.values())
    size = human_size(sum(estimate_size(frame, layer, fmt) for layer, frame in kept.items()))
    return Download(
        label=f"Bundle ({export_format.label}, {', '.join(kept)}) · {total:,} features · up to {size}",
        file_name=export_filename(list(kept), BUNDLE, selection),
        media_type="application/zip",
        build=lambda: bundle_bytes(kept, fmt, selection),
    )


# ---------------------------------------------------------------------------------------------
# Routes: the stretches of a route (the `route` overlay layer) with its explanation


def route_filename(title: str, fmt: str, day: date | None = None) -> str:
    """E.g. `corridor-atlas_route_Rotterdam_NL_to_Warsaw_PL_2026-12-03.gpx` (a zipped route adds `.zip`)."""
    extension = ROUTE_FORMATS[fmt].extension
    day = day or datetime.now(UTC).date()
    return f"{APP_NAME}_route_{safe_filename(title)}_{day.isoformat()}{extension}"


def _route_notes(ready: gpd.GeoDataFrame, title: str, explanation: Mapping, text: str) -> dict:
    notes = file_notes(ready, ROUTE_LAYER)
    notes["title"] = f"Corridor Atlas route: {title}"
    notes["summary"] = text.splitlines()[0] if text else title
    notes["explanation"] = text
    notes["route"] = {key: value for key, value in explanation.items() if key != "geometry"}
    return notes


def route_zipped(stretches: gpd.GeoDataFrame, fmt: str) -> bool:
    """Whether a route in `fmt` comes as a zip: CSV always (the explanation goes beside the table), GPX when it
    holds OpenStreetMap data (the ODbL text goes beside it)."""
    return fmt == "csv" or (not ROUTE_FORMATS[fmt].carries_licence and _has_odbl(stretches))


def write_route(
    stretches: gpd.GeoDataFrame, explanation: Mapping, text: str, fmt: str, path: Path, title: str | None = None
) -> Path:
    """Write a route (its stretches, a `route` layer frame) as `fmt` ("geojson", "gpx", "csv") to `path`, atomically.

    The explanation travels with it: as a `corridor_atlas` member of the GeoJSON (with `route`, the
    explanation as data, and `explanation`, as text), in the GPX metadata description (text), and for
    CSV in a zip with route.json, README.txt and the licence notes. A GPX of OpenStreetMap data, which
    cannot hold the ODbL text, is zipped with it too.
    """
    if fmt not in ROUTE_FORMATS:
        raise ExportError(f"unknown route format {fmt!r}; choose one of: {', '.join(ROUTE_FORMATS)}")
    export_format = ROUTE_FORMATS[fmt]
    ready = prepare(stretches, ROUTE_LAYER)
    title = title or str(explanation.get("title") or "route")
    notes = _route_notes(ready, title, explanation, text)
    name = f"route{export_format.extension}"
    zipped = route_zipped(ready, fmt)

    def write_zip(zip_path: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            inner = Path(tmp) / name
            export_format.write(ready, ROUTE_LAYER, inner, notes)
            archive.write(inner, name)
            archive.writestr("route.json", json.dumps(notes["route"], indent=2, ensure_ascii=False, default=str))
            files = {ROUTE_LAYER: [name]}
            archive.writestr(
                "README.txt", readme({ROUTE_LAYER: ready}, files, fmt) + "\nThe route\n---------\n" + text + "\n"
            )
            for licence_name, licence_path in licence_files({ROUTE_LAYER: ready}).items():
                archive.write(licence_path, licence_name)

    def write_file(fresh: Path) -> None:
        if zipped:
            write_zip(fresh)
        else:
            export_format.write(ready, ROUTE_LAYER, fresh, notes)

    return store.atomic_write(Path(path), lambda tmp: _write_fresh(tmp, name + (".zip" if zipped else ""), write_file))


def route_download(stretches: gpd.GeoDataFrame, explanation: Mapping, text: str, fmt: str) -> Download:
    """A download button for a route in `fmt`, with its explanation; the file is built when `build()` is called."""
    if fmt not in ROUTE_FORMATS:
        raise ExportError(f"unknown route format {fmt!r}; choose one of: {', '.join(ROUTE_FORMATS)}")
    title = str(explanation.get("title") or "route")
    export_format = ROUTE_FORMATS[fmt]
    zipped = route_zipped(stretches, fmt)

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return write_route(stretches, explanation, text, fmt, Path(tmp) / "route.out", title).read_bytes()

    label = f"{export_format.label}{' in a zip with the explanation' if fmt == 'csv' else ''} · {len(stretches):,} stretches"
    return Download(
        label=label,
        file_name=route_filename(title, fmt) + (".zip" if zipped else ""),
        media_type="application/zip" if zipped else export_format.media_type,
        build=build,
    )


# ---------------------------------------------------------------------------------------------
# One call for the CLI: load, select, write


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: where (a path, or "-" for standard output), bytes and features per layer."""

    target: str
    size: int
    features: dict[str, int]
    format_label: str
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        counts = ", ".join(f"{count:,} {layer}" for layer, count in self.features.items())
        where = "standard output" if self.target == "-" else self.target
        return f"wrote {where}: {counts} features ({self.format_label}, {human_size(self.size).lstrip('~')})"


def export_layers(
    layers: Sequence[str],
    fmt: str,
    out: str | Path | None,
    selection: Selection | None = None,
    *,
    bundle_format: str = DEFAULT_BUNDLE_FORMAT,
    with_stored: bool = False,
    stdout: BinaryIO | None = None,
    max_features: int | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Load, select and write `layers` as `fmt` (a format key or "bundle") to `out`.

    `out` is a file path, an existing folder (the file is named by `export_filename` inside it),
    None (that name in the current folder) or "-" (standard output, text formats only: `stdout`).
    Several layers need `fmt="bundle"`. An existing file is replaced only with `overwrite`;
    anything else that exists there (a device, a pipe) never is.
    """
    layers = list(dict.fromkeys(layers))
    if not layers:
        raise ExportError("name at least one layer to export")
    for layer in layers:
        schema.columns(layer)
    if fmt != BUNDLE and len(layers) > 1:
        raise ExportError(f"{len(layers)} layers need the bundle format (one file per layer in a zip)")
    selection = selection or Selection()
    label = f"bundle of {get_format(bundle_format).label}" if fmt == BUNDLE else get_format(fmt).label
    if out == "-" and (fmt == BUNDLE or not get_format(fmt).streamable):
        streamable = ", ".join(key for key, value in FORMATS.items() if value.streamable)
        raise ExportError(f"{label} cannot be written to standard output; use one of: {streamable}")
    name = export_filename(layers, fmt, selection)
    if out != "-":
        _target_path(out, name, overwrite)  # refuse a bad target before loading anything
    if with_stored:
        loaded = load_layers(layers)
        frames, problems = loaded.frames, loaded.problems
    else:
        frames, problems = {layer: store.read_embedded(layer) for layer in layers}, []
    frames = {layer: select_layer(frame, selection) for layer, frame in frames.items()}
    counts = {layer: len(frame) for layer, frame in frames.items()}
    zipped = fmt != BUNDLE and needs_licence_zip(frames[layers[0]], fmt)
    if out == "-":
        if zipped:
            raise ExportError(
                f"OpenStreetMap data must travel with its ODbL licence, which {label} cannot hold: write it to a "
                "file (a zip with the licence) or use geojson"
            )
        size = write_stream(frames[layers[0]], layers[0], fmt, stdout, max_features)
        return ExportResult("-", size, counts, label, tuple(problems))
    if zipped:  # e.g. roads.csv -> roads.csv.zip, holding roads.csv, README.txt and the licences
        out = f"{out}.zip" if out is not None and not Path(out).is_dir() else out
        name, label = f"{name}.zip", f"{label} in a zip with the ODbL licence"
    path = _target_path(out, name, overwrite)
    try:
        if zipped:
            write_bundle(frames, path, fmt, selection, max_features)
        elif fmt == BUNDLE:
            write_bundle(frames, path, bundle_format, selection, max_features)
            counts = {layer: count for layer, count in counts.items() if count}
        else:
            write_layer(frames[layers[0]], layers[0], fmt, path, max_features)
    except OSError as exc:
        raise store.unwritable(path, exc) from exc
    return ExportResult(str(path), path.stat().st_size, counts, label, tuple(problems))


def _target_path(out: str | Path | None, name: str, overwrite: bool) -> Path:
    """Where `export_layers` writes: `out`, or the descriptive `name` in `out` (a folder) or here."""
    path = Path(out) if out is not None else Path.cwd() / name
    if path.is_dir():
        path = path_inside(path, name)
    store.check_output(path, overwrite)
    return path
