"""Layer specifications: one place per layer. A new layer needs its specification and nothing else."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import cli, export, layers, levels, policies, render, schema, stats, store
from geo.errors import UnknownLayerError
from geo.layers import Column, LayerSpec, LineStyle, PointStyle, Statistic
from tests.map_support import PROVENANCE

# A throwaway point layer, defined here only: nothing else in the project knows it.
LIGHTHOUSES = LayerSpec(
    name="lighthouses",
    title="Lighthouses",
    description="Test layer: lighthouses on the coast.",
    modes=("maritime_ports",),
    geometry="point",
    geometry_types=frozenset({"Point"}),
    columns={"height_m": Column("Float64", "Height (m)", "Tower height in metres.", missing="not measured")},
    point_fills={
        "tall": PointStyle("Tall lighthouse", "#aa0000", 6),
        "short": PointStyle("Short lighthouse", "#0000aa"),
    },
    point_fill=lambda frame: pd.Series(
        np.where(frame["height_m"].fillna(0).to_numpy(dtype=float) > 30, "tall", "short"), index=frame.index
    ),
    order=40,
    statistics=(Statistic("lighthouses", "Lighthouses", "count", lambda frame: np.ones(len(frame))),),
    headline="lighthouses",
)
# And a throwaway line layer with levels of detail.
CANALS = LayerSpec(
    name="canals",
    title="Canals",
    description="Test layer: canals.",
    modes=("inland_waterway",),
    geometry="line",
    geometry_types=frozenset({"LineString", "MultiLineString"}),
    columns={"length_km": Column("Float64", "Length (km)", "Geodesic length, km.")},
    line_styles={"canal": LineStyle("Canal", "canals", "#00aaaa", 2.0, "2 2")},
    line_class=lambda frame: pd.Series("canal", index=frame.index),
    level_keys=((), (), (), ()),
    statistics=(Statistic("canal_km", "Canal km", "km", lambda frame: frame["length_km"].to_numpy(dtype=float)),),
    headline="canal_km",
)


@pytest.fixture
def throwaway(monkeypatch):
    for spec in (LIGHTHOUSES, CANALS):
        monkeypatch.setitem(layers.LAYERS, spec.name, spec)


def _lighthouses() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "id": ["t:1", "t:2", "t:3"],
            "layer": "lighthouses",
            "name": ["Fanad Head", "<b>Hook</b>", "Tour de Cordouan"],
            "kind": "lighthouse",
            "country": ["IE", "IE", "FR"],
            "height_m": [22.0, 36.0, None],
            **PROVENANCE,
        }
    )
    geometry = [shapely.Point(-7.63, 55.27), shapely.Point(-6.93, 52.12), shapely.Point(-1.17, 45.59)]
    return schema.conform(gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS), "lighthouses")


def _canals() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {"id": ["t:c"], "layer": "canals", "kind": "canal", "country": "FR", "length_km": [240.0], **PROVENANCE}
    )
    geometry = [shapely.LineString([(1.4, 43.6), (2.35, 43.2), (3.2, 43.3)])]
    return schema.conform(gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS), "canals")


def _payload(page: str, layer: str) -> dict:
    return json.loads(re.search(rf'corridorAtlas\.addLayer\("{layer}", \w+, (\{{.*?\}})\);\n', page).group(1))


def test_a_new_layer_is_drawn_from_its_specification_alone(throwaway):
    page = render.render_html(render.MapRequest(frames={"lighthouses": _lighthouses(), "canals": _canals()}))
    points, lines = _payload(page, "lighthouses"), _payload(page, "canals")
    assert points["geometry"] == "point" and points["count"] == 3 and points["order"] == 40
    assert [f["label"] for f in points["fills"]] == ["Tall lighthouse", "Short lighthouse"]
    assert points["fill"] == "101"  # class indexes, one digit per feature
    assert points["labels"]["height_m"] == "Height (m)"
    assert points["props"]["data"]["height_m"]["r"] == ["22", "36", "not measured"]
    assert lines["geometry"] == "line" and lines["styles"][0]["dash"] == "2 2" and lines["cls"] == [0]
    assert "<b>Hook</b>" not in page, "names from the data are never markup"
    assert '"Lighthouses"' in page and '"Canals"' in page  # overlay names in the layer control


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_a_new_layer_is_exported_from_its_specification_alone(throwaway, tmp_path, fmt):
    original = _lighthouses()
    path = export.write_layer(original, "lighthouses", fmt, tmp_path / f"l{export.FORMATS[fmt].extension}")
    back = pd.read_csv(path) if fmt == "csv" else pyogrio.read_dataframe(path)
    assert list(back["id"]) == ["t:1", "t:2", "t:3"]
    assert back["height_m"].tolist()[:2] == [22.0, 36.0]
    if fmt == "csv":
        assert {"longitude", "latitude", "wkt"} <= set(back.columns), "a point layer gets lon/lat in CSV"


def test_a_new_layer_is_listed_counted_and_linked(throwaway, capsys):
    assert {"lighthouses", "canals"} <= set(layers.layer_names())
    assert cli.main(["layers", "--layer", "lighthouses"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("lighthouses: Lighthouses (points).") and "height_m" in listed
    table = stats.country_stats({"lighthouses": _lighthouses(), "canals": _canals()})
    assert table.loc["IE", "lighthouses"] == 2 and table.loc["FR", "canal_km"] == 240.0
    (metric, _) = stats.headlines(table.loc[stats.TOTAL], ["lighthouses", "canals"])
    assert (metric.label, metric.value) == ("Lighthouses", "3")
    documents = {doc.id for doc in policies.documents_for_selection(["lighthouses"], ["FR"])}
    assert "ports-2017" not in documents and "ssms-2020" not in documents  # no rule names the new layer


def test_a_new_line_layer_gets_levels_of_detail(throwaway):
    assert layers.layers_with_levels() == ("rail", "roads", "canals")

    built = levels.build_level(_canals(), "canals", 0)
    assert built["id"].str.startswith("lod0:osm/canals/").all() and len(built) == 1


def test_registering_checks_that_the_layer_can_be_drawn():
    broken = LayerSpec(
        name="nothing",
        title="Nothing",
        description="",
        modes=(),
        geometry="line",
        geometry_types=frozenset(),
        columns={},
    )
    with pytest.raises(ValueError, match="needs line_styles and a line_class"):
        layers.register(broken)
    assert "nothing" not in layers.LAYERS


def test_every_real_column_says_what_it_means():
    for name in layers.layer_names():
        for column in layers.get_layer(name).describe()["attributes"]:
            assert len(column["meaning"]) > 10 and column["label"], (name, column["column"])


def test_unknown_layers_are_refused_with_the_known_names():
    with pytest.raises(UnknownLayerError, match="choose one of: ports, rail, roads"):
        layers.get_layer("trains")
    with pytest.raises(ValueError):
        store.area_record("trains", "osm", "x")


def test_crossings_are_a_layer_and_the_route_an_overlay(capsys):
    assert "crossings" in layers.layer_names() and "route" not in layers.layer_names()
    assert layers.get_layer("route") is layers.ROUTE  # drawn and exported from its spec, not a map layer
    assert cli.main(["layers", "--layer", "crossings,rail"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("crossings: Border crossings (points).")
    assert "gauge_break" in out and "indicative" in out and "gauge_basis" in out
    assert "assumed from the national network" in out
