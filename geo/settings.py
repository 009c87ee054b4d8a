"""Every setting of Corridor Atlas, in one place.

Each value can be overridden by an environment variable named in its comment, so the
hosted dashboard, CI and a local user can differ without code changes. Values from the
environment are checked here, at import: a bad one stops the program with one error naming the
variable (`geo.errors.SettingsError`). The settings are plain module attributes, read by every
function when it runs, so a program (or a test) may change them at run time:
`settings.HTTP_RETRIES = 0` applies to the next request.
"""

from __future__ import annotations

import ipaddress
import math
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


def _number(variable: str, default: float, minimum: float = 0.0) -> float:
    """The value of environment `variable` (or `default`) as a number of at least `minimum`."""
    value = os.environ.get(variable)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise SettingsError(
            f"{variable} must be a number of at least {minimum:g}, got {value[:40]!r}; correct it or unset it"
        )
    return number


def _networks(variable: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The comma-separated IP addresses or CIDR networks of environment `variable` (none when unset)."""
    value = os.environ.get(variable, "")
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError:
        raise SettingsError(
            f"{variable} must list IP addresses or networks separated by commas (e.g. 10.0.0.2,172.18.0.0/16), "
            f"got {value[:80]!r}; correct it or unset it"
        ) from None


def _store(variable: str, default: Path) -> Path | str:
    """The store of environment `variable`: a local folder (Path), or an `s3://bucket/prefix` URL (str)."""
    value = os.environ.get(variable)
    if not value:
        return default
    if "://" not in value:
        return Path(value)
    if not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$", value):
        raise SettingsError(
            f"{variable} must be a folder or an s3://bucket/prefix URL, got {value[:80]!r}; correct it or unset it"
        )
    return value.rstrip("/")


PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

# Embedded, committed data: the Europe snapshot and the policy catalogue.
DATASETS_DIR = Path(os.environ.get("CORRIDOR_ATLAS_DATASETS", REPO_DIR / "datasets"))
# Raw open data the embedded snapshot is built from (only needed by `python -m geo build-default`).
SHARED_DATA_DIR = Path(os.environ.get("CORRIDOR_ATLAS_SHARED_DATA", REPO_DIR.parent / "shared" / "data"))
# Where fetched, imported and refreshed detail is stored (GeoParquet + a JSON metadata record per area):
# a local folder (a Path), or S3-compatible object storage as "s3://bucket/prefix" (a str), configured by
# the standard AWS_* variables (AWS_ENDPOINT_URL for a service other than Amazon's).
STORE_DIR: Path | str = _store("CORRIDOR_ATLAS_STORE", REPO_DIR / "store")
# How often (seconds) the app looks for a newer refresh of the store (one small read of its pointer).
STORE_CHECK_S = _number("CORRIDOR_ATLAS_STORE_CHECK_S", 30.0)
# HTTP response cache for live sources. None (CORRIDOR_ATLAS_CACHE unset): the `http-cache` folder of
# the store in use, so a store named with `--store DIR` holds its own cache (see `cache_dir`).
CACHE_DIR: Path | None = Path(os.environ["CORRIDOR_ATLAS_CACHE"]) if os.environ.get("CORRIDOR_ATLAS_CACHE") else None

# "local" lets the user fetch live data; "hosted" serves only the prebuilt store and applies limits.
MODE = _choice("CORRIDOR_ATLAS_MODE", "local", ("local", "hosted"))

OVERPASS_URL = _url("CORRIDOR_ATLAS_OVERPASS_URL", "https://overpass-api.de/api/interpreter")
GEOFABRIK_URL = _url("CORRIDOR_ATLAS_GEOFABRIK_URL", "https://download.geofabrik.de")
USER_AGENT = "CorridorAtlas/0.1 (+https://github.com/corridor-atlas/corridor-atlas)"
# How the Overpass operators can reach whoever runs this copy (an e-mail address or a URL), as their
# usage policy asks; added to the User-Agent of every request (see `user_agent`).
CONTACT = os.environ.get("CORRIDOR_ATLAS_CONTACT", "").strip()
if not re.fullmatch(r"[\x21-\x7e][\x20-\x7e]{0,119}|", CONTACT) or any(c in CONTACT for c in "()\\"):
    raise SettingsError(
        f"CORRIDOR_ATLAS_CONTACT must be a short e-mail address or URL, got {CONTACT[:60]!r}; correct it or unset it"
    )
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
# Never wait longer than this for one retry, whatever a server's Retry-After says (seconds).
HTTP_MAX_RETRY_WAIT_S = _number("CORRIDOR_ATLAS_MAX_RETRY_WAIT_S", 120.0)
# Overall deadline of one request, retries and reading the body included (seconds); per-read timeouts
# alone would let a server that trickles bytes hold a fetch forever.
HTTP_DEADLINE_S = _number("CORRIDOR_ATLAS_FETCH_DEADLINE_S", 900.0, minimum=1.0)
# Largest response body read into memory (an Overpass answer), and largest download (a Geofabrik
# extract), in megabytes; raise them for big areas or whole-country extracts.
HTTP_MAX_BODY_MB = _number("CORRIDOR_ATLAS_MAX_RESPONSE_MB", 512.0, minimum=1.0)
DOWNLOAD_MAX_MB = _number("CORRIDOR_ATLAS_MAX_DOWNLOAD_MB", 4096.0, minimum=1.0)

# A stored layer older than this is flagged as stale in the app.
STALE_AFTER_DAYS = 90

# Hosted-mode limits.
# Most features one export may hold. The whole embedded snapshot is about 26,600 features (2,517 ports,
# 14,053 rail, 10,044 roads), so any embedded selection fits; a large area of stored OSM detail (a
# country's tracks are 100,000+ ways) is refused and the visitor asked for a smaller area.
HOSTED_MAX_EXPORT_FEATURES = int(_number("CORRIDOR_ATLAS_MAX_EXPORT_FEATURES", 30_000, minimum=1))
# A visitor's allowance per minute, in cost units: each action below costs its weight. A person
# clicking around stays well below it; a script hammering exports does not.
HOSTED_REQUESTS_PER_MINUTE = int(_number("CORRIDOR_ATLAS_RATE_LIMIT", 60, minimum=1))
# What each counted action costs: a full page run, a rerun of one panel, pricing the downloads of a new
# selection or format, and building and sending one file.
HOSTED_COSTS = {"rerun": 1, "fragment": 1, "export": 2, "download": 10}
# Reverse proxies whose X-Forwarded-For header is believed (addresses or networks, comma-separated).
# Empty (the default): the visitor is the connection's own address, since the header could be forged.
TRUSTED_PROXIES = _networks("CORRIDOR_ATLAS_TRUSTED_PROXIES")

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


def cache_dir(store_dir: Path | str | None = None) -> Path:
    """The HTTP cache folder: `CACHE_DIR` when set, else `<store_dir or STORE_DIR>/http-cache`; for a store
    on object storage (s3://...), `.cache/http` beside the code, since the cache is local by nature."""
    if CACHE_DIR is not None:
        return Path(CACHE_DIR)
    store = store_dir or STORE_DIR
    if isinstance(store, str) and "://" in store:
        return REPO_DIR / ".cache" / "http"
    return Path(store) / "http-cache"


def user_agent() -> str:
    """The User-Agent of every request: the program and, when set, the operator's `CONTACT`."""
    return f"{USER_AGENT[:-1]}; {CONTACT})" if CONTACT else USER_AGENT
