"""The Streamlit app on the real datasets, driven by streamlit.testing (no browser)."""

from __future__ import annotations

import json
import shutil

from streamlit.testing.v1 import AppTest

from geo import settings, tiles
from geo.layers import layer_names
from tests.app_support import fresh_caches, map_script, url_param  # noqa: F401 - the fixture is autouse
from tests.app_support import run_app as _run


def _metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_app_runs_on_the_real_datasets():
    app = _run()
    assert not app.exception
    assert not app.error
    metrics = _metrics(app)
    assert int(metrics["Ports"].replace(",", "")) > 2000
    assert url_param(app, "layers") == ",".join(layer_names())


def test_country_filter_changes_the_statistics_and_the_url():
    app = _run()
    europe = _metrics(app)
    app.multiselect(key="countries").set_value(["PL"]).run()
    poland = _metrics(app)
    assert not app.exception
    assert poland["Ports"] != europe["Ports"]
    assert poland["Railways"] != europe["Railways"]
    assert url_param(app, "countries") == "PL"


def test_countries_from_the_url_are_resolved_and_unknown_ones_noticed():
    app = _run(countries="Poland,Atlantis")
    assert not app.exception
    assert app.multiselect(key="countries").value == ["PL"]
    assert any("Atlantis" in info.value for info in app.info)


def test_empty_country_selection_and_empty_layers_give_notices():
    app = _run()
    assert any("No country selected" in caption.value for caption in app.sidebar.caption)
    app = _run(countries="AD")  # Andorra: roads, but no port and no railway
    assert not app.exception
    assert any("Nothing to draw for Ports, Railways" in info.value for info in app.info)


def test_no_layer_gives_a_notice():
    app = _run(layers="none")
    assert not app.exception
    assert any("No layer selected" in info.value for info in app.info)


def test_search_selects_the_port_and_records_it_in_the_url():
    app = _run()
    app.text_input(key="query").set_value("gdansk").run()
    assert not app.exception
    assert app.selectbox(key="search_result").value == "gisco:PLGDN"
    assert url_param(app, "q") == "gdansk"


def _map_args(app: AppTest) -> dict:
    (component,) = app.get("component_instance")
    return json.loads(component.proto.json_args)


def test_map_loads_only_the_vendored_leaflet_and_draws_every_layer():
    args = _map_args(_run())
    # protomaps-leaflet reads the vector tiles; both are vendored (no CDN).
    assert args["js_links"] == [settings.LEAFLET_APP_URL + "leaflet.js", settings.PROTOMAPS_LEAFLET_APP_URL]
    assert args["css_links"] == [settings.LEAFLET_APP_URL + "leaflet.css"]
    assert args["returned_objects"] == []  # panning never reruns the script
    for layer in ("ports", "rail", "roads"):
        assert f'corridorAtlas.addLayer("{layer}"' in args["script"]


def test_the_lines_come_from_vector_tiles_and_the_page_stays_small():
    app = _run()
    script = map_script(app)
    manifest = tiles.read_manifest()
    assert settings.TILES_URL + manifest["archives"][tiles.EMBEDDED]["file"] in script
    assert len(script.encode()) <= 200_000  # all of Europe, every layer: the page no longer grows with the data
    assert not app.warning and not any("without detail" in info.value for info in app.info)


def test_without_usable_tiles_the_map_is_drawn_from_the_page_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "TILES_DIR", tmp_path / "no-tiles")
    monkeypatch.setattr(settings, "BUILD_TILES", False)
    app = _run()
    assert not app.exception
    script = map_script(app)
    assert settings.PROTOMAPS_LEAFLET_APP_URL not in _map_args(app)["js_links"]
    assert '"lod0:' in script  # the coarse level fits the page budget
    assert "without detail that follows the zoom: no map tiles are built yet" in script


def test_rerun_draws_the_same_map_from_the_shared_cache():
    app = _run()
    first = map_script(app)
    app.run()
    assert not app.exception
    assert map_script(app) == first  # a re-rendered folium map would carry stale element names
    assert map_script(_run()) == first  # a second session shares the cached map data


def test_search_result_is_highlighted_in_the_map():
    app = _run(q="PLGDN", countries="PL")
    assert not app.exception
    script = map_script(app)
    assert '"highlight":{"layer":"ports","index":' in script
    assert "fitBounds" in script
    assert any("region around Gdańsk" in caption.value for caption in app.caption)


def test_missing_dataset_names_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DATASETS_DIR", tmp_path / "empty")
    app = _run()
    assert not app.exception
    assert app.error and "python -m geo build-default" in app.error[0].value
    assert not app.get("component_instance")


def test_corrupt_dataset_names_the_build_command(tmp_path, monkeypatch):
    datasets = tmp_path / "datasets"
    shutil.copytree(settings.DATASETS_DIR, datasets)
    (datasets / "rail.parquet").write_bytes(b"PAR1 truncated")
    monkeypatch.setattr(settings, "DATASETS_DIR", datasets)
    app = _run()
    assert not app.exception
    assert app.error and "python -m geo build-default" in app.error[0].value


def test_poland_gets_the_known_length_not_a_misleading_share():
    app = _run(countries="PL")
    (caption,) = [c.value for c in app.caption if c.value.startswith("Electrification is known for only")]
    metric = next(m for m in app.metric if m.label == "Electrified rail")
    assert metric.value.endswith("km known") and "%" not in metric.value
    assert "no share is given" in caption
    statistics = " ".join(c.value for c in app.caption)
    assert "older state of the network" in statistics, "the statistics say Natural Earth's attributes are dated"


def test_norway_gets_a_share_and_ferries_are_counted_apart():
    app = _run(countries="NO")
    metric = next(m for m in app.metric if m.label == "Electrified rail")
    assert metric.value.endswith("%")
    rail = next(m for m in app.metric if m.label == "Railways")
    assert "rail ferries are counted apart" in rail.help and "Rail ferry km: " in rail.help


def test_about_the_data_says_what_attributes_mean_where_they_come_from_and_how_old():
    app = _run(layers="rail")
    (expander,) = [e for e in app.expander if e.label == "About the data: Railways"]
    sources, attributes = (frame.value for frame in expander.dataframe)
    natural_earth = sources.set_index("source").loc["natural_earth"]
    assert natural_earth["data date"] == "not stated by the source" and "older state" in natural_earth["note"]
    meaning = attributes.set_index("column").loc["electrified", "meaning"]
    assert "Natural Earth" in meaning and "older state" in meaning
