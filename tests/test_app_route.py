"""The app's route by rail: from the link, drawn on the map, explained below it, errors in words."""

from __future__ import annotations

from tests.app_support import fresh_caches, map_script, run_app, url_param  # noqa: F401


def test_route_from_the_link_is_drawn_and_explained():
    app = run_app(**{"from": "NLRTM", "to": "Warsaw", "avoid_country": "BE", "layers": "ports"})
    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Countries"] == "NL → DE → PL" and metrics["Breaks of gauge"] == "0"
    script = map_script(app)
    assert "Route: Rotterdam (NL) to Warsaw (PL)" in script and '"layer":"route"' in script
    assert app.sidebar.text_input(key="route_from").value == "NLRTM"
    assert app.sidebar.multiselect(key="route_avoid_countries").value == ["BE"]
    assert url_param(app, "avoid_country") == "BE"
    assert [button.label for button in app.get("download_button") if "stretches" in button.label]


def test_typing_a_route_updates_the_url_and_options_change_it():
    app = run_app(layers="ports")
    app.sidebar.text_input(key="route_from").set_value("Gdansk")
    app.sidebar.text_input(key="route_to").set_value("Lviv").run()
    assert url_param(app, "from") == "Gdansk" and url_param(app, "to") == "Lviv"
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Breaks of gauge"] == "1"
    app.sidebar.radio(key="route_within").set_value("NATO").run()
    assert url_param(app, "within") == "NATO"


def test_ambiguous_and_island_ends_are_explained_in_words():
    app = run_app(**{"from": "Frankfurt", "to": "Warsaw", "layers": "ports"})
    assert "ambiguous" in app.error[0].value
    assert app.sidebar.selectbox(key="route_choice").options
    app = run_app(**{"from": "MTMLA", "to": "Warsaw", "layers": "ports"})
    assert any("No rail link" in info.value for info in app.info) and not app.exception


def test_show_on_map_for_a_corridor_draws_its_indicative_line():
    app = run_app(doc="etc-north-sea-baltic", layers="ports,rail")
    script = map_script(app)
    assert "Corridor (indicative alignment)" in script and "not the legal map" in script
    assert any("indicative alignment" in info.value for info in app.info)
    app = run_app(doc="etc-baltic-adriatic", layers="ports,rail")
    assert "Corridor (indicative alignment)" not in map_script(app)
    assert any("shown by country" in info.value for info in app.info)


def test_the_search_box_finds_and_highlights_a_border_crossing():
    app = run_app(q="crossing:rail/PL-UA/8")
    assert not app.exception
    script = map_script(app)
    assert '"highlight":{"layer":"crossings"' in script
