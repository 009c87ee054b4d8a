"""World Port Index -> ports features, and its merge with GISCO, on the real raw files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo import settings
from geo.sources import gisco_ports, world_port_index


@pytest.fixture(scope="module")
def wpi():
    return world_port_index.load(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def gisco():
    return gisco_ports.load(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def merged(gisco, wpi):
    return world_port_index.merge_with_gisco(gisco, wpi)


def test_every_wpi_number_once(wpi):
    raw = world_port_index.read_raw(settings.SHARED_DATA_DIR)
    assert len(raw) == 1205  # 1,206 records, number 400 listed twice
    assert sorted(wpi["id"]) == sorted("wpi:" + raw["world_port_index_number"].astype(int).astype(str))


def test_zero_depths_and_blank_sizes_become_null(wpi):
    for column in ("channel_depth_m", "cargo_pier_depth_m", "max_vessel_length_m", "max_vessel_draft_m"):
        assert not (wpi[column] == 0).any(), column
        assert wpi[column].notna().any(), column
    assert set(wpi["harbour_size"].dropna()) == {"Large", "Medium", "Small", "Very Small"}
    assert wpi["harbour_size"].isna().sum() == 33 - 1  # 33 blank, one of them the dropped duplicate


def test_wpi_countries_and_locodes(wpi):
    by_id = wpi.set_index("id")
    assert by_id.loc["wpi:44750", ["locode", "country"]].tolist() == ["TRIZM", "TR"]
    assert by_id.loc["wpi:44805", "country"] == "TR"
    assert wpi["country"].notna().all()
    assert by_id.loc["wpi:44804", "country"] == "TR"  # Delta Terminal: no LOCODE, country by name


def test_rotterdam_is_enriched(merged):
    rotterdam = merged.set_index("id").loc["gisco:NLRTM"]
    assert rotterdam["harbour_size"] == "Large"
    assert rotterdam["channel_depth_m"] == 11.0
    assert "World Port Index (NGA)" in rotterdam["attribution"]
    tags = json.loads(rotterdam["tags"])
    assert (tags["wpi:match"], tags["wpi:main_port_name"], tags["wpi:un_locode"]) == ("locode", "Rotterdam", "NL RTM")
    assert tags["CNTR_CODE"] == "NL"  # GISCO tags kept next to WPI's


def test_matching_by_distance_when_locodes_differ(merged):
    ambarli = merged.set_index("id").loc["gisco:TRAMB"]
    tags = json.loads(ambarli["tags"])
    assert (tags["wpi:id"], tags["wpi:match"], tags["wpi:un_locode"]) == ("wpi:43388", "nearest", "TR AMR")
    assert "wpi:43388" not in set(merged["id"])


def test_far_locode_pairs_are_not_matched(merged):
    # WPI's "Ulvik" (NO UVK) lies at 68.6 N, 990 km from GISCO's Ulvik (NOUVK) at 60.6 N: kept apart.
    by_id = merged.set_index("id")
    assert json.loads(by_id.loc["gisco:NOUVK", "tags"]).get("wpi:id") != "wpi:21970"
    assert by_id.loc["wpi:21970", "locode"] == "NOUVK"


def test_merge_keeps_every_port_once(gisco, wpi, merged):
    assert set(gisco["id"]) <= set(merged["id"])
    matched = [json.loads(t)["wpi:id"] for t in merged["tags"] if "wpi:id" in t]
    assert len(matched) == len(set(matched))
    added = set(merged.loc[merged["source"] == "wpi", "id"])
    assert set(matched).isdisjoint(added)
    assert set(matched) | added == set(wpi["id"])


def test_turkish_entry_ports_are_findable(merged):
    turkish = merged[merged["country"] == "TR"]
    assert {"TRIST", "TRIZM", "TRMER", "TRAMB", "TRNEM"} <= set(turkish["locode"].dropna())
    assert turkish.set_index("locode").loc["TRIST", "harbour_size"] == "Large"


def test_no_wpi_attribute_lost_in_the_merge(merged):
    raw = world_port_index.read_raw(settings.SHARED_DATA_DIR).set_index("world_port_index_number")
    enriched = merged[merged["tags"].str.contains('"wpi:id"')]
    assert len(enriched) == 899
    for feature in enriched.itertuples(index=False):
        tags = json.loads(feature.tags)
        record = raw.loc[float(tags["wpi:id"].removeprefix("wpi:"))]
        for field, value in record.drop("geometry").dropna().items():
            column = world_port_index.COLUMN_OF.get(field)
            if column in world_port_index.ENRICHED_COLUMNS:
                kept = getattr(feature, column)
                if pd.isna(kept):
                    assert value == 0 and field in world_port_index.ZERO_MEANS_UNKNOWN, (feature.id, field)
                else:
                    assert kept == value, (feature.id, field)
            else:
                assert tags[f"wpi:{field}"] == value, (feature.id, field)
