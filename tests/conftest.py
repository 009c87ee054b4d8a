"""Fixtures shared by several test modules."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest

from geo import levels, settings, store, usecases
from geo.layers import layer_names, layers_with_levels


@pytest.fixture(scope="session")
def app_tiles(tmp_path_factory):
    """A tiles folder for the tests: the app's embedded tiles (built first if missing or outdated), linked,
    and a copy of their manifest, so archives built by tests (stored areas) never land in the repository."""
    usecases.prepare_tiles(store_dir=tmp_path_factory.mktemp("empty-store"))
    folder = tmp_path_factory.mktemp("tiles")
    for path in settings.TILES_DIR.iterdir():
        if path.name == "manifest.json":
            shutil.copy(path, folder / path.name)
        elif not path.name.startswith("."):
            (folder / path.name).symlink_to(path)
    return folder


@pytest.fixture(autouse=True)
def _tests_write_tiles_apart(app_tiles, monkeypatch):
    monkeypatch.setattr(settings, "TILES_DIR", app_tiles)


@pytest.fixture(scope="module")
def low_countries() -> dict[str, gpd.GeoDataFrame]:
    """The real embedded rail and roads of NL and BE."""
    return {layer: store.read_embedded(layer).query("country in ['NL', 'BE']") for layer in layers_with_levels()}


@pytest.fixture(scope="module")
def datasets_dir(tmp_path_factory, low_countries) -> object:
    """A datasets folder holding the NL/BE lines, their levels, the real point layers, outlines and policy catalogue,
    as the build writes them."""
    folder = tmp_path_factory.mktemp("datasets")
    for layer, frame in low_countries.items():
        store.write_layer(frame.reset_index(drop=True), folder / f"{layer}.parquet", layer)
    for layer in set(layer_names()) - set(layers_with_levels()):  # ports, crossings: as they are
        store.write_layer(store.read_embedded(layer), folder / f"{layer}.parquet", layer)
    for name in ("countries.parquet", "policies.yaml", "eu_law_suspended.parquet"):
        shutil.copy(settings.DATASETS_DIR / name, folder / name)
    levels.write_levels(low_countries, folder, progress=lambda _: None)
    return folder
