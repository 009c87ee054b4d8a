"""Route exports through geo.export: GeoJSON, GPX and CSV, each with the route's explanation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile

import pyogrio
import pytest

from geo import export, route

GPX = "{http://www.topografix.com/GPX/1/1}"


@pytest.fixture(scope="module")
def gdansk_lviv() -> route.Route:
    return route.plan(route.resolve("Gdansk"), route.resolve("Lviv"))


def _write(found: route.Route, fmt: str, folder):
    text = route.explanation_text(found.explanation)
    return export.write_route(found.stretches, found.explanation, text, fmt, folder / f"route.{fmt}", found.title)


def test_geojson_holds_the_stretches_and_the_explanation(gdansk_lviv, tmp_path):
    path = _write(gdansk_lviv, "geojson", tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["features"]) == len(gdansk_lviv.stretches)
    notes = data["corridor_atlas"]
    assert notes["route"]["gauge_breaks"][0]["gauge_to"] == "1520"
    assert "geometry" not in notes["route"]  # the features are the geometry
    assert notes["explanation"].startswith("Gdańsk (PL) to Lviv (UA)")
    assert "Natural Earth" in notes["attribution"] and "older state" in notes["caveats"]


def test_gpx_is_one_track_with_the_explanation_in_its_metadata(gdansk_lviv, tmp_path):
    path = _write(gdansk_lviv, "gpx", tmp_path)
    root = ET.parse(path).getroot()
    assert root.tag == f"{GPX}gpx"
    (track,) = root.findall(f"{GPX}trk")
    assert len(track.findall(f"{GPX}trkseg")) == len(gdansk_lviv.stretches)
    description = root.find(f"{GPX}metadata/{GPX}desc").text
    assert "Breaks of gauge: 1" in description and "1435 -> 1520 mm" in description
    tracks = pyogrio.read_dataframe(path, layer="tracks")
    assert tracks.geometry.iloc[0].bounds[0] == pytest.approx(gdansk_lviv.stretches.total_bounds[0], abs=1e-5)


def test_csv_comes_zipped_with_the_explanation_and_the_licence_notes(gdansk_lviv, tmp_path):
    path = _write(gdansk_lviv, "csv", tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"route.csv", "route.json", "README.txt"} <= names
        assert any(name.startswith("licences/") for name in names)
        assert json.loads(archive.read("route.json"))["countries"] == ["PL", "UA"]
        assert "Breaks of gauge: 1" in archive.read("README.txt").decode()
        header = archive.read("route.csv").decode().splitlines()[0]
    assert header.startswith("id,layer,name,kind,country") and header.endswith("wkt")


def test_download_offers_name_the_route_and_build_the_file(gdansk_lviv):
    text = route.explanation_text(gdansk_lviv.explanation)
    offer = export.route_download(gdansk_lviv.stretches, gdansk_lviv.explanation, text, "gpx")
    assert offer.file_name.startswith("corridor-atlas_route_Gdansk_PL_to_Lviv_UA_") and offer.file_name.endswith(".gpx")
    assert offer.build().startswith(b"<?xml")
    zipped = export.route_download(gdansk_lviv.stretches, gdansk_lviv.explanation, text, "csv")
    assert zipped.file_name.endswith(".csv.zip") and zipped.media_type == "application/zip"
    with pytest.raises(export.ExportError, match="choose one of: geojson, gpx, csv"):
        export.route_download(gdansk_lviv.stretches, gdansk_lviv.explanation, text, "kml")
