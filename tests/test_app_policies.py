"""The app's policy panel, show-on-map and corridors view on the real datasets (streamlit.testing)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geo.seed_ports import load_seed_ports
from tests.app_support import fresh_caches, map_ids, map_script, run_app, url_param  # noqa: F401 (autouse fixture)

# Each table is recognised by its first column (testing elements do not expose widget keys).
_FIRST_COLUMN = {"policy_table": "id", "corridors_table": "corridor", "entry_ports_table": "port"}


def _table(app: AppTest, key: str):
    return next(frame.value for frame in app.dataframe if frame.value.columns[0] == _FIRST_COLUMN[key])


def test_panel_lists_documents_for_visible_layers_and_countries():
    app = run_app(layers="rail", countries="PL")
    assert not app.exception
    table = _table(app, "policy_table")
    assert {"rail-interop-2016", "etc-baltic-adriatic"} <= set(table["id"])
    assert "ports-2017" not in set(table["id"])  # the ports layer is off
    official = table.set_index("id").loc["rail-interop-2016", "official text"]
    assert official == "https://eur-lex.europa.eu/eli/dir/2016/797/oj"
    assert table.set_index("id").loc["council-milreq", "address"] == "no official address"


def test_mode_and_status_filters_narrow_the_list():
    app = run_app(layers="rail,roads", countries="DE")
    app.multiselect(key="policy_modes").set_value(["road"]).run()
    app.multiselect(key="policy_status").set_value(["in_force"]).run()
    assert not app.exception
    table = _table(app, "policy_table")
    assert len(table) > 0
    assert all("road" in modes for modes in table["modes"])
    assert set(table["status"]) == {"in force"}


def test_show_on_map_keeps_only_what_the_document_applies_to():
    app = run_app(layers="ports", countries="NL,NO")
    before = map_script(app)
    assert "gisco:NOBGO" in map_ids(app, "ports")
    app.selectbox(key="policy_document").set_value("etc-north-sea-rhine-mediterranean").run()
    assert not app.exception
    after = map_script(app)
    assert after != before
    shown = map_ids(app, "ports")
    assert "gisco:NLRTM" in shown and "gisco:NOBGO" not in shown
    # A corridor the Commission names nodes for is drawn as its indicative line, with the ports named on it.
    assert any(
        "Showing North Sea - Rhine - Mediterranean corridor as an indicative alignment" in info.value
        for info in app.info
    )
    assert "Corridor (indicative alignment)" in after


def test_corridors_and_entry_ports_are_shown_honestly():
    app = run_app(layers="ports")
    assert not app.exception
    corridors = _table(app, "corridors_table")
    assert len(corridors) == 9
    entry = _table(app, "entry_ports_table").set_index("port")
    assert entry.loc["Bergen", "2024 corridors"] == "not established"
    assert entry.loc["Rotterdam", "2024 corridors"].startswith("North Sea - Rhine - Mediterranean (verified)")
    # The table lists exactly the ports the "Debate entry ports" overlay marks.
    assert entry["UN/LOCODE"].tolist() == load_seed_ports()["locode"].tolist()


def test_the_document_shown_on_the_map_is_in_the_link():
    app = run_app(layers="ports", countries="NL,NO")
    app.selectbox(key="policy_document").set_value("tent-2013").run()
    assert url_param(app, "doc") == "tent-2013"
    shared = run_app(layers="ports", countries="NL,NO", doc="tent-2013")
    assert not shared.exception
    assert shared.selectbox(key="policy_document").value == "tent-2013"
    shown = map_ids(shared, "ports")
    assert "gisco:NLRTM" in shown and "gisco:NOBGO" not in shown
    hostile = run_app(layers="ports", doc="<script>")
    assert not hostile.exception
    assert hostile.selectbox(key="policy_document").value is None
