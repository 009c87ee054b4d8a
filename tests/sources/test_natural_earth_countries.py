"""Natural Earth countries -> the country table, on the real raw file and on a broken copy."""

from __future__ import annotations

import json

import pytest

from geo import settings
from geo.sources import natural_earth_countries


def test_country_table_from_raw():
    table = natural_earth_countries.load_countries(settings.SHARED_DATA_DIR)
    assert list(table.columns) == [*natural_earth_countries.COLUMNS, "geometry"]
    assert len(table) == 63  # 64 rows, Northern Cyprus merged into Cyprus
    assert table["iso2"].tolist() == sorted(table["iso2"])
    codes = table.set_index("iso2")
    assert codes.loc["FR", "iso3"] == "FRA" and codes.loc["NO", "name"] == "Norway"
    assert codes.loc["CY", "name"] == "Cyprus"
    assert table.geometry.is_valid.all()
    assert table.crs.to_epsg() == 4326


def test_unmapped_minus_99_code_is_a_clear_error(tmp_path):
    source = settings.SHARED_DATA_DIR / natural_earth_countries.INPUTS[0]
    data = json.loads(source.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["ADM0_A3"] == "DEU":
            feature["properties"].update(ADM0_A3="XYZ", ISO_A2="-99")
    target = tmp_path / natural_earth_countries.INPUTS[0]
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"without an ISO code mapping: \['XYZ'\]"):
        natural_earth_countries.load_countries(tmp_path)
