"""OSM major roads 2021: the processing steps, and the committed roads layer against the raw file.

Rebuilding all 340,001 raw pieces takes about half a minute, so the full pipeline runs on a
subset in tests/test_build.py; here the committed `datasets/roads.parquet` is checked against
the raw file.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import schema, settings, store
from geo.sources import osm_roads_2021


@pytest.fixture(scope="module")
def raw():
    return osm_roads_2021.read_raw(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def roads():
    return store.read_embedded("roads")


def _pieces(rows):
    frame = pd.DataFrame(rows, columns=["country", "class", "construction", "km", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.CRS)


def test_repeated_pieces_are_dropped_in_either_direction():
    line = shapely.LineString([(5.0, 52.0), (5.1, 52.0)])
    pieces = _pieces(
        [
            ("NL", "motorway", False, 6.8, line),
            ("NL", "motorway", False, 6.8, line.reverse()),
            ("NL", "trunk", False, 6.8, line),  # same geometry, other class: kept
        ]
    )
    kept = osm_roads_2021._drop_repeated_pieces(pieces)
    assert kept.index.tolist() == [0, 2]


def test_touching_pieces_merge_within_a_cell():
    pieces = _pieces(
        [
            ("NL", "motorway", False, 1.0, shapely.LineString([(5.0, 52.1), (5.1, 52.1)])),
            ("NL", "motorway", False, 2.0, shapely.LineString([(5.1, 52.1), (5.2, 52.1)])),
            ("NL", "motorway", True, 0.5, shapely.LineString([(5.2, 52.1), (5.3, 52.1)])),
            ("NL", "motorway", False, 4.0, shapely.LineString([(6.0, 52.1), (6.1, 52.1)])),  # next cell east
        ]
    )
    merged = osm_roads_2021._merge_cells(pieces)
    assert merged[["construction", "cell_x", "pieces", "source_km"]].values.tolist() == [
        [False, 10, 2, 3.0],
        [False, 12, 1, 4.0],
        [True, 10, 1, 0.5],
    ]
    assert merged.geometry.iloc[0].equals(shapely.LineString([(5.0, 52.1), (5.1, 52.1), (5.2, 52.1)]))


def test_committed_roads_keep_the_km_of_each_class(raw, roads):
    raw_km = raw.groupby(["class", "construction"])["km"].sum()
    built_km = roads.groupby(["kind", "construction"])["length_km"].sum().astype(float)
    assert set(built_km.index) == set(raw_km.index)
    for key, km in raw_km.items():
        # about 1 % is exact repeats of pieces (tile buffers); simplification removes about 0.1 %
        assert built_km[key] == pytest.approx(km, rel=0.03), key


def test_committed_roads_cover_every_raw_piece(raw, roads):
    sample = raw.sample(2000, random_state=7)
    tree = shapely.STRtree(roads.geometry.values)
    for cls in osm_roads_2021.CLASSES:
        pieces = sample[sample["class"] == cls]
        near, _ = tree.query(pieces.geometry.values, predicate="dwithin", distance=0.001)
        covered = set(near)
        assert covered == set(range(len(pieces))), cls
    assert roads.total_bounds == pytest.approx(raw.total_bounds, abs=0.01)


def test_committed_roads_ids_countries_and_refs(roads):
    assert roads["id"].str.fullmatch(r"osm2021:roads/[a-z]{2}/(motorway|trunk|primary)/\d+").all()
    assert (roads["id"].str.split("/").str[1].str.upper() == roads["country"]).all()
    assert roads["licence"].eq("ODbL-1.0").all()
    assert roads["attribution"].str.contains("OpenStreetMap contributors").all()
    assert roads["source_date"].eq("2021-02").all()
    assert roads["ref"].notna().sum() > 100
    near_amsterdam = roads[roads.intersects(shapely.Point(4.9, 52.37).buffer(0.2))]
    assert set(near_amsterdam["country"]) == {"NL"}
    assert "motorway" in set(near_amsterdam["kind"])
