"""`python -m geo policies`: documents for layers, countries or one feature, as text or JSON."""

from __future__ import annotations

import json

from geo.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["policies", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_layer_and_country_as_json(capsys):
    code, out, _ = _run(capsys, "--layer", "rail", "--country", "Poland", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["selection"] == {"layers": ["rail"], "countries": ["PL"]}
    ids = [d["id"] for d in report["documents"]]
    assert {"rail-interop-2016", "etc-baltic-adriatic", "etc-north-sea-baltic"} <= set(ids)
    assert "etc-north-sea-rhine-mediterranean" not in ids
    assert "ports-2017" not in ids  # a ports-only act


def test_feature_as_text_names_corridors_and_reasons(capsys):
    code, out, _ = _run(capsys, "--feature", "gisco:NLRTM")
    assert code == 0
    assert out.startswith("gisco:NLRTM  Rotterdam (ports, NL)")
    assert "2024 corridors: North Sea - Rhine - Mediterranean (verified); North Sea - Baltic (probable)" in out
    assert "- tent-2024: TEN-T Regulation (EU) 2024/1679" in out
    assert "https://eur-lex.europa.eu/eli/reg/2024/1679/oj" in out
    assert "why: " in out


def test_port_without_corridor_says_not_established(capsys):
    code, out, _ = _run(capsys, "--feature", "gisco:NOBGO", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["selection"]["corridors"] == "not established"
    assert not {"tent-2024", "tent-2013"} & {d["id"] for d in report["documents"]}


def test_unknown_country_is_a_clear_error(capsys):
    code, out, err = _run(capsys, "--country", "Atlantis")
    assert code == 2 and out == ""
    assert "unknown country 'Atlantis'" in err
    assert "Traceback" not in err


def test_unknown_or_malformed_feature_is_a_clear_error(capsys):
    code, _, err = _run(capsys, "--feature", "gisco:XXXXX")
    assert code == 2 and "no feature 'gisco:XXXXX'" in err
    code, _, err = _run(capsys, "--feature", "../../etc/passwd")
    assert code == 2 and "feature ids look like" in err


def test_unknown_layer_and_mixed_options_are_errors(capsys):
    code, _, err = _run(capsys, "--layer", "ships")
    assert code == 2 and "unknown layer 'ships'" in err
    code, _, err = _run(capsys, "--feature", "gisco:NLRTM", "--country", "NL")
    assert code == 2 and "--feature" in err


def test_feature_text_says_how_sure_the_match_is_apart_from_the_address(capsys):
    code, out, _ = _run(capsys, "--feature", "gisco:NLRTM")
    assert code == 0
    assert "link verified" not in out and "link probable" not in out
    blocks = out.split("\n- ")[1:]
    assert len(blocks) > 20
    for block in blocks:
        lines = block.splitlines()
        assert lines[1].startswith("    applies: "), block
        address = lines[2].strip()
        assert address == "no official address" or address.startswith(
            ("official text: https://", "defined in ", "official site, address not verified: https://")
        ), block
    council = next(block for block in blocks if block.startswith("council-milreq:"))
    assert council.splitlines()[1].startswith("    applies: verified, by country")
    assert council.splitlines()[2].strip() == "no official address"


def test_famagusta_json_shows_every_document_as_unverified_with_the_reason(capsys):
    code, out, _ = _run(capsys, "--feature", "gisco:CYFMG", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["selection"]["name"] == "Famagusta"
    documents = report["documents"]
    assert len(documents) >= 10
    for record in documents:
        assert record["match_certainty"] == "unverified", record["id"]
        assert record["applies"].startswith("applies: unverified")
        assert "north of Cyprus" in record["reason"] and "suspended" in record["reason"]
        assert record["address"] in ("official text", "official site, address not verified", "no official address")
    assert "link_certainty" not in documents[0]
