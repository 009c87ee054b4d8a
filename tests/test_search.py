"""Search on the real embedded ports and GeoNames places: match strength, ranking and what a query decides."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geo import search, settings, store
from tests.map_support import features


@pytest.fixture(scope="module")
def ports() -> pd.DataFrame:
    return store.read_embedded("ports")


@pytest.fixture(scope="module")
def index(ports) -> search.SearchIndex:
    built = search.default_index(ports)
    assert not built.notes
    return built


@pytest.mark.parametrize(
    ("query", "locode"),
    [("gdansk", "PLGDN"), ("GDAŃSK", "PLGDN"), ("PL GDN", "PLGDN"), ("plgdn", "PLGDN"), ("rotterdam", "NLRTM")],
)
def test_a_port_and_its_town_are_one_answer_and_the_port_is_chosen(index, query, locode):
    decision = search.decide(index, query)
    assert decision.outcome == "answer"
    assert decision.answer.kind == "port" and decision.answer.locode == locode
    assert decision.results[0] == decision.answer


def test_gdansk_finds_the_port_and_the_town(index):
    decision = search.decide(index, "gdansk")
    kinds = {(r.kind, r.name, r.strength) for r in decision.results}
    assert {("port", "Gdańsk", "strong"), ("place", "Gdańsk", "strong")} <= kinds


def test_athina_is_athens_and_never_dublin(index):
    decision = search.decide(index, "Athina")
    assert decision.outcome == "answer"
    athens = decision.answer
    assert (athens.kind, athens.name, athens.country, athens.id) == ("place", "Athens", "GR", "geonames:264371")
    assert athens.strength == "strong" and athens.matched == "exact other name (athina)"
    assert 23.7 < athens.lon < 23.8 and 37.9 < athens.lat < 38.0
    assert athens.population > 600_000 and athens.locode is None
    assert not [r for r in search.search(index, "Athina", limit=50) if r.name == "Dublin" and r.strength != "weak"]


@pytest.mark.parametrize(
    ("query", "name", "country"),
    [("Wien", "Vienna", "AT"), ("Warsaw", "Warsaw", "PL"), ("Lviv", "Lviv", "UA"), ("Danzig", "Gdańsk", "PL")],
)
def test_places_are_found_by_any_name(index, query, name, country):
    answer = search.decide(index, query).answer
    assert (answer.name, answer.country) == (name, country)


def test_locode_is_a_single_clear_port_answer(index):
    decision = search.decide(index, "NLRTM")
    assert decision.outcome == "answer" and len(decision.results) == 1
    assert (decision.answer.id, decision.answer.matched) == ("gisco:NLRTM", "UN/LOCODE")


@pytest.mark.parametrize(("query", "intended"), [("Warsw", "Warsaw"), ("Athnes", "Athens"), ("Rotterdan", "Rotterdam")])
def test_a_misspelling_offers_choices_and_selects_nothing(index, query, intended):
    decision = search.decide(index, query)
    assert decision.outcome == "choices" and decision.answer is None
    assert intended in [r.name for r in decision.results]
    assert "No exact match" in decision.message


@pytest.mark.parametrize("query", ["Athnes", "Warsw", "pireas port", "Hamburgg", "Brusels", "Gdnask", "ham"])
def test_weak_and_weaker_matches_are_never_selected(index, query):
    decision = search.decide(index, query)
    assert decision.results and decision.results[0].strength in ("weak", "weaker")
    assert decision.outcome == "choices" and decision.answer is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Frankfurt", {("Frankfurt am Main", "DE"), ("Frankfurt (Oder)", "DE")}),
        ("Newport", {("Newport", "GB")}),
        ("Bergen", {("Bergen", "NO"), ("Bergen", "NL")}),
    ],
)
def test_strong_matches_in_different_places_are_choices(index, query, expected):
    decision = search.decide(index, query)
    assert decision.outcome == "choices" and decision.answer is None
    strong = [r for r in decision.results if r.strength == "strong"]
    assert expected <= {(r.name, r.country) for r in strong}
    assert len({(round(r.lon), round(r.lat)) for r in strong}) > 1
    assert "equally well" in decision.message


def test_a_town_own_name_is_ahead_of_another_town_other_name(index):
    decision = search.decide(index, "Vienne")  # the French town; also the French name of Vienna
    assert (decision.answer.name, decision.answer.country) == ("Vienne", "FR")
    assert "Vienna" in [r.name for r in decision.results]


def test_unknown_text_is_no_match(index):
    for query in ("zzqqxx", "<img src=x onerror=alert(1)>", "[x](https://e.org)", "((("):
        decision = search.decide(index, query)
        assert decision.outcome == "none" and decision.results == () and decision.answer is None
        assert decision.message.startswith("Nothing matches")


def test_other_scripts_are_told_to_use_latin_letters(index):
    decision = search.decide(index, "Αθήνα")
    assert decision.outcome == "none" and "Latin letters (e.g. Athina" in decision.message
    assert search.decide(index, "Athína").answer.name == "Athens"  # accents are fine


def test_empty_and_overlong_queries_are_refused_with_one_sentence(index):
    for query in ("", "   "):
        with pytest.raises(search.SearchError, match=r"^Type a port, a place or a UN/LOCODE"):
            search.decide(index, query)
    with pytest.raises(search.SearchError, match="at most 120 characters"):
        search.decide(index, "a" * 121)


def test_similar_spellings_find_piraeus(index):
    for query in ("piraeus", "pireas"):
        assert "GRPIR" in [r.locode for r in search.search(index, query, limit=3)]


def test_alternative_names_from_port_tags_are_searched(index):
    decision = search.decide(index, "Durazzo")  # World Port Index name of Durrës
    assert decision.answer.locode == "ALDRZ"


def test_feature_ids_match_exactly(index):
    (first, *_) = search.search(index, "gisco:NLRTM")
    assert first.id == "gisco:NLRTM" and first.matched == "feature id"
    assert 3.5 < first.lon < 4.6 and 51.8 < first.lat < 52.0
    assert search.decide(index, "geonames:264371").answer.name == "Athens"


def test_ranking_puts_exact_before_prefix_before_similar(index):
    results = search.search(index, "ham", limit=10)
    assert results[0].name == "Hamburg"  # a prefix match; the most populous among them
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    strengths = [r.strength for r in search.search(index, "Rotterdam", limit=20)]
    order = {"strong": 0, "weaker": 1, "weak": 2}
    assert [order[s] for s in strengths] == sorted(order[s] for s in strengths) and "weak" in strengths


def test_results_say_kind_locode_or_population_and_why(index):
    decision = search.decide(index, "gdansk")
    port, place = decision.results[0], next(r for r in decision.results if r.kind == "place")
    assert port.label() == "Gdańsk (PL) · port · PLGDN"
    assert place.population and f"population {place.population:,}" in place.line()
    assert place.line().startswith("place  Gdańsk (PL)") and "strong: exact name" in place.line()
    as_dict = decision.to_dict()
    assert as_dict["decision"] == "answer" and as_dict["answer"]["locode"] == "PLGDN"
    assert {r["kind"] for r in as_dict["results"]} == {"port", "place"}


def test_without_places_the_ports_are_still_searched_and_the_problem_is_noted(ports, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DATASETS_DIR", tmp_path)
    index = search.default_index(ports)
    assert index.notes and "build-default" in index.notes[0]
    assert search.decide(index, "gdansk").answer.locode == "PLGDN"
    assert search.decide(index, "Athina").outcome != "answer"


def test_corrupt_places_file_is_a_dataset_error(tmp_path):
    (tmp_path / "places.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(store.DatasetError, match="unreadable"):
        search.load_places(tmp_path / "places.parquet")


def test_small_frame_without_places():
    ports = features(
        "ports",
        [shapely.Point(0, 0), shapely.Point(20, 50)],
        name=["Port A", "Kraków Harbour"],
        locode=["AAAAA", "PLKRK"],
        tags=['{"alternate_port_name": "Cracow"}', "not json"],
    )
    index = search.build_index(ports)
    assert [r.id for r in search.search(index, "krakow")] == ["t:1"]
    assert [r.id for r in search.search(index, "cracow")] == ["t:0"]  # the other name is Port A's
    assert search.decide(index, "cracow").answer.matched == "exact other name (cracow)"


def test_border_crossings_are_found_by_id_and_by_name():
    crossings = store.read_embedded("crossings")
    index = search.default_index(store.read_embedded("ports"), crossings)
    decision = search.decide(index, "crossing:rail/PL-UA/1")
    assert decision.outcome == "answer" and decision.answer.kind == "crossing"
    assert decision.answer.detail() == "crossing:rail/PL-UA/1"
    found = search.search(index, "PL–UA rail crossing", limit=50)
    assert any(result.kind == "crossing" and result.id.startswith("crossing:rail/PL-UA/") for result in found)
