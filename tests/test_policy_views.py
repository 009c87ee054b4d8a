"""Policy output: popup HTML (escaped, official links), app tables, reports."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pandas as pd
import pytest

from geo import policies, policy_views, store
from tests.policy_support import OFFICIAL_HOSTS, document_entry, read_raw_catalogue, write_variant


@pytest.fixture(scope="module")
def catalogue() -> policies.Catalogue:
    return policies.load_catalogue()


@pytest.fixture(scope="module")
def ports() -> pd.DataFrame:
    return store.read_embedded("ports")


def test_popup_links_are_anchors_with_official_urls(catalogue, ports):
    rotterdam = ports[ports["id"] == "gisco:NLRTM"]
    markup = policy_views.policy_html(rotterdam, catalogue).iloc[0]
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', markup)]
    assert hrefs
    assert all(urlsplit(h).hostname in OFFICIAL_HOSTS for h in hrefs)
    assert "https://eur-lex.europa.eu/eli/reg/2024/1679/oj" in hrefs
    assert 'rel="noopener noreferrer"' in markup


def test_documents_without_a_verified_address_are_not_links(catalogue):
    links = [policies.Link("milmob-report-2025", 50, "verified", "country", "r")]
    markup = policy_views.links_html(links, catalogue)
    assert "<a " not in markup and "Second progress report" in markup


def test_catalogue_text_is_escaped_in_html(tmp_path):
    hostile = '<script>alert("x")</script>'

    def poison(data):
        document_entry(data, "ports-2017")["short_title"] = hostile
        data["rules"][2]["reason"] = '<img src=x onerror="alert(1)">'

    catalogue = policies.load_catalogue(write_variant(tmp_path, read_raw_catalogue(), poison))
    frame = pd.DataFrame(
        {"id": ["t:1"], "layer": ["ports"], "country": ["NL"], "ten_t_code": [5], "locode": [None], "tags": ["{}"]}
    )
    markup = policy_views.policy_html(frame, catalogue, limit=50).iloc[0]
    assert "<script>" not in markup and "<img" not in markup
    assert html.escape(hostile) in markup


def test_popup_html_lists_at_most_limit_documents(catalogue, ports):
    rotterdam = ports[ports["id"] == "gisco:NLRTM"]
    markup = policy_views.policy_html(rotterdam, catalogue, limit=3).iloc[0]
    assert markup.count("<li>") == 4  # three documents and the "and N more" line
    assert "more in the policy panel" in markup


def test_features_with_no_documents_say_so(catalogue):
    frame = pd.DataFrame({"id": ["t:1"], "layer": ["rail"], "country": ["US"], "tags": ["{}"]})
    assert "No document" in policy_views.policy_html(frame, catalogue).iloc[0]


def test_filter_documents_by_mode_and_status(catalogue):
    documents = policies.documents_for_selection(["rail", "roads", "ports"], ["PL"], catalogue)
    rail_in_force = policy_views.filter_documents(documents, modes=["rail"], statuses=["in_force"])
    assert rail_in_force and all("rail" in d.modes and d.status == "in_force" for d in rail_in_force)
    assert "rail-rfc-2010" not in {d.id for d in rail_in_force}
    repealed = policy_views.filter_documents(documents, statuses=["repealed"])
    assert {d.id for d in repealed} == {"rail-rfc-2010", "tent-2013"}


def test_documents_frame_flags_unverified_facts(catalogue):
    docs = [catalogue.document("milmob-join-2017"), catalogue.document("tent-2024")]
    table = policy_views.documents_frame(docs, catalogue).set_index("id")
    assert table.loc["milmob-join-2017", "identifier"] == "JOIN(2017) 41 final"
    assert "identifiers.celex" in table.loc["milmob-join-2017", "facts"]
    assert table.loc["tent-2024", "link"] == "https://eur-lex.europa.eu/eli/reg/2024/1679/oj"
    assert table.loc["tent-2024", "facts"] == "verified"


def test_corridors_frame_has_nine_rows_and_says_what_is_unverified(catalogue):
    table = policy_views.corridors_frame(catalogue).set_index("corridor")
    assert len(table) == 9
    assert "Rotterdam (NLRTM)" in table.loc["North Sea - Rhine - Mediterranean", "ports (verified)"]
    assert table.loc["Atlantic", "countries"] == "2024 alignment not verified"
    assert "Mariupol (UAMPW)" in table.loc["North Sea - Baltic", "ports (verified)"]
    assert "not in the port data" not in table.to_string()


def test_entry_ports_frame(catalogue, ports):
    table = policy_views.entry_ports_frame(ports, catalogue).set_index("port")
    assert table.loc["Bergen", "2024 corridors"] == "not established"
    assert table.loc["Turkish ports", "2024 corridors"] == "not established"
    assert table.loc["Piraeus", "2024 corridors"] == "Western Balkans - Eastern Mediterranean (probable)"
    assert "TEN-T Regulation (EU) 2024/1679" in table.loc["Genoa", "documents on the port itself"]
    assert table.loc["Bergen", "documents on the port itself"] == "none"


def test_inferred_addresses_are_flagged_in_popups_and_kept_out_of_the_official_url(catalogue):
    record = policy_views.document_record(catalogue.document("milmob-join-2017"), catalogue)
    assert record["url"] is None
    assert record["unverified_url"] == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:52017JC0041"
    markup = policy_views.links_html([policies.Link("milmob-join-2017", 10, "verified", "country", "r")], catalogue)
    assert "link address not verified" in markup
    assert (
        policy_views.documents_table(catalogue)["tent-2024"]["url"] == "https://eur-lex.europa.eu/eli/reg/2024/1679/oj"
    )


def test_document_view_keeps_only_what_the_document_applies_to(catalogue, ports):
    rail = store.read_embedded("rail")
    kept, line = policy_views.document_view(
        {"ports": ports, "rail": rail}, "etc-north-sea-rhine-mediterranean", catalogue
    )
    assert set(kept["ports"]["locode"]) >= {"NLRTM", "ITGOA"} and "NOBGO" not in set(kept["ports"]["locode"])
    assert set(kept["rail"]["country"]) == {"IE", "NL", "BE", "LU", "FR", "DE", "CH", "IT"} & set(rail["country"])
    assert line.startswith("Showing only what North Sea - Rhine - Mediterranean corridor applies to: ")
    assert f"{len(kept['ports']):,} ports" in line
