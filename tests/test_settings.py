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


def test_the_hosted_settings_are_read_and_checked_at_import():
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from geo import settings as s; print(s.STORE_DIR, [str(n) for n in s.TRUSTED_PROXIES], "
            "s.HOSTED_REQUESTS_PER_MINUTE, s.user_agent())",
        ],
        cwd=settings.REPO_DIR,
        env={
            **os.environ,
            "CORRIDOR_ATLAS_STORE": "s3://my-bucket/atlas/",
            "CORRIDOR_ATLAS_TRUSTED_PROXIES": "10.0.0.2, 172.18.0.0/16",
            "CORRIDOR_ATLAS_RATE_LIMIT": "90",
            "CORRIDOR_ATLAS_CONTACT": "maps@example.org",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split("\n")[0] == (
        "s3://my-bucket/atlas ['10.0.0.2/32', '172.18.0.0/16'] 90 "
        "CorridorAtlas/0.1 (+https://github.com/corridor-atlas/corridor-atlas; maps@example.org)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CORRIDOR_ATLAS_STORE", "gs://bucket/x", "must be a folder or an s3://bucket/prefix URL"),
        ("CORRIDOR_ATLAS_TRUSTED_PROXIES", "10.0.0.2,proxy.local", "must list IP addresses or networks"),
        ("CORRIDOR_ATLAS_RATE_LIMIT", "0", "must be a number of at least 1"),
        ("CORRIDOR_ATLAS_MAX_RESPONSE_MB", "lots", "must be a number of at least 1"),
        ("CORRIDOR_ATLAS_FETCH_DEADLINE_S", "inf", "must be a number of at least 1"),
        ("CORRIDOR_ATLAS_CONTACT", "me (really)", "must be a short e-mail address or URL"),
    ],
)
def test_a_bad_hosted_setting_is_refused_naming_the_variable(variable, value, message):
    run = _import_settings(**{variable: value})
    assert run.returncode != 0 and f"{variable} {message}" in run.stderr
