"""Shared by the app tests: run app.py headless (streamlit.testing) on the real datasets, fresh caches each test.

Use: `from tests.app_support import fresh_caches, run_app  # noqa: F401` (the fixture is autouse).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo import settings, wire

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT_S = 180


@pytest.fixture(autouse=True)
def fresh_caches(tmp_path, monkeypatch):
    """Each test starts with empty caches and an empty user store."""
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def run_app(**query: str) -> AppTest:
    """The app after its first run with `query` as URL parameters."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for name, value in query.items():
        app.query_params[name] = value
    return app.run()


def map_script(app: AppTest) -> str:
    """The map component's script (Leaflet set-up and the encoded layers)."""
    (component,) = app.get("component_instance")
    return json.loads(component.proto.json_args)["script"]


def map_ids(app: AppTest, layer: str) -> list[str]:
    """The ids of the features of `layer` the app's map page carries, decoded (`geo.wire.property_table`)."""
    return page_ids(map_script(app), layer)


def page_ids(page: str, layer: str) -> list[str]:
    """The ids of the features of `layer` a map page (or its script) carries, decoded."""
    found = re.search(rf'corridorAtlas\.addLayer\("{layer}", \w+, (\{{.*?\}})\);\n', page)
    if found is None:
        return []
    payload = json.loads(found.group(1))
    return wire.decode_column(payload["props"]["data"]["id"])[: payload["count"]]


def url_param(app: AppTest, name: str) -> str:
    """A URL parameter the app set, as the browser sees it (older AppTest releases give a list of values)."""
    value = app.query_params[name]
    return value[-1] if isinstance(value, list) else value
