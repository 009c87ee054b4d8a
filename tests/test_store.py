"""geo.store: atomic writes keep the old file when the writer fails; bad files give DatasetError."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import schema, store


def _rail(length_km: float = 1.5) -> gpd.GeoDataFrame:
    frame = schema.with_provenance(
        pd.DataFrame(
            {"id": ["ne:rail/1"], "layer": "rail", "kind": "rail", "country": ["PL"], "length_km": [length_km]}
        ),
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


def test_area_keys_refuse_path_traversal(tmp_path):
    with pytest.raises(ValueError, match="invalid area"):
        store.area_record("rail", "osm", "../../etc", tmp_path)
    with pytest.raises(ValueError, match="invalid source"):
        store.write_area(_rail(), "rail", "../osm", "x", {}, tmp_path)
    assert not any(tmp_path.iterdir())


def test_atomic_write_gives_new_files_the_usual_permissions(tmp_path):
    import os

    from geo import store

    umask = os.umask(0)
    os.umask(umask)
    path = store.write_text_atomic(tmp_path / "note.txt", "hello")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def _record(tmp_path, area="gdansk"):
    return store.area_record("rail", "osm_overpass", area, tmp_path)


def test_the_record_names_its_data_so_a_crash_never_pairs_new_data_with_old_metadata(tmp_path, monkeypatch):
    store.write_area(_rail(), "rail", "osm_overpass", "gdansk", {"retrieved_at": "2026-01-01"}, tmp_path)
    first = _record(tmp_path)
    newer = _rail(9.0)

    def killed(path, text):
        raise OSError("killed before the record was written")

    monkeypatch.setattr(store, "write_text_atomic", killed)
    with pytest.raises(OSError):
        store.write_area(newer, "rail", "osm_overpass", "gdansk", {"retrieved_at": "2026-02-01"}, tmp_path)
    monkeypatch.undo()
    assert _record(tmp_path) == first, "the old record still names the old, complete data"
    frame, problems = store.read_stored("rail", tmp_path)
    assert problems == [] and frame["length_km"].tolist() == [1.5]
    store.write_area(newer, "rail", "osm_overpass", "gdansk", {"retrieved_at": "2026-02-01"}, tmp_path)
    frame, _ = store.read_stored("rail", tmp_path)
    assert frame["length_km"].tolist() == [9.0] and _record(tmp_path)["retrieved_at"] == "2026-02-01"
    assert len(list((tmp_path / "rail").glob("*.parquet"))) == 1, "the replaced data file is gone"


def test_leftovers_of_killed_writes_are_cleaned_once_old(tmp_path):
    store.write_area(_rail(), "rail", "osm_overpass", "gdansk", {}, tmp_path)
    folder = tmp_path / "rail"
    temporary = folder / ".osm_overpass__gdansk.json.abc123.tmp"
    orphan = folder / "osm_overpass__gdansk~0123456789ab.parquet"
    temporary.write_text("half")
    orphan.write_bytes(b"PAR1 half")
    assert store.clean_leftovers(tmp_path) == 0, "a write may still be under way: young files stay"
    assert store.clean_leftovers(tmp_path, older_than_s=0) == 2
    assert not temporary.exists() and not orphan.exists()
    assert store.read_stored("rail", tmp_path)[1] == [], "the data the record names is kept"


def test_an_out_of_range_coordinate_in_the_store_is_dropped_and_counted(tmp_path):
    good = _rail()
    bad = _rail().assign(id=pd.Series(["osm:way/2"], dtype="string"))
    bad = bad.set_geometry([shapely.LineString([(21.0, 52.2), (21.0, 95.0)])], crs=schema.CRS)
    with pytest.raises(schema.SchemaError, match="coordinates outside"):
        store.write_area(bad, "rail", "osm_overpass", "bad", {}, tmp_path)
    # Written by something else (an older version, another tool): the reader still copes.
    folder = tmp_path / "rail"
    folder.mkdir()
    store.write_geoparquet(pd.concat([good, bad], ignore_index=True), folder / "osm_overpass__mixed.parquet")
    (folder / "osm_overpass__mixed.json").write_text('{"retrieved_at": "2026-01-01T00:00:00Z"}')
    frame, problems = store.read_stored("rail", tmp_path)
    assert frame["id"].tolist() == ["ne:rail/1"]
    assert problems[0].startswith("stored rail area 'mixed': 1 features with coordinates outside -180..180")


def test_a_refreshed_store_serves_one_generation_until_the_next_is_published(tmp_path):
    first = store.Generation(tmp_path)
    first.write_area(_rail(), "rail", "osm_overpass", "gdansk", {"refreshed_at": "2026-01-01T00:00:00Z"})
    assert store.current_generation(tmp_path) is None and store.stored_areas(store_dir=tmp_path) == []
    first.publish({"finished_at": "2026-01-01T00:00:00Z"})
    assert store.current_generation(tmp_path) == first.id
    second = store.Generation(tmp_path)
    second.write_area(_rail(2.0), "rail", "osm_overpass", "gdansk", {})
    assert store.read_stored("rail", tmp_path)[0]["length_km"].tolist() == [1.5], "a half-built generation is unseen"
    second.discard()
    assert store.read_stored("rail", tmp_path)[0]["length_km"].tolist() == [1.5]
    with pytest.raises(store.OutputError, match="written by python -m geo refresh"):
        store.write_area(_rail(), "rail", "osm_file", "mine", {}, tmp_path)
    third = store.Generation(tmp_path)
    third.write_area(_rail(3.0), "rail", "osm_overpass", "gdansk", {})
    third.publish({})
    fourth = store.Generation(tmp_path)
    fourth.write_area(_rail(4.0), "rail", "osm_overpass", "gdansk", {})
    fourth.publish({})
    assert store.read_stored("rail", tmp_path)[0]["length_km"].tolist() == [4.0]
    kept = sorted(p.name for p in (tmp_path / "generations").iterdir())
    assert kept == [third.id, fourth.id], "the published one and the one it replaced; older ones are removed"


def test_a_corrupt_area_is_named_with_what_repairs_it_not_its_path(tmp_path):
    generation = store.Generation(tmp_path)
    generation.write_area(_rail(), "rail", "osm_overpass", "helsinki", {})
    generation.publish({})
    (record,) = store.stored_areas("rail", tmp_path)
    Path(record["path"]).write_bytes(b"PAR1 torn")
    frame, problems = store.read_stored("rail", tmp_path)
    assert frame is None
    assert problems == [
        "stored rail area 'helsinki' cannot be read (corrupt or truncated); the next python -m geo refresh replaces it"
    ]
