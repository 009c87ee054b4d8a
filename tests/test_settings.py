"""geo.settings: values from the environment are checked at import; every function reads them when it runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from geo import settings
from geo.errors import FetchError
from geo.sources import _http
from tests.fixtures.local_server import Reply, ScriptedServer


@pytest.mark.parametrize("retries", [0, 2])
def test_changing_http_retries_at_run_time_changes_the_requests_sent(monkeypatch, retries):
    monkeypatch.setattr(settings, "HTTP_RETRIES", retries)
    monkeypatch.setattr(settings, "HTTP_BACKOFF_S", 0.5)
    waits: list[float] = []
    with ScriptedServer([Reply(503, b"busy")]) as server, pytest.raises(FetchError, match=f"tried {retries + 1} times"):
        _http.request_with_retries("POST", server.url, data={"data": "x"}, sleep=waits.append)
    assert len(server.requests) == retries + 1
    assert waits == [0.5 * 2**attempt for attempt in range(retries)]


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import geo.settings"],
        cwd=settings.REPO_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_mode_is_refused_at_import_naming_the_variable():
    run = _import_settings(CORRIDOR_ATLAS_MODE="production")
    assert run.returncode != 0
    assert """CORRIDOR_ATLAS_MODE must be "local" or "hosted", got 'production'""" in run.stderr
    assert _import_settings(CORRIDOR_ATLAS_MODE="hosted").returncode == 0


def test_a_bad_endpoint_url_is_refused_at_import():
    run = _import_settings(CORRIDOR_ATLAS_OVERPASS_URL="overpass-api.de/api/interpreter")
    assert run.returncode != 0 and "CORRIDOR_ATLAS_OVERPASS_URL must be an http(s) URL" in run.stderr


def test_the_cli_reports_a_bad_setting_in_one_line():
    run = subprocess.run(
        [sys.executable, "-m", "geo", "search", "Gdansk"],
        cwd=settings.REPO_DIR,
        env={**os.environ, "CORRIDOR_ATLAS_MODE": "Hosted"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        """error: CORRIDOR_ATLAS_MODE must be "local" or "hosted", got 'Hosted'; set it to one of them or unset it"""
    ]


def test_the_http_cache_follows_the_store_unless_set(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "CACHE_DIR", None)
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    assert settings.cache_dir() == tmp_path / "store" / "http-cache"
    assert settings.cache_dir(tmp_path / "other") == tmp_path / "other" / "http-cache"
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    assert settings.cache_dir(tmp_path / "other") == tmp_path / "cache"
