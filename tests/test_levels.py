"""Levels of detail: building the coarse copies of the line layers and reading them back, on the real NL/BE data."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import levels, schema, store
from geo.layers import layers_with_levels


def test_levels_are_schema_conformant_and_keep_the_network(low_countries):
    rail = low_countries["rail"]
    built = levels.build_levels(rail, "rail")
    assert sorted(built) == [0, 1, 2, 3]
    full_km = rail["length_km"].sum()
    vertices = [shapely.get_num_coordinates(built[k].geometry.values).sum() for k in (0, 1, 2, 3)]
    assert (
        vertices[0] < vertices[1] < vertices[2] < vertices[3] < shapely.get_num_coordinates(rail.geometry.values).sum()
    )
    for level, frame in built.items():
        schema.validate(frame, "rail")
        assert frame["id"].str.startswith(f"lod{level}:natural_earth/rail/").all()
        assert set(frame["country"]) == {"NL", "BE"}
        assert (frame[["licence", "attribution"]] == rail[["licence", "attribution"]].iloc[0]).all().all()
        # Generalising shortens wiggles but keeps the network: at least 85 % of the km at the coarsest level.
        assert frame["length_km"].sum() == pytest.approx(full_km, rel=0.15)
        tags = json.loads(frame["tags"].iloc[0])
        assert tags["lod"] == level and tags["grid_deg"] == levels.LEVELS[level].grid_deg
        assert sum(json.loads(t)["merged_features"] for t in frame["tags"]) == len(rail)
    assert built[1]["tracks"].isna().all()  # not kept at levels 0 and 1
    assert built[2]["tracks"].notna().any()  # kept from level 2


def test_coordinates_sit_on_the_level_grid_and_print_short(low_countries):
    for level, frame in levels.build_levels(low_countries["roads"], "roads").items():
        spec = levels.LEVELS[level]
        xy = shapely.get_coordinates(frame.geometry.values)
        on_grid = np.abs(xy / spec.grid_deg - np.round(xy / spec.grid_deg))
        assert on_grid.max() < 1e-6
        printed = shapely.to_geojson(frame.geometry.values[0])
        longest = max(len(n.split(".")[-1]) for n in printed.replace("]", ",").replace("[", ",").split(",") if "." in n)
        assert longest <= spec.decimals


def test_level_zero_collapses_parallel_carriageways():
    """Two carriageways 100 m apart are one line at level 0 and two lines at level 3."""
    carriageways = [shapely.LineString([(4.0, 52.0), (5.0, 52.0)]), shapely.LineString([(4.0, 52.001), (5.0, 52.001)])]
    frame = schema.conform(
        gpd.GeoDataFrame(
            {
                "id": ["osm:way/1", "osm:way/2"],
                "layer": "roads",
                "kind": "motorway",
                "country": "NL",
                "source": "osm",
                "licence": "ODbL-1.0",
                "attribution": "© OpenStreetMap contributors",
                "retrieved_at": "2026-01-01T00:00:00Z",
                "construction": False,
            },
            geometry=carriageways,
            crs=schema.CRS,
        ),
        "roads",
    )
    coarse = levels.build_level(frame, "roads", 0)
    assert len(coarse) == 1 and coarse.geometry.iloc[0].geom_type == "LineString"
    assert coarse["length_km"].iloc[0] == pytest.approx(68.6, rel=0.02)  # one carriageway's length
    fine = levels.build_level(frame, "roads", 3)
    assert len(shapely.get_parts(fine.geometry.values)) == 2


def test_points_and_out_of_range_levels_are_refused(low_countries):
    with pytest.raises(ValueError, match="levels of detail exist for the layers rail, roads"):
        levels.build_level(store.read_embedded("ports"), "ports", 0)
    with pytest.raises(ValueError, match="level must be"):
        levels.build_level(low_countries["rail"], "rail", levels.FULL)


def test_write_and_read_levels(datasets_dir, low_countries):
    for layer in layers_with_levels():
        for level in range(levels.FULL):
            path = levels.level_path(layer, level, datasets_dir)
            assert path.name == f"{layer}_lod{level}.parquet"
            frame = levels.read_level(layer, level, datasets_dir)
            schema.validate(frame, layer)
            assert levels.read_level(layer, level, datasets_dir) is frame  # read once, shared
        assert len(levels.read_level(layer, levels.FULL, datasets_dir)) == len(low_countries[layer])
    # Ports have no levels: every level is the layer itself.
    assert len(levels.read_level("ports", 0, datasets_dir)) == len(store.read_embedded("ports"))


def test_missing_level_file_says_how_to_rebuild(tmp_path):
    with pytest.raises(store.DatasetError, match="build-default"):
        levels.read_level("rail", 0, tmp_path)


def test_committed_levels_match_the_committed_layers():
    """datasets/<layer>_lod<k>.parquet come from the same build as datasets/<layer>.parquet."""
    for layer in layers_with_levels():
        full = store.read_embedded(layer)
        for level in range(levels.FULL):
            frame = levels.read_level(layer, level)
            assert set(frame["retrieved_at"]) == set(full["retrieved_at"])
            # Union levels merge dual carriageways (roads lose up to a third of their km, not more).
            # Only countries with a few km of line (Monaco's roads) may vanish on a coarse grid.
            assert set(frame["country"].dropna()) <= set(full["country"].dropna())
            assert frame["length_km"].sum() == pytest.approx(
                full["length_km"].sum(), rel=0.35 if levels.LEVELS[level].union else 0.05
            )
            assert pd.notna(frame["licence"]).all()


def test_lines_merged_for_a_coarse_zoom_are_named_by_what_they_stand_for():
    """Popups and exports of a level say what a merged line is, never its internal level id."""
    roads = levels.read_level("roads", 1)
    names = set(roads.loc[roads["country"].eq("PL"), "name"])
    assert "Motorways in Poland, simplified for this zoom" in names
    assert roads["name"].notna().all() and not roads["name"].str.startswith("lod").any()
    rail = levels.read_level("rail", 0)
    assert "Electrified railways in Norway, simplified for this zoom" in set(rail["name"])


def test_lines_outside_every_country_are_merged_and_named_without_one():
    """An area whose lines carry no country (e.g. OSM detail offshore) still gets its levels."""
    frame = schema.conform(
        gpd.GeoDataFrame(
            {
                "id": ["osm:way/1", "osm:way/2"],
                "layer": "roads",
                "kind": "motorway",
                "country": None,
                "source": "osm",
                "licence": "ODbL-1.0",
                "attribution": "© OpenStreetMap contributors",
                "retrieved_at": "2026-01-01T00:00:00Z",
                "construction": False,
            },
            geometry=[shapely.LineString([(4.0, 52.0), (5.0, 52.0)]), shapely.LineString([(5.0, 52.0), (6.0, 52.0)])],
            crs=schema.CRS,
        ),
        "roads",
    )
    coarse = levels.build_level(frame, "roads", 0)
    assert coarse["name"].tolist() == ["Motorways, simplified for this zoom"]
