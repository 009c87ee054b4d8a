"""Rail routes on the embedded network: the issue's cases, the options, bad input, the explanation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo import policies, route, search

BRENNER_PASS = (11.507, 47.003)  # lon, lat


def _plan(origin: str, destination: str, **options) -> route.Route:
    return route.plan(
        route.resolve(origin), route.resolve(destination, role="destination"), route.make_options(**options)
    )


@pytest.fixture(scope="module")
def rotterdam_warsaw() -> route.Route:
    return _plan("NLRTM", "Warsaw")


def test_rotterdam_to_warsaw_runs_through_nl_de_pl_for_about_1230_km(rotterdam_warsaw):
    explanation = rotterdam_warsaw.explanation
    assert explanation["countries"] == ["NL", "DE", "PL"]
    assert explanation["length_km"] == pytest.approx(1230, rel=0.10)
    assert sum(entry["km"] for entry in explanation["by_country"]) == pytest.approx(explanation["length_km"], abs=1)
    assert [(b["from_country"], b["to_country"]) for b in explanation["crossings"]] == [("NL", "DE"), ("DE", "PL")]
    assert all(b["id"] and b["id"].startswith("crossing:rail/") for b in explanation["crossings"])
    assert explanation["gauge_breaks"] == []
    assert explanation["origin"]["locode"] == "NLRTM" and explanation["origin"]["track_km"] < 5


def test_the_stretches_are_continuous_and_add_up(rotterdam_warsaw):
    stretches = rotterdam_warsaw.stretches
    ends = [shapely.get_point(g, -1) for g in stretches.geometry]
    starts = [shapely.get_point(g, 0) for g in stretches.geometry]
    gaps = [a.distance(b) for a, b in zip(ends[:-1], starts[1:], strict=True)]
    assert max(gaps) < 0.001  # degrees: consecutive stretches meet (nodes are snapped within 50 m)
    assert stretches["step"].tolist() == list(range(1, len(stretches) + 1))
    assert stretches["from_km"].iloc[-1] + stretches["length_km"].iloc[-1] == pytest.approx(
        rotterdam_warsaw.explanation["length_km"], abs=0.2
    )
    assert set(stretches["source"]) == {"natural_earth"}


def test_genoa_to_munich_crosses_the_alps():
    found = _plan("Genoa", "Munich")
    latitudes = np.concatenate([shapely.get_coordinates(g)[:, 1] for g in found.stretches.geometry])
    assert latitudes.min() < 44.6 and latitudes.max() > 48.0
    assert found.explanation["countries"][0] == "IT" and found.explanation["countries"][-1] == "DE"
    assert {"AT", "CH"} & set(found.explanation["countries"])  # over the main chain of the Alps


def test_genoa_to_munich_avoiding_switzerland_goes_through_austria_over_the_brenner():
    found = _plan("Genoa", "Munich", avoid_countries=["CH"])
    explanation = found.explanation
    assert "CH" not in explanation["countries"] and "AT" in explanation["countries"]
    (into_austria,) = [b for b in explanation["crossings"] if (b["from_country"], b["to_country"]) == ("IT", "AT")]
    km = search.distance_km(np.array([into_austria["lon"]]), np.array([into_austria["lat"]]), *BRENNER_PASS)[0]
    assert km < 10
    assert explanation["options"] == ["avoid CH"]


def test_gdansk_to_lviv_shows_the_pl_ua_crossing_and_its_break_of_gauge():
    explanation = _plan("Gdansk", "Lviv").explanation
    (border,) = explanation["crossings"]
    assert (border["from_country"], border["to_country"]) == ("PL", "UA")
    assert border["id"].startswith("crossing:rail/PL-UA/") and border["name"].startswith("PL–UA rail crossing")
    (broken,) = explanation["gauge_breaks"]
    assert (broken["gauge_from"], broken["gauge_to"]) == ("1435", "1520")
    assert broken["crossing_id"] == border["id"] and broken["km_from_start"] == border["km_from_start"]
    assert broken["gauge_basis"] == "assumed from the national network"


@pytest.mark.parametrize(
    ("port", "words"),
    [("MTMLA", ["no railway in MT", "km from the nearest railway"]), ("Palermo", ["separate rail network", "gap"])],
)
def test_an_island_port_without_a_rail_link_gives_a_reason_not_an_error(port, words):
    found = _plan(port, "Munich")
    assert not found.found and found.stretches is None
    assert found.reason.startswith("No rail link")
    for word in words:
        assert word in found.reason
    assert found.explanation["found"] is False and found.explanation["reason"] == found.reason
    assert "not routed" in route.explanation_text(found.explanation)


@pytest.mark.parametrize(
    ("origin", "destination", "options", "message"),
    [
        ("Xyzzyq", "Warsaw", {}, "Unknown origin 'Xyzzyq'"),
        ("Rotterdam", "NLRTM", {}, "the same place"),
        ("60,-20", "Warsaw", {}, "873 km from the nearest railway"),
        ("Oslo", "Copenhagen", {"within": "EU"}, "staying within the EU member states blocks it"),
        ("Genoa", "Munich", {"avoid_countries": ["IT"]}, "lies in IT, which the options avoid"),
        ("Genoa", "Munich", {"avoid": ["boats"]}, "use ferry or non-electrified"),
        ("Genoa", "Munich", {"within": "Mars"}, "use EU or NATO"),
        ("95,20", "Warsaw", {}, "no point"),
    ],
)
def test_bad_input_gives_one_clear_sentence(origin, destination, options, message):
    with pytest.raises(route.RouteError) as raised:
        _plan(origin, destination, **options)
    text = str(raised.value)
    assert message in text and "\n" not in text and "Traceback" not in text


def test_an_ambiguous_place_offers_the_choices():
    with pytest.raises(route.RouteError, match="ambiguous") as raised:
        route.resolve("Frankfurt")
    names = [choice.name for choice in raised.value.choices]
    assert "Frankfurt am Main" in names and "Frankfurt (Oder)" in names
    picked = route.resolve(raised.value.choices[names.index("Frankfurt (Oder)")].id)
    assert picked.name == "Frankfurt (Oder)"


def test_a_border_crossing_and_a_point_can_be_destinations():
    crossing = route.resolve("crossing:rail/PL-UA/8")
    assert crossing.kind == "crossing" and crossing.name.startswith("PL–UA rail crossing")
    found = route.plan(route.resolve("Gdansk"), crossing)
    assert found.explanation["countries"][0] == "PL" and found.explanation["destination"]["track_km"] < 1
    point = route.resolve("52.2297,21.0122")
    assert point.kind == "point" and (point.lon, point.lat) == (21.0122, 52.2297)


def test_avoiding_ferries_takes_the_land_route():
    by_ferry = _plan("Sassnitz", "Trelleborg")
    by_land = _plan("Sassnitz", "Trelleborg", avoid=["ferry"])
    assert by_ferry.explanation["by_attribute"]["ferry_km"] > 50
    assert by_land.explanation["by_attribute"]["ferry_km"] == 0
    assert by_land.explanation["length_km"] > by_ferry.explanation["length_km"]
    assert not (by_land.stretches["kind"] == "ferry").any()


def test_avoiding_non_electrified_track_uses_none_the_data_knows_unelectrified():
    plain = _plan("Trondheim", "Stockholm")
    wired = _plan("Trondheim", "Stockholm", avoid=["non-electrified"])
    assert (plain.stretches["electrified"] == "no").any()
    assert not (wired.stretches["electrified"] == "no").any()


def test_staying_within_nato_keeps_every_stretch_in_a_member_country():
    found = _plan("Helsinki", "Tallinn", within="NATO")
    members = policies.country_group("NATO_EUROPE")
    assert set(found.stretches["country"]) <= members
    assert "RU" in _plan("Helsinki", "Tallinn").explanation["countries"]


def test_the_explanation_links_documents_corridors_and_never_says_fails(rotterdam_warsaw):
    explanation = rotterdam_warsaw.explanation
    documents = {record["id"]: record for record in explanation["documents"]}
    assert documents["tent-2024"]["url"].startswith("https://eur-lex.europa.eu/")
    corridors = {(c["corridor"], c["basis"]) for c in explanation["corridors"]}
    assert ("North Sea - Baltic", "indicative line") in corridors
    assert ("North Sea - Rhine - Mediterranean", "origin port (verified)") in corridors
    standards = explanation["standards"]
    assert len(standards) == len(policies.load_catalogue().standards.items)
    for standard in standards:
        assert "fail" not in json.dumps(standard).lower()
        assert standard["article"] == "not read in the legal text"
    electrification = next(s for s in standards if s["id"] == "core-electrification")
    assert electrification["assessment"] == "unknown"
    assert electrification["route_data"]["unknown_share"] == 1.0
    speed = next(s for s in standards if s["id"] == "core-freight-speed")
    assert speed["assessment"] == "unknown" and speed["route_data"] is None
    assert explanation["geometry"]["type"] in ("LineString", "MultiLineString")


def test_corridor_lines_only_where_the_commission_names_nodes():
    catalogue = policies.load_catalogue()
    lines = route.corridor_lines(catalogue=catalogue)
    with_nodes = {corridor.document for corridor in catalogue.corridors if corridor.nodes}
    assert set(lines) == with_nodes == {"etc-north-sea-baltic", "etc-north-sea-rhine-mediterranean"}
    for line in lines.values():
        assert line.unrouted == ()
        assert set(line.stretches["kind"]) == {"indicative"}
        assert route.INDICATIVE_NOTE in line.stretches["name"].iloc[0]
    assert {"NL", "CH", "IT", "FR", "BE", "LU"} <= set(lines["etc-north-sea-rhine-mediterranean"].stretches["country"])


def test_show_on_map_draws_a_corridor_line_not_whole_countries():
    from geo import select

    frames = select.load_layers(("ports", "rail")).frames
    kept, notice, line = route.document_view(frames, "etc-north-sea-baltic")
    assert line is not None and len(kept["rail"]) == 0
    assert set(kept["ports"]["locode"]) <= {
        p.locode for p in policies.load_catalogue().corridor("North Sea - Baltic").ports
    }
    assert route.INDICATIVE_NOTE in notice
    kept, notice, line = route.document_view(frames, "etc-baltic-adriatic")
    assert line is None and len(kept["rail"]) > 1000
    assert "shown by country" in notice and "without their order" in notice
