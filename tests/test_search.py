"""Port search on the real embedded ports: folded names, LOCODE, id, similar spellings, ranking."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import search, store
from tests.map_support import features


@pytest.fixture(scope="module")
def ports() -> gpd.GeoDataFrame:
    return store.read_embedded("ports")


@pytest.fixture(scope="module")
def index(ports) -> pd.DataFrame:
    return search.search_index(ports)


def test_fold_strips_accents_and_spells_out_letters():
    assert search.fold("Gdańsk") == "gdansk"
    assert search.fold("Świnoujście") == "swinoujscie"
    assert search.fold("Łódź / Øresund  Straße") == "lodz oresund strasse"


@pytest.mark.parametrize(
    ("query", "locode"),
    [("gdansk", "PLGDN"), ("GDAŃSK", "PLGDN"), ("PL GDN", "PLGDN"), ("plgdn", "PLGDN"), ("rotterdam", "NLRTM")],
)
def test_name_and_locode_find_the_port_first(ports, index, query, locode):
    results = search.search_ports(ports, query, index=index)
    assert results and results[0].locode == locode


@pytest.mark.parametrize("query", ["piraeus", "pireas"])
def test_similar_spellings_find_piraeus(ports, index, query):
    assert "GRPIR" in [r.locode for r in search.search_ports(ports, query, limit=3, index=index)]


def test_alternative_names_from_tags_are_searched(ports, index):
    results = search.search_ports(ports, "Durazzo", index=index)  # World Port Index name of Durrës
    assert results[0].locode == "ALDRZ"


def test_feature_id_matches_exactly(ports, index):
    (first, *_) = search.search_ports(ports, "gisco:NLRTM", index=index)
    assert first.id == "gisco:NLRTM" and first.matched == "id"
    assert 3.5 < first.lon < 4.6 and 51.8 < first.lat < 52.0


def test_ranking_puts_exact_before_prefix_before_fuzzy(ports, index):
    results = search.search_ports(ports, "ham", limit=10, index=index)
    assert results[0].name == "Hamburg"  # a prefix match; Hamburg is the largest harbour among them
    assert all(r.score <= results[0].score for r in results)
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_no_match_and_empty_query_give_nothing(ports, index):
    assert search.search_ports(ports, "", index=index) == []
    assert search.search_ports(ports, "zzqqxx", index=index) == []
    assert search.search_ports(ports, "<img src=x onerror=alert(1)>", index=index) == []


def test_small_frame_without_a_prebuilt_index():
    ports = features(
        "ports",
        [shapely.Point(0, 0), shapely.Point(20, 50)],
        name=["Port A", "Kraków Harbour"],
        locode=["AAAAA", "PLKRK"],
        tags=['{"alternate_port_name": "Cracow"}', "not json"],
    )
    assert [r.id for r in search.search_ports(ports, "krakow")] == ["t:1"]
    assert [r.id for r in search.search_ports(ports, "cracow")] == ["t:0"]  # the other name is Port A's
