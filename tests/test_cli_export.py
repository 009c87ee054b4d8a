"""`python -m geo export`: formats, clipping, standard output and clear errors, on small embedded data."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from geo import cli, countries, settings, store
from tests.test_export import ports_frame, rail_frame, roads_frame

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    """A datasets/ folder holding the small test layers and a country table."""
    folder = tmp_path / "datasets"
    for layer, make in (("ports", ports_frame), ("rail", rail_frame), ("roads", roads_frame)):
        store.write_layer(make(), folder / f"{layer}.parquet", layer)
    table = gpd.GeoDataFrame(
        {
            "iso2": ["PL", "RO", "GR", "TR", "DE"],
            "iso3": ["POL", "ROU", "GRC", "TUR", "DEU"],
            "name": ["Poland", "Romania", "Greece", "Turkey", "Germany"],
            "name_long": ["Poland", "Romania", "Greece", "Turkey", "Germany"],
        },
        geometry=[
            box(14, 49, 24, 55),
            box(20, 43.5, 30, 48),
            box(19, 34, 29, 42),
            box(26, 36, 45, 42),
            box(5, 47, 15, 55),
        ],
        crs="EPSG:4326",
    )
    table.to_parquet(folder / "countries.parquet")
    shutil.copytree(settings.DATASETS_DIR / "licences", folder / "licences")
    monkeypatch.setattr(settings, "DATASETS_DIR", folder)
    countries._default_table.cache_clear()
    yield folder
    countries._default_table.cache_clear()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["export", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_country_export_writes_only_that_country(datasets, tmp_path, capsys):
    out = tmp_path / "rail_pl.gpkg"
    code, stdout, _ = run(capsys, "--layer", "rail", "--country", "PL", "--format", "gpkg", "--out", str(out))
    assert code == 0
    back = pyogrio.read_dataframe(out)
    assert back["id"].tolist() == ["osm:way/1"]
    assert back["name"].tolist() == ["Gdańsk – Gdynia"]
    assert f"wrote {out}: 1 rail features (GeoPackage" in stdout


def test_country_names_and_eu_codes_are_resolved(datasets, tmp_path, capsys):
    out = tmp_path / "ports.gpkg"
    code, _, _ = run(capsys, "--layer", "ports", "--country", "Poland,EL", "--format", "gpkg", "--out", str(out))
    assert code == 0
    assert sorted(pyogrio.read_dataframe(out)["id"]) == ["gisco:PLGDN", "osm:way/4242"]


def test_csv_of_openstreetmap_data_comes_zipped_with_the_full_licence(datasets, tmp_path, capsys):
    out = tmp_path / "ports.csv"
    code, stdout, _ = run(capsys, "--layer", "ports", "--country", "PL", "--format", "csv", "--out", str(out))
    assert code == 0 and not out.exists()
    written = tmp_path / "ports.csv.zip"
    assert f"wrote {written}" in stdout and "in a zip with the ODbL licence" in stdout
    with zipfile.ZipFile(written) as archive:
        table = pd.read_csv(archive.open("ports.csv"))
        licence = archive.read("licences/ODbL-1.0.txt").decode()
    assert sorted(table["id"]) == ["gisco:PLGDN"]
    assert licence == (settings.REPO_DIR / "datasets" / "licences" / "ODbL-1.0.txt").read_text()
    assert "Open Database License" in licence and len(licence) > 20_000, "the full text, not a notice"


def test_csv_of_openstreetmap_data_is_not_streamed_without_its_licence(datasets, capsys):
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "csv", "--out", "-")
    assert code == 2 and "ODbL" in stderr and "geojson" in stderr


def test_bbox_clips(datasets, tmp_path, capsys):
    out = tmp_path / "roads.geojson"
    code, _, _ = run(capsys, "--layer", "roads", "--bbox=26,37,29,45", "--format", "geojson", "--out", str(out))
    assert code == 0
    ids = [feature["properties"]["id"] for feature in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert sorted(ids) == ["osm:way/10", "osm:way/11"]


def test_bundle_of_several_layers(datasets, tmp_path, capsys):
    out = tmp_path / "bundle.zip"
    code, stdout, _ = run(
        capsys, "--layer", "rail", "--layer", "roads", "--format", "bundle", "--bundle-format", "fgb", "--out", str(out)
    )
    assert code == 0
    with zipfile.ZipFile(out) as archive:
        assert {"rail.fgb", "roads.fgb", "README.txt", "metadata.json"} <= set(archive.namelist())
    assert "3 rail, 3 roads features (bundle of FlatGeobuf" in stdout


def test_out_folder_gets_a_descriptive_safe_name(datasets, tmp_path, capsys):
    code, _, _ = run(capsys, "--layer", "rail", "--country", "PL", "--format", "gpkg", "--out", str(tmp_path))
    assert code == 0
    assert (tmp_path / f"corridor-atlas_rail_PL_{TODAY}.gpkg").is_file()
    code, _, _ = run(capsys, "--layer", "rail", "--country", "PL", "--format", "kml", "--out", str(tmp_path))
    assert code == 0
    assert (tmp_path / f"corridor-atlas_rail_PL_{TODAY}.kml.zip").is_file(), "OSM data in KML travels zipped"


def test_standard_output_carries_the_data_and_stderr_the_report(datasets, tmp_path):
    env = {**os.environ, "CORRIDOR_ATLAS_DATASETS": str(datasets)}
    result = subprocess.run(
        [sys.executable, "-m", "geo", "export", "--layer", "ports", "--format", "geojson", "--out", "-"],
        capture_output=True,
        env=env,
        cwd=settings.REPO_DIR,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    collection = json.loads(result.stdout)
    assert len(collection["features"]) == 5
    assert "Πειραιάς" in {feature["properties"]["name"] for feature in collection["features"]}
    assert b"wrote standard output: 5 ports features (GeoJSON" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer", "rail", "--format", "gpkg", "--out", "-"], "GeoPackage cannot be written to standard output"),
        (["--layer", "rail", "--layer", "roads", "--format", "csv"], "2 layers need the bundle format"),
        (["--layer", "rail", "--country", "DE", "--format", "csv"], "no rail features in the selection"),
        (["--layer", "rail", "--country", "Atlantis", "--format", "csv"], "unknown country 'Atlantis'"),
        (["--layer", "rail", "--bbox", "1,2,3", "--format", "csv"], "bbox must be four numbers"),
        (["--layer", "canals", "--format", "csv"], "unknown layer 'canals'"),
        (["--layer", "rail", "--bbox", "30,40,20,50", "--format", "csv"], "bbox is inverted"),
    ],
)
def test_bad_input_is_one_clear_line_and_no_file(datasets, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    code, stdout, stderr = run(capsys, *argv)
    assert code == 2
    assert stderr.startswith("error: ") and message in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert set(tmp_path.iterdir()) == before


def test_unknown_format_is_refused_by_the_parser(datasets, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "--layer", "rail", "--format", "dwg"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'dwg'" in capsys.readouterr().err


def test_unwritable_path_is_a_clear_error(datasets, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "gpkg", "--out", str(blocker / "rail.gpkg"))
    assert code == 2 and stderr.startswith("error: ")
    assert [path.name for path in tmp_path.iterdir() if path.name != "datasets"] == ["file"]


def test_missing_dataset_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "DATASETS_DIR", tmp_path)
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "csv", "--out", str(tmp_path / "r.csv"))
    assert code == 2 and "rail.parquet is missing" in stderr and "build-default" in stderr


def test_hosted_mode_applies_the_export_limit(datasets, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "HOSTED_MAX_EXPORT_FEATURES", 2)
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "csv", "--out", str(tmp_path / "r.csv"))
    assert code == 2 and "at most 2" in stderr
    assert not (tmp_path / "r.csv").exists()


def test_with_stored_adds_fetched_detail(datasets, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    extra = rail_frame().iloc[[0]].copy()
    extra["id"] = pd.Series(["osm:way/999"], index=extra.index, dtype="string")
    store.write_area(extra.reset_index(drop=True), "rail", "overpass", "gdansk", {"bbox": [18, 54, 19, 55]})
    out = tmp_path / "rail.geojson"
    code, _, _ = run(capsys, "--layer", "rail", "--with-stored", "--format", "geojson", "--out", str(out))
    assert code == 0
    assert "osm:way/999" in set(pyogrio.read_dataframe(out)["id"])
    code, _, _ = run(capsys, "--layer", "rail", "--format", "geojson", "--out", str(out), "--force")
    assert "osm:way/999" not in set(pyogrio.read_dataframe(out)["id"])


def test_corrupt_stored_file_is_a_warning_not_a_failure(datasets, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    broken = tmp_path / "store" / "rail" / "overpass__broken.parquet"  # data with no record, as old stores had
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"PAR1 truncated")
    out = tmp_path / "rail.gpkg"
    code, _, stderr = run(capsys, "--layer", "rail", "--with-stored", "--format", "gpkg", "--out", str(out))
    assert code == 0 and len(pyogrio.read_dataframe(out)) == 3
    assert "warning: stored rail area 'broken' cannot be read (no metadata record)" in stderr
    assert str(tmp_path) not in stderr, "an area is named, not its path"


def test_an_existing_file_is_replaced_only_with_force(datasets, tmp_path, capsys):
    out = tmp_path / "rail.geojson"
    out.write_text("my own notes")
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "geojson", "--out", str(out))
    assert code == 2 and "already exists" in stderr and "--force" in stderr
    assert out.read_text() == "my own notes"
    code, _, _ = run(capsys, "--layer", "rail", "--format", "geojson", "--out", str(out), "--force")
    assert code == 0 and len(pyogrio.read_dataframe(out)) == 3


def test_a_path_below_a_file_gets_one_plain_sentence(datasets, tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "gpkg", "--out", str(blocker / "rail.gpkg"))
    assert code == 2
    assert (
        stderr.strip()
        == f"error: cannot write {blocker / 'rail.gpkg'}: {blocker} is a file, not a folder; choose another path"
    )
    assert "Errno" not in stderr and blocker.read_text() == "mine"


def test_something_that_is_not_a_file_is_never_replaced(datasets, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, stderr = run(capsys, "--layer", "rail", "--format", "csv", "--out", str(fifo), "--force")
    assert code == 2 and "is not a regular file" in stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_reader_closing_standard_output_early_is_not_a_traceback():
    env = {**os.environ, "CORRIDOR_ATLAS_DATASETS": str(settings.REPO_DIR / "datasets")}
    command = [sys.executable, "-m", "geo", "export", "--layer", "roads", "--format", "geojson", "--out", "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=settings.REPO_DIR)
    assert process.stdout.read(200).startswith(b"{")
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert b"Traceback" not in stderr and b"error" not in stderr
