"""Gauge: the national rule, where a gauge comes from, and what is a break of gauge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import gauge, store


@pytest.mark.parametrize(
    ("country", "expected"),
    [("PL", "1435"), ("UA", "1520"), ("LT", "1520"), ("FI", "1524"), ("ES", "1668"), ("PT", "1668"), ("IE", "1600")],
)
def test_national_gauges(country, expected):
    assert gauge.national_gauge(country) == expected


def test_northern_ireland_takes_irelands_gauge():
    assert gauge.national_gauge("GB") == "1435"
    assert gauge.national_gauge("GB", northern_ireland=True) == "1600"


def test_assign_keeps_osm_values_and_labels_assumptions():
    given = pd.Series(["1000", None, None, " "], dtype="string")
    countries = pd.Series(["CH", "UA", "MA", "ES"], dtype="string")
    values, basis = gauge.assign(given, countries, covered={"CH", "UA", "ES"})
    assert values.tolist() == ["1000", "1520", pd.NA, "1668"]
    assert basis.tolist() == [gauge.FROM_OSM, gauge.ASSUMED, gauge.NOT_COVERED, gauge.ASSUMED]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1435", "1520", True),
        ("1435", "1435", False),
        ("1520", "1524", False),  # Finland and Russia run together
        ("1435;1520", "1520", False),  # dual gauge runs on
        ("1668", "1435", True),
        (None, "1435", None),
        (np.nan, "1520", None),
    ],
)
def test_break_of_gauge(a, b, expected):
    assert gauge.is_break(a, b) is expected


def test_every_embedded_rail_feature_has_a_gauge_and_its_basis():
    rail = store.read_embedded("rail")
    covered = rail["gauge_basis"] == gauge.ASSUMED
    assert covered.mean() > 0.9
    assert rail.loc[covered, "gauge"].notna().all()
    assert rail.loc[~covered, "gauge_basis"].eq(gauge.NOT_COVERED).all()  # North Africa, the Middle East
    by_country = {code: set(group["gauge"]) for code, group in rail[covered].groupby("country")}
    assert by_country["UA"] == {"1520"} and by_country["FI"] == {"1524"} and by_country["ES"] == {"1668"}
    assert by_country["DE"] == {"1435"} and by_country["IE"] == {"1600"}
    # Northern Ireland (GB on the island of Ireland) is 1600, Great Britain 1435.
    great_britain = rail[rail["country"] == "GB"]
    irish = great_britain[great_britain["gauge"] == "1600"]
    assert 100 < irish["length_km"].sum() < 600
    assert (irish.geometry.bounds["maxx"] < -5.3).all()
