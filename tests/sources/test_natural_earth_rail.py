"""Natural Earth railroads -> rail features, on the real raw file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo import settings
from geo.sources import natural_earth_rail


@pytest.fixture(scope="module")
def raw():
    return natural_earth_rail.read_raw(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def rail():
    return natural_earth_rail.load(settings.SHARED_DATA_DIR)


def test_every_raw_line_is_present(raw, rail):
    raw_ids = set(raw["rwdb_rr_id"])
    kept = {json.loads(t)["rwdb_rr_id"] for t in rail["tags"]}
    assert kept == raw_ids
    whole = rail["id"].str.fullmatch(r"ne:rail/\d+")
    split = rail["id"].str.fullmatch(r"ne:rail/\d+/[A-Z]{2}")
    assert (whole | split).all()
    assert split.any()


def test_length_is_geodesic_and_nothing_lost_at_borders(raw, rail):
    geod = Geod(ellps="WGS84")
    expected = sum(geod.geometry_length(g) for g in raw.geometry) / 1000
    assert rail["length_km"].sum() == pytest.approx(expected, rel=1e-3)
    assert 305_000 < expected < 320_000  # SOURCES.md: about 312,000 km
    one = rail.iloc[0]
    assert one["length_km"] == pytest.approx(geod.geometry_length(one.geometry) / 1000, abs=1e-3)


def test_codes_are_decoded(raw, rail):
    assert set(rail["electrified"]) == {"yes", "no", "unknown"}
    assert set(rail["tracks"]) == {"single", "multiple", "unknown"}
    assert (rail["kind"] == "ferry").any()
    for feature in rail.sample(200, random_state=1).itertuples():
        tags = json.loads(feature.tags)
        assert feature.electrified == natural_earth_rail.ELECTRIC[tags["electric"]]
        assert feature.tracks == natural_earth_rail.MULT_TRACK[tags["mult_track"]]
        assert {"category", "scalerank", "continent"} <= set(tags)
    ferries = raw.loc[raw["featurecla"] == "Railroad ferry", "rwdb_rr_id"]
    ferry_ids = {json.loads(t)["rwdb_rr_id"] for t in rail.loc[rail["kind"] == "ferry", "tags"]}
    assert ferry_ids == set(ferries)


def test_countries_of_known_lines(rail):
    near_warsaw = rail[rail.intersects(shapely.Point(21.01, 52.23).buffer(0.05))]
    assert len(near_warsaw) > 0 and set(near_warsaw["country"]) == {"PL"}
    near_basel = rail[rail.intersects(shapely.box(7.5, 47.5, 7.7, 47.65))]
    assert {"CH", "DE", "FR"} <= set(near_basel["country"])
    assert rail["country"].notna().all()


def test_split_parts_stay_in_their_country(rail):
    split = rail[rail["id"].str.count("/") == 2]
    assert (split["id"].str[-2:] == split["country"]).all()
    coords = shapely.get_coordinates(rail.geometry.values)
    assert np.allclose(coords, np.round(coords, 5))


# Lines whose state is documented (see ../shared/data/SOURCES.md), by a point on each: Bergensbanen at
# Finse, Malmbanan at Kiruna, Ofotbanen at Narvik and Dovrebanen at Dombås are electrified; the diesel
# lines Nordlandsbanen (at Grong and Mosjøen) and Rørosbanen (at Røros and Tynset) are not.
KNOWN_LINES = {
    "Bergensbanen at Finse": ((7.503, 60.602), "yes"),
    "Malmbanan at Kiruna": ((20.22, 67.85), "yes"),
    "Ofotbanen at Narvik": ((17.5, 68.43), "yes"),
    "Dovrebanen at Dombås": ((9.12, 62.07), "yes"),
    "Nordlandsbanen at Grong": ((12.31, 64.46), "no"),
    "Nordlandsbanen at Mosjøen": ((13.19, 65.84), "no"),
    "Rørosbanen at Røros": ((11.385, 62.575), "no"),
    "Rørosbanen at Tynset": ((10.78, 62.28), "no"),
}


@pytest.mark.parametrize("line", list(KNOWN_LINES))
def test_electrification_of_lines_whose_state_is_known(rail, line):
    (lon, lat), expected = KNOWN_LINES[line]
    nearest = rail.iloc[rail.sindex.nearest(shapely.Point(lon, lat))[1][0]]
    assert nearest.geometry.distance(shapely.Point(lon, lat)) < 0.05, f"no line near {line}"
    assert nearest["electrified"] == expected, f"{line}: {nearest['id']} is {nearest['electrified']}"
