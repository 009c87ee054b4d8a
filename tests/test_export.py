"""Round trips of every export format, read back with independent readers, plus bad input."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon

from geo import __version__, export, schema, settings, store

NON_ASCII_NAMES = ["Gdańsk", "Constanța", "Πειραιάς", "İzmir"]
HOSTILE_NAME = "<script>alert('x')</script> & \"quotes\" ]]> =1+1"
FORMATS = list(export.FORMATS)
FORMULA_QUOTED = {"'=", "'+", "'-", "'@", "'\t", "'\r"}
# Largest coordinate difference each format may introduce, in degrees.
TOLERANCE = {"geojson": 1e-7, "csv": 1e-7, "kml": 1e-7, "gpkg": 1e-12, "parquet": 1e-12, "fgb": 1e-12, "shp": 1e-12}
OSM = {"source": "osm", "licence": "ODbL-1.0", "attribution": "© OpenStreetMap contributors"}
NE = {"source": "natural_earth", "licence": "public domain", "attribution": "Made with Natural Earth"}


def _frame(layer: str, rows: list[dict]) -> gpd.GeoDataFrame:
    base = {"layer": layer, "source_date": "2024-04-07", "retrieved_at": "2026-11-21T10:00:00Z"}
    records = [{**base, **row} for row in rows]
    return schema.conform(gpd.GeoDataFrame(pd.DataFrame(records), geometry="geometry", crs=schema.CRS), layer)


def ports_frame() -> gpd.GeoDataFrame:
    long_tags = json.dumps({"description": "Quai " * 80, "operator": "Autorité portuaire"}, ensure_ascii=False)
    return _frame(
        "ports",
        [
            {
                "id": "gisco:PLGDN",
                "name": "Gdańsk",
                "kind": "port",
                "country": "PL",
                "locode": "PLGDN",
                "ten_t_code": 12,
                "port_hierarchy": 4,
                "channel_depth_m": 17.0,
                "tags": '{"nuts": "PL633"}',
                **OSM,
                "geometry": Point(18.6666667, 54.4),
            },
            {
                "id": "gisco:ROCND",
                "name": "Constanța",
                "kind": "port",
                "country": "RO",
                "ten_t_code": 0,
                "max_vessel_draft_m": 19.5,
                "tags": long_tags,
                **NE,
                "geometry": Point(28.65, 44.1666667),
            },
            {
                "id": "osm:way/4242",
                "name": "Πειραιάς",
                "kind": "port",
                "country": "GR",
                **OSM,
                "geometry": Polygon([(23.6, 37.93), (23.65, 37.93), (23.65, 37.95), (23.6, 37.95)]),
            },
            {
                "id": "osm:relation/77",
                "name": "İzmir",
                "kind": "port",
                "country": "TR",
                "harbour_size": "Large",
                **OSM,
                "geometry": MultiPolygon(
                    [
                        Polygon([(27.1, 38.44), (27.15, 38.44), (27.15, 38.46)]),
                        Polygon([(27.2, 38.44), (27.25, 38.44), (27.25, 38.46)]),
                    ]
                ),
            },
            {
                "id": "osm:node/1",
                "name": HOSTILE_NAME,
                "kind": "port",
                "country": None,
                "tags": '{"note": "-1 @home"}',
                **OSM,
                "geometry": Point(-9.1393366, 38.7222524),
            },
        ],
    )


def rail_frame() -> gpd.GeoDataFrame:
    return _frame(
        "rail",
        [
            {
                "id": "osm:way/1",
                "name": "Gdańsk – Gdynia",
                "kind": "rail",
                "country": "PL",
                "electrified": "contact_line",
                "tracks": "2",
                "gauge": "1435",
                "maxspeed": "160",
                "length_km": 21.5,
                **OSM,
                "geometry": LineString([(18.6466, 54.3556), (18.5305, 54.5189)]),
            },
            {
                "id": "ne:rail/7559",
                "name": None,
                "kind": "rail",
                "country": "GR",
                "electrified": "unknown",
                "length_km": None,
                **NE,
                "geometry": MultiLineString([[(23.64, 37.94), (23.7, 37.98)], [(23.8, 38.0), (23.9, 38.05)]]),
            },
            {
                "id": "osm:way/3",
                "name": HOSTILE_NAME,
                "kind": "rail",
                "country": "RO",
                **OSM,
                "geometry": LineString([(28.6, 44.17), (28.0, 44.4), (26.1, 44.43)]),
            },
        ],
    )


def roads_frame() -> gpd.GeoDataFrame:
    return _frame(
        "roads",
        [
            {
                "id": "osm:way/10",
                "name": "İzmir Çevre Yolu",
                "kind": "motorway",
                "country": "TR",
                "ref": "O-30",
                "construction": False,
                "length_km": 2.25,
                **OSM,
                "geometry": LineString([(27.0, 38.4), (27.1, 38.45)]),
            },
            {
                "id": "osm:way/11",
                "name": "Constanța bypass",
                "kind": "trunk",
                "country": "RO",
                "construction": True,
                **OSM,
                "geometry": LineString([(28.5, 44.1), (28.6, 44.2)]),
            },
            {
                "id": "osm:way/12",
                "name": None,
                "kind": "primary",
                "country": "PL",
                "construction": None,
                **OSM,
                "geometry": MultiLineString([[(18.0, 54.0), (18.1, 54.1)], [(18.2, 54.2), (18.3, 54.3)]]),
            },
        ],
    )


FRAMES = {"ports": ports_frame, "rail": rail_frame, "roads": roads_frame}


# ---------------------------------------------------------------------------------------------
# Independent readers: each returns a DataFrame with the schema's column names and a shapely
# geometry column, built without geo.export.


def _read_gdal(path: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, use_arrow=True, datetime_as_string=True, force_2d=True)


def _read_kml(path: Path) -> gpd.GeoDataFrame:
    # GDAL's reader names the Placemark id "id" and moves our own `id` attribute to "id2".
    frame = _read_gdal(path).drop(columns="id").rename(columns={"Name": "name", "id2": "id"})
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text, "KML must escape markup in names"
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    table = pq.read_table(path)
    geo_meta = json.loads(table.schema.metadata[b"geo"])
    assert geo_meta["primary_column"] == "geometry"
    assert geo_meta["columns"]["geometry"]["encoding"] == "WKB"
    frame = table.to_pandas()
    frame["geometry"] = shapely.from_wkb(frame["geometry"])
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    frame["geometry"] = shapely.from_wkt(frame["wkt"])
    # Undo the apostrophe the exporter puts before text a spreadsheet would run as a formula.
    for column in frame.columns.drop(["geometry", "wkt"]):
        frame[column] = frame[column].map(
            lambda value: value[1:] if isinstance(value, str) and value[:2] in FORMULA_QUOTED else value
        )
    return frame


def _read_shapefile_zip(path: Path) -> pd.DataFrame:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        mapping = dict(csv.reader(io.StringIO(archive.read("field_names.csv").decode("utf-8"))))
        mapping.pop("shapefile_field")
        long_values = []
        if "long_values.csv" in names:
            long_values = list(csv.DictReader(io.StringIO(archive.read("long_values.csv").decode("utf-8"))))
        parts = []
        for shp in (name for name in names if name.endswith(".shp")):
            stem = shp[:-4]
            for suffix in (".shx", ".dbf", ".prj", ".cpg"):
                assert f"{stem}{suffix}" in names, f"{stem}{suffix} missing from the zip"
            parts.append(pyogrio.read_dataframe(f"/vsizip/{path}/{shp}", use_arrow=True).rename(columns=mapping))
    frame = pd.concat(parts, ignore_index=True)
    for row in long_values:
        value = row["value"][1:] if row["value"][:2] in FORMULA_QUOTED else row["value"]  # undo the formula guard
        frame.loc[frame["id"] == row["id"], row["field"]] = value
    return frame


READERS = {
    "geojson": _read_gdal,
    "gpkg": _read_gdal,
    "fgb": _read_gdal,
    "kml": _read_kml,
    "parquet": _read_parquet,
    "csv": _read_csv,
    "shp": _read_shapefile_zip,
}


def _plain(value):
    """A value reduced to str / float / bool / None, so every reader's types compare."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        return float(value)
    return str(value)


def _geometry_family(geom) -> str:
    return geom.geom_type.removeprefix("Multi")


def assert_same_features(original: gpd.GeoDataFrame, back: pd.DataFrame, layer: str, fmt: str) -> None:
    """Same ids, every schema attribute equal, geometry equal within the format's precision."""
    assert len(back) == len(original)
    back = back.set_index("id").loc[original["id"]]
    for name, dtype in schema.columns(layer).items():
        if name == "id":
            continue
        for feature_id, expected, got in zip(original["id"], original[name], back[name], strict=True):
            expected, got = _plain(expected), _plain(got)
            if name == "tags" and expected is not None:
                expected = json.dumps(json.loads(expected), sort_keys=True, ensure_ascii=False)
                got = json.dumps(json.loads(got), sort_keys=True, ensure_ascii=False)
            elif dtype == "boolean" and fmt in ("csv",) and got is not None:
                got = got == "True"
            elif dtype in ("Int64", "Float64") and got is not None:
                got = float(got)
                assert expected is not None and math.isclose(got, expected), (fmt, feature_id, name, expected, got)
                continue
            assert got == expected, (fmt, feature_id, name, expected, got)
    for feature_id, expected, got in zip(original["id"], original.geometry, back["geometry"], strict=True):
        assert _geometry_family(got) == _geometry_family(expected), (fmt, feature_id, got.geom_type)
        assert shapely.hausdorff_distance(got, expected) <= TOLERANCE[fmt], (fmt, feature_id, got.wkt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", list(FRAMES))
def test_every_format_round_trips_every_feature_and_attribute(tmp_path, layer, fmt):
    original = FRAMES[layer]()
    path = export.write_layer(original, layer, fmt, tmp_path / f"out{export.FORMATS[fmt].extension}")
    back = READERS[fmt](path)
    assert_same_features(original, back, layer, fmt)
    names = set(back["name"].dropna().map(lambda text: text.lstrip("'")))
    assert set(original["name"].dropna()) == names
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temporary files left behind"
    assert path.stat().st_mode & 0o044, "an export is readable like any file the user makes, not owner-only"


def test_non_ascii_names_survive_every_format(tmp_path):
    frame = ports_frame()
    for fmt in FORMATS:
        back = READERS[fmt](export.write_layer(frame, "ports", fmt, tmp_path / f"p{export.FORMATS[fmt].extension}"))
        assert set(NON_ASCII_NAMES) <= set(back["name"].dropna()), fmt


def test_csv_has_lon_lat_for_ports_and_guards_formulas(tmp_path):
    path = export.write_layer(ports_frame(), "ports", "csv", tmp_path / "p.csv")
    rows = {row["id"]: row for row in csv.DictReader(path.open(encoding="utf-8"))}
    assert float(rows["gisco:PLGDN"]["longitude"]) == pytest.approx(18.6666667)
    assert float(rows["gisco:PLGDN"]["latitude"]) == pytest.approx(54.4)
    area = shapely.from_wkt(rows["osm:way/4242"]["wkt"])
    assert area.contains(Point(float(rows["osm:way/4242"]["longitude"]), float(rows["osm:way/4242"]["latitude"])))
    assert rows["osm:node/1"]["name"] == HOSTILE_NAME, "text not starting with a formula sign is untouched"
    frame = ports_frame()
    frame.loc[0, "name"] = '=HYPERLINK("http://evil")'
    path = export.write_layer(frame, "ports", "csv", tmp_path / "f.csv")
    first = next(csv.DictReader(path.open(encoding="utf-8")))
    assert first["name"] == '\'=HYPERLINK("http://evil")'


def test_csv_of_lines_has_no_lon_lat_columns(tmp_path):
    path = export.write_layer(rail_frame(), "rail", "csv", tmp_path / "r.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [*schema.columns("rail"), "wkt"]


def test_shapefile_zip_maps_truncated_names_and_keeps_long_values(tmp_path):
    path = export.write_layer(ports_frame(), "ports", "shp", tmp_path / "p.shp.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        mapping = dict(csv.reader(io.StringIO(archive.read("field_names.csv").decode())))
        readme = archive.read("README.txt").decode()
    assert {"ports_points.shp", "ports_polygons.shp", "ports_points.cpg", "long_values.csv"} <= set(names)
    assert mapping["cargo_pier"] == "cargo_pier_depth_m"
    assert mapping["max_vessel"] == "max_vessel_length_m"
    assert mapping["max_vess_1"] == "max_vessel_draft_m"
    assert all(len(short) <= 10 for short in mapping if short != "shapefile_field")
    assert "Open Database License" in readme and "Made with Natural Earth" in readme
    assert "ports_points.shp: ports_points layer, 3 features" in readme
    assert "ports_polygons.shp: ports_polygons layer, 2 features" in readme
    assert {"licences/ODbL-1.0.txt", "licences/natural_earth.md"} <= set(names), "licence texts of datasets/licences"


def test_long_values_of_a_shapefile_get_the_formula_guard_too(tmp_path):
    frame = ports_frame()
    frame.loc[0, "name"] = '=HYPERLINK("http://evil")' + " x" * 200  # longer than a dBASE field
    path = export.write_layer(frame, "ports", "shp", tmp_path / "p.shp.zip")
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("long_values.csv").decode("utf-8"))))
    (row,) = [r for r in rows if r["field"] == "name" and r["id"] == frame.loc[0, "id"]]
    assert row["value"].startswith("'=HYPERLINK(")
    assert _read_shapefile_zip(path).set_index("id").loc[frame.loc[0, "id"], "name"] == frame.loc[0, "name"]


def test_shapefile_field_names_are_unique_and_short():
    names = export.shapefile_field_names(["abcdefghijkl", "abcdefghijxx", "abcdefghijyy", "short"])
    assert names == {
        "abcdefghijkl": "abcdefghij",
        "abcdefghijxx": "abcdefgh_1",
        "abcdefghijyy": "abcdefgh_2",
        "short": "short",
    }


def test_kml_escapes_markup_and_keeps_document_attribution(tmp_path):
    path = export.write_layer(rail_frame(), "rail", "kml", tmp_path / "r.kml")
    text = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in text and "]]&gt;" in text
    assert "<script>" not in text and "]]>" not in text
    assert '<SimpleData name="attribution">© OpenStreetMap contributors</SimpleData>' in text


@pytest.mark.parametrize("fmt", [key for key, value in export.FORMATS.items() if value.streamable])
def test_stream_matches_the_file(tmp_path, fmt):
    stream = io.BytesIO()
    written = export.write_stream(rail_frame(), "rail", fmt, stream)
    assert written == len(stream.getvalue()) > 0
    path = tmp_path / f"r{export.FORMATS[fmt].extension}"
    path.write_bytes(stream.getvalue())
    assert_same_features(rail_frame(), READERS[fmt](path), "rail", fmt)


def test_binary_formats_refuse_standard_output():
    with pytest.raises(export.ExportError, match="cannot be written to standard output"):
        export.write_stream(rail_frame(), "rail", "gpkg", io.BytesIO())


# ---------------------------------------------------------------------------------------------
# Bundles


def test_bundle_holds_layers_readme_metadata_and_licences(tmp_path):
    frames = {"ports": ports_frame(), "rail": rail_frame(), "roads": roads_frame()}
    selection = export.Selection(countries=("PL", "RO"), bbox=(10.0, 40.0, 30.0, 55.0), filters=(("kind", "rail"),))
    path = export.write_bundle(frames, tmp_path / "b.zip", "gpkg", selection)
    assert [p.name for p in tmp_path.iterdir()] == ["b.zip"]
    assert path.stat().st_mode & 0o044
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.txt").decode("utf-8")
        meta = json.loads(archive.read("metadata.json"))
        archive.extractall(tmp_path / "x")
    assert {"ports.gpkg", "rail.gpkg", "roads.gpkg", "README.txt", "metadata.json"} <= names
    for layer, original in frames.items():
        assert_same_features(original, _read_gdal(tmp_path / "x" / f"{layer}.gpkg"), layer, "gpkg")
        assert f"{layer}.gpkg: {layer} layer, {len(original)} features (GeoPackage)" in readme
    assert "Open Database License (ODbL) 1.0" in readme
    assert "Made with Natural Earth" in readme and "public domain" in readme
    assert "countries PL, RO" in readme
    assert meta["software"] == {"name": "corridor-atlas", "version": __version__}
    assert meta["selection"] == {
        "countries": ["PL", "RO"],
        "bbox": [10.0, 40.0, 30.0, 55.0],
        "filters": {"kind": "rail"},
    }
    assert meta["layers"]["rail"]["features"] == 3
    sources = {(s["source"], s["licence"]) for s in meta["layers"]["ports"]["sources"]}
    assert sources == {("osm", "ODbL-1.0"), ("natural_earth", "public domain")}
    rail_osm = next(s for s in meta["layers"]["rail"]["sources"] if s["source"] == "osm")
    assert rail_osm["features"] == 2 and rail_osm["source_date"] == ["2024-04-07", "2024-04-07"]
    assert meta["bbox"] == pytest.approx([-9.1393366, 37.93, 28.65, 54.5189])


@pytest.mark.parametrize("fmt", FORMATS)
def test_bundle_in_every_format_reads_back(tmp_path, fmt):
    path = export.write_bundle({"rail": rail_frame()}, tmp_path / "b.zip", fmt)
    name = f"rail{export.FORMATS[fmt].extension}"
    with zipfile.ZipFile(path) as archive:
        archive.extract(name, tmp_path)
    assert_same_features(rail_frame(), READERS[fmt](tmp_path / name), "rail", fmt)


def test_bundle_without_osm_has_no_odbl_notice_and_lists_empty_layers(tmp_path):
    rail = rail_frame()
    rail = rail[rail["source"] == "natural_earth"]
    path = export.write_bundle({"rail": rail, "ports": ports_frame().iloc[0:0]}, tmp_path / "b.zip")
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.txt").decode("utf-8")
        meta = json.loads(archive.read("metadata.json"))
        assert "ports.gpkg" not in archive.namelist()
    assert "Open Database License" not in readme
    assert "left out): ports" in readme
    assert meta["empty_layers"] == ["ports"]


def test_bundle_ships_matching_licence_texts(tmp_path, monkeypatch):
    datasets = tmp_path / "datasets"
    (datasets / "licences").mkdir(parents=True)
    (datasets / "licences" / "ODbL-1.0.txt").write_text("ODbL full text", encoding="utf-8")
    (datasets / "licences" / "CC-BY-4.0.txt").write_text("unused", encoding="utf-8")
    (datasets / "licences" / "natural_earth.md").write_text("not in this export", encoding="utf-8")
    (datasets / "licences" / "osm.md").write_text("OSM terms", encoding="utf-8")
    monkeypatch.setattr(export.settings, "DATASETS_DIR", datasets)
    path = export.write_bundle({"roads": roads_frame()}, tmp_path / "b.zip")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("licences/ODbL-1.0.txt") == b"ODbL full text"
        assert archive.read("licences/osm.md") == b"OSM terms"
        assert "licences/CC-BY-4.0.txt" not in archive.namelist()
        assert "licences/natural_earth.md" not in archive.namelist()


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_selection_is_refused_and_writes_nothing(tmp_path, fmt):
    target = tmp_path / "empty.out"
    with pytest.raises(export.ExportError, match="no rail features in the selection"):
        export.write_layer(rail_frame().iloc[0:0], "rail", fmt, target)
    assert list(tmp_path.iterdir()) == []


def test_empty_bundle_is_refused(tmp_path):
    with pytest.raises(export.ExportError, match="nothing to export"):
        export.write_bundle({"rail": rail_frame().iloc[0:0], "roads": roads_frame().iloc[0:0]}, tmp_path / "b.zip")
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(export.ExportError, match="unknown export format 'dwg'; choose one of: geojson, gpkg"):
        export.write_layer(rail_frame(), "rail", "dwg", tmp_path / "r.dwg")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_an_oserror_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        export.write_layer(rail_frame(), "rail", "gpkg", blocker / "r.gpkg")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_failure_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.geojson"
    target.write_text("previous export")

    def broken(frame, layer, path, notes):
        path.write_bytes(b"half a file")
        raise RuntimeError("disk full")

    broken_format = export.ExportFormat("geojson", "GeoJSON", ".geojson", "application/geo+json", True, broken)
    monkeypatch.setitem(export.FORMATS, "geojson", broken_format)
    with pytest.raises(RuntimeError, match="disk full"):
        export.write_layer(rail_frame(), "rail", "geojson", target)
    assert target.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["r.geojson"]


def test_hosted_limit_refuses_large_exports(tmp_path, monkeypatch):
    with pytest.raises(export.ExportError, match="at most 2"):
        export.write_layer(rail_frame(), "rail", "csv", tmp_path / "r.csv", max_features=2)
    monkeypatch.setattr(export.settings, "MODE", "hosted")
    assert export.export_limit() == export.settings.HOSTED_MAX_EXPORT_FEATURES
    monkeypatch.setattr(export.settings, "MODE", "local")
    assert export.export_limit() is None


def test_extra_columns_are_dropped_and_missing_ones_refused(tmp_path):
    frame = rail_frame()
    frame["display_colour"] = "#ff0000"
    back = _read_gdal(export.write_layer(frame, "rail", "gpkg", tmp_path / "r.gpkg"))
    assert "display_colour" not in back.columns
    with pytest.raises(schema.SchemaError, match="columns missing"):
        export.write_layer(rail_frame().drop(columns="licence"), "rail", "gpkg", tmp_path / "s.gpkg")


# ---------------------------------------------------------------------------------------------
# File names


@pytest.mark.parametrize(
    "hostile",
    ["../../etc/passwd", "..", ".", "/etc/shadow", "..\\..\\windows\\system32", "a/../../b", "\x00evil", "CON", ""],
)
def test_hostile_names_stay_inside_their_folder(tmp_path, hostile):
    name = export.safe_filename(hostile)
    assert name and "/" not in name and "\\" not in name and not name.startswith(".")
    assert export.path_inside(tmp_path, hostile).parent == tmp_path.resolve()


def test_safe_filename_folds_accents_and_keeps_plain_names():
    assert export.safe_filename("Gdańsk port.gpkg") == "Gdansk_port.gpkg"
    assert export.safe_filename("../../etc/passwd") == "etc_passwd"
    assert export.safe_filename("con.txt") == "_con.txt"
    assert export.safe_filename("Πειραιάς") == "export"


def test_export_filename_says_layer_area_and_date():
    from datetime import date

    day = date(2026, 11, 21)
    assert export.export_filename(["rail"], "gpkg", export.Selection(countries=("PL",)), day) == (
        "corridor-atlas_rail_PL_2026-11-21.gpkg"
    )
    assert export.export_filename(["rail", "roads"], "bundle", None, day) == (
        "corridor-atlas_rail-roads_europe_2026-11-21.zip"
    )
    bbox = export.Selection(bbox=(14.1, 49.0, 24.15, 54.9))
    assert export.export_filename(["ports"], "shp", bbox, day) == (
        "corridor-atlas_ports_bbox_14.1_49_24.15_54.9_2026-11-21.shp.zip"
    )
    hostile = export.Selection(countries=("../..",))
    assert "/" not in export.export_filename(["../x"], "csv", hostile, day)


# ---------------------------------------------------------------------------------------------
# Download offers for the app


def test_layer_download_is_built_only_on_demand(monkeypatch):
    calls = []
    real = export.layer_bytes

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "layer_bytes", counting)
    monkeypatch.setattr(export, "estimate_size", lambda *args, **kwargs: 2_500_000)
    offer = export.layer_download(rail_frame(), "rail", "gpkg", export.Selection(countries=("PL",)))
    assert calls == []
    assert offer.label == "GeoPackage · 3 features · ~2.5 MB"
    assert offer.file_name.startswith("corridor-atlas_rail_PL_") and offer.file_name.endswith(".gpkg")
    data = offer.build()
    assert calls == ["gpkg"] and data[:16] == b"SQLite format 3\x00"


def test_download_offers_refuse_empty_and_oversized_selections():
    with pytest.raises(export.ExportError, match="nothing to export"):
        export.layer_download(rail_frame().iloc[0:0], "rail", "csv")
    with pytest.raises(export.ExportError, match="at most 1"):
        export.bundle_download({"rail": rail_frame()}, max_features=1)
    with pytest.raises(export.ExportError, match="nothing to export"):
        export.bundle_download({"rail": rail_frame().iloc[0:0]})


def test_bundle_download_builds_a_zip():
    offer = export.bundle_download({"rail": rail_frame(), "roads": roads_frame()}, "csv")
    assert offer.file_name.endswith(".zip") and "rail-roads" in offer.file_name
    with zipfile.ZipFile(io.BytesIO(offer.build())) as archive:
        assert {"rail.csv", "roads.csv", "README.txt", "metadata.json"} <= set(archive.namelist())


def test_estimate_size_is_close_for_a_larger_frame():
    rows = [
        {
            "id": f"osm:way/{i}",
            "name": f"Line {i}",
            "kind": "rail",
            **OSM,
            "geometry": LineString([(10 + i * 0.001, 50), (10.01 + i * 0.001, 50.01), (10.02, 50.03)]),
        }
        for i in range(1500)
    ]
    frame = _frame("rail", rows)
    for fmt in ("geojson", "gpkg", "csv"):
        actual = len(export.layer_bytes(frame, "rail", fmt))
        estimate = export.estimate_size(frame, "rail", fmt, sample=100)
        assert 0.7 * actual <= estimate <= 1.3 * actual, (fmt, actual, estimate)


def test_human_size():
    assert export.human_size(512) == "~512 B"
    assert export.human_size(3_200_000) == "~3.2 MB"
    assert export.human_size(250_000) == "~250 KB"


# ---------------------------------------------------------------------------------------------
# Real embedded data (datasets/*.parquet)

REAL_SUBSETS = {"ports": ("PL", "RO", "GR", "TR"), "rail": ("PL",), "roads": ("RO", "GR")}


def real_subset(layer: str) -> gpd.GeoDataFrame:
    """Embedded features of a few countries, with the four test names set on the first four."""
    frame = store.read_embedded(layer)
    frame = frame[frame["country"].isin(REAL_SUBSETS[layer])].reset_index(drop=True)
    frame.loc[:3, "name"] = NON_ASCII_NAMES
    return frame


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", list(FRAMES))
def test_real_layers_round_trip(tmp_path, layer, fmt):
    original = real_subset(layer)
    assert len(original) > 50
    path = export.write_layer(original, layer, fmt, tmp_path / f"real{export.FORMATS[fmt].extension}")
    back = READERS[fmt](path)
    assert_same_features(original, back, layer, fmt)
    assert set(NON_ASCII_NAMES) <= set(back["name"].dropna())


def test_real_ports_keep_their_own_non_ascii_names(tmp_path):
    ports = store.read_embedded("ports")
    ports = ports[ports["id"].isin(["gisco:PLGDN", "gisco:GRPIR"])]
    for fmt in FORMATS:
        back = READERS[fmt](export.write_layer(ports, "ports", fmt, tmp_path / f"p{export.FORMATS[fmt].extension}"))
        assert {"Gdańsk", "Pireus (Πειραιάς)"} == set(back["name"]), fmt


def test_real_roads_bundle_carries_the_odbl_notice_and_openmaptiles_credit(tmp_path):
    roads = real_subset("roads")
    path = export.write_bundle({"roads": roads, "ports": real_subset("ports")}, tmp_path / "b.zip")
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.txt").decode("utf-8")
        meta = json.loads(archive.read("metadata.json"))
        names = set(archive.namelist())
    assert {"licences/ODbL-1.0.txt", "licences/gisco.md"} <= names, "licence texts from datasets/licences/"
    assert "licences/natural_earth.md" not in names, "no Natural Earth data in this bundle"
    assert "Open Database License (ODbL) 1.0" in readme
    for attribution in set(roads["attribution"]):
        assert f"Credit: {attribution}" in readme
    road_sources = meta["layers"]["roads"]["sources"]
    assert sum(source["features"] for source in road_sources) == len(roads)
    assert {source["licence"] for source in road_sources} == set(roads["licence"])


ODBL_TEXT = (Path(__file__).resolve().parents[1] / "datasets" / "licences" / "ODbL-1.0.txt").read_text("utf-8")


def _embedded_notes(path: Path, fmt: str) -> dict:
    """The notes a single exported file carries in its own metadata, read back with each format's reader."""
    if fmt == "geojson":
        return json.loads(path.read_text("utf-8"))[export.NOTES_KEY]
    if fmt == "gpkg":
        return {key.lower(): value for key, value in pyogrio.read_info(path)["layer_metadata"].items()}
    if fmt == "parquet":
        return json.loads(pq.read_schema(path).metadata[export.NOTES_KEY.encode()])
    if fmt == "fgb":
        return {"description": pyogrio.read_info(path)["layer_metadata"]["DESCRIPTION"]}
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet", "fgb"])
def test_single_files_of_osm_data_carry_the_full_odbl_text(tmp_path, fmt):
    roads = real_subset("roads")
    path = export.write_layer(roads, "roads", fmt, tmp_path / f"roads{export.FORMATS[fmt].extension}")
    notes = _embedded_notes(path, fmt)
    text = notes.get("odbl_text") or notes["description"]
    assert ODBL_TEXT.strip()[:2000] in text and len(ODBL_TEXT) > 20_000, "the full licence text, not a link"
    assert "OpenStreetMap" in json.dumps(notes)


def test_files_without_osm_data_carry_credits_but_no_odbl(tmp_path):
    rail = real_subset("rail")
    notes = _embedded_notes(export.write_layer(rail, "rail", "geojson", tmp_path / "r.geojson"), "geojson")
    assert "odbl_text" not in notes and notes["attribution"] == "Made with Natural Earth"
    assert "older state of the network" in notes["caveats"], "Natural Earth's attributes are dated, and say so"


@pytest.mark.parametrize("fmt", ["csv", "kml"])
def test_downloads_of_osm_data_in_csv_or_kml_are_zipped_with_the_licence(fmt):
    roads = real_subset("roads")
    offer = export.layer_download(roads, "roads", fmt)
    assert offer.file_name.endswith(f"{export.FORMATS[fmt].extension}.zip") and offer.media_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(offer.build())) as archive:
        assert archive.read("licences/ODbL-1.0.txt").decode("utf-8") == ODBL_TEXT
        assert f"roads{export.FORMATS[fmt].extension}" in archive.namelist()
    plain = export.layer_download(real_subset("rail"), "rail", fmt)
    assert plain.file_name.endswith(export.FORMATS[fmt].extension), "public-domain data needs no zip"


def test_bundles_say_what_natural_earth_attributes_are_worth(tmp_path):
    path = export.write_bundle({"rail": real_subset("rail")}, tmp_path / "b.zip")
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.txt").decode("utf-8")
        meta = json.loads(archive.read("metadata.json"))
    assert "About the attributes" in readme and "older state of the network" in " ".join(readme.split())
    assert "no date" in meta["layers"]["rail"]["caveats"]["natural_earth"]


def test_geopackage_round_trips_the_port_type_and_match_columns_of_the_real_ports(tmp_path):
    ports = store.read_embedded("ports")
    wanted = ["gisco:NLRTM", "gisco:DEDUI", "gisco:SEKOG", "gisco:TRAMB", "gisco:PLNOW", "wpi:43388"]
    frame = ports[ports["id"].isin(wanted)]
    back = gpd.read_file(export.write_layer(frame, "ports", "gpkg", tmp_path / "ports.gpkg")).set_index("id")
    assert set(back.index) == set(wanted)
    for column in ("port_type", "port_type_basis", "wpi_match", "wpi_match_km"):
        assert column in back.columns
    assert back.loc["gisco:NLRTM", "wpi_match"] == "UN/LOCODE" and back.loc["gisco:NLRTM", "wpi_match_km"] < 5
    assert back.loc["gisco:PLNOW", "wpi_match"] == "name and distance"
    assert back.loc["gisco:DEDUI", "port_type"] == "inland"
    assert back.loc["gisco:DEDUI", "port_type_basis"] == "172 km from the sea and not in the World Port Index"
    assert pd.isna(back.loc["gisco:SEKOG", "port_type"]) and back.loc["gisco:SEKOG", "port_type_basis"]
    assert pd.isna(back.loc["gisco:TRAMB", "wpi_match"]) and pd.isna(back.loc["gisco:TRAMB", "harbour_size"])
    original = frame.set_index("id")
    assert back["wpi_match_km"].fillna(-1).to_dict() == original["wpi_match_km"].astype(float).fillna(-1).to_dict()


def test_the_hosted_export_cap_fits_the_data_actually_served(monkeypatch):
    """Every selection of the embedded snapshot can be exported; a bundle much larger than it (a big area of
    stored OpenStreetMap detail) is refused."""
    from geo import select
    from geo.layers import layer_names

    monkeypatch.setattr(settings, "MODE", "hosted")
    served = sum(len(select.load_layers([layer])[layer]) for layer in layer_names())
    assert served <= export.export_limit() < 2 * served
