"""The app's download panel on the real datasets, driven by streamlit.testing (no browser)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geo import export, settings
from tests.app_support import fresh_caches, run_app  # noqa: F401 (autouse fixture)


def _buttons(app: AppTest) -> dict[str, str]:
    return {button.key: button.label for button in app.download_button}


def test_one_button_per_visible_layer_and_a_bundle_labelled_with_format_and_size():
    app = run_app(layers="rail,ports", countries="PL")
    assert not app.exception
    buttons = _buttons(app)
    assert set(buttons) == {"download_rail", "download_ports", "download_bundle"}
    assert buttons["download_rail"].startswith("Download Railways · GeoJSON · ")
    assert " features · ~" in buttons["download_rail"] and buttons["download_rail"].endswith("B")
    assert buttons["download_bundle"].startswith("Download bundle with README and licences · Bundle (GeoJSON, ")


def test_picking_a_format_relabels_the_buttons():
    app = run_app(layers="roads", countries="RO")
    app.selectbox(key="export_format").set_value("gpkg").run()
    assert not app.exception
    assert _buttons(app)["download_roads"].startswith("Download Major roads · GeoPackage · ")


def test_clip_box_narrows_the_export_and_a_bad_box_is_a_clear_error():
    app = run_app(layers="ports")
    whole = _buttons(app)["download_ports"]
    app.text_input(key="export_bbox").set_value("18.4,54.3,18.8,54.6").run()
    clipped = _buttons(app)["download_ports"]
    assert not app.exception
    count = int(clipped.split(" · ")[2].split()[0].replace(",", ""))
    assert 0 < count < int(whole.split(" · ")[2].split()[0].replace(",", ""))
    app.text_input(key="export_bbox").set_value("30,40,20,50").run()
    assert "bbox is inverted" in app.error[0].value
    assert not app.download_button


def test_empty_selection_says_so_instead_of_offering_an_empty_file():
    app = run_app(layers="ports")
    app.text_input(key="export_bbox").set_value("-30,35,-29,36").run()
    assert not app.exception
    assert not app.download_button
    messages = [info.value.replace("\\", "") for info in app.info]  # messages are Markdown-escaped
    assert any("Ports: no ports features in the selection: nothing to export" in text for text in messages)


def test_hosted_limit_is_applied(monkeypatch):
    monkeypatch.setattr(settings, "MODE", "hosted")
    monkeypatch.setattr(settings, "HOSTED_MAX_EXPORT_FEATURES", 100)
    app = run_app(layers="rail")
    assert "download_rail" not in _buttons(app)
    assert any("this server exports at most 100" in info.value for info in app.info)


def test_the_offer_builds_the_file_it_names():
    offer = export.layer_download(
        export.select_layer(export.store.read_embedded("ports"), export.Selection(countries=("PL",))),
        "ports",
        "csv",
        export.Selection(countries=("PL",)),
    )
    assert offer.file_name.startswith("corridor-atlas_ports_PL_") and offer.file_name.endswith(".csv")
    text = offer.build().decode("utf-8")
    assert "Gdańsk" in text and text.startswith("id,layer,name,")


def test_the_bundle_of_one_visible_layer_is_still_a_bundle():
    app = run_app(layers="ports", countries="PL")
    buttons = _buttons(app)
    assert buttons["download_ports"].startswith("Download Ports · GeoJSON · ")
    assert buttons["download_bundle"].startswith("Download bundle with README and licences · Bundle (GeoJSON, ports)")
