"""`python -m geo render`: a standalone offline page from the real datasets, clear errors for bad input."""

from __future__ import annotations

import re

import pytest

from geo.cli import main


def test_render_writes_an_offline_page_for_a_country(tmp_path, capsys):
    out = tmp_path / "pl.html"
    assert main(["render", "--out", str(out), "--layers", "rail,ports", "--country", "Poland", "--seed"]) == 0
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
        (["--layers", "trains"], "unknown layer"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, args, message):
    out = tmp_path / "map.html"
    assert main(["render", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()
