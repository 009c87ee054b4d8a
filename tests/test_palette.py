"""The legend's line styles stay distinguishable for colour-blind readers (geo/palette.py, issue 14)."""

from __future__ import annotations

from geo import palette, settings
from geo.layers import LineStyle, get_layer, layer_names


def test_every_pair_of_legend_line_styles_differs_in_colour_or_stroke():
    compared = palette.pairs()
    styles = palette.line_styles()
    assert len(compared) == len(styles) * (len(styles) - 1) // 2
    failing = [(p.a, p.b, round(p.normal, 1), round(p.deutan, 1), round(p.protan, 1)) for p in compared]
    assert [pair for pair, p in zip(failing, compared, strict=True) if not p.distinguishable] == []


def test_the_check_covers_every_line_layer_and_overlay():
    keys = set(palette.line_styles())
    for layer in (*layer_names(), "route"):
        for key in get_layer(layer).line_styles:
            assert f"{layer}/{key}" in keys


def test_rail_and_roads_differ_by_more_than_hue():
    """Roads are cased and railways are not: the two networks differ even where colours would not."""
    rail, roads = get_layer("rail").line_styles, get_layer("roads").line_styles
    assert all(style.casing is None for style in rail.values())
    assert all(style.casing for key, style in roads.items() if key != "construction")


def test_colour_distances_and_simulation_behave_as_published():
    assert palette.delta_e("#000000", "#ffffff") > 99.9  # CIEDE2000 black to white is 100
    assert palette.delta_e("#1f5fbf", "#1f5fbf") == 0.0
    # Red and green: far apart for normal vision, close for a deuteranope or a protanope.
    assert palette.delta_e("#d62728", "#2ca02c") > 60
    assert palette.delta_e("#d62728", "#2ca02c", "Deuteranomaly") < 15
    assert palette.delta_e("#d62728", "#2ca02c", "Protanomaly") < 25
    # Blue and yellow stay apart under both.
    assert palette.delta_e("#1f5fbf", "#f2d13a", "Deuteranomaly") > 50


def test_a_pair_with_only_hue_apart_fails_and_a_stroke_saves_it():
    red, orange = LineStyle("a", "a", "#c2571a", 2.0), LineStyle("b", "b", "#d7301f", 2.4)
    assert not palette.compare(red, orange).distinguishable  # the example: clear only in colour
    dashed = LineStyle("b", "b", "#d7301f", 2.4, "4 4")
    assert palette.compare(red, dashed).distinguishable
    wide = LineStyle("b", "b", "#d7301f", 3.0)
    assert palette.compare(red, wide).distinguishable  # 1.5 times as wide


def test_the_documented_table_is_up_to_date():
    doc = (settings.REPO_DIR / "docs" / "cartography.md").read_text(encoding="utf-8")
    table = doc.split(palette.TABLE_START, 1)[1].split(palette.TABLE_END, 1)[0]
    assert table.strip() == palette.markdown_table().strip(), "run scripts/cartography-doc"
