"""geo.countries: ISO mapping, resolving user text, splitting lines at borders."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import countries, schema, settings, store
from geo.sources import natural_earth_countries


@pytest.fixture(scope="module")
def table() -> gpd.GeoDataFrame:
    return countries.load_countries()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("FR", "FR"),
        ("fra", "FR"),
        ("France", "FR"),
        ("NO", "NO"),
        ("Norway", "NO"),
        ("EL", "GR"),
        ("el", "GR"),
        ("GRC", "GR"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("XK", "XK"),
        ("kosovo", "XK"),
        ("  czech   republic ", "CZ"),
        ("Czechia", "CZ"),
        ("Türkiye", "TR"),
        ("turkey", "TR"),
        ("Bosnia and Herzegovina", "BA"),
    ],
)
def test_resolve_country(text, code):
    assert countries.resolve_country(text) == code


def test_unknown_country_is_a_clear_value_error_with_suggestions():
    with pytest.raises(countries.UnknownCountryError, match=r"unknown country 'Germny'.*did you mean 'Germany'"):
        countries.resolve_country("Germny")
    with pytest.raises(ValueError, match="ISO code"):
        countries.resolve_country("ZZ")


def test_table_has_iso_codes_for_natural_earth_minus_99(table):
    codes = dict(zip(table["iso2"], table["iso3"], strict=True))
    assert codes["FR"] == "FRA" and codes["NO"] == "NOR" and codes["XK"] == "XKX" and codes["GR"] == "GRC"
    assert table["iso2"].is_unique
    assert table["iso2"].str.match(schema.COUNTRY_PATTERN).all()
    assert "EL" not in codes and "UK" not in codes
    europe = set(table.loc[table["europe"], "iso2"])
    assert {"TR", "CY", "GE", "UA", "NO", "GB", "DE"} <= europe
    assert not {"DZ", "SY", "IR", "GL"} & europe


def test_northern_cyprus_is_merged_into_cyprus(table):
    cyprus = table.set_index("iso2").geometry["CY"]
    assert cyprus.contains(shapely.Point(33.9, 35.3))  # Famagusta district, in N. Cyprus
    assert cyprus.contains(shapely.Point(33.0, 34.7))  # Limassol


def test_table_matches_source_module(table):
    built = natural_earth_countries.load_countries(settings.SHARED_DATA_DIR)
    assert built["iso2"].tolist() == table["iso2"].tolist()


def test_missing_or_corrupt_country_table_is_a_dataset_error(tmp_path):
    with pytest.raises(store.DatasetError, match="build-default"):
        countries.load_countries(tmp_path / "countries.parquet")
    (tmp_path / "countries.parquet").write_bytes(b"garbage")
    with pytest.raises(store.DatasetError, match="unreadable"):
        countries.load_countries(tmp_path / "countries.parquet")


def test_split_lines_cuts_at_borders_and_keeps_km(table):
    # Frankfurt (Oder) -> Poznan crosses DE -> PL; a Warsaw line stays whole; a line at sea gets the nearest.
    lines = gpd.GeoDataFrame(
        {"name": ["cross", "warsaw", "sea"]},
        geometry=[
            shapely.LineString([(14.3, 52.35), (16.9, 52.4)]),
            shapely.LineString([(20.9, 52.2), (21.1, 52.25)]),
            shapely.LineString([(3.0, 54.0), (3.1, 54.05)]),  # North Sea, off the Netherlands
        ],
        crs=schema.CRS,
    )
    parts = countries.split_lines_by_country(lines, table)
    assert parts[["name", "country"]].values.tolist() == [
        ["cross", "DE"],
        ["cross", "PL"],
        ["warsaw", "PL"],
        ["sea", "NL"],
    ]
    assert parts["split"].tolist() == [True, True, False, False]
    cross = parts[parts["name"] == "cross"].geometry.values
    assert shapely.length(cross).sum() == pytest.approx(shapely.length(lines.geometry.iloc[0]), rel=1e-6)
    assert parts.loc[parts["country"] == "PL"].geometry.iloc[0].intersects(shapely.Point(16.9, 52.4).buffer(1e-6))


def test_nearest_country_of_offshore_point(table):
    points = gpd.GeoSeries([shapely.Point(4.0, 51.95), shapely.Point(21.0, 52.2)], crs=schema.CRS, index=[7, 9])
    result = countries.nearest_country(points, table)
    assert result.to_dict() == {7: "NL", 9: "PL"}
    assert isinstance(result.dtype, pd.StringDtype)


def test_nearest_country_breaks_ties_by_code(table):
    # A line along the Oder crosses into both Germany and Poland: both are at distance 0.
    line = gpd.GeoSeries([shapely.LineString([(14.3, 52.35), (16.9, 52.4)])], crs=schema.CRS)
    assert countries.nearest_country(line, table).tolist() == ["DE"]
    assert countries.nearest_country(line, table.iloc[::-1]).tolist() == ["DE"]
