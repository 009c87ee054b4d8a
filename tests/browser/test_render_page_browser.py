"""The standalone page of `python -m geo render`, opened offline in Chromium from a local HTTP server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geo import settings

from .leaflet_probe import summary
from .offline import serve_directory

pytestmark = pytest.mark.browser


def render_page(out: Path, *extra: str) -> None:
    command = [sys.executable, "-m", "geo", "render", "--out", str(out), "--country", "PL", *extra]
    done = subprocess.run(command, cwd=settings.REPO_DIR, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("cdn", [False, True], ids=["embedded-leaflet", "cdn-leaflet"])
def test_standalone_page_draws_the_layers_offline(page, router, tmp_path: Path, cdn: bool) -> None:
    render_page(tmp_path / "map.html", *(["--cdn"] if cdn else []))
    with serve_directory(tmp_path) as base_url:
        page.goto(f"{base_url}/map.html")
        page.wait_for_function("() => window.corridorAtlas && corridorAtlas.counts().ports > 0")
        groups = summary(page.main_frame)["groups"]

    for layer in ("ports", "rail", "roads"):
        assert groups[layer]["total"] > 0, groups
        assert groups[layer]["inside"] == groups[layer]["total"]
    assert router.blocked == []
    # Embedded Leaflet needs nothing from a CDN; the --cdn page asks jsDelivr (answered from npm here).
    if cdn:
        assert any("leaflet" in url for url in router.from_cdn)
    else:
        assert router.from_cdn == []
