"""Seed ports (the "Debate entry ports" overlay): one list with the entry-ports table, plain reasons."""

from __future__ import annotations

import json

import pytest

from geo import policies, policy_views, render, store
from geo.seed_ports import COLUMNS, load_seed_ports


@pytest.fixture(scope="module")
def seeds():
    return load_seed_ports()


@pytest.fixture(scope="module")
def ports():
    return store.read_embedded("ports")


def test_every_seed_port_is_in_the_embedded_ports(seeds, ports):
    assert list(seeds.columns) == list(COLUMNS)
    by_locode = ports.dropna(subset=["locode"]).drop_duplicates("locode").set_index("locode")
    missing = sorted(set(seeds["locode"]) - set(by_locode.index))
    assert not missing
    assert (by_locode.loc[seeds["locode"], "country"].to_numpy() == seeds["country"].to_numpy()).all()


def test_seed_ports_cover_the_named_entry_ports(seeds):
    assert {"NLRTM", "DEHAM", "ITGOA", "ITSPE", "GRPIR", "NOBGO"} <= set(seeds["locode"])
    assert (seeds["country"] == "TR").sum() == 8
    assert seeds["locode"].is_unique
    assert (seeds["reason"].str.len() > 40).all()


def test_the_table_and_the_overlay_list_the_same_ports(seeds, ports):
    table = policy_views.entry_ports_frame(ports)
    assert table["UN/LOCODE"].tolist() == seeds["locode"].tolist()
    request = render.MapRequest(frames={"ports": ports}, seed_ports=seeds, show_seed=True, documents=False)
    prepared = render.prepare_map(request)
    marked = json.loads(prepared.seed)["index"]
    drawn = json.loads(prepared.layers["ports"])
    assert len(marked) == len(seeds) == len(table) == 20
    locodes = ports["locode"].to_numpy()
    assert {locodes[i] for i in marked} == set(seeds["locode"])
    assert drawn["count"] == len(ports)


def test_popup_reasons_read_as_plain_english(seeds, ports):
    reasons = seeds.set_index("locode")["reason"]
    assert reasons["NLRTM"].startswith("Entry port named in the public debate on military mobility. 2024 corridors: ")
    assert "North Sea - Rhine - Mediterranean (verified)" in reasons["NLRTM"]
    assert "Western Balkans - Eastern Mediterranean (probable)" in reasons["GRPIR"]
    assert "2024 corridors: not established." in reasons["NOBGO"]
    assert reasons["GRSKG"].startswith("Not named in the public debate; listed beside the entry ports for comparison.")
    for reason in reasons:
        assert "requested" not in reason.lower() and "lookup" not in reason.lower()
    page = render.render_html(render.MapRequest(frames={"ports": ports}, seed_ports=seeds, documents=False))
    assert "requested ports lookup" not in page.lower() and "In the requested" not in page
    assert '"entry_port":"Entry port list"' in page, "the popup row's label travels with the layer"
    assert "Debate entry port:" not in page


def test_roles_follow_the_catalogue():
    catalogue = policies.load_catalogue()
    roles = [entry.role for entry in catalogue.entry_ports]
    assert (roles.count("named"), roles.count("compared"), roles.count("named_country")) == (6, 6, 8)


def test_a_repeated_entry_port_fails_naming_the_field(tmp_path):
    from tests.policy_support import read_raw_catalogue, write_variant

    def repeat(data):
        data["entry_ports"].append(dict(data["entry_ports"][0]))

    with pytest.raises(policies.CatalogueError, match=r"entry ports: field 'locode' lists NLRTM more than once"):
        policies.load_catalogue(write_variant(tmp_path, read_raw_catalogue(), repeat))
