"""The policy catalogue: schema, honesty about unverified facts, link rules, and real features."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pandas as pd
import pytest
import yaml

from geo import policies, settings, store
from geo.errors import UnknownLayerError
from geo.layers import layer_names
from tests.policy_support import CATALOGUE_PATH, OFFICIAL_HOSTS, document_entry, read_raw_catalogue, write_variant

REFERENCE_PATH = settings.SHARED_DATA_DIR.parent / "reference" / "policies.yaml"
RAIL_ACTS = {"rail-interop-2016", "rail-capacity-2026"}
CORRIDORS_THROUGH_POLAND = {"etc-baltic-adriatic", "etc-baltic-black-aegean", "etc-north-sea-baltic"}


@pytest.fixture(scope="module")
def catalogue() -> policies.Catalogue:
    return policies.load_catalogue()


@pytest.fixture(scope="module")
def raw() -> dict:
    return read_raw_catalogue()


@pytest.fixture(scope="module")
def ports() -> pd.DataFrame:
    return store.read_embedded("ports")


# --------------------------------------------------------------------------- the catalogue itself


def test_catalogue_holds_at_least_30_documents_and_the_nine_corridors(catalogue):
    documents = [d for d in catalogue.documents.values() if d.type != "corridor"]
    assert len(documents) >= 30
    assert len(catalogue.corridors) == 9
    assert {c.name for c in catalogue.corridors} >= {
        "North Sea - Rhine - Mediterranean",
        "Scandinavian - Mediterranean",
    }
    for doc in catalogue.documents.values():
        assert doc.short_title and doc.title and doc.summary and doc.modes and doc.scope


def test_every_url_is_on_an_official_publisher(catalogue, raw):
    urls = [doc.url for doc in catalogue.documents.values() if doc.url]
    assert len(urls) >= 25
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https", url
        assert parts.hostname in OFFICIAL_HOSTS, url
    text = CATALOGUE_PATH.read_text(encoding="utf-8").lower()
    for unofficial in ("eumonitor", "docslib", "readkong"):
        assert f"{unofficial}." not in " ".join(urls)
        assert unofficial not in yaml.safe_dump([d.get("url") for d in raw["documents"]]).lower()
    assert not re.search(r"url:\s*\"?unverified", text)


def test_no_document_id_is_referenced_but_missing(catalogue):
    ids = set(catalogue.documents)
    for rule in catalogue.rules:
        assert set(rule.documents) <= ids, rule.id
    for doc in catalogue.documents.values():
        for target in (doc.repealed_by, doc.superseded_by, doc.defined_by):
            assert target is None or target in ids, doc.id
    for corridor in catalogue.corridors:
        assert catalogue.documents[corridor.document].type == "corridor"


def test_repealed_and_superseded_documents_name_a_successor_in_force(catalogue):
    ended = [d for d in catalogue.documents.values() if d.status in ("repealed", "superseded")]
    assert {"tent-2013", "rail-rfc-2010", "tent-proposal-2021"} <= {d.id for d in ended}
    for doc in ended:
        successor = catalogue.document(doc.repealed_by or doc.superseded_by)
        assert successor.status in ("in_force", "adopted"), doc.id
    assert catalogue.document("tent-2013").repealed_by == "tent-2024"
    assert catalogue.document("rail-rfc-2010").repealed_by == "rail-capacity-2026"


def test_every_layer_has_documents_linked(catalogue):
    for layer in layer_names():
        documents = policies.documents_for_selection([layer], ["DE"], catalogue)
        layer_modes = {"ports": "maritime_ports", "rail": "rail", "roads": "road", "crossings": "rail"}[layer]
        assert any(layer_modes in d.modes and d.type != "corridor" for d in documents), layer


def test_every_document_is_linked_by_some_rule(catalogue):
    linked = {doc_id for rule in catalogue.rules for doc_id in rule.documents}
    assert set(catalogue.documents) == linked


def test_countries_are_iso_codes_not_eu_codes(catalogue):
    codes = [c for corridor in catalogue.corridors for c in (*corridor.countries, *corridor.countries_unverified)]
    codes += [c for group in catalogue.country_groups.values() for c in group.codes]
    assert "EL" not in codes and "UK" not in codes
    assert "GR" in catalogue.corridor("Baltic Sea - Black Sea - Aegean Sea").countries


def test_load_is_cached_per_process():
    assert policies.load_catalogue() is policies.load_catalogue()


def test_provenance_note_is_recorded(catalogue):
    note = catalogue.info.provenance.note
    assert "EUR-Lex" in note and "news_only" in note
    assert "UNVERIFIED" in note


# --------------------------------------------------------------------------- unverified facts stay unverified


@pytest.fixture(scope="module")
def reference() -> dict:
    if not REFERENCE_PATH.exists():
        pytest.skip(f"the shared reference {REFERENCE_PATH} is not beside this clone")
    return yaml.safe_load(REFERENCE_PATH.read_text(encoding="utf-8"))


def test_reference_documents_are_all_in_the_catalogue(catalogue, reference):
    assert {d["id"] for d in reference["documents"]} <= set(catalogue.documents)


def test_unverified_urls_of_the_reference_are_not_shown_as_links(catalogue, reference):
    for ref in reference["documents"]:
        doc = catalogue.document(ref["id"])
        host = urlsplit(ref["url"]).hostname if ref["url"].startswith("http") else None
        if host is None or host not in OFFICIAL_HOSTS:
            assert doc.url is None, doc.id
            assert catalogue.official_link(doc.id) is None, doc.id


def test_inferred_identifiers_are_marked_unverified(catalogue, reference):
    for ref in reference["documents"]:
        notes = (ref.get("notes") or "").lower()
        if "celex" in notes and "inferred" in notes:
            doc = catalogue.document(ref["id"])
            assert "identifiers.celex" in doc.unverified, doc.id
            assert doc.is_unverified("url"), doc.id
            assert catalogue.official_link(doc.id) is None, doc.id
            assert catalogue.official_link(doc.id, include_unverified=True)[1] == policies.UNVERIFIED_ADDRESS


def test_news_only_documents_stay_news_only(catalogue, reference):
    news = [r["id"] for r in reference["documents"] if r["verification"] == "news_only"]
    assert news
    for doc_id in news:
        doc = catalogue.document(doc_id)
        assert doc.certainty == "news_only"
        assert doc.is_unverified("summary")


def test_corridor_ports_follow_the_reference_verification(catalogue, reference):
    items = {i["name"]: i for i in reference["corridors"]["european_transport_corridors_2024"]["items"]}
    for corridor in catalogue.corridors:
        ref = items[corridor.name]
        verified = {p.name for p in corridor.ports if p.verification == "verified"}
        probable = {p.name for p in corridor.ports if p.verification == "probable"}
        assert verified <= set(ref.get("ports_verified", [])), corridor.name
        # Probable ports come from the reference's probable lists or its per-port lookup, never from nowhere.
        lookup = reference["corridors"]["requested_ports_lookup"]
        in_lookup = {
            name.replace("_", " ") for name, v in lookup.items() if any(corridor.name in s for s in v["etc_2024"])
        }
        allowed = {n.split(" (")[0] for n in ref.get("ports_probable_unverified", [])} | in_lookup
        assert {n.split(" (")[0] for n in probable} <= allowed, corridor.name


# --------------------------------------------------------------------------- bad input fails loudly


@pytest.mark.parametrize(
    ("doc_id", "field", "value", "message"),
    [
        ("tent-2024", "status", "bogus", "'status'"),
        ("tent-2013", "repealed_by", None, "repealed_by"),
        ("ports-2017", "url", "UNVERIFIED", "'url'"),
        ("ports-2017", "url", "https://www.eumonitor.eu/9353000/1/x", "official publisher"),
        ("cef-2021", "modes", ["rail", "hovercraft"], "'modes.1'"),
        ("ssms-2020", "unverified", ["dates.published"], "'unverified'"),
        ("road-wd-1996", "surprise", "x", "'surprise'"),
    ],
)
def test_malformed_entry_fails_naming_entry_and_field(tmp_path, raw, doc_id, field, value, message):
    path = write_variant(tmp_path, raw, lambda data: document_entry(data, doc_id).__setitem__(field, value))
    with pytest.raises(policies.CatalogueError) as error:
        policies.load_catalogue(path)
    assert doc_id in str(error.value)
    assert message in str(error.value)


def test_rule_naming_a_missing_document_fails(tmp_path, raw):
    path = write_variant(tmp_path, raw, lambda data: data["rules"][0]["documents"].append("no-such-doc"))
    with pytest.raises(policies.CatalogueError, match=r"rule 'tent-port-2024': field 'documents'.*no-such-doc"):
        policies.load_catalogue(path)


def test_rule_linking_a_document_to_a_layer_of_another_mode_fails(tmp_path, raw):
    def link_rail_act_to_ports(data):
        next(r for r in data["rules"] if r["id"] == "port-services-tent-code")["documents"].append("rail-interop-2016")

    path = write_variant(tmp_path, raw, link_rail_act_to_ports)
    with pytest.raises(
        policies.CatalogueError, match=r"rule 'port-services-tent-code'.*'rail-interop-2016' has no mode"
    ):
        policies.load_catalogue(path)


@pytest.mark.parametrize(("field", "value"), [("port_types", ["sea", "river"]), ("corridor_port", "perhaps")])
def test_rule_with_a_bad_port_condition_fails_naming_rule_and_field(tmp_path, raw, field, value):
    rule = "port-services-type-unknown"
    path = write_variant(
        tmp_path, raw, lambda data: next(r for r in data["rules"] if r["id"] == rule).update({field: value})
    )
    with pytest.raises(policies.CatalogueError, match=rf"rule entry '{rule}': field '{field}"):
        policies.load_catalogue(path)


def test_corridor_naming_a_document_that_is_not_a_corridor_fails(tmp_path, raw):
    path = write_variant(tmp_path, raw, lambda data: data["corridors"][0].__setitem__("document", "ports-2017"))
    with pytest.raises(policies.CatalogueError, match=r"corridor entry 'Atlantic': field 'document'"):
        policies.load_catalogue(path)


def test_duplicate_document_id_fails(tmp_path, raw):
    path = write_variant(tmp_path, raw, lambda data: data["documents"].append(dict(document_entry(data, "ports-2017"))))
    with pytest.raises(policies.CatalogueError, match=r"'ports-2017': field 'id' is used twice"):
        policies.load_catalogue(path)


def test_unquoted_norway_gets_a_hint(tmp_path):
    text = CATALOGUE_PATH.read_text(encoding="utf-8").replace('"NO", DK', "NO, DK")
    path = tmp_path / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(policies.CatalogueError, match=r"Scandinavian - Mediterranean.*countries\.2.*quote it"):
        policies.load_catalogue(path)


def test_missing_and_non_yaml_files_fail_clearly(tmp_path):
    with pytest.raises(policies.CatalogueError, match="unreadable"):
        policies.load_catalogue(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("documents: [unclosed", encoding="utf-8")
    with pytest.raises(policies.CatalogueError, match="not valid YAML"):
        policies.load_catalogue(broken)


def test_adding_a_document_and_a_rule_needs_no_code(tmp_path, raw):
    def add(data):
        data["documents"].append(
            {
                **document_entry(data, "ports-2017"),
                "id": "test-inland-ports",
                "short_title": "A test act on inland ports",
                "url": None,
            }
        )
        data["rules"].append(
            {
                "id": "test-dutch-tagged-ports",
                "documents": ["test-inland-ports"],
                "layers": ["ports"],
                "countries": ["NL"],
                "attributes": {"harbour_type": ["River Natural"]},
                "basis": "feature",
                "certainty": "verified",
                "relevance": 99,
                "reason": "A test rule.",
            }
        )

    catalogue = policies.load_catalogue(write_variant(tmp_path, raw, add))
    frame = pd.DataFrame(
        {
            "id": ["t:1", "t:2", "t:3"],
            "layer": ["ports", "ports", "ports"],
            "country": ["NL", "NL", "BE"],
            "harbour_type": ["River Natural", "Coastal Breakwater", "River Natural"],
            "tags": ["{}", "{}", "{}"],
        }
    )
    linked = policies.documents_for(frame, catalogue)
    assert linked.iloc[0][0] == "test-inland-ports"
    assert "test-inland-ports" not in linked.iloc[1]
    assert "test-inland-ports" not in linked.iloc[2]


# --------------------------------------------------------------------------- matching rules on synthetic features


def test_osm_tags_and_columns_drive_the_main_line_rule(catalogue):
    frame = pd.DataFrame(
        {
            "id": ["osm:way/1", "osm:way/2", "osm:way/3", "osm:way/4"],
            "layer": ["rail"] * 4,
            "country": ["AT", "AT", "AT", "CH"],
            "usage": ["main", "branch", pd.NA, "main"],
            "tags": ['{"railway": "rail"}', '{"railway": "rail"}', '{"railway": "rail", "usage": "main"}', "{}"],
        }
    )
    linked = policies.documents_for(frame, catalogue)
    assert "ertms-edp-2017" in linked.iloc[0]
    assert "ertms-edp-2017" not in linked.iloc[1]
    assert "ertms-edp-2017" in linked.iloc[2]  # usage from the tags when the column is empty
    assert "ertms-edp-2017" not in linked.iloc[3]  # Switzerland is not in the EU


def test_port_type_and_corridor_conditions_on_synthetic_ports(catalogue):
    frame = pd.DataFrame(
        {
            "id": ["t:sea-code", "t:sea-corridor", "t:sea", "t:unknown", "t:inland", "t:no-column"],
            "layer": ["ports"] * 6,
            "country": ["DE", "HR", "HR", "SE", "DE", "NL"],
            "locode": ["DEXXA", "HRRJK", "HRXXB", "SEXXC", "DEXXD", "NLXXE"],
            "ten_t_code": [12, 0, 0, 7, 9, 0],
            "port_type": ["sea", "sea", "sea", None, "inland", None],
            "tags": ["{}"] * 6,
        }
    )
    links = [{link.document: link for link in row} for row in policies.links_for(frame, catalogue)]
    for doc_id in ("ports-2017", "mos-ems-dip-2020"):
        assert [row[doc_id].certainty if doc_id in row else None for row in links] == [
            "probable",
            "probable",
            "unverified",
            "unverified",
            None,
            "unverified",
        ], doc_id
        assert "no TEN-T port code is recorded" in links[2][doc_id].reason
        assert "does not know whether this is a maritime port" in links[3][doc_id].reason
    # Without a port_type column (e.g. a foreign frame) every port's type is unknown.
    alone = policies.links_for(frame.drop(columns="port_type").iloc[[0]], catalogue).iloc[0]
    without = {link.document: link for link in alone}
    assert without["ports-2017"].certainty == "unverified" and "does not know" in without["ports-2017"].reason


def test_links_are_ordered_by_relevance_and_carry_their_basis(catalogue):
    frame = pd.DataFrame({"id": ["t:1"], "layer": ["roads"], "kind": ["motorway"], "country": ["FR"], "tags": ["{}"]})
    links = policies.links_for(frame, catalogue).iloc[0]
    relevances = [link.relevance for link in links]
    assert relevances == sorted(relevances, reverse=True)
    by_doc = {link.document: link for link in links}
    assert by_doc["road-safety-2019"].basis == "feature"
    assert by_doc["road-wd-1996"].basis == "country"
    assert "etc-north-sea-rhine-mediterranean" in by_doc
    assert by_doc["etc-atlantic"].certainty == "unverified"  # France only via the pre-2024 alignment


def test_features_outside_the_catalogue_get_no_documents(catalogue):
    frame = pd.DataFrame({"id": ["t:1"], "layer": ["rail"], "country": ["US"], "tags": ["{}"]})
    assert policies.documents_for(frame, catalogue).iloc[0] == ()


def test_features_for_document_rejects_unknown_ids(catalogue):
    with pytest.raises(KeyError, match="no-such"):
        policies.features_for_document("no-such", {}, catalogue=catalogue)


def test_selection_filters_by_country(catalogue):
    in_spain = {d.id for d in policies.documents_for_selection(["rail"], ["ES"], catalogue)}
    in_poland = {d.id for d in policies.documents_for_selection(["rail"], ["PL"], catalogue)}
    assert in_poland >= CORRIDORS_THROUGH_POLAND
    assert not CORRIDORS_THROUGH_POLAND & in_spain
    assert "etc-mediterranean" in in_spain  # as an unverified pre-2024 link
    with pytest.raises(UnknownLayerError, match="unknown layer 'ships'"):
        policies.documents_for_selection(["ships"], None, catalogue)


# --------------------------------------------------------------------------- the real embedded data


def test_corridor_ports_exist_in_the_port_data(catalogue, ports):
    locodes = set(ports["locode"].dropna())
    for corridor in catalogue.corridors:
        for port in corridor.ports:
            assert port.locode is None or port.locode in locodes, (corridor.name, port.name)
    for entry in catalogue.entry_ports:
        assert entry.locode in locodes, entry.name


def test_rotterdam_links_to_tent_2024_and_its_corridor(catalogue, ports):
    rotterdam = ports[ports["id"] == "gisco:NLRTM"]
    assert len(rotterdam) == 1
    links = {link.document: link for link in policies.links_for(rotterdam, catalogue).iloc[0]}
    assert links["tent-2024"].certainty == "verified"
    assert links["etc-north-sea-rhine-mediterranean"].certainty == "verified"
    assert links["etc-north-sea-baltic"].certainty == "probable"
    order = list(policies.documents_for(rotterdam, catalogue).iloc[0])
    assert order.index("tent-2024") < order.index("ssms-2020")
    masks = policies.features_for_document(
        "etc-north-sea-rhine-mediterranean", {"ports": ports}, ("feature",), catalogue
    )
    highlighted = set(ports.loc[masks["ports"], "locode"])
    assert {"NLRTM", "ITGOA", "FRMRS"} <= highlighted and "NOBGO" not in highlighted


def test_bergen_shows_no_ten_t_status_it_does_not_have(catalogue, ports):
    bergen = ports[ports["locode"] == "NOBGO"]
    assert len(bergen) == 1 and int(bergen["ten_t_code"].fillna(0).iloc[0]) == 0
    linked = set(policies.documents_for(bergen, catalogue).iloc[0])
    assert not linked & {"tent-2024", "tent-2013", "ports-2017", "cef-2021"}
    assert not any(doc_id.startswith("etc-") for doc_id in linked)
    assert policies.port_corridors("NOBGO", catalogue) == []  # no corridor established


MARITIME_ONLY = ("ports-2017", "mos-ems-dip-2020")


@pytest.mark.parametrize("locode", ["DEDUI", "DEDTM", "DEBER", "BGVID", "BGRDU"])
def test_inland_ports_get_no_maritime_only_documents(catalogue, ports, locode):
    port = ports[ports["locode"] == locode]
    assert len(port) == 1 and port["port_type"].iloc[0] == "inland"
    linked = set(policies.documents_for(port, catalogue).iloc[0])
    assert not linked & set(MARITIME_ONLY)
    assert "tent-2024" in linked  # they still have a TEN-T code recorded in GISCO 2013


@pytest.mark.parametrize("locode", ["HRRJK", "MTMAR", "MTMLA", "HRSPU"])
def test_corridor_seaports_without_a_gisco_code_get_the_maritime_documents(catalogue, ports, locode):
    port = ports[ports["locode"] == locode]
    assert len(port) == 1 and port["port_type"].iloc[0] == "sea"
    assert int(port["ten_t_code"].iloc[0]) == 0  # GISCO 2013 recorded no code for them
    links = {link.document: link for link in policies.links_for(port, catalogue).iloc[0]}
    for doc_id in MARITIME_ONLY:
        assert links[doc_id].certainty == "probable", doc_id
        assert "European Transport Corridor" in links[doc_id].reason


def test_maritime_only_documents_follow_the_port_type_on_the_whole_layer(catalogue, ports):
    in_eu = ports[ports["country"].isin(catalogue.country_group("EU27")).to_numpy(dtype=bool)]
    links = policies.links_for(in_eu, catalogue)
    kinds = in_eu["port_type"].astype(object).where(in_eu["port_type"].notna(), "unknown")
    seen = set()
    for kind, row in zip(kinds, links, strict=True):
        for link in row:
            if link.document not in MARITIME_ONLY:
                continue
            seen.add(kind)
            assert kind != "inland"
            if kind == "unknown":
                assert link.certainty == "unverified" and "does not know whether" in link.reason
    assert seen == {"sea", "unknown"}
    koping = in_eu[in_eu["locode"] == "SEKOG"]  # 95 km up Lake Malaren: type not known
    linked = {link.document: link for link in policies.links_for(koping, catalogue).iloc[0]}
    assert {linked[d].certainty for d in MARITIME_ONLY} == {"unverified"}


def test_no_link_reason_says_a_port_is_not_on_the_ten_t_network(catalogue):
    for rule in catalogue.rules:
        assert not re.search(r"not (on the )?TEN-T|non-TEN-T|no TEN-T status", rule.reason, re.IGNORECASE), rule.id


def test_a_polish_railway_links_to_rail_acts_and_corridors_through_poland(catalogue):
    rail = store.read_embedded("rail")
    polish = rail[(rail["country"] == "PL") & (rail["kind"] == "rail")]
    assert len(polish) > 100
    linked = policies.documents_for(polish.head(50), catalogue)
    for row in linked:
        assert set(row) >= RAIL_ACTS
        assert set(row) >= CORRIDORS_THROUGH_POLAND
        assert "etc-north-sea-rhine-mediterranean" not in row
    masks = policies.features_for_document("etc-baltic-adriatic", {"rail": rail}, catalogue=catalogue)
    assert masks["rail"][rail["country"] == "PL"].all()
    assert not masks["rail"][rail["country"] == "ES"].any()


def test_every_layer_of_the_real_data_gets_documents(catalogue):
    for layer in layer_names():
        frame = store.read_embedded(layer)
        in_eu = frame[frame["country"].isin(policies.country_group("EU27", catalogue))]
        linked = policies.documents_for(in_eu, catalogue)
        assert (linked.map(len) > 0).all(), layer


def test_entry_ports_show_their_corridors_or_say_not_established(catalogue, ports):
    views = {view.entry.name: view for view in policies.entry_ports(ports, catalogue)}
    assert len(views) == 20
    assert {"Rotterdam", "Hamburg", "Genoa", "La Spezia", "Piraeus", "Bergen"} == {
        name for name, view in views.items() if view.entry.role == "named"
    }
    expected = {
        "Rotterdam": ("verified", "North Sea - Rhine - Mediterranean"),
        "Hamburg": ("verified", "Scandinavian - Mediterranean"),
        "Genoa": ("verified", "North Sea - Rhine - Mediterranean"),
        "La Spezia": ("verified", "Scandinavian - Mediterranean"),
        "Piraeus": ("probable", "Western Balkans - Eastern Mediterranean"),
    }
    for name, (status, corridor) in expected.items():
        assert views[name].status == status, name
        assert views[name].corridors[0].corridor.name == corridor, name
        assert any(link.document == "tent-2024" for link in views[name].documents), name
    turkish = [view for view in views.values() if view.entry.country == "TR"]
    assert len(turkish) == 8 and {view.entry.role for view in turkish} == {"named_country"}
    for view in [views["Bergen"], *turkish]:
        assert view.status == policies.NOT_ESTABLISHED and view.corridors == [], view.entry.name
        assert not any(link.document.startswith(("tent", "etc-")) for link in view.documents), view.entry.name
    for view in views.values():
        assert view.feature_id is not None, view.entry.name  # every entry port is in the port data
        reason = policies.entry_port_reason(view.entry, catalogue)
        assert policies.ENTRY_PORT_ROLES[view.entry.role] in reason
        assert "requested" not in reason.lower() and "lookup" not in reason.lower()


def test_linking_a_whole_layer_equals_linking_each_feature_alone(catalogue, ports):
    rail = store.read_embedded("rail")
    sample = pd.concat([ports.sample(25, random_state=1), rail.sample(25, random_state=1)], ignore_index=True)
    together = policies.links_for(sample, catalogue)
    assert together.map(len).nunique() > 3  # the sample mixes several link sets
    for position in range(len(sample)):
        assert together.iloc[position] == policies.links_for(sample.iloc[[position]], catalogue).iloc[0]


def test_selection_outside_the_eu_lists_no_eu_port_rules(catalogue):
    norway = {d.id for d in policies.documents_for_selection(["ports"], ["NO"], catalogue)}
    assert "etc-scandinavian-mediterranean" in norway  # Oslo is a verified port of it
    assert not norway & {"tent-2013", "ports-2017", "cef-2021"}
    turkey = [d.id for d in policies.documents_for_selection(["ports", "rail", "roads"], ["TR"], catalogue)]
    assert turkey == ["nato-steadfast-defender-2024"]  # a NATO member, not an EU one


# --------------------------------------------------------------------------- statements checked against the reference


def _reference_document(reference: dict, doc_id: str) -> dict:
    return next(d for d in reference["documents"] if d["id"] == doc_id)


def test_funding_calls_whose_calls_have_all_closed_are_not_ongoing(catalogue, reference):
    version = catalogue.info.version
    for ref in reference["documents"]:
        if ref["type"] != "funding_calls":
            continue
        closing = [str(call["closed"]) for call in ref.get("calls", []) if call.get("closed")]
        assert closing and max(closing) < version  # the reference's last call closed before this catalogue
        doc = catalogue.document(ref["id"])
        assert doc.status == "closed", doc.id
        assert policies.STATUS_LABELS[doc.status] == "closed"
        assert "ongoing" not in (doc.status_note or "")


def test_tentec_attribution_is_a_check_not_a_requirement(catalogue, reference):
    assert "check licence/attribution" in _reference_document(reference, "tentec-gis")["notes"].lower()
    notes = catalogue.document("tentec-gis").notes.lower()
    assert "required" not in notes
    assert "not checked" in notes and "tentec information system" in notes


def test_council_identifier_is_shown_with_its_own_date(catalogue, reference):
    """The reference gives each Council document number its own date; the catalogue must pair them as it does."""
    refs = _reference_document(reference, "council-milreq")["council_ref"]
    dated = {
        number: pd.Timestamp(day).strftime("%Y-%m-%d")
        for number, day in re.findall(r"(ST \d+/\d+)[^;(]*\((?:[a-z]+,? )?(\d{1,2} [A-Z][a-z]{2} \d{4})\)", refs)
    }
    assert dated["ST 10312/18"] == "2018-06-25"
    doc = catalogue.document("council-milreq")
    assert doc.identifier == "ST 11373/19"
    assert (doc.date_kind, doc.date) == ("consolidated", dated["ST 11373/19"])
    assert "2018-06-25" not in doc.dates.values()


def test_news_only_status_and_dates_are_listed_as_unverified(catalogue, reference):
    for ref in reference["documents"]:
        if ref["verification"] != "news_only":
            continue
        doc = catalogue.document(ref["id"])
        assert "status" in doc.unverified, doc.id
        assert {f"dates.{kind}" for kind in doc.dates} <= set(doc.unverified), doc.id
    joint = catalogue.document("milmob-joincomm-2025")
    assert joint.status == "adopted" and "status" in joint.unverified


def test_an_announcement_is_not_stored_as_an_adoption(catalogue, reference):
    for ref in reference["documents"]:
        stated = str(ref.get("adopted", ""))
        if not stated.startswith("announced"):
            continue
        doc = catalogue.document(ref["id"])
        assert "adopted" not in doc.dates, doc.id
        assert doc.dates["announced"] == re.search(r"\d{4}-\d{2}-\d{2}", stated).group(0)
        assert doc.date_kind == "announced" and doc.is_unverified("dates.announced")
    assert catalogue.document("nato-steadfast-defender-2024").date_kind == "announced"


def test_news_only_document_must_list_its_status_as_unverified(tmp_path, raw):
    def forget_status(data):
        entry = document_entry(data, "milmob-joincomm-2025")
        entry["unverified"] = [path for path in entry["unverified"] if path != "status"]

    with pytest.raises(policies.CatalogueError, match=r"'milmob-joincomm-2025'.*must list status in 'unverified'"):
        policies.load_catalogue(write_variant(tmp_path, raw, forget_status))


# --------------------------------------------------------------------------- country groups (EU27, NATO members)

# Listed here independently of the catalogue.
EU_MEMBERS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# NATO's 32 Allies less Canada and the United States (Finland joined in 2023, Sweden in 2024).
NATO_IN_EUROPE = frozenset(
    [
        "AL",
        "BE",
        "BG",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GR",
        "HR",
        "HU",
        "IS",
        "IT",
        "LT",
        "LU",
        "LV",
        "ME",
        "MK",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "TR",
    ]
)


def test_country_groups_hold_the_actual_members(catalogue):
    assert policies.country_group("EU27", catalogue) == EU_MEMBERS
    assert policies.country_group("nato_europe", catalogue) == NATO_IN_EUROPE
    assert "nato.int" in catalogue.country_groups["NATO_EUROPE"].source
    with pytest.raises(KeyError, match=r"unknown country group 'WARSAW_PACT'.*EU27"):
        policies.country_group("WARSAW_PACT", catalogue)
    known = set(pd.read_parquet(settings.DATASETS_DIR / "countries.parquet", columns=["iso2"])["iso2"])
    for name, group in catalogue.country_groups.items():
        assert set(group.codes) <= known, name


def test_a_group_repeating_a_code_fails_naming_it(tmp_path, raw):
    path = write_variant(tmp_path, raw, lambda data: data["country_groups"]["NATO_EUROPE"]["codes"].append("TR"))
    with pytest.raises(policies.CatalogueError, match=r"country group 'NATO_EUROPE': field 'codes'.*repeats TR"):
        policies.load_catalogue(path)


def test_nato_exercise_follows_nato_membership_on_the_real_roads(catalogue):
    roads = store.read_embedded("roads")
    sample = roads.groupby("country").head(3)
    linked = policies.documents_for(sample, catalogue)
    has_exercise = linked.map(lambda ids: "nato-steadfast-defender-2024" in ids)
    by_country = has_exercise.groupby(sample["country"]).all()
    for country in ("GB", "TR", "NO", "FI", "SE", "IS", "PL"):
        assert by_country[country], country
    for country in ("AT", "IE", "MT", "CY", "CH", "RS", "UA"):
        assert not has_exercise[sample["country"] == country].any(), country


# --------------------------------------------------------------------------- the north of Cyprus (EU law suspended)

NORTH_CYPRUS_PORTS = {"CYFMG": "Famagusta", "CYKYR": "Kyrenia"}
SOUTH_CYPRUS_PORTS = {"CYLMS", "CYLCA"}  # Limassol, Larnaca


def test_famagusta_and_kyrenia_show_no_eu_document_as_verified_or_probable(catalogue, ports):
    area = catalogue.eu_law_suspended[0]
    for locode, name in NORTH_CYPRUS_PORTS.items():
        port = ports[ports["locode"] == locode]
        assert port["name"].tolist() == [name] and port["country"].tolist() == ["CY"]
        links = policies.links_for(port, catalogue).iloc[0]
        assert len(links) >= 10, name  # the EU documents stay listed, as unverified
        assert {link.certainty for link in links} == {"unverified"}, name
        assert all(link.reason.startswith(area.reason) for link in links), name
        assert "north of Cyprus" in area.reason and "suspended" in area.reason
    south = policies.links_for(ports[ports["locode"].isin(SOUTH_CYPRUS_PORTS)], catalogue)
    for links in south:
        assert any(link.certainty == "verified" for link in links)
        assert not any(link.reason.startswith(area.reason) for link in links)


def test_the_area_covers_northern_features_only(catalogue, ports):
    area = catalogue.eu_law_suspended[0]
    inside = set(ports.loc[policies.in_suspended_area(area, ports), "locode"])
    assert set(NORTH_CYPRUS_PORTS) <= inside
    assert not inside & SOUTH_CYPRUS_PORTS
    assert set(ports.loc[policies.in_suspended_area(area, ports), "country"]) == {"CY"}
    roads = store.read_embedded("roads")
    cypriot = roads[roads["country"] == "CY"]
    in_north = policies.in_suspended_area(area, cypriot)
    assert 0 < in_north.sum() < len(cypriot)
    for links in policies.links_for(cypriot[in_north], catalogue):
        assert {link.certainty for link in links} == {"unverified"}


def test_a_cypriot_feature_without_location_is_not_shown_as_verified(catalogue):
    frame = pd.DataFrame({"id": ["t:1"], "layer": ["roads"], "country": ["CY"], "kind": ["motorway"], "tags": ["{}"]})
    links = policies.links_for(frame, catalogue).iloc[0]
    assert links and {link.certainty for link in links} == {"unverified"}


def test_area_outline_file_is_built_from_natural_earth(catalogue):
    import geopandas as gpd

    areas = gpd.read_parquet(policies.suspended_areas_path())
    assert set(areas["id"]) == {area.id for area in catalogue.eu_law_suspended}
    row = areas.set_index("id").loc["cy-north"]
    assert row["adm0_a3"] == "CYN" and row["attribution"] == "Made with Natural Earth"
    west, south, east, north = row.geometry.bounds
    assert 32.5 < west < 33 and 34.9 < south < 35.1 and 34.5 < east < 34.7 and 35.6 < north < 35.8


def test_missing_area_file_is_a_dataset_error_naming_the_rebuild(tmp_path):
    with pytest.raises(store.DatasetError, match="python -m geo build-default"):
        policies.area_outline("cy-north", tmp_path / "absent.parquet")


# --------------------------------------------------------------------------- Mariupol


def test_mariupol_is_in_the_layer_and_linked_to_its_corridor(catalogue, ports):
    mariupol = ports[ports["locode"] == "UAMPW"]
    assert mariupol["name"].tolist() == ["Mariupol"]
    links = {link.document: link for link in policies.links_for(mariupol, catalogue).iloc[0]}
    assert links["etc-north-sea-baltic"].certainty == "verified"
    assert links["etc-north-sea-baltic"].basis == "feature"
    assert [pc.corridor.name for pc in policies.port_corridors("UAMPW", catalogue)] == ["North Sea - Baltic"]
    corridor = catalogue.corridor("North Sea - Baltic")
    assert "Mariupol" not in (corridor.notes or "")


def test_eu_seaport_policy_never_reaches_inland_ports(catalogue, ports):
    port_policy = {"ports-strategy-2026", "ports-engine-2013"}
    for locode in ("DEDUI", "DEDTM", "DEBER", "BGVID", "BGRDU", "HUBUD"):
        row = ports[ports["locode"] == locode]
        assert not port_policy & {link.document for link in policies.links_for(row, catalogue).iloc[0]}, locode
    rotterdam = policies.links_for(ports[ports["locode"] == "NLRTM"], catalogue).iloc[0]
    assert port_policy <= {link.document for link in rotterdam}


# -- corridor nodes and TEN-T standards (issue 11) ----------------------------------------------


def test_corridor_nodes_are_places_of_the_gazetteer_quoted_from_the_reference(catalogue):
    from geo import search

    places = set(search.load_places()["id"])
    reference = yaml.safe_load(REFERENCE_PATH.read_text(encoding="utf-8"))
    endpoints = {
        item["name"]: item["endpoints"] for item in reference["corridors"]["european_transport_corridors_2024"]["items"]
    }
    for corridor in catalogue.corridors:
        if not corridor.nodes:
            assert corridor.nodes_note, corridor.name  # says why it stays country-level
            continue
        assert corridor.verification == "verified" and "UNVERIFIED" not in endpoints[corridor.name]
        for chain in corridor.nodes:
            for node in chain:
                assert node.place in places, node
                assert node.name in endpoints[corridor.name], (corridor.name, node.name)
    unverified = [c for c in catalogue.corridors if "UNVERIFIED" in endpoints[c.name]]
    assert unverified and not any(c.nodes for c in unverified)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(nodes_source=None), "nodes_source"),
        (lambda c: c.update(verification="partial"), "only for verified corridors"),
        (lambda c: c["nodes"].append([c["nodes"][0][0]]), "at least two places"),
    ],
)
def test_corridor_nodes_need_a_source_and_a_verified_corridor(tmp_path, raw, change, message):
    path = write_variant(
        tmp_path,
        raw,
        lambda data: change(next(c for c in data["corridors"] if c["document"] == "etc-north-sea-baltic")),
    )
    with pytest.raises(policies.CatalogueError, match=message):
        policies.load_catalogue(path)


def test_standards_give_an_article_only_when_read_in_the_text(catalogue, tmp_path, raw):
    assert catalogue.standards and all(s.article is None for s in catalogue.standards.items)
    assert {s.certainty for s in catalogue.standards.items} == {"reported", "demanded"}
    path = write_variant(tmp_path, raw, lambda data: data["tent_standards"]["items"][0].update(article="Art. 99"))
    with pytest.raises(policies.CatalogueError, match="article"):
        policies.load_catalogue(path)


def test_a_crossing_matches_rules_through_either_country(catalogue):
    import shapely

    from tests.map_support import features

    crossing = features(
        "crossings", [shapely.Point(24.0, 50.5)], country="BY", other_country="PL", mode="rail", kind="rail"
    )
    documents = policies.documents_for(crossing, catalogue).iloc[0]
    assert "milmob-reg-2025" in documents  # an EU27 rule, through Poland
