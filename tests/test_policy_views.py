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
    assert table.loc["tent-2024", "official text"] == "https://eur-lex.europa.eu/eli/reg/2024/1679/oj"
    assert table.loc["tent-2024", "address"] == "official text"
    assert table.loc["tent-2024", "date"] == "adopted 2024-06-13"
    assert table.loc["tent-2024", "facts"] == "verified"


def test_documents_frame_shows_the_catalogue_fixes(catalogue):
    ids = ["milmob-joincomm-2025", "nato-steadfast-defender-2024", "council-milreq", "cef-milmob-calls"]
    table = policy_views.documents_frame([catalogue.document(i) for i in ids], catalogue).set_index("id")
    assert table.loc["milmob-joincomm-2025", "status"] == "adopted (unverified)"
    assert table.loc["nato-steadfast-defender-2024", "date"] == "announced 2024-01-18 (unverified)"
    assert table.loc["nato-steadfast-defender-2024", "status"] == "completed (unverified)"
    assert table.loc["council-milreq", "date"] == "consolidated 2019-07-19"
    assert table.loc["council-milreq", "identifier"] == "ST 11373/19"
    assert table.loc["cef-milmob-calls", "status"] == "closed"
    assert table.loc["council-milreq", "address"] == "no official address"
    assert pd.isna(table.loc["council-milreq", "official text"])


def test_corridors_frame_has_nine_rows_and_says_what_is_unverified(catalogue):
    table = policy_views.corridors_frame(catalogue).set_index("corridor")
    assert len(table) == 9
    assert "Rotterdam (NLRTM)" in table.loc["North Sea - Rhine - Mediterranean", "ports (verified)"]
    assert table.loc["Atlantic", "countries"] == "2024 alignment not verified"
    assert "Mariupol (UAMPW)" in table.loc["North Sea - Baltic", "ports (verified)"]
    assert "not in the port data" not in table.to_string()


def test_entry_ports_frame(catalogue, ports):
    table = policy_views.entry_ports_frame(ports, catalogue).set_index("port")
    assert len(table) == 20 and table["UN/LOCODE"].is_unique
    assert table.loc["Bergen", "2024 corridors"] == "not established"
    assert (table.loc[table["country"] == "TR", "2024 corridors"] == "not established").all()
    assert table.loc["Piraeus", "2024 corridors"] == "Western Balkans - Eastern Mediterranean (probable)"
    on_port = "documents matched on the port itself [how sure]"
    assert "TEN-T Regulation (EU) 2024/1679 [verified]" in table.loc["Genoa", on_port]
    assert "TEN-T Regulation (EU) 2024/1679 [probable]" in table.loc["Piraeus", on_port]
    assert table.loc["Bergen", on_port] == "none"
    assert table.loc["Thessaloniki", "listed because"].startswith("Not named in the public debate")
    assert not table["feature"].eq("not in the port data").any()
    assert "lookup" not in table.to_string().lower()


def test_inferred_addresses_are_flagged_in_popups_and_kept_out_of_the_official_url(catalogue):
    record = policy_views.document_record(catalogue.document("milmob-join-2017"), catalogue)
    assert record["url"] is None
    assert record["unverified_url"] == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:52017JC0041"
    markup = policy_views.links_html([policies.Link("milmob-join-2017", 10, "verified", "country", "r")], catalogue)
    assert "applies: verified, by country; official site, address not verified" in markup
    assert record["address"] == policies.UNVERIFIED_ADDRESS
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


def test_no_document_without_an_address_is_called_a_verified_link(catalogue, ports):
    """How sure a match is and what the web address is are said apart, and "no official address" is said."""
    rotterdam = ports[ports["id"] == "gisco:NLRTM"]
    markup = policy_views.policy_html(rotterdam, catalogue, limit=50).iloc[0]
    assert "link verified" not in markup and "link probable" not in markup
    assert "applies: verified, matched on the feature; official text" in markup
    without_address = [
        link
        for link in policies.links_for(rotterdam, catalogue).iloc[0]
        if not catalogue.official_link(link.document, True)
    ]
    assert without_address  # e.g. the 2026 ports strategy has no official address in the reference
    for link in without_address:
        assert (
            policy_views.document_record(catalogue.document(link.document), catalogue)["address"]
            == "no official address"
        )
    assert markup.count("no official address") == len(without_address)
