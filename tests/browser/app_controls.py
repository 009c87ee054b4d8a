"""Driving the app's Streamlit widgets from the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

OPEN_ATTEMPTS = 5
OPEN_TIMEOUT_MS = 3_000


def pick_countries(page: Page, *names: str) -> None:
    """Picks countries by name (e.g. "Poland") in the sidebar's "Filter by country" multiselect."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    country_filter = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Filter by country")
    for name in names:
        country_filter.locator("input").click()
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")


def choose_option(page: Page, key: str, label: str) -> None:
    """Chooses the option labelled `label` in the selectbox with the stable key `key`.

    The selectbox's list closes when the page scrolls (as it does while the app lays itself out after
    a rerun), so opening it is tried again until the option can be clicked.
    """
    combobox = page.locator(f".st-key-{key}").get_by_role("combobox")
    option = page.get_by_role("option", name=label, exact=True)
    for _ in range(OPEN_ATTEMPTS):
        combobox.click()
        try:
            option.click(timeout=OPEN_TIMEOUT_MS)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expect(combobox).to_have_value(label)
