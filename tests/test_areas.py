"""geo.areas: the one bbox parser and validator, country codes, and the boxes of countries and search results."""

from __future__ import annotations

import pytest

from geo import areas
from geo.countries import load_countries
from geo.errors import InputError


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((10, 50, 5, 55), "inverted: west"),
        ((5, 55, 10, 50), "inverted: south"),
        ((5, 50, 10, 50), "inverted: south"),  # empty
        ((-200, 50, 10, 55), "longitudes"),
        ((5, -95, 10, 55), "latitudes"),
        ((5, 50, 10), "four numbers"),
        ((5, 50, "x", 55), "four numbers"),
        ((5, 50, float("nan"), 55), "finite"),
    ],
)
def test_bad_bbox_is_refused_with_a_clear_message(bbox, message):
    with pytest.raises(InputError, match=message):
        areas.validate_bbox(bbox)


def test_parse_bbox_reads_w_s_e_n():
    assert areas.parse_bbox(" -10, 35.5 ,5,44") == (-10.0, 35.5, 5.0, 44.0)
    assert areas.parse_bbox("1e1,35,2E1,44") == (10.0, 35.0, 20.0, 44.0)
    assert areas.parse_bbox((15.3, 47.9, 16.0, 48.4)) == (15.3, 47.9, 16.0, 48.4)
    with pytest.raises(ValueError, match="W,S,E,N"):  # an InputError is a ValueError for older callers
        areas.parse_bbox("a,b,c,d")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1_0,35,20,44", "four numbers"),  # float() alone would read "1_0" as 10
        ("10,35,20,4_4", "four numbers"),
        ("١٠,35,20,44", "four numbers"),  # Arabic-Indic digits, also taken by float()
        ('15,48,16,49"];out;', "four numbers"),
        ("15,48,16,nan", "finite"),
        ("15,48,16", "four numbers"),
        ("", "four numbers"),
    ],
)
def test_parse_bbox_takes_only_plain_decimal_numbers(text, message):
    with pytest.raises(InputError, match=message):
        areas.parse_bbox(text)


def test_area_size_limit():
    areas.check_area_size((0.0, 40.0, 5.0, 45.0), limit_deg2=25.0)
    with pytest.raises(InputError, match=r"area too large: 25\.1 square degrees, the limit is 25;"):
        areas.check_area_size((0.0, 40.0, 5.02, 45.0), limit_deg2=25.0)


def test_normalise_countries():
    assert areas.normalise_countries([" pl", "DE", "pl"]) == ["PL", "DE"]
    with pytest.raises(InputError, match="alpha-2"):
        areas.normalise_countries(["Poland'; DROP"])


def test_area_around_a_point_stays_within_valid_degrees():
    assert areas.area_around(18.6, 54.4) == pytest.approx((15.6, 52.4, 21.6, 56.4))
    assert areas.area_around(179.0, 89.0) == pytest.approx((176.0, 87.0, 180.0, 90.0))


def test_countries_bbox_on_the_real_outlines():
    outlines = load_countries()
    west, south, east, north = areas.countries_bbox(outlines, ["PL"])
    assert 13.5 < west < 14.5 and 48.5 < south < 49.5 and 23.5 < east < 24.5 and 54.5 < north < 55.5
    assert areas.countries_bbox(outlines, ["ZZ"]) is None
    assert areas.countries_bbox(outlines, ["US"]) is None  # no part of it in Europe's bounds
    # Overseas parts are left out: the Netherlands' box is the European Netherlands only.
    nl_west, nl_south, nl_east, nl_north = areas.countries_bbox(outlines, ["NL"])
    assert 3.0 < nl_west < 3.6 and 50.6 < nl_south < 50.9 and 7.0 < nl_east < 7.3 and 53.4 < nl_north < 53.7
    fr_west, fr_south, fr_east, _ = areas.countries_bbox(outlines, ["FR"])
    assert -5.5 < fr_west < -4.5 and 41.0 < fr_south < 41.5 and 9.4 < fr_east < 9.7
