"""Fixtures shared by several test modules."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geo import levels, store
from geo.layers import layers_with_levels


@pytest.fixture(scope="module")
def low_countries() -> dict[str, gpd.GeoDataFrame]:
    """The real embedded rail and roads of NL and BE."""
    return {layer: store.read_embedded(layer).query("country in ['NL', 'BE']") for layer in layers_with_levels()}


@pytest.fixture(scope="module")
def datasets_dir(tmp_path_factory, low_countries) -> object:
    """A datasets folder holding the NL/BE layers, their levels and the real ports, as the build writes them."""
    folder = tmp_path_factory.mktemp("datasets")
    for layer, frame in low_countries.items():
        store.write_layer(frame.reset_index(drop=True), folder / f"{layer}.parquet", layer)
    store.write_layer(store.read_embedded("ports"), folder / "ports.parquet", "ports")
    levels.write_levels(low_countries, folder, progress=lambda _: None)
    return folder
