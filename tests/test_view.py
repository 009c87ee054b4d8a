"""Planning a view: the level that follows the zoom, the page budget, clipping, and the size estimate."""

from __future__ import annotations

import pytest
import shapely

from geo import areas, levels, render, select, stats, store, usecases, view, wire
from geo.countries import load_countries
from geo.errors import UnknownLayerError
from tests.levels_support import LOW_COUNTRIES, ROTTERDAM, _reader
from tests.map_support import features


def test_zoom_classes():
    assert [view.level_for_zoom(z) for z in (0, 4, 4.5, 5, 6, 7, 8, 9, 10, 14)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert levels.FULL == 4
    # Each level's grid is about one pixel at its highest zoom: never coarser than 1.2 px.
    for level in levels.LEVELS:
        pixel_deg = 360 / (256 * 2**level.max_zoom)
        assert 0.5 * pixel_deg < level.grid_deg < 1.2 * pixel_deg


def test_zoom_for_bbox_matches_fitbounds():
    # Europe in a 1400 x 800 px map: zoom 4 (796 x 790 px); zoom 5 would need 1592 x 1579 px.
    assert view.zoom_for_bbox((-25, 34, 45, 72), 1400, 800) == 4
    assert view.zoom_for_bbox((-25, 34, 45, 72), 1600, 1570) == 4
    assert view.zoom_for_bbox((-25, 34, 45, 72), 1600, 1590) == 5
    assert view.level_for_zoom(view.zoom_for_bbox((-25, 34, 45, 72))) == 0
    # Rotterdam's port area at the same size is a street-level view: full detail.
    assert view.zoom_for_bbox(ROTTERDAM, 1400, 800) == 11
    assert view.level_for_zoom(view.zoom_for_bbox(ROTTERDAM)) == levels.FULL


@pytest.mark.parametrize("bbox", [(5, 50, 4, 52), (4, 52, 5, 51), (4, 51, 5, float("nan")), (-200, 0, 0, 10)])
def test_bad_bbox_is_a_clear_error(bbox):
    with pytest.raises(ValueError, match="bbox"):
        view.zoom_for_bbox(bbox)


def test_clip_keeps_only_the_visible_area(low_countries):
    clipped = view.clip_to_bbox(low_countries["roads"], ROTTERDAM)
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

    for layer in ("ports", "rail", "roads"):
        frame = levels.read_level(layer, level)
        if bbox is not None:
            frame = view.clip_to_bbox(frame, bbox)
        payload = render.layer_payload(frame, layer, levels.decimals_for_level(level))
        actual = len(wire.script_json(payload.data).encode())
        assert 0.6 < view.estimate_bytes(frame, level) / actual < 1.4, (layer, level)


def test_view_follows_the_zoom_within_budget(datasets_dir):
    planned = view.plan_levels(["rail", "roads", "ports"], ROTTERDAM, reader=_reader(datasets_dir), budget_bytes=10**9)
    assert planned.level == planned.requested_level == levels.FULL
    assert planned.message is None and not planned.coarsened
    assert set(planned.frames) == {"rail", "roads", "ports"}
    assert len(planned.frames["ports"]) < 100  # clipped to the area
    europe = view.plan_levels(["rail", "roads"], reader=_reader(datasets_dir))
    assert europe.level == 0 and europe.message is None


def test_view_over_budget_falls_back_to_a_coarser_level_and_says_so(datasets_dir):
    reader = _reader(datasets_dir)
    full = view.plan_levels(["roads"], LOW_COUNTRIES, zoom=10, reader=reader, budget_bytes=10**9)
    budget = full.estimated_bytes // 3
    planned = view.plan_levels(["roads"], LOW_COUNTRIES, zoom=10, reader=reader, budget_bytes=budget)
    assert planned.requested_level == levels.FULL and planned.level < levels.FULL and planned.coarsened
    assert planned.estimated_bytes <= budget
    assert "simplified level" in planned.message and "Zoom in" in planned.message


def test_view_over_budget_at_every_level_still_answers_and_warns(datasets_dir):
    planned = view.plan_levels(
        ["rail", "roads"], LOW_COUNTRIES, zoom=12, reader=_reader(datasets_dir), budget_bytes=1000
    )
    assert planned.level == 0 and planned.estimated_bytes > 1000
    assert "over the" in planned.message and "fewer layers" in planned.message


def test_view_applies_the_callers_selection_before_the_budget(datasets_dir):
    only_nl = view.plan_levels(
        ["roads"],
        LOW_COUNTRIES,
        zoom=10,
        reader=_reader(datasets_dir),
        select=lambda frame, layer: frame[frame["country"] == "NL"],
    )
    assert set(only_nl.frames["roads"]["country"]) == {"NL"}


def test_unknown_layer_is_refused():
    with pytest.raises(UnknownLayerError, match="unknown layer"):
        view.plan_levels(["canals"])


def test_stored_line_detail_is_drawn_over_every_level(tmp_path):
    rail = features(
        "rail",
        [shapely.LineString([(15.6, 48.2), (15.7, 48.25)])],
        id=["osm:way/7"],
        country="AT",
        electrified="contact_line",
        length_km=9.0,
    )
    store.write_area(rail, "rail", "overpass", "st-poelten", {"retrieved_at": "2026-01-01"}, store_dir=tmp_path)
    loaded = select.load_layers(["rail"], store_dir=tmp_path)
    europe = view.plan_view(loaded, ["rail"])  # the coarsest level of all of Europe
    assert europe.level == 0
    assert "osm:way/7" in set(europe.frames["rail"]["id"])
    assert europe.frames["rail"]["id"].str.startswith("lod0:").sum() == len(europe.frames["rail"]) - 1


@pytest.mark.parametrize(
    ("country", "outlying"),
    [
        ("GR", []),
        ("ES", ["gisco:ESCEU", "gisco:ESMLN"]),
        ("FI", ["gisco:FIMHQ", "gisco:FIECK"]),
        ("NO", ["gisco:NOVAO"]),
        ("IT", ["gisco:ITLMP"]),
    ],
)
def test_the_map_draws_every_port_the_statistics_count(country, outlying):
    """Filtering by country never drops coastal, island or exclave ports that the statistics and exports count."""
    from geo.countries import load_countries

    loaded = select.load_layers()
    request = usecases.map_request(loaded, ["ports", "rail"], [country], outlines=load_countries())
    selected = select.select(loaded["ports"], [country])
    counted = stats.country_stats({"ports": selected}).loc[country, "ports"]
    assert len(request.frames["ports"]) == len(selected) == counted
    assert set(outlying) <= set(request.frames["ports"]["id"])


def test_plan_view_narrows_to_the_countries_on_the_real_data():
    box = areas.countries_bbox(load_countries(), ["PL"])
    loaded = select.load_layers()
    planned = view.plan_view(loaded, ["ports", "rail"], ["PL"], box)
    assert set(planned.frames["rail"]["country"]) == {"PL"}
    assert len(planned.frames["ports"]) == len(select.select(loaded["ports"], ["PL"]))
