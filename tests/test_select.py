"""Selection: country and bbox filters, layers loaded with stored detail merged."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo import schema, select, store
from tests.map_support import features


def _ports(ids, countries, xs) -> gpd.GeoDataFrame:
    return features("ports", [shapely.Point(x, 50.0) for x in xs], id=ids, country=countries)


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
    store.write_area(good, "ports", "overpass", "broken", {"retrieved_at": "2026-01-01"}, store_dir=tmp_path)
    Path(store.area_record("ports", "overpass", "broken", tmp_path)["path"]).write_bytes(b"PAR1 not really parquet")
    loaded = select.load_layers(["ports"], store_dir=tmp_path)
    embedded = store.read_embedded("ports")
    assert len(loaded["ports"]) == len(embedded) + 1
    assert "osm:node/1" in set(loaded["ports"]["id"])
    assert len(loaded.stored["ports"]) == 1
    assert loaded.problems == [
        "stored ports area 'broken' cannot be read (corrupt or truncated); fetch or import it again "
        "(python -m geo fetch / import), or delete it from the store"
    ]


def test_load_layers_names_the_build_command_when_a_dataset_is_missing(tmp_path, monkeypatch):
    from geo import settings

    monkeypatch.setattr(settings, "DATASETS_DIR", tmp_path)
    with pytest.raises(store.DatasetError, match="python -m geo build-default"):
        select.load_layers(["rail"], store_dir=tmp_path / "store")
