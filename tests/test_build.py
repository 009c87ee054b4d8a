"""The embedded snapshot: build_default end to end, and the committed datasets against the raw files.

The build runs once per module on the real raw files, with the 340,001 road pieces cut down to
the Netherlands and its borders (the whole set takes about half a minute; the committed roads
are checked in tests/sources/test_osm_roads_2021.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import cli, levels, search, settings, store, tiles
from geo.build import build_default
from geo.layers import layer_names, layers_with_levels
from geo.sources import MissingInputError, gisco_ports, natural_earth_rail, osm_roads_2021, world_port_index

ROADS_SUBSET_BBOX = (3.3, 50.7, 7.3, 53.6)  # the Netherlands with parts of BE and DE


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The real raw inputs, with the road pieces limited to ROADS_SUBSET_BBOX."""
    root = tmp_path_factory.mktemp("raw")
    for module in (gisco_ports, world_port_index, natural_earth_rail, osm_roads_2021):
        for name in module.INPUTS:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).symlink_to(settings.SHARED_DATA_DIR / name)
    countries = "countries/ne_50m_admin_0_countries_europe.geojson"
    (root / countries).parent.mkdir(exist_ok=True)
    (root / countries).symlink_to(settings.SHARED_DATA_DIR / countries)
    roads = osm_roads_2021.INPUTS[0]
    (root / roads).unlink()
    raw = gpd.read_parquet(settings.SHARED_DATA_DIR / roads)
    raw[raw.intersects(shapely.box(*ROADS_SUBSET_BBOX))].to_parquet(root / roads)
    return root


@pytest.fixture(scope="module")
def built(data_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("datasets")
    lines: list[str] = []
    summary = build_default(data_dir=data_dir, out_dir=out_dir, progress=lines.append)
    return out_dir, summary, lines


def test_build_writes_every_file_and_reports_it(built):
    out_dir, summary, lines = built
    lods = {f"{layer}_lod{level.number}" for layer in layers_with_levels() for level in levels.LEVELS}
    assert (
        set(summary)
        == {"ports", "rail", "roads", "countries", "places", "eu_law_suspended", "crossings", "tiles"} | lods
    )
    tiles_entry = summary["tiles"]  # tiles of other data than datasets/ go beside them, not to the app's
    assert Path(tiles_entry["path"]).parent == out_dir / "tiles" and tiles_entry["bytes"] > 0
    assert tiles.read_manifest(out_dir / "tiles")["archives"]["embedded"]["file"] == Path(tiles_entry["path"]).name
    for name, entry in summary.items():
        if name == "tiles":
            continue
        path = out_dir / f"{name}.parquet"
        assert entry["path"] == str(path) and entry["bytes"] == path.stat().st_size > 0
        assert any(line.strip().startswith(name) for line in lines)
    for layer in layer_names():
        frame = store.read_layer_file(out_dir / f"{layer}.parquet", layer)  # validates the schema
        assert len(frame) == summary[layer]["features"]
        assert frame["retrieved_at"].nunique() == 1
    assert summary["rail"]["km"] == pytest.approx(312_645, rel=0.01)
    assert not list(out_dir.glob(".*.tmp"))


def test_build_is_reproducible_against_the_committed_snapshot(built):
    """Same raw input -> the same ids and rows as datasets/ (all but the build time)."""
    out_dir, _, _ = built
    for layer in ("ports", "rail"):
        fresh = store.read_layer_file(out_dir / f"{layer}.parquet", layer).drop(columns="retrieved_at")
        committed = store.read_embedded(layer).drop(columns="retrieved_at")
        pd.testing.assert_frame_equal(pd.DataFrame(fresh), pd.DataFrame(committed))
    for name in ("countries", "eu_law_suspended"):
        fresh = gpd.read_parquet(out_dir / f"{name}.parquet").drop(columns="retrieved_at", errors="ignore")
        committed = gpd.read_parquet(settings.DATASETS_DIR / f"{name}.parquet").drop(
            columns="retrieved_at", errors="ignore"
        )
        pd.testing.assert_frame_equal(pd.DataFrame(fresh), pd.DataFrame(committed))
    # Places in full: tests/sources/test_geonames_places.py.
    fresh, committed = (search.load_places(folder / "places.parquet") for folder in (out_dir, settings.DATASETS_DIR))
    assert fresh["id"].tolist() == committed["id"].tolist() and fresh["retrieved_at"].nunique() == 1
    # Rail crossings come from the rail layer alone, so they match the committed ones (the roads here are cut).
    fresh, committed = (
        store.read_layer_file(folder / "crossings.parquet", "crossings").drop(columns="retrieved_at")
        for folder in (out_dir, settings.DATASETS_DIR)
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(fresh[fresh["mode"] == "rail"]).reset_index(drop=True),
        pd.DataFrame(committed[committed["mode"] == "rail"]).reset_index(drop=True),
    )


def test_countries_carry_provenance_like_every_feature(built):
    out_dir, _, _ = built
    table = gpd.read_parquet(out_dir / "countries.parquet")
    assert (table["source"] == "natural_earth").all() and (table["licence"] == "public domain").all()
    assert (table["attribution"] == "Made with Natural Earth").all()
    assert table["retrieved_at"].notna().all() and table["retrieved_at"].nunique() == 1


def test_roads_subset_keeps_its_km(built, data_dir):
    out_dir, _, _ = built
    roads = store.read_layer_file(out_dir / "roads.parquet", "roads")
    raw = gpd.read_parquet(data_dir / osm_roads_2021.INPUTS[0])
    # Here 3 % of the raw km are pieces repeated exactly (tile buffers); the rest must be kept.
    repeated = pd.Series(shapely.to_wkb(shapely.normalize(raw.geometry.values))).duplicated().to_numpy()
    assert roads["length_km"].sum() == pytest.approx(raw.loc[~repeated, "km"].sum(), rel=0.005)
    assert {"NL", "BE", "DE"} <= set(roads["country"])


def test_missing_input_names_the_file_and_writes_nothing(tmp_path):
    out_dir = tmp_path / "out"
    with pytest.raises(MissingInputError, match=r"ports/gisco_ports_2013_europe\.geojson"):
        build_default(data_dir=tmp_path, out_dir=out_dir, progress=lambda _: None)
    assert not out_dir.exists()


def test_cli_reports_missing_input_as_one_line(tmp_path, capsys):
    assert cli.main(["build-default", "--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: missing raw input file(s)") and "Traceback" not in err


# The committed snapshot (datasets/*.parquet) against the raw files.


@pytest.fixture(scope="module")
def ports():
    return store.read_embedded("ports")


def test_committed_ports_hold_every_gisco_port(ports):
    raw = gisco_ports.read_raw(settings.SHARED_DATA_DIR)
    assert len(raw) == 2211
    assert set("gisco:" + raw["PORT_ID"]) <= set(ports["id"])
    assert (ports["source"] == "gisco").sum() == 2211
    assert not (ports[["channel_depth_m", "cargo_pier_depth_m"]] == 0).any().any()


def test_committed_ports_known_features(ports):
    by_id = ports.set_index("id")
    assert by_id.loc["gisco:NLRTM", ["country", "harbour_size", "locode"]].tolist() == ["NL", "Large", "NLRTM"]
    assert by_id.loc["gisco:GRPIR", "country"] == "GR"
    assert by_id.loc["gisco:NOBGO", "country"] == "NO"
    assert ports["country"].notna().all()


def test_committed_rail_holds_every_natural_earth_line():
    rail = store.read_embedded("rail")
    raw = natural_earth_rail.read_raw(settings.SHARED_DATA_DIR)
    assert {json.loads(t)["rwdb_rr_id"] for t in rail["tags"]} == set(raw["rwdb_rr_id"])
    near_warsaw = rail[rail.intersects(shapely.Point(21.01, 52.23).buffer(0.05))]
    assert set(near_warsaw["country"]) == {"PL"}
