"""geo.store: atomic writes keep the old file when the writer fails; bad files give DatasetError."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import schema, store


def _rail() -> gpd.GeoDataFrame:
    frame = schema.with_provenance(
        pd.DataFrame({"id": ["ne:rail/1"], "layer": "rail", "kind": "rail", "country": ["PL"], "length_km": [1.5]}),
        schema.Provenance("natural_earth", "public domain", "Made with Natural Earth", None, "2024-01-01T00:00:00Z"),
    )
    line = shapely.LineString([(21.0, 52.2), (21.01, 52.2)])
    return schema.conform(gpd.GeoDataFrame(frame, geometry=[line], crs=schema.CRS), "rail")


def test_atomic_write_keeps_old_content_when_writer_raises(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("old", encoding="utf-8")

    def failing(tmp):
        tmp.write_text("half-written", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        store.atomic_write(path, failing)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]  # no temporary file left behind


def test_write_layer_round_trips(tmp_path):
    path = store.write_layer(_rail(), tmp_path / "rail.parquet", "rail")
    back = store.read_layer_file(path, "rail")
    assert back["id"].tolist() == ["ne:rail/1"]
    assert back.geometry.iloc[0].equals(_rail().geometry.iloc[0])


def test_write_layer_refuses_off_schema_frame_and_keeps_old_file(tmp_path):
    path = store.write_layer(_rail(), tmp_path / "rail.parquet", "rail")
    before = path.read_bytes()
    with pytest.raises(schema.SchemaError):
        store.write_layer(_rail().assign(id="no-prefix"), path, "rail")
    assert path.read_bytes() == before


def test_corrupt_file_is_a_dataset_error_naming_the_build_command(tmp_path):
    path = tmp_path / "rail.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(store.DatasetError, match="build-default"):
        store.read_layer_file(path, "rail")


def test_missing_file_is_a_dataset_error_naming_the_build_command(tmp_path):
    with pytest.raises(store.DatasetError, match=r"missing.*build-default"):
        store.read_layer_file(tmp_path / "rail.parquet", "rail")


def test_truncated_file_is_a_dataset_error(tmp_path):
    path = store.write_layer(_rail(), tmp_path / "rail.parquet", "rail")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(store.DatasetError, match="unreadable"):
        store.read_layer_file(path, "rail")


def test_area_path_refuses_path_traversal(tmp_path):
    with pytest.raises(ValueError, match="invalid area"):
        store.area_path("rail", "osm", "../../etc", tmp_path)


def test_atomic_write_gives_new_files_the_usual_permissions(tmp_path):
    import os

    from geo import store

    umask = os.umask(0)
    os.umask(umask)
    path = store.write_text_atomic(tmp_path / "note.txt", "hello")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
