"""Seed ports: every LOCODE is in the embedded ports, with the same country; bad files are refused."""

from __future__ import annotations

import pytest

from geo import store
from geo.seed_ports import COLUMNS, load_seed_ports


def test_every_seed_port_is_in_the_embedded_ports():
    seeds = load_seed_ports()
    ports = store.read_embedded("ports")
    by_locode = ports.dropna(subset=["locode"]).drop_duplicates("locode").set_index("locode")
    missing = sorted(set(seeds["locode"]) - set(by_locode.index))
    assert not missing
    assert (by_locode.loc[seeds["locode"], "country"].to_numpy() == seeds["country"].to_numpy()).all()


def test_seed_ports_cover_the_named_entry_ports():
    seeds = load_seed_ports()
    assert {"NLRTM", "DEHAM", "ITGOA", "ITSPE", "GRPIR", "NOBGO"} <= set(seeds["locode"])
    assert (seeds["country"] == "TR").sum() >= 4
    assert seeds["locode"].is_unique
    assert (seeds["reason"].str.len() > 20).all() and seeds["source"].str.len().gt(0).all()


def test_piraeus_and_bergen_reasons_keep_their_uncertainty():
    reasons = load_seed_ports().set_index("locode")["reason"]
    assert "unverified" in reasons["GRPIR"].lower()
    assert "unverified" in reasons["NOBGO"].lower()


def test_malformed_seed_file_is_a_dataset_error(tmp_path):
    path = tmp_path / "seed_ports.csv"
    path.write_text(",".join(COLUMNS) + "\nNL RTM,Rotterdam,NL,why,src\n", encoding="utf-8")
    with pytest.raises(store.DatasetError, match="malformed"):
        load_seed_ports(path)
    path.write_text("locode,name\nNLRTM,Rotterdam\n", encoding="utf-8")
    with pytest.raises(store.DatasetError, match="lacks columns"):
        load_seed_ports(path)
    with pytest.raises(store.DatasetError, match="unreadable"):
        load_seed_ports(tmp_path / "absent.csv")
