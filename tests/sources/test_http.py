"""geo.sources._http: dropped bodies are retried, every request has a deadline and a size cap, Retry-After is
capped, and the User-Agent names the operator's contact. Against a scripted server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from geo import settings
from geo.errors import FetchError
from geo.sources import _http
from tests.fixtures.local_server import Reply, ScriptedServer

BODY = b'{"elements": []}' * 4000  # 64 KB


def test_a_connection_dropped_mid_body_is_retried():
    waits: list[float] = []
    with ScriptedServer([Reply(body=BODY, cut_after=1000), Reply(body=BODY)]) as server:
        response = _http.request_with_retries(
            "POST", server.url, data={"data": "x"}, backoff_s=0.01, sleep=waits.append
        )
    assert response.content == BODY and len(server.requests) == 2 and waits == [0.01]


def test_a_body_that_always_breaks_fails_with_one_plain_reason():
    with ScriptedServer([Reply(body=BODY, cut_after=1000)]) as server, pytest.raises(FetchError) as failed:
        _http.request_with_retries("POST", server.url, data={}, retries=2, backoff_s=0, sleep=lambda s: None)
    assert len(server.requests) == 3
    assert (
        str(failed.value)
        == "could not connect to 127.0.0.1 (no network connection, or the server is down) (tried 3 times)"
    )


def test_a_server_that_trickles_is_stopped_at_the_overall_deadline(monkeypatch):
    monkeypatch.setattr(settings, "HTTP_DEADLINE_S", 1.0)
    with ScriptedServer([Reply(body=BODY, trickle_s=0.05)]) as server:
        started = time.monotonic()
        with pytest.raises(FetchError) as failed:
            _http.request_with_retries("POST", server.url, data={}, retries=3, timeout_s=30, sleep=lambda s: None)
        took = time.monotonic() - started
    assert took < 2.0, "each piece came within the read timeout; only the deadline stops it"
    assert "CORRIDOR_ATLAS_FETCH_DEADLINE_S" in str(failed.value)


def test_retry_after_is_capped_and_never_waits_past_the_deadline(monkeypatch):
    monkeypatch.setattr(settings, "HTTP_MAX_RETRY_WAIT_S", 7.0)
    waits: list[float] = []
    busy = Reply(429, b"slow down", {"Retry-After": "86400"})
    with ScriptedServer([busy, Reply(body=BODY)]) as server:
        _http.request_with_retries("POST", server.url, data={}, sleep=waits.append)
    assert waits == [7.0]
    monkeypatch.setattr(settings, "HTTP_MAX_RETRY_WAIT_S", 3600.0)
    monkeypatch.setattr(settings, "HTTP_DEADLINE_S", 60.0)
    waits.clear()
    with ScriptedServer([busy]) as server, pytest.raises(FetchError, match="before the deadline"):
        _http.request_with_retries("POST", server.url, data={}, sleep=waits.append)
    assert waits == [] and len(server.requests) == 1, "a wait past the deadline is not even started"


def test_a_body_over_the_cap_is_refused_and_names_the_setting(monkeypatch):
    monkeypatch.setattr(settings, "HTTP_MAX_BODY_MB", 0.01)  # 10 KB
    with ScriptedServer([Reply(body=BODY)]) as server, pytest.raises(FetchError) as failed:
        _http.request_with_retries("POST", server.url, data={}, sleep=lambda s: None)
    assert len(server.requests) == 1, "an answer too large is not asked for again"
    assert str(failed.value) == (
        "127.0.0.1 sent 0.064 MB or more, over the limit of 0.01 MB; ask for a smaller area, "
        "or raise the limit with CORRIDOR_ATLAS_MAX_RESPONSE_MB"
    )


def test_a_download_over_the_cap_is_refused_and_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DOWNLOAD_MAX_MB", 0.01)
    with ScriptedServer(files={"/big.osm.pbf": BODY}) as server, pytest.raises(FetchError) as failed:
        _http.download(f"{server.url}/big.osm.pbf", tmp_path / "big.osm.pbf", retries=0)
    assert "CORRIDOR_ATLAS_MAX_DOWNLOAD_MB" in str(failed.value)
    assert list(tmp_path.iterdir()) == []


def test_the_user_agent_carries_the_operators_contact(monkeypatch):
    monkeypatch.setattr(settings, "CONTACT", "maps@example.org")
    with ScriptedServer([Reply(body=BODY)]) as server:
        _http.request_with_retries("POST", server.url, data={})
    agent = server.requests[0].headers["User-Agent"]
    assert agent.startswith("CorridorAtlas/") and agent.endswith("; maps@example.org)")


def test_a_fetch_of_many_tiles_has_one_deadline_for_all(monkeypatch, tmp_path):
    from geo.sources import overpass
    from tests.osm_support import SANKT_POELTEN

    monkeypatch.setattr(settings, "HTTP_DEADLINE_S", 1.5)
    slow = Reply(body=SANKT_POELTEN.read_bytes(), delay_s=0.6)  # each tile well within any per-read timeout
    with ScriptedServer([slow]) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match="CORRIDOR_ATLAS_FETCH_DEADLINE_S"):
            overpass.fetch_layer(
                "rail",
                (15.3, 47.9, 16.0, 48.4),
                endpoint=server.url,
                tile_deg2=0.05,
                cache_dir=tmp_path,
                retries=0,
                assign_country=False,
            )
        took = time.monotonic() - started
    assert 1.4 < took < 3.0 and 2 <= len(server.requests) < 9, "it stopped at the deadline, not after every tile"
