"""Levels of detail: zoom classes, building levels from the real embedded layers, reading, budget fallback."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import lod, schema, store

# Netherlands and Belgium, where dual carriageways and dense rail make generalising matter.
LOW_COUNTRIES = (2.5, 49.5, 7.3, 53.6)
ROTTERDAM = (4.0, 51.8, 4.6, 52.0)


@pytest.fixture(scope="module")
def low_countries() -> dict[str, gpd.GeoDataFrame]:
    """The real embedded rail and roads of NL and BE."""
    return {layer: store.read_embedded(layer).query("country in ['NL', 'BE']") for layer in lod.LINE_LAYERS}


@pytest.fixture(scope="module")
def datasets_dir(tmp_path_factory, low_countries) -> object:
    """A datasets folder holding the NL/BE layers, their levels and the real ports, as the build writes them."""
    folder = tmp_path_factory.mktemp("datasets")
    for layer, frame in low_countries.items():
        store.write_layer(frame.reset_index(drop=True), folder / f"{layer}.parquet", layer)
    store.write_layer(store.read_embedded("ports"), folder / "ports.parquet", "ports")
    lod.write_levels(low_countries, folder, progress=lambda _: None)
    return folder


def _reader(datasets_dir):
    return lambda layer, level: lod.read_level(layer, level, datasets_dir)


def test_zoom_classes():
    assert [lod.level_for_zoom(z) for z in (0, 4, 4.5, 5, 6, 7, 8, 9, 10, 14)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert lod.FULL == 4
    # Each level's grid is about one pixel at its highest zoom: never coarser than 1.2 px.
    for level in lod.LEVELS:
        pixel_deg = 360 / (256 * 2**level.max_zoom)
        assert 0.5 * pixel_deg < level.grid_deg < 1.2 * pixel_deg


def test_zoom_for_bbox_matches_fitbounds():
    # Europe in a 1400 x 800 px map: zoom 4 (796 x 790 px); zoom 5 would need 1592 x 1579 px.
    assert lod.zoom_for_bbox((-25, 34, 45, 72), 1400, 800) == 4
    assert lod.zoom_for_bbox((-25, 34, 45, 72), 1600, 1570) == 4
    assert lod.zoom_for_bbox((-25, 34, 45, 72), 1600, 1590) == 5
    assert lod.level_for_bbox((-25, 34, 45, 72)) == 0
    # Rotterdam's port area at the same size is a street-level view: full detail.
    assert lod.zoom_for_bbox(ROTTERDAM, 1400, 800) == 11
    assert lod.level_for_bbox(ROTTERDAM) == lod.FULL


@pytest.mark.parametrize("bbox", [(5, 50, 4, 52), (4, 52, 5, 51), (4, 51, 5, float("nan")), (-200, 0, 0, 10)])
def test_bad_bbox_is_a_clear_error(bbox):
    with pytest.raises(ValueError, match="bbox"):
        lod.zoom_for_bbox(bbox)


def test_levels_are_schema_conformant_and_keep_the_network(low_countries):
    rail = low_countries["rail"]
    levels = lod.build_levels(rail, "rail")
    assert sorted(levels) == [0, 1, 2, 3]
    full_km = rail["length_km"].sum()
    vertices = [shapely.get_num_coordinates(levels[k].geometry.values).sum() for k in (0, 1, 2, 3)]
    assert (
        vertices[0] < vertices[1] < vertices[2] < vertices[3] < shapely.get_num_coordinates(rail.geometry.values).sum()
    )
    for level, frame in levels.items():
        schema.validate(frame, "rail")
        assert frame["id"].str.startswith(f"lod{level}:natural_earth/rail/").all()
        assert set(frame["country"]) == {"NL", "BE"}
        assert (frame[["licence", "attribution"]] == rail[["licence", "attribution"]].iloc[0]).all().all()
        # Generalising shortens wiggles but keeps the network: at least 85 % of the km at the coarsest level.
        assert frame["length_km"].sum() == pytest.approx(full_km, rel=0.15)
        tags = json.loads(frame["tags"].iloc[0])
        assert tags["lod"] == level and tags["grid_deg"] == lod.LEVELS[level].grid_deg
        assert sum(json.loads(t)["merged_features"] for t in frame["tags"]) == len(rail)
    assert levels[1]["tracks"].isna().all()  # not kept at levels 0 and 1
    assert levels[2]["tracks"].notna().any()  # kept from level 2


def test_coordinates_sit_on_the_level_grid_and_print_short(low_countries):
    for level, frame in lod.build_levels(low_countries["roads"], "roads").items():
        spec = lod.LEVELS[level]
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
    coarse = lod.build_level(frame, "roads", 0)
    assert len(coarse) == 1 and coarse.geometry.iloc[0].geom_type == "LineString"
    assert coarse["length_km"].iloc[0] == pytest.approx(68.6, rel=0.02)  # one carriageway's length
    fine = lod.build_level(frame, "roads", 3)
    assert len(shapely.get_parts(fine.geometry.values)) == 2


def test_points_and_out_of_range_levels_are_refused(low_countries):
    with pytest.raises(ValueError, match="line layers"):
        lod.build_level(store.read_embedded("ports"), "ports", 0)
    with pytest.raises(ValueError, match="level must be"):
        lod.build_level(low_countries["rail"], "rail", lod.FULL)


def test_write_and_read_levels(datasets_dir, low_countries):
    for layer in lod.LINE_LAYERS:
        for level in range(lod.FULL):
            path = lod.level_path(layer, level, datasets_dir)
            assert path.name == f"{layer}_lod{level}.parquet"
            frame = lod.read_level(layer, level, datasets_dir)
            schema.validate(frame, layer)
            assert lod.read_level(layer, level, datasets_dir) is frame  # read once, shared
        assert len(lod.read_level(layer, lod.FULL, datasets_dir)) == len(low_countries[layer])
    # Ports have no levels: every level is the layer itself.
    assert len(lod.read_level("ports", 0, datasets_dir)) == len(store.read_embedded("ports"))


def test_missing_level_file_says_how_to_rebuild(tmp_path):
    with pytest.raises(store.DatasetError, match="build-default"):
        lod.read_level("rail", 0, tmp_path)


def test_clip_keeps_only_the_visible_area(low_countries):
    clipped = lod.clip_to_bbox(low_countries["roads"], ROTTERDAM)
    west, south, east, north = ROTTERDAM
    bounds = clipped.total_bounds
    assert bounds[0] >= west and bounds[1] >= south and bounds[2] <= east and bounds[3] <= north
    assert 0 < len(clipped) < len(low_countries["roads"])
    assert set(clipped["kind"]) == {"motorway", "trunk", "primary"}


@pytest.mark.parametrize(
    ("bbox", "level"),
    [(None, 0), (None, 1), ((3.0, 50.5, 8.0, 53.5), 2), ((5.5, 50.5, 8.0, 52.5), 3), ((6.0, 50.8, 7.5, 51.8), 4)],
)
def test_estimate_is_close_to_the_real_page_payload(bbox, level):
    """The budget is only as good as the estimate: compare it with what geo.render really writes."""
    from geo import render

    for layer in ("ports", "rail", "roads"):
        frame = lod.read_level(layer, level)
        if bbox is not None:
            frame = lod.clip_to_bbox(frame, bbox)
        payload = render.layer_payload(frame, layer, lod.decimals_for_level(level))
        actual = len(render.script_json(payload.data).encode())
        assert 0.6 < lod.estimate_bytes(frame, level) / actual < 1.4, (layer, level)


def test_view_follows_the_zoom_within_budget(datasets_dir):
    view = lod.plan_view(["rail", "roads", "ports"], ROTTERDAM, reader=_reader(datasets_dir), budget_bytes=10**9)
    assert view.level == view.requested_level == lod.FULL
    assert view.message is None and not view.coarsened
    assert set(view.frames) == {"rail", "roads", "ports"}
    assert len(view.frames["ports"]) < 100  # clipped to the area
    europe = lod.plan_view(["rail", "roads"], reader=_reader(datasets_dir))
    assert europe.level == 0 and europe.message is None


def test_view_over_budget_falls_back_to_a_coarser_level_and_says_so(datasets_dir):
    reader = _reader(datasets_dir)
    full = lod.plan_view(["roads"], LOW_COUNTRIES, zoom=10, reader=reader, budget_bytes=10**9)
    budget = full.estimated_bytes // 3
    view = lod.plan_view(["roads"], LOW_COUNTRIES, zoom=10, reader=reader, budget_bytes=budget)
    assert view.requested_level == lod.FULL and view.level < lod.FULL and view.coarsened
    assert view.estimated_bytes <= budget
    assert "simplified level" in view.message and "Zoom in" in view.message


def test_view_over_budget_at_every_level_still_answers_and_warns(datasets_dir):
    view = lod.plan_view(["rail", "roads"], LOW_COUNTRIES, zoom=12, reader=_reader(datasets_dir), budget_bytes=1000)
    assert view.level == 0 and view.estimated_bytes > 1000
    assert "over the" in view.message and "fewer layers" in view.message


def test_view_applies_the_callers_selection_before_the_budget(datasets_dir):
    only_nl = lod.plan_view(
        ["roads"],
        LOW_COUNTRIES,
        zoom=10,
        reader=_reader(datasets_dir),
        select=lambda frame, layer: frame[frame["country"] == "NL"],
    )
    assert set(only_nl.frames["roads"]["country"]) == {"NL"}


def test_unknown_layer_is_refused():
    with pytest.raises(schema.SchemaError, match="unknown layer"):
        lod.plan_view(["canals"])


def test_committed_levels_match_the_committed_layers():
    """datasets/<layer>_lod<k>.parquet come from the same build as datasets/<layer>.parquet."""
    for layer in lod.LINE_LAYERS:
        full = store.read_embedded(layer)
        for level in range(lod.FULL):
            frame = lod.read_level(layer, level)
            assert set(frame["retrieved_at"]) == set(full["retrieved_at"])
            # Union levels merge dual carriageways (roads lose up to a third of their km, not more).
            # Only countries with a few km of line (Monaco's roads) may vanish on a coarse grid.
            assert set(frame["country"].dropna()) <= set(full["country"].dropna())
            assert frame["length_km"].sum() == pytest.approx(
                full["length_km"].sum(), rel=0.35 if lod.LEVELS[level].union else 0.05
            )
            assert pd.notna(frame["licence"]).all()
