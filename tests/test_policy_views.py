"""Policy output: document records, the wording of what is unverified, app tables, reports."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import policies, policy_views, store


@pytest.fixture(scope="module")
def catalogue() -> policies.Catalogue:
    return policies.load_catalogue()


@pytest.fixture(scope="module")
def ports() -> pd.DataFrame:
    return store.read_embedded("ports")


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
    assert record["address"] == policies.UNVERIFIED_ADDRESS == "official site, address not verified"
    assert policy_views.applies_text("verified", "country") == "applies: verified, by country"
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
    report = policy_views.feature_report(rotterdam, catalogue)
    applies = {record["applies"] for record in report["documents"]}
    assert "applies: verified, matched on the feature" in applies
    assert not any("link" in text for text in applies)
    tent = next(record for record in report["documents"] if record["id"] == "tent-2024")
    assert tent["address"] == "official text"
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
    assert sum(record["address"] == "no official address" for record in report["documents"]) == len(without_address)


@pytest.mark.parametrize(
    ("doc_id", "status"),
    [
        ("tent-2024", "in force"),
        ("milmob-join-2017", "adopted, partly verified"),
        ("milmob-joincomm-2025", "adopted (unverified), news reports only"),
        ("nato-steadfast-defender-2024", "completed (unverified), news reports only"),
    ],
)
def test_status_text_says_what_the_reference_left_unverified(catalogue, doc_id, status):
    doc = catalogue.document(doc_id)
    record = policy_views.document_record(doc, catalogue)
    assert policy_views.status_text(record) == status


def test_the_cli_report_uses_the_same_status_wording(catalogue):
    report = policy_views.selection_report(["ports"], None, catalogue)
    text = policy_views.report_text(report)
    for record in report["documents"]:
        assert f"- {record['id']}: {record['short_title']} [{policy_views.status_text(record)}]" in text
