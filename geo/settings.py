"""Every setting of Corridor Atlas, in one place.

Each value can be overridden by an environment variable named in its comment, so the
hosted dashboard, CI and a local user can differ without code changes. Values from the
environment are checked here, at import: a bad one stops the program with one error naming the
variable (`geo.errors.SettingsError`). The settings are plain module attributes, read by every
function when it runs, so a program (or a test) may change them at run time:
`settings.HTTP_RETRIES = 0` applies to the next request.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from geo.errors import SettingsError


def _choice(variable: str, default: str, choices: tuple[str, ...]) -> str:
    """The value of environment `variable` (or `default`), which must be one of `choices`."""
    value = os.environ.get(variable, default)
    if value not in choices:
        allowed = " or ".join(f'"{choice}"' for choice in choices)
        raise SettingsError(f"{variable} must be {allowed}, got {value[:40]!r}; set it to one of them or unset it")
    return value


def _url(variable: str, default: str) -> str:
    """The value of environment `variable` (or `default`), which must be an http(s) URL."""
    value = os.environ.get(variable, default)
    if not re.match(r"^https?://[^\s/]+\S*$", value):
        raise SettingsError(f"{variable} must be an http(s) URL, got {value[:80]!r}; correct it or unset it")
    return value


PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

# Embedded, committed data: the Europe snapshot and the policy catalogue.
DATASETS_DIR = Path(os.environ.get("CORRIDOR_ATLAS_DATASETS", REPO_DIR / "datasets"))
# Raw open data the embedded snapshot is built from (only needed by `python -m geo build-default`).
SHARED_DATA_DIR = Path(os.environ.get("CORRIDOR_ATLAS_SHARED_DATA", REPO_DIR.parent / "shared" / "data"))
# Where fetched and imported detail is stored (GeoParquet + a JSON metadata record per area).
STORE_DIR = Path(os.environ.get("CORRIDOR_ATLAS_STORE", REPO_DIR / "store"))
# HTTP response cache for live sources. None (CORRIDOR_ATLAS_CACHE unset): the `http-cache` folder of
# the store in use, so a store named with `--store DIR` holds its own cache (see `cache_dir`).
CACHE_DIR: Path | None = Path(os.environ["CORRIDOR_ATLAS_CACHE"]) if os.environ.get("CORRIDOR_ATLAS_CACHE") else None

# "local" lets the user fetch live data; "hosted" serves only the prebuilt store and applies limits.
MODE = _choice("CORRIDOR_ATLAS_MODE", "local", ("local", "hosted"))

OVERPASS_URL = _url("CORRIDOR_ATLAS_OVERPASS_URL", "https://overpass-api.de/api/interpreter")
GEOFABRIK_URL = _url("CORRIDOR_ATLAS_GEOFABRIK_URL", "https://download.geofabrik.de")
USER_AGENT = "CorridorAtlas/0.1 (+https://github.com/corridor-atlas/corridor-atlas)"
OVERPASS_TIMEOUT_S = 180
OVERPASS_MAXSIZE_BYTES = 512 * 1024 * 1024
# Largest area one request may cover, in square degrees; larger areas are split into tiles.
OVERPASS_TILE_DEG2 = 1.0
# Largest area a user may request at all, in square degrees (about a mid-sized country).
MAX_FETCH_AREA_DEG2 = 60.0
# Cached Overpass responses are reused for this long (seconds) before the query is sent again.
OVERPASS_CACHE_MAX_AGE_S = 24 * 3600
HTTP_RETRIES = 4
HTTP_BACKOFF_S = 2.0

# A stored layer older than this is flagged as stale in the app.
STALE_AFTER_DAYS = 90

# Hosted-mode limits.
HOSTED_MAX_EXPORT_FEATURES = 200_000
# Full app runs per visitor and minute; a person clicking around stays well below it.
HOSTED_REQUESTS_PER_MINUTE = 60

# The embedded snapshot's outer bounds (lon/lat, EPSG:4326).
EUROPE_BBOX = (-25.0, 34.0, 45.0, 72.0)

# Leaflet, the only JavaScript library the map needs. The app serves the vendored copy in
# static/vendor/leaflet (works offline); standalone HTML pages load it from the CDN or inline it.
LEAFLET_VERSION = "1.9.4"
LEAFLET_APP_URL = "/app/static/vendor/leaflet/"
LEAFLET_CDN_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/"
LEAFLET_VENDOR_DIR = REPO_DIR / "static" / "vendor" / "leaflet"


# Vector tiles of the map (PMTiles archives and their popup tables, `geo.tiles`): written here by
# `python -m geo build-tiles` (and `build-default`) and after a fetch or import; the app's static route
# serves this folder.
TILES_DIR = Path(os.environ.get("CORRIDOR_ATLAS_TILES_DIR", REPO_DIR / "static" / "tiles"))
# Where browsers fetch the tiles: the app's static route, or object storage or a CDN holding a copy of
# TILES_DIR (it must allow CORS and HTTP Range requests).
TILES_URL = os.environ.get("CORRIDOR_ATLAS_TILES_URL", "/app/static/tiles/")
if not re.match(r"^(/|https?://[^\s/]+)\S*/$", TILES_URL):
    raise SettingsError(
        f"CORRIDOR_ATLAS_TILES_URL must be a path or an http(s) URL ending in '/', got {TILES_URL[:80]!r}; "
        "correct it or unset it"
    )
# The local app builds missing or outdated tiles when it starts; a hosted dashboard serves prebuilt ones.
BUILD_TILES = _choice("CORRIDOR_ATLAS_BUILD_TILES", "yes" if MODE == "local" else "no", ("yes", "no")) == "yes"
# How long a remote TILES_URL's answer to the map's check (a range request) is trusted.
TILES_PROBE_TTL_S = 60
TILES_PROBE_TIMEOUT_S = 3
# protomaps-leaflet draws the archives in Leaflet; the app serves the vendored copy (works offline).
PROTOMAPS_LEAFLET_VERSION = "5.1.0"
PROTOMAPS_LEAFLET_APP_URL = "/app/static/vendor/protomaps-leaflet/protomaps-leaflet.js"


def cache_dir(store_dir: Path | None = None) -> Path:
    """The HTTP cache folder: `CACHE_DIR` when set, else `<store_dir or STORE_DIR>/http-cache`."""
    if CACHE_DIR is not None:
        return Path(CACHE_DIR)
    return Path(store_dir or STORE_DIR) / "http-cache"
