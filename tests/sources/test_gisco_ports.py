"""GISCO Ports 2013 -> ports features, on the real raw file."""

from __future__ import annotations

import json

import pytest
import shapely

from geo import settings
from geo.sources import gisco_ports


@pytest.fixture(scope="module")
def raw():
    return gisco_ports.read_raw(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def ports():
    return gisco_ports.load(settings.SHARED_DATA_DIR, retrieved_at="2026-01-01T00:00:00Z")


def test_every_gisco_port_once_with_its_id(raw, ports):
    assert len(raw) == 2211
    assert ports["id"].tolist() == ("gisco:" + raw["PORT_ID"]).tolist()
    assert ports["retrieved_at"].eq("2026-01-01T00:00:00Z").all()
    assert ports["source"].eq("gisco").all()


def test_eu_country_codes_become_iso(raw, ports):
    assert "UK" in set(raw["CNTR_CODE"])  # this edition uses GR for Greece, UK for the United Kingdom
    assert not ports["country"].isin(["EL", "UK"]).any()
    by_id = ports.set_index("id")
    assert by_id.loc["gisco:GRPIR", "country"] == "GR"
    assert by_id.loc["gisco:GBFXT", "country"] == "GB"
    assert (ports["country"] == "GB").sum() == (raw["CNTR_CODE"] == "UK").sum()


def test_locode_only_where_port_id_is_a_locode(ports):
    by_id = ports.set_index("id")
    assert by_id.loc["gisco:NLRTM", "locode"] == "NLRTM"
    assert by_id.loc["gisco:GB114"].isna()["locode"]
    assert ports["locode"].isna().sum() == 30


def test_codes_and_no_raw_attribute_lost(raw, ports):
    by_id = ports.set_index("id")
    rotterdam = by_id.loc["gisco:NLRTM"]
    assert (rotterdam["ten_t_code"], rotterdam["port_hierarchy"], rotterdam["nuts"]) == (2683, 1, "NL339")
    mapped = {"PORT_ID": "locode", "PORT_NAME": "name", "TEN_CODE": "ten_t_code", "PORT_HIER_CODE": "port_hierarchy"}
    mapped |= {"NUTS_CODE": "nuts", "geometry": "geometry"}
    for row, feature in zip(raw.itertuples(index=False), ports.itertuples(index=False), strict=True):
        tags = json.loads(feature.tags)
        for field in raw.columns:
            value = getattr(row, field)
            if field in mapped or value is None or value != value:  # NaN
                continue
            assert tags[field] == value, (feature.id, field)
    tags = json.loads(rotterdam["tags"])
    assert tags["coordinate_reliability"] == gisco_ports.COORDINATE_RELIABILITY[tags["PORT_COOR_RELI_CODE"]]


def test_names_fall_back_and_coordinates_stay_put(raw, ports):
    assert ports["name"].notna().all()
    moved = shapely.distance(ports.geometry.values, raw.geometry.values)
    assert moved.max() < 1e-5  # rounding to 5 decimals only
