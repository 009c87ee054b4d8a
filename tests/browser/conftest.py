"""Fixtures for the browser tests: Debian's headless Chromium, fully offline, against the real app.

- `browser`: one Chromium for the session (Playwright's Python driver, never `playwright install`).
- `router` / `context` / `page`: a fresh browser context per test whose every request goes through
  `offline.OfflineRouter`; after the test, `router.blocked` lists what tried to leave the machine.
- `app_url`: `streamlit run app.py` on 127.0.0.1 with an empty temporary store, shared by the module.
- `app_page`: a `page` opened on the app; afterwards, no request may have left the machine except
  those the test named in `router.expected_blocked`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from geo import settings

from .offline import CHROMIUM, CHROMIUM_ARGS, NODE_MODULES, OfflineRouter, running_streamlit

VIEWPORT = {"width": 1400, "height": 950}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (`apt-get install -y chromium`) or run scripts/test"
        )
    if not (NODE_MODULES / "leaflet").is_dir():
        pytest.fail(f"{NODE_MODULES} is missing: run `npm ci --prefix tests/browser` (scripts/test does it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def router() -> OfflineRouter:
    return OfflineRouter()


@pytest.fixture
def context(browser: Browser, router: OfflineRouter) -> Iterator[BrowserContext]:
    browser_context = browser.new_context(viewport=VIEWPORT)
    router.install(browser_context)
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    new_page = context.new_page()
    new_page.set_default_timeout(30_000)
    return new_page


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app, `streamlit run app.py`, with an empty user store in a temporary folder."""
    work = tmp_path_factory.mktemp("app")
    env = {**os.environ, "CORRIDOR_ATLAS_STORE": str(work / "store"), "CORRIDOR_ATLAS_MODE": "local"}
    with running_streamlit(
        settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=work / "streamlit.log"
    ) as url:
        yield url


@pytest.fixture
def app_page(page: Page, app_url: str, router: OfflineRouter) -> Iterator[Page]:
    page.goto(app_url)
    yield page
    # Whatever a test did (clicks, filters), nothing may have tried to leave the machine unannounced.
    assert router.unexpected_blocked() == [], f"requests left the machine: {router.unexpected_blocked()}"
