"""Shared by the Overpass source and use-case tests: real responses and fast, isolated fetch options.

Use: `from tests.osm_support import SANKT_POELTEN, fetch_options` and a fixture returning `fetch_options(tmp_path)`.
"""

from __future__ import annotations

from pathlib import Path

from geo import settings

OSM_DIR = settings.SHARED_DATA_DIR / "osm"
SANKT_POELTEN = OSM_DIR / "overpass_railways_sankt_poelten.json"
SANKT_POELTEN_BBOX = "15.3,47.9,16.0,48.4"


def fetch_options(tmp_path: Path) -> dict:
    """Fetch options: tiny backoff, sleeps recorded in `waits` (not an option: drop it before a call),
    temporary cache and store, no country lookup."""
    waits: list[float] = []
    return {
        "cache_dir": tmp_path / "cache",
        "store_dir": tmp_path / "store",
        "retries": 2,
        "backoff_s": 0.001,
        "sleep": waits.append,
        "waits": waits,
        "assign_country": False,
    }
