"""geo.sources._geometry: geodesic lengths and coordinate rounding."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.sources import _geometry


def test_geodesic_length_matches_pyproj_per_geometry():
    geod = Geod(ellps="WGS84")
    geometries = [
        shapely.LineString([(4.48, 51.9), (6.76, 51.43), (9.73, 52.37)]),  # Rotterdam - Duisburg - Hannover
        shapely.MultiLineString([[(21.0, 52.2), (21.1, 52.2)], [(0.0, 0.0), (0.0, 1.0)]]),
        shapely.LineString([(10.0, 60.0), (10.0, 60.0001)]),
    ]
    expected = [geod.geometry_length(g) / 1000 for g in geometries]
    assert _geometry.geodesic_length_km(geometries) == pytest.approx(expected, rel=1e-9)
    assert expected[1] == pytest.approx(6.8 + 110.6, abs=0.2)  # a degree of latitude at the equator


def test_geodesic_length_of_empty_and_no_geometries():
    assert _geometry.geodesic_length_km([shapely.LineString()]).tolist() == [0.0]
    assert _geometry.geodesic_length_km([]).shape == (0,)


def test_round_coordinates_snaps_to_five_decimals_and_drops_repeats():
    line = shapely.LineString([(4.123456789, 51.987654321), (4.1234561, 51.9876541), (4.2, 52.0)])
    rounded = _geometry.round_coordinates([line])[0]
    assert shapely.get_coordinates(rounded).tolist() == [[4.12346, 51.98765], [4.2, 52.0]]
    tiny = shapely.LineString([(4.0, 52.0), (4.000001, 52.000001)])
    assert _geometry.round_coordinates(np.array([tiny]))[0].is_empty
