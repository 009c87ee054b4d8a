"""The standalone page of `python -m geo render`, opened offline in Chromium from a local HTTP server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geo import render, select, settings, usecases

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


# The popup of the port with UN/LOCODE `locode`: its title, table rows and documents (opened through the test hook).
PORT_POPUP_JS = """
(locode) => {
  const ports = corridorAtlas.layers.ports;
  let index = -1;
  for (let i = 0; i < ports.features.length && index < 0; i++) {
    if (corridorAtlas.value(ports.props, "locode", i) === locode) index = i;
  }
  if (index < 0 || !corridorAtlas.openPopup("ports", index)) return null;
  // The previous popup may still be fading out: pick this port's one.
  const popups = Array.from(document.querySelectorAll(".leaflet-popup .ca-popup"));
  const popup = popups.find((p) => p.querySelector(".ca-popup-attrs").textContent.includes(locode));
  return {
    title: popup.querySelector(".ca-popup-title").textContent,
    rows: Array.from(popup.querySelectorAll(".ca-popup-attrs tr")).map((tr) => tr.textContent),
    documents: Array.from(popup.querySelectorAll(".ca-popup-documents li")).map((li) => ({
      id: li.getAttribute("data-document-id"),
      match: (li.querySelector(".ca-doc-match") || {}).textContent,
      why: (li.querySelector(".ca-doc-why") || {}).textContent,
    })),
    text: popup.textContent,
  };
}
"""


def test_popups_say_how_sure_each_match_is_apart_from_the_address(page, router, tmp_path: Path) -> None:
    out = tmp_path / "cyprus.html"
    command = [sys.executable, "-m", "geo", "render", "--out", str(out), "--country", "CY,NL", "--layer", "ports"]
    done = subprocess.run([*command, "--seed"], cwd=settings.REPO_DIR, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with serve_directory(tmp_path) as base_url:
        page.goto(f"{base_url}/cyprus.html")
        page.wait_for_function("() => window.corridorAtlas && corridorAtlas.counts().ports > 0")
        famagusta = page.evaluate(PORT_POPUP_JS, "CYFMG")
        rotterdam = page.evaluate(PORT_POPUP_JS, "NLRTM")

    assert famagusta["title"] == "Famagusta" and famagusta["documents"]
    for doc in famagusta["documents"]:
        assert doc["match"].startswith("applies: unverified, "), doc
        assert "north of Cyprus" in doc["why"], doc
    assert "link verified" not in famagusta["text"] and "link verified" not in rotterdam["text"]
    by_id = {doc["id"]: doc for doc in rotterdam["documents"]}
    assert by_id["tent-2024"]["match"] == "applies: verified, matched on the feature; official text"
    assert any(row.startswith("Entry port list") and "named in the public debate" in row for row in rotterdam["rows"])
    assert "requested ports lookup" not in rotterdam["text"].lower()


def test_port_popups_word_the_ten_t_code_and_the_port_type(page, router, tmp_path: Path) -> None:
    request = usecases.map_request(select.load_layers(), ["ports"], ["HR", "DE", "SE"], documents=False)
    (tmp_path / "map.html").write_text(render.render_html(request, inline_assets=True), encoding="utf-8")
    ids = request.frames["ports"]["id"].tolist()
    texts = {}
    with serve_directory(tmp_path) as base_url:
        page.goto(f"{base_url}/map.html")
        page.wait_for_function("() => window.corridorAtlas && corridorAtlas.counts().ports > 0")
        for feature_id in ("gisco:HRRJK", "gisco:DEDUI", "gisco:SEKOG"):
            assert page.evaluate("(i) => corridorAtlas.openPopup('ports', i)", ids.index(feature_id))
            popup = page.locator(".leaflet-popup .ca-popup").last
            assert popup.get_attribute("data-feature-id") == feature_id
            rows = popup.locator("table.ca-popup-attrs tr")
            texts[feature_id] = {
                rows.nth(k).locator("th").inner_text(): rows.nth(k).locator("td").inner_text()
                for k in range(rows.count())
            }
    rijeka, duisburg, koping = texts["gisco:HRRJK"], texts["gisco:DEDUI"], texts["gisco:SEKOG"]
    assert rijeka["TEN-T port code (GISCO 2013)"] == "none recorded"
    assert rijeka["Port type"] == "sea" and rijeka["Matched to the WPI by"] == "UN/LOCODE"
    assert float(rijeka["GISCO to WPI position (km)"]) < 5
    assert duisburg["TEN-T port code (GISCO 2013)"] == "2801" and duisburg["Port type"] == "inland"
    assert duisburg["Port type evidence"] == "172 km from the sea and not in the World Port Index"
    assert koping["Port type"] == "not known" and "95 km from the sea" in koping["Port type evidence"]
    assert router.blocked == []
