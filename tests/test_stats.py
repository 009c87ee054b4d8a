"""Per-country statistics: counts, lengths, electrified share over known length."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import layers, select, stats, store
from geo.layers import layer_names
from tests.map_support import features


def _lines(n: int) -> list:
    return [shapely.LineString([(i, 50), (i + 0.1, 50)]) for i in range(n)]


def _rail() -> gpd.GeoDataFrame:
    return features(
        "rail",
        _lines(5),
        country=["PL", "PL", "PL", "DE", None],
        electrified=["contact_line", "no", None, "yes", "unknown"],
        length_km=[10.0, 30.0, 60.0, 5.0, 1.0],
    )


def _roads() -> gpd.GeoDataFrame:
    return features(
        "roads", _lines(3), kind=["motorway", "motorway_link", "primary"], country="PL", length_km=[100.0, 2.0, 50.0]
    )


def _ports() -> gpd.GeoDataFrame:
    return features("ports", [shapely.Point(18, 54), shapely.Point(19, 54)], country="PL", ten_t_code=[2336, 0])


def test_electrification_classes():
    values = pd.Series(["contact_line", "no", None, "yes", "unknown", "4th_rail", " No "])
    assert layers.electrification(values).tolist() == ["yes", "no", "unknown", "yes", "unknown", "yes", "no"]


def test_country_stats_counts_lengths_and_share():
    table = stats.country_stats({"ports": _ports(), "rail": _rail(), "roads": _roads()})
    pl = table.loc["PL"]
    assert pl["ports"] == 2 and pl["ten_t_ports"] == 1
    assert pl["rail_km"] == 100.0 and pl["rail_electrified_km"] == 10.0 and pl["rail_known_km"] == 40.0
    assert pl["electrified_share"] == pytest.approx(0.25)  # 10 of the 40 known km, not of 100
    assert pl["road_motorway_km"] == 102.0 and pl["road_primary_km"] == 50.0 and pl["road_km"] == 152.0
    assert table.loc["DE", "electrified_share"] == 1.0
    assert math.isnan(table.loc[stats.NO_COUNTRY, "electrified_share"])
    assert table.loc[stats.TOTAL, "rail_km"] == 106.0
    assert table.loc[stats.TOTAL, "electrified_share"] == pytest.approx(15.0 / 45.0)


def test_rail_ferries_are_counted_apart_from_railway_length():
    rail = _rail()
    rail.loc[2, "kind"] = "ferry"  # the 60 km line of unknown electrification
    pl = stats.country_stats({"rail": rail}).loc["PL"]
    assert pl["rail_km"] == 40.0 and pl["rail_ferry_km"] == 60.0
    assert pl["rail_known_km"] == 40.0


def test_the_headline_gives_a_share_only_when_enough_length_is_known():
    known = stats.electrification_headline(
        pd.Series({"rail_km": 100.0, "rail_known_km": 80.0, "rail_electrified_km": 20.0})
    )
    assert known.value == "25%" and known.caption is None and "80 km" in known.help
    sparse = stats.electrification_headline(
        pd.Series({"rail_km": 24_741.0, "rail_known_km": 34.0, "rail_electrified_km": 34.0})
    )
    assert sparse.value == "34 km known" and "%" not in sparse.value
    assert "no share is given" in sparse.caption and "24,741 km" in sparse.caption
    assert stats.electrification_headline(pd.Series({"rail_km": 0.0})).value == "no rail"
    none = stats.electrification_headline(pd.Series({"rail_km": 10.0, "rail_known_km": 0.0}))
    assert none.value == "unknown"


def test_real_denmark_rail_total_leaves_out_its_ferries():
    rail = store.read_embedded("rail")
    denmark = rail[rail["country"] == "DK"]
    ferries = denmark["kind"] == "ferry"
    assert ferries.any(), "Danish rail ferries are in Natural Earth"
    table = stats.country_stats({"rail": denmark})
    assert table.loc["DK", "rail_km"] == pytest.approx(float(denmark.loc[~ferries, "length_km"].sum()))
    assert table.loc["DK", "rail_ferry_km"] == pytest.approx(float(denmark.loc[ferries, "length_km"].sum()))
    assert table.loc["DK", "rail_ferry_km"] > 100


def test_real_poland_headline_is_not_a_misleading_share():
    rail = store.read_embedded("rail")
    total = stats.country_stats({"rail": rail[rail["country"] == "PL"]}).loc[stats.TOTAL]
    headline = stats.electrification_headline(total)
    assert total["rail_known_km"] < 0.5 * total["rail_km"]
    assert headline.value.endswith("km known") and headline.caption


def test_statistics_carry_the_natural_earth_caveat():
    rail = store.read_embedded("rail")
    (caveat,) = stats.caveats({"rail": rail.head(10), "ports": None})
    assert "older state of the network" in caveat


def test_requested_countries_without_features_get_zero_rows():
    table = stats.country_stats({"ports": _ports()}, countries=["PL", "CZ"])
    assert table.loc["CZ", "ports"] == 0 and table.loc["PL", "ports"] == 2
    assert "rail_km" not in table.columns


def test_real_data_selection_changes_the_numbers():
    loaded = select.load_layers()
    frames = {layer: select.select(loaded[layer], ["PL"]) for layer in layer_names()}
    poland = stats.country_stats(frames, countries=["PL"])
    europe = stats.country_stats(loaded.frames)
    assert list(poland.index) == ["PL", stats.TOTAL]
    assert 0 < poland.loc[stats.TOTAL, "rail_km"] < europe.loc[stats.TOTAL, "rail_km"]
    assert poland.loc["PL", "ports"] == len(frames["ports"])
    track = frames["rail"]["kind"] != "ferry"
    assert poland.loc["PL", "rail_km"] == pytest.approx(float(frames["rail"].loc[track, "length_km"].sum()))
