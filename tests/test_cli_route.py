"""python -m geo route: the same explanation as text or JSON; exit codes 0, 1 (no rail link) and 2 (bad input)."""

from __future__ import annotations

import json
import zipfile

from geo import cli


def test_json_has_the_promised_keys(capsys):
    assert cli.main(["route", "--from", "NLRTM", "--to", "Warsaw", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"length_km", "countries", "crossings", "gauge_breaks", "corridors", "documents", "geometry"} <= set(data)
    assert data["countries"] == ["NL", "DE", "PL"]


def test_text_with_options_and_an_export(capsys, tmp_path):
    out = tmp_path / "genoa.csv"
    code = cli.main(
        ["route", "--from", "Genoa", "--to", "Munich", "--avoid-country", "CH", "--avoid", "ferry", "--out", str(out)]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "Options: avoid rail ferries; avoid CH" in captured.out
    assert "AT–IT rail crossing" in captured.out
    zipped = tmp_path / "genoa.csv.zip"
    assert zipped.exists() and not out.exists() and "wrote" in captured.err
    assert "route.json" in zipfile.ZipFile(zipped).namelist()


def test_no_rail_link_prints_the_reason_and_exits_1(capsys):
    assert cli.main(["route", "--from", "MTMLA", "--to", "Munich"]) == 1
    assert capsys.readouterr().out.startswith("No rail link")


def test_bad_input_is_one_line_with_exit_2(capsys):
    assert cli.main(["route", "--from", "Frankfurt", "--to", "Warsaw"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The origin 'Frankfurt' is ambiguous") and "Frankfurt (Oder)" in err
    assert err.count("\n") == 1 and "Traceback" not in err
