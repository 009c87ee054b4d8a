"""Border crossings: derived from the rail and road layers; the committed layer against known borders."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import crossings, export, schema, select, stats, store
from geo.layers import get_layer
from tests.map_support import PROVENANCE, features


@pytest.fixture(scope="module")
def layer():
    return store.read_embedded("crossings")


def _pair(frame: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    return frame[(frame["country"] == min(a, b)) & (frame["other_country"] == max(a, b))]


def test_committed_layer_follows_its_spec(layer):
    schema.validate(layer, "crossings")
    assert set(layer["mode"]) == {"rail", "road"}
    assert layer.loc[layer["mode"] == "road", "indicative"].all()
    assert not layer.loc[layer["mode"] == "rail", "indicative"].any()
    assert (layer["country"] < layer["other_country"]).all()
    assert layer["id"].str.match(r"^crossing:(rail|road)/[A-Z]{2}-[A-Z]{2}/\d+$").all()


def test_rail_crossings_lie_on_the_lines_they_name(layer):
    rail = store.read_embedded("rail").set_index("id")
    found = layer[layer["mode"] == "rail"]
    assert found["line_id"].isin(rail.index).all() and found["other_line_id"].isin(rail.index).all()
    lines = rail.loc[found["line_id"]].geometry.to_numpy()
    assert (shapely.distance(found.geometry.to_numpy(), lines) < 0.001).all()
    assert (rail.loc[found["line_id"], "country"].to_numpy() == found["country"].to_numpy()).all()


def test_breaks_of_gauge_at_known_borders(layer):
    rail = layer[layer["mode"] == "rail"]
    assert _pair(rail, "PL", "UA")["gauge_break"].all() and len(_pair(rail, "PL", "UA")) >= 3
    assert _pair(rail, "LT", "PL")["gauge_break"].all()
    assert _pair(rail, "ES", "FR")["gauge_break"].all()
    assert _pair(rail, "FI", "SE")["gauge_break"].all()
    assert not _pair(rail, "FI", "RU")["gauge_break"].any()  # 1524 and 1520 run together
    assert not _pair(rail, "DE", "PL")["gauge_break"].any()
    breaks = _pair(rail, "PL", "UA").iloc[0]
    assert (breaks["gauge"], breaks["other_gauge"]) == ("1435", "1520")
    assert breaks["name"].startswith("PL–UA rail crossing near ") and breaks["nearest_place"]


def test_road_crossings_are_indicative_and_say_so(layer):
    roads = layer[layer["mode"] == "road"]
    assert len(_pair(roads, "DE", "PL")) >= 5
    assert roads["gauge"].isna().all()
    assert "indicative" in get_layer("crossings").source_caveats[crossings.ROAD_SOURCE]
    assert export.file_notes(roads, "crossings")["caveats"]


def test_a_line_cut_at_a_border_gives_one_crossing_with_both_gauges():
    border = (23.0, 50.5)
    rail = features(
        "rail",
        [shapely.LineString([(22.0, 50.4), border]), shapely.LineString([border, (24.0, 50.6)])],
        id=["t:pl", "t:ua"],
        kind="rail",
        country=["PL", "UA"],
        gauge=["1435", "1520"],
        gauge_basis="assumed from the national network",
        tags='{"rwdb_rr_id": 1}',
    )
    roads = features("roads", [shapely.LineString([(0, 0), (1, 1)])], kind="motorway", country="FR")
    places = gpd.GeoDataFrame(
        {"name": ["Hrubieszów"], "country": ["PL"]}, geometry=[shapely.Point(23.9, 50.8)], crs=schema.CRS
    )
    derived = crossings.derive(rail, roads, places, PROVENANCE["retrieved_at"])
    assert len(derived) == 1
    found = derived.iloc[0]
    assert (found["country"], found["other_country"], found["line_id"], found["other_line_id"]) == (
        "PL",
        "UA",
        "t:pl",
        "t:ua",
    )
    assert found["gauge_break"] and found.geometry.equals(shapely.Point(border))
    assert found["name"] == f"PL–UA rail crossing near Hrubieszów (PL, {found['nearest_place_km']:.0f} km)"


def test_a_crossing_counts_in_both_countries_and_once_in_total(layer):
    both = select.select(layer, ["PL", "UA"])
    table = stats.country_stats({"crossings": both}, countries=["PL", "UA"])
    pl_ua = len(_pair(both, "PL", "UA"))
    assert table.loc["PL", "rail_crossings"] + table.loc["UA", "rail_crossings"] == (
        table.loc["Total", "rail_crossings"] + len(_pair(both[both["mode"] == "rail"], "PL", "UA"))
    )
    assert pl_ua > 0 and set(table.index) == {"PL", "UA", "Total"}
    # Selecting Ukraine alone keeps the PL–UA crossings, whose `country` is PL.
    assert len(_pair(select.select(layer, ["UA"]), "PL", "UA")) == pl_ua
