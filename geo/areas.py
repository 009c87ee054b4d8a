"""The area a user names: a bounding box, or countries. Parsed and checked once, here, for every caller.

A bounding box is (west, south, east, north) in degrees of longitude/latitude, EPSG:4326.
Country codes are ISO 3166-1 alpha-2. Every check raises `geo.errors.InputError` (a ValueError)
with a message that says what to type instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import geopandas as gpd
import shapely

from geo import schema, settings
from geo.errors import InputError

BBox = tuple[float, float, float, float]
# A decimal number as people type it; float() alone would also take "1_0" (= 10) and other digits.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.IGNORECASE | re.ASCII)


def _number(value: object) -> float:
    """`value` as a float; text must be a plain decimal number. ValueError otherwise."""
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value.strip()):
            raise ValueError(value)
        return float(value)
    return float(value)  # type: ignore[arg-type]


def validate_bbox(bbox: Sequence[float | str]) -> BBox:
    """`bbox` as four floats (west, south, east, north; degrees, EPSG:4326), or InputError saying what is wrong."""
    try:
        values = tuple(_number(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(f"bbox must be four numbers W,S,E,N (lon/lat degrees), got {str(bbox)[:80]!r}") from None
    if len(values) != 4:
        raise InputError(f"bbox must be four numbers W,S,E,N (lon/lat degrees), got {len(values)}")
    west, south, east, north = values
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"bbox values must be finite numbers, got {values}")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise InputError(f"bbox longitudes must lie in -180..180 degrees, got west={west}, east={east}")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise InputError(f"bbox latitudes must lie in -90..90 degrees, got south={south}, north={north}")
    if west >= east:
        raise InputError(f"bbox is inverted: west ({west}) must be less than east ({east}); order is W,S,E,N")
    if south >= north:
        raise InputError(f"bbox is inverted: south ({south}) must be less than north ({north}); order is W,S,E,N")
    return values


def parse_bbox(text: str | Sequence[float]) -> BBox:
    """Parse "W,S,E,N" (degrees, EPSG:4326; spaces allowed) into a validated bbox; a sequence is validated as is."""
    if not isinstance(text, str):
        return validate_bbox(text)
    return validate_bbox([part.strip() for part in text.split(",")])


def check_area_size(bbox: BBox, limit_deg2: float | None = None) -> None:
    """InputError if `bbox` covers more than `limit_deg2` square degrees (default `settings.MAX_FETCH_AREA_DEG2`)."""
    limit = settings.MAX_FETCH_AREA_DEG2 if limit_deg2 is None else limit_deg2
    west, south, east, north = bbox
    size = (east - west) * (north - south)
    if size > limit:
        raise InputError(
            f"area too large: {size:.1f} square degrees, the limit is {limit:g}; choose a smaller bbox or a country"
        )


def normalise_countries(countries: Iterable[str]) -> list[str]:
    """Upper-cased ISO 3166-1 alpha-2 codes, de-duplicated in order; InputError for anything else."""
    codes = list(dict.fromkeys(str(code).strip().upper() for code in countries))
    bad = [code for code in codes if not schema.COUNTRY_PATTERN.match(code)]
    if bad:
        raise InputError(f"countries must be ISO 3166-1 alpha-2 codes such as 'DE', got {bad[:5]}")
    return codes


def countries_bbox(countries: gpd.GeoDataFrame, codes: Iterable[str]) -> BBox | None:
    """Bounds (W,S,E,N degrees) of the parts of the outlines of `codes` inside `settings.EUROPE_BBOX`.

    `countries` is the country table (`geo.countries.load_countries()`). Overseas parts (the
    Caribbean Netherlands, French Guiana, Réunion) are cut off first, so France's box is
    metropolitan France, not half the world. None if no outline lies in Europe.
    """
    outlines = countries[countries["iso2"].isin(normalise_countries(codes))]
    inside = outlines.geometry.intersection(shapely.box(*settings.EUROPE_BBOX))
    inside = inside[~inside.is_empty]
    if inside.empty:
        return None
    west, south, east, north = (float(value) for value in inside.total_bounds)
    return (west, south, east, north)


def area_around(lon: float, lat: float, half_width_deg: float = 3.0, half_height_deg: float = 2.0) -> BBox:
    """A W,S,E,N box (degrees) centred on `lon`, `lat`, e.g. the area a search result is shown in.

    The default (6 x 4 degrees, about a region) gets a finer level of detail than all of Europe.
    """
    west, south = max(lon - half_width_deg, -180.0), max(lat - half_height_deg, -90.0)
    east, north = min(lon + half_width_deg, 180.0), min(lat + half_height_deg, 90.0)
    return validate_bbox((west, south, east, north))
