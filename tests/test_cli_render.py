"""`python -m geo render`: a standalone offline page from the real datasets, clear errors for bad input."""

from __future__ import annotations

import re

import pytest

from geo.cli import main
from geo.layers import layer_names
from tests.app_support import page_ids


def test_render_writes_an_offline_page_for_a_country(tmp_path, capsys):
    out = tmp_path / "pl.html"
    assert main(["render", "--out", str(out), "--layer", "rail,ports", "--country", "Poland", "--seed"]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'corridorAtlas.addLayer("rail"' in page and 'corridorAtlas.addLayer("ports"' in page
    assert 'corridorAtlas.addLayer("roads"' not in page
    assert not re.findall(r'<script src="https?://', page)  # Leaflet is inlined
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bbox=20,50,10,40"], "inverted"),
        (["--bbox=1,2,3"], "four numbers"),
        (["--country", "Atlantis"], "unknown country"),
        (["--layer", "trains"], "unknown layer"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, args, message):
    out = tmp_path / "map.html"
    assert main(["render", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_render_replaces_an_existing_page_only_with_force(tmp_path, capsys):
    out = tmp_path / "map.html"
    out.write_text("my notes")
    assert main(["render", "--out", str(out), "--layer", "ports", "--country", "MT"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and out.read_text() == "my notes"
    assert main(["render", "--out", str(out), "--layer", "ports", "--country", "MT", "--force"]) == 0
    assert "corridorAtlas" in out.read_text(encoding="utf-8")


def test_render_below_a_file_is_one_plain_sentence(tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    assert main(["render", "--out", str(blocker / "map.html"), "--layer", "ports"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Errno" not in err and blocker.read_text() == "mine"


@pytest.mark.parametrize("command", ["export", "render", "policies", "import", "fetch"])
def test_every_command_takes_layers_the_same_way(command):
    from geo.cli import build_parser

    parser = build_parser()
    args = {"export": ["--out", "x"], "render": ["--out", "x"], "policies": [], "import": ["x.pbf"]}.get(command, [])
    command = ["fetch", "overpass"] if command == "fetch" else [command]
    parsed = parser.parse_args([*command, *args, "--layer", "rail, ports", "--layer", "roads"])
    assert parsed.layer == ["rail", "ports", "roads"]


@pytest.mark.parametrize("command", [["export"], ["render", "--out", "x"], ["policies"], ["fetch", "overpass"]])
def test_an_unknown_layer_is_one_line_for_every_command(command, capsys):
    assert main([*command, "--layer", "rail,canals"]) == 2
    known = ", ".join(layer_names())
    assert capsys.readouterr().err == f"error: unknown layer 'canals'; choose one of: {known}\n"


def test_render_shows_on_the_map_what_a_document_applies_to(tmp_path, capsys):
    """ "Show on map" from the CLI: only the features the Port Services Regulation applies to (no inland port)."""
    out = tmp_path / "ports-2017.html"
    assert main(["render", "--out", str(out), "--layer", "ports", "--country", "DE", "--document", "ports-2017"]) == 0
    page = out.read_text(encoding="utf-8")
    ids = page_ids(page, "ports")
    assert "gisco:DEHAM" in ids and "gisco:DEDUI" not in ids, "Hamburg yes, inland Duisburg no"
    assert "Showing only what" in capsys.readouterr().err


def test_render_an_unknown_document_is_one_line(tmp_path, capsys):
    assert main(["render", "--out", str(tmp_path / "m.html"), "--document", "no-such-act"]) == 2
    assert capsys.readouterr().err == "error: unknown document 'no-such-act'; see `python -m geo policies`\n"


def test_render_needs_an_html_or_a_png_output(capsys):
    assert main(["render", "--layer", "ports", "--country", "MT"]) == 2
    assert "--out FILE.html, --png FILE.png" in capsys.readouterr().err


def test_png_paths_and_sizes_are_checked_before_any_work(tmp_path, capsys):
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"old")
    assert main(["render", "--png", str(taken), "--layer", "ports", "--country", "MT"]) == 2
    assert "already exists" in capsys.readouterr().err and taken.read_bytes() == b"old"
    assert main(["render", "--png", str(tmp_path / "a.png"), "--png-size", "big", "--layer", "ports"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()


def test_png_without_chromium_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CORRIDOR_ATLAS_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "map.png"
    assert main(["render", "--png", str(out), "--layer", "ports", "--country", "MT"]) == 2
    err = capsys.readouterr().err
    assert "needs Chromium" in err and "apt-get install chromium" in err and not out.exists()
