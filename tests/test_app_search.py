"""The app's search box on the real datasets: clear answers zoom, choices wait for a pick, text stays plain."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from geo import search, store
from tests.app_support import fresh_caches, map_script  # noqa: F401 - the fixture is autouse
from tests.app_support import run_app as _run

DUBLIN = (-6.26, 53.35)
# ASCII punctuation, which CommonMark may read as Markdown unless a backslash escapes it.
_PUNCTUATION = r"[!-/:-@\[-`{-~]"


def _bounds(app: AppTest) -> tuple[float, float, float, float]:
    """The W,S,E,N box the map is fitted to (degrees)."""
    match = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", map_script(app))
    south, west, north, east = map(float, match.groups())
    return west, south, east, north


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _search_box(app: AppTest):
    return app.selectbox(key="search_result")


def test_athina_zooms_to_athens_not_dublin():
    app = _run(q="Athina")
    assert not app.exception
    assert _search_box(app).value == "geonames:264371"
    bounds = _bounds(app)
    assert _inside((23.73, 37.98), bounds) and not _inside(DUBLIN, bounds)
    assert '"highlight":null' in map_script(app)  # a place has no feature to highlight
    (caption,) = [c.value for c in app.caption if "region around Athens" in c.value]
    assert "GeoNames" in caption and "CC BY 4" in caption


def test_typing_a_port_keeps_the_highlight_and_popup():
    app = _run()
    app.text_input(key="query").set_value("NLRTM").run()
    assert not app.exception
    assert _search_box(app).value == "gisco:NLRTM"
    assert '"highlight":{"layer":"ports","index":' in map_script(app)
    assert _inside((4.48, 51.90), _bounds(app))


def test_ambiguous_query_lists_choices_and_zooms_only_after_a_pick():
    app = _run()
    whole = _bounds(app)
    app.text_input(key="query").set_value("Frankfurt").run()
    assert not app.exception
    box = _search_box(app)
    assert box.value is None and box.placeholder == "Pick the one you mean"
    assert _bounds(app) == whole  # nothing selected: the map stays on the whole selection
    assert any("equally well" in c.value for c in app.sidebar.caption)
    index = search.default_index(store.read_embedded("ports"))
    (oder,) = [r for r in search.decide(index, "Frankfurt").results if r.name == "Frankfurt (Oder)"]
    box.set_value(oder.id).run()
    assert not app.exception
    assert _inside((14.55, 52.35), _bounds(app)) and not _inside((8.68, 50.11), _bounds(app))


def test_a_new_query_forgets_the_previous_pick():
    app = _run()
    app.text_input(key="query").set_value("Warsw").run()
    assert _search_box(app).value is None  # a misspelling is never selected
    app.text_input(key="query").set_value("Lviv").run()
    assert not app.exception
    assert _search_box(app).value == "geonames:702550"
    assert _inside((24.03, 49.84), _bounds(app))


def test_no_match_is_one_plain_sentence():
    app = _run(q="zzqqxx")
    assert not app.exception
    assert not app.get("selectbox") or all(box.key != "search_result" for box in app.selectbox)
    (message,) = [info.value for info in app.sidebar.info]
    assert "Nothing matches" in message


def test_markdown_in_the_query_stays_plain_text():
    for query in ("[x](https://e.org)", "![i](https://e.org/a.png)", "**bold** <b>x</b> `code`"):
        app = _run(q=query)
        assert not app.exception
        (message,) = [info.value for info in app.sidebar.info]
        assert not re.search(_PUNCTUATION, re.sub(rf"\\{_PUNCTUATION}", "", message)), message  # all escaped
        # As read: escapes undone, and the invisible word joiner that keeps an address from becoming a link.
        assert re.sub(r"\\(.)", r"\1", message).replace("\u2060", "").startswith(f'Nothing matches "{query}"')
