"""Geometry helpers shared by the line sources: geodesic lengths, coordinate rounding.

All inputs are EPSG:4326 (lon/lat degrees).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

_WGS84 = Geod(ellps="WGS84")

# 5 decimals of a degree is about 1 m: below anything the embedded sources resolve.
COORDINATE_DECIMALS = 5


def geodesic_length_km(geometries) -> np.ndarray:
    """Length of each (multi)line on the WGS 84 ellipsoid, in kilometres.

    Vectorised: one call to `Geod.inv` over every segment of every geometry.
    """
    geoms = np.asarray(geometries, dtype=object)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    # A segment joins consecutive coordinates of the same part.
    same_part = coord_part[1:] == coord_part[:-1]
    start, end = coords[:-1][same_part], coords[1:][same_part]
    _, _, metres = _WGS84.inv(start[:, 0], start[:, 1], end[:, 0], end[:, 1])
    per_part = np.bincount(coord_part[1:][same_part], weights=metres, minlength=len(parts))
    return np.bincount(part_owner, weights=per_part, minlength=len(geoms)) / 1000.0


def round_coordinates(geometries, decimals: int = COORDINATE_DECIMALS) -> np.ndarray:
    """Snap coordinates to a grid of 10**-decimals degrees, dropping repeated points.

    Parts that collapse to nothing are dropped; a geometry that collapses entirely becomes empty.
    """
    return shapely.set_precision(np.asarray(geometries, dtype=object), 10.0**-decimals)
