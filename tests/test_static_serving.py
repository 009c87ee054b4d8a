"""The app serves its vendored assets as a browser will run them: JavaScript as JavaScript, with range requests.

Streamlit releases before 1.56 serve static `.js` as `text/plain` (with `nosniff`), so the browser refuses to run
the vendored Leaflet; `requirements.txt` sets that floor, and `scripts/test` runs this test on it too.
"""

from __future__ import annotations

import os
import urllib.request
from importlib.metadata import version

import pytest
from packaging.version import Version

from geo import settings, tiles
from tests.browser.offline import running_streamlit

LEAFLET_JS = settings.LEAFLET_VENDOR_DIR / "leaflet.js"


def _requirement_floor() -> Version:
    for line in (settings.REPO_DIR / "requirements.txt").read_text().splitlines():
        if line.startswith("streamlit>="):
            return Version(line.split(">=")[1].split(",")[0])
    raise AssertionError("requirements.txt names no streamlit floor")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("static")
    env = {**os.environ, "CORRIDOR_ATLAS_STORE": str(work / "store")}
    with running_streamlit(
        settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=work / "streamlit.log"
    ) as url:
        yield url


def _get(url: str, headers: dict | None = None):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30)


def test_the_installed_streamlit_is_at_least_the_floor():
    assert Version(version("streamlit")) >= _requirement_floor()


def test_vendored_leaflet_is_served_as_javascript_and_css(app_url):
    with _get(f"{app_url}{settings.LEAFLET_APP_URL}leaflet.js") as response:
        assert response.headers["Content-Type"].split(";")[0] in {"application/javascript", "text/javascript"}
        assert response.read() == LEAFLET_JS.read_bytes()
    with _get(f"{app_url}{settings.LEAFLET_APP_URL}leaflet.css") as response:
        assert response.headers["Content-Type"].split(";")[0] == "text/css"


def test_static_files_answer_range_requests_with_partial_content(app_url):
    with _get(f"{app_url}{settings.LEAFLET_APP_URL}leaflet.js", {"Range": "bytes=100-199"}) as response:
        assert response.status == 206
        assert response.read() == LEAFLET_JS.read_bytes()[100:200]
        assert response.headers["Content-Range"] == f"bytes 100-199/{LEAFLET_JS.stat().st_size}"


def test_the_map_tiles_answer_range_requests_with_partial_content(app_url):
    archive = settings.TILES_DIR / tiles.read_manifest()["archives"][tiles.EMBEDDED]["file"]
    url = f"{app_url}{settings.TILES_URL}{archive.name}"
    with _get(url, {"Range": "bytes=0-126"}) as response:
        assert response.status == 206  # a tile read never downloads the whole archive
        assert response.read() == archive.read_bytes()[:127]
        assert response.headers["Content-Range"] == f"bytes 0-126/{archive.stat().st_size}"
