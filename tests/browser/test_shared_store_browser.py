"""Several app processes share one store on S3-compatible object storage (moto on 127.0.0.1): a refresh is
written there once, and both apps, on two ports, show it; the next refresh appears in both without a restart."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from geo import cli, settings
from tests.fixtures.local_server import Reply, ScriptedServer
from tests.osm_support import SANKT_POELTEN
from tests.s3_support import BUCKET, moto_s3

from .leaflet_probe import map_frame
from .offline import OfflineRouter, running_streamlit

pytestmark = pytest.mark.browser

STORE = f"s3://{BUCKET}/shared"


def _refresh(tmp_path: Path, body: bytes) -> None:
    with ScriptedServer([Reply(body=body)]) as overpass:
        config = tmp_path / "refresh.toml"
        config.write_text(
            f'endpoint = "{overpass.url}"\n[[area]]\nname = "st-poelten"\n'
            'bbox = [15.3, 47.9, 16.0, 48.4]\nlayers = ["rail"]\n'
        )
        assert cli.main(["refresh", "--config", str(config), "--store", STORE]) == 0


def _one_way_fewer() -> bytes:
    data = json.loads(SANKT_POELTEN.read_text(encoding="utf-8"))
    first_way = next(i for i, e in enumerate(data["elements"]) if e["type"] == "way")
    del data["elements"][first_way]
    return json.dumps(data).encode()


def _shows(page: Page, text: str, timeout_s: float = 60.0) -> None:
    """Reload until the page shows `text` (the app looks for a new refresh every second here)."""
    deadline = time.monotonic() + timeout_s
    while True:
        map_frame(page)
        if text in page.locator('[data-testid="stApp"]').inner_text():
            return
        assert time.monotonic() < deadline, f"{text!r} never appeared"
        page.wait_for_timeout(1500)
        page.reload()


def test_two_app_processes_read_one_store_and_see_each_refresh(browser: Browser, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    with moto_s3() as aws, ExitStack() as stack:
        _refresh(tmp_path, SANKT_POELTEN.read_bytes())
        env = {
            **aws,
            "CORRIDOR_ATLAS_MODE": "hosted",
            "CORRIDOR_ATLAS_STORE": STORE,
            "CORRIDOR_ATLAS_STORE_CHECK_S": "1",
        }
        urls = [
            stack.enter_context(
                running_streamlit(
                    settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=tmp_path / f"app{n}.log"
                )
            )
            for n in (1, 2)
        ]
        assert urls[0] != urls[1]
        router = OfflineRouter()
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        router.install(context)
        stack.callback(context.close)
        pages = [context.new_page() for _ in urls]
        for page, url in zip(pages, urls, strict=True):
            page.set_default_timeout(30_000)
            page.goto(url)
            _shows(page, "rail · st-poelten · 1,779 features · refreshed")
        _refresh(tmp_path, _one_way_fewer())
        for page in pages:
            _shows(page, "rail · st-poelten · 1,778 features · refreshed")
        assert router.unexpected_blocked() == []
