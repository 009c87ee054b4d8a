"""Selection: bbox validation, country and bbox filters, layers loaded with stored detail merged."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo import schema, select, store, view
from tests.map_support import features


def _ports(ids, countries, xs) -> gpd.GeoDataFrame:
    return features("ports", [shapely.Point(x, 50.0) for x in xs], id=ids, country=countries)


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((10, 50, 5, 55), "inverted: west"),
        ((5, 55, 10, 50), "inverted: south"),
        ((-200, 50, 10, 55), "longitudes"),
        ((5, -95, 10, 55), "latitudes"),
        ((5, 50, 10), "four numbers"),
        ((5, 50, "x", 55), "four numbers"),
        ((5, 50, float("nan"), 55), "finite"),
    ],
)
def test_bad_bbox_is_refused_with_a_clear_message(bbox, message):
    with pytest.raises(ValueError, match=message):
        select.validate_bbox(bbox)


def test_parse_bbox_reads_w_s_e_n():
    assert select.parse_bbox(" -10, 35.5 ,5,44") == (-10.0, 35.5, 5.0, 44.0)
    with pytest.raises(ValueError, match="W,S,E,N"):
        select.parse_bbox("a,b,c,d")


def test_area_around_a_point_stays_within_valid_degrees():
    assert select.area_around(18.6, 54.4) == pytest.approx((15.6, 52.4, 21.6, 56.4))
    assert select.area_around(179.0, 89.0) == pytest.approx((176.0, 87.0, 180.0, 90.0))


def test_select_by_country_and_bbox():
    ports = _ports(["t:a", "t:b", "t:c", "t:d"], ["PL", "DE", "PL", None], [18.0, 10.0, 14.5, 20.0])
    assert select.select(ports, ["pl"])["id"].tolist() == ["t:a", "t:c"]
    assert select.select(ports, bbox=(14, 49, 19, 51))["id"].tolist() == ["t:a", "t:c"]
    assert select.select(ports, ["PL", "DE"], bbox=(9, 49, 15, 51))["id"].tolist() == ["t:b", "t:c"]
    assert select.select(ports, [])["id"].tolist() == []
    assert len(select.select(ports)) == 4


def test_select_refuses_something_that_is_not_a_country_code():
    ports = _ports(["t:a"], ["PL"], [18.0])
    with pytest.raises(ValueError, match="alpha-2"):
        select.select(ports, ["Poland'; DROP"])


def test_stored_detail_replaces_embedded_features_with_the_same_id():
    embedded = _ports(["t:a", "t:b"], ["PL", "DE"], [18.0, 10.0])
    stored = _ports(["t:b", "t:new"], ["DE", "DE"], [11.0, 12.0])
    merged = select.merge_stored(embedded, stored)
    assert merged["id"].tolist() == ["t:a", "t:b", "t:new"]
    assert merged.set_index("id").geometry["t:b"].x == 11.0
    schema.validate(merged, "ports")
    assert select.merge_stored(embedded, None) is embedded


def test_load_layers_merges_the_store_and_reports_corrupt_files(tmp_path):
    good = _ports(["osm:node/1"], ["PL"], [18.0])
    store.write_area(good, "ports", "overpass", "gdansk", {"retrieved_at": "2026-01-01"}, store_dir=tmp_path)
    corrupt = store.area_path("ports", "overpass", "broken", tmp_path)
    corrupt.write_bytes(b"PAR1 not really parquet")
    loaded = select.load_layers(["ports"], store_dir=tmp_path)
    embedded = store.read_embedded("ports")
    assert len(loaded["ports"]) == len(embedded) + 1
    assert "osm:node/1" in set(loaded["ports"]["id"])
    assert loaded.stored_features == {"ports": 1}
    assert len(loaded.problems) == 1 and "broken" in loaded.problems[0]


def test_load_layers_names_the_build_command_when_a_dataset_is_missing(tmp_path, monkeypatch):
    from geo import settings

    monkeypatch.setattr(settings, "DATASETS_DIR", tmp_path)
    with pytest.raises(store.DatasetError, match="python -m geo build-default"):
        select.load_layers(["rail"], store_dir=tmp_path / "store")


def test_countries_bbox_and_plan_view_on_the_real_data():
    from geo.countries import load_countries

    outlines = load_countries()
    west, south, east, north = select.countries_bbox(outlines, ["PL"])
    assert 13.5 < west < 14.5 and 48.5 < south < 49.5 and 23.5 < east < 24.5 and 54.5 < north < 55.5
    assert select.countries_bbox(outlines, ["ZZ"]) is None
    # Overseas parts are left out: the Netherlands' box is the European Netherlands only.
    nl_west, nl_south, nl_east, nl_north = select.countries_bbox(outlines, ["NL"])
    assert 3.0 < nl_west < 3.6 and 50.6 < nl_south < 50.9 and 7.0 < nl_east < 7.3 and 53.4 < nl_north < 53.7
    fr_west, fr_south, fr_east, _ = select.countries_bbox(outlines, ["FR"])
    assert -5.5 < fr_west < -4.5 and 41.0 < fr_south < 41.5 and 9.4 < fr_east < 9.7
    loaded = select.load_layers()
    planned = view.plan_view(loaded, ["ports", "rail"], ["PL"], (west, south, east, north))
    assert set(planned.frames["rail"]["country"]) == {"PL"}
    assert len(planned.frames["ports"]) == len(select.select(loaded["ports"], ["PL"]))
