"""The app's official links and downloads, in headless Chromium with every off-machine request blocked.

- A port's popup lists the TEN-T Regulation with a working official EUR-Lex link: the address is the
  catalogue's, it opens in a new page (target _blank, rel noopener), and clicking it asks for exactly
  that address (which the offline router then blocks, as it blocks everything off the machine).
- The Download panel gives files that read back with pyogrio: the selected features, with provenance,
  named after what they hold; the bundle adds README.txt, metadata.json and the licence texts.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import pyogrio
import pytest
from playwright.sync_api import BrowserContext, Download, Frame, Locator, Page, expect

from geo import export, policies, schema, select, store
from geo.layers import layer_names

from .app_controls import choose_option, pick_countries
from .leaflet_probe import map_frame, wait_for_count

pytestmark = pytest.mark.browser

ROTTERDAM = "gisco:NLRTM"
TENT_REGULATION = "tent-2024"
PROVENANCE = ("source", "licence", "attribution", "retrieved_at")
DOWNLOAD_TIMEOUT_MS = 60_000

# The index of a feature in `corridorAtlas.layers[layer]`, by its id (see property_table in geo/render.py).
FEATURE_INDEX_JS = """
([layer, id]) => {
  const props = corridorAtlas.layers[layer].props;
  const count = corridorAtlas.layers[layer].features.length;
  for (let i = 0; i < count; i++) {
    if (corridorAtlas.value(props, "id", i) === id) return i;
  }
  return -1;
}
"""


def open_popup(frame: Frame, layer: str, feature_id: str) -> Locator:
    """Opens the popup of one feature through the map's test hook; returns the popup once shown."""
    index = frame.evaluate(FEATURE_INDEX_JS, [layer, feature_id])
    assert index >= 0, f"{feature_id} is not on the {layer} layer"
    assert frame.evaluate("([layer, i]) => corridorAtlas.openPopup(layer, i)", [layer, index])
    popup = frame.locator(f'.leaflet-popup .ca-popup[data-layer="{layer}"][data-feature-id="{feature_id}"]')
    expect(popup).to_be_visible()
    return popup


def test_port_popup_links_the_ten_t_regulation_on_eur_lex(app_page: Page, context: BrowserContext, router) -> None:
    catalogue = policies.load_catalogue()
    official_url = catalogue.documents[TENT_REGULATION].url
    assert catalogue.official_link(TENT_REGULATION) == (official_url, "official text")
    address = urlsplit(official_url)
    assert (address.scheme, address.hostname) == ("https", "eur-lex.europa.eu")

    popup = open_popup(map_frame(app_page), "ports", ROTTERDAM)
    assert popup.locator(".ca-popup-title").inner_text() == "Rotterdam"
    item = popup.locator(f'.ca-popup-documents li[data-document-id="{TENT_REGULATION}"]')
    expect(item).to_have_count(1)
    link = item.locator("a")
    expect(link).to_have_count(1)
    assert "2024/1679" in link.inner_text()
    assert link.get_attribute("href") == official_url
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "").split()

    # Offline, "the link works" means: clicking it opens a new page that asks for exactly the official
    # address. The router blocks that request like any other off the machine, and records it.
    router.expected_blocked.add(official_url)
    with (
        context.expect_page() as opened,
        context.expect_event("requestfailed", lambda request: request.url == official_url) as failed,
    ):
        link.click()
    new_page, request = opened.value, failed.value
    assert request.is_navigation_request()
    assert request.frame.page == new_page
    assert "ERR_BLOCKED_BY_CLIENT" in (request.failure or "")
    new_page.close()

    assert router.blocked == [official_url]
    assert app_page.url.startswith("http://127.0.0.1:")  # the app itself stayed where it was


# ----------------------------------------------------------------------------------------- downloads


def polish(layer: str) -> gpd.GeoDataFrame:
    """The features of `layer` in Poland, as the app's export selects them (the test store is empty)."""
    frame = store.read_embedded(layer)
    expected = select.select(frame, ("PL",))
    chosen = export.select_layer(frame, export.Selection(countries=("PL",)))
    assert list(chosen["id"]) == list(expected["id"])
    assert len(expected) > 0
    return expected


def download_button(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-download_{key} button")


@pytest.fixture
def poland_geopackage(app_page: Page) -> Page:
    """The app with Poland picked in the country filter and GeoPackage as the download format."""
    map_frame(app_page)
    pick_countries(app_page, "Poland")
    # Let the rerun the filter started finish (the map shows Poland's ports) before using the panel.
    ports = len(polish("ports"))
    assert wait_for_count(app_page, "ports", ports) == ports
    choose_option(app_page, "export_format", "GeoPackage")
    # The buttons are relabelled once the panel has rerun with the filter and format.
    rail = len(polish("rail"))
    expect(download_button(app_page, "rail")).to_contain_text(f"GeoPackage · {rail:,} features", timeout=60_000)
    return app_page


def download(page: Page, key: str, folder: Path) -> tuple[Download, Path]:
    """Clicks a download button; returns the download and where it was saved."""
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as started:
        download_button(page, key).click()
    done = started.value
    assert done.failure() is None
    path = folder / done.suggested_filename
    done.save_as(path)
    return done, path


def dates_during(start: datetime) -> set[str]:
    """The UTC dates from `start` to now (a file name dated either side of midnight is fine)."""
    return {start.date().isoformat(), datetime.now(UTC).date().isoformat()}


def test_rail_download_reads_back_as_the_selected_features(poland_geopackage: Page, tmp_path: Path) -> None:
    start = datetime.now(UTC)
    expected = polish("rail")

    done, path = download(poland_geopackage, "rail", tmp_path)

    # The name says what it holds: the layer, the area and the day it was made.
    match = re.fullmatch(r"corridor-atlas_rail_PL_(\d{4}-\d{2}-\d{2})\.gpkg", done.suggested_filename)
    assert match, done.suggested_filename
    assert match[1] in dates_during(start)

    assert [name for name, _ in pyogrio.list_layers(path)] == ["rail"]
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == len(expected)
    assert frame["id"].is_unique
    assert sorted(frame["id"]) == sorted(expected["id"])
    assert (frame["country"] == "PL").all()
    assert set(schema.columns("rail")) <= set(frame.columns)
    for column in PROVENANCE:
        values = frame[column]
        assert values.notna().all(), column
        assert (values.astype(str).str.strip() != "").all(), column


def test_bundle_download_holds_readme_metadata_and_licences(poland_geopackage: Page, tmp_path: Path) -> None:
    start = datetime.now(UTC)
    frames = {layer: polish(layer) for layer in layer_names()}

    done, path = download(poland_geopackage, "bundle", tmp_path)

    layers = "-".join(layer_names())
    match = re.fullmatch(rf"corridor-atlas_{layers}_PL_(\d{{4}}-\d{{2}}-\d{{2}})\.zip", done.suggested_filename)
    assert match, done.suggested_filename
    assert match[1] in dates_during(start)

    licences = export.licence_files(frames)
    assert licences, "no licence text applies to the Polish features"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"README.txt", "metadata.json"} <= names
        assert {f"{layer}.gpkg" for layer in layer_names()} <= names
        assert set(licences) <= names
        for name, source in licences.items():
            assert archive.read(name) == source.read_bytes(), name
        assert names == {"README.txt", "metadata.json", *licences, *(f"{layer}.gpkg" for layer in layer_names())}

        readme = archive.read("README.txt").decode("utf-8")
        metadata = json.loads(archive.read("metadata.json"))
        archive.extract("rail.gpkg", tmp_path / "bundle")

    assert "countries PL" in readme
    assert metadata["selection"]["countries"] == ["PL"]
    assert metadata["format"] == "GeoPackage"
    for layer, frame in frames.items():
        assert metadata["layers"][layer]["features"] == len(frame), layer
    rail = pyogrio.read_dataframe(tmp_path / "bundle" / "rail.gpkg")
    assert sorted(rail["id"]) == sorted(frames["rail"]["id"])
