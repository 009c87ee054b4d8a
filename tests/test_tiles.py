"""Vector tiles: the archive's zoom bands, layers, attributes and features against the levels they come
from; popup shards; the manifest; and every way the map falls back to drawing from the page."""

from __future__ import annotations

import gzip
import json
import math
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
from pmtiles.reader import MmapSource, Reader

from geo import cli, levels, policy_views, render, settings, store, tiles, usecases, wire
from geo.errors import TilesError
from geo.layers import get_layer, layers_with_levels
from tests.map_support import features
from tests.osm_support import OSM_DIR

# The NL/BE test data (conftest `datasets_dir`) lies within this box (W, S, E, N degrees).
LOW_COUNTRIES = (2.5, 49.4, 7.3, 53.6)
TILE_ATTRIBUTES = {"id", "kind", "country", "cls", "doc"}


@pytest.fixture(scope="module")
def built(datasets_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("tiles")
    entry = tiles.build_embedded(out_dir, datasets_dir, progress=lambda _: None)
    return out_dir, entry


def _tile_range(zoom: int, box: tuple[float, float, float, float]):
    """The x and y ranges of the Web Mercator tiles at `zoom` covering `box`."""

    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2**zoom
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return min(int((lon + 180) / 360 * n), n - 1), min(int(y), n - 1)

    (x0, y0), (x1, y1) = tile(box[0], box[3]), tile(box[2], box[1])
    return range(x0, x1 + 1), range(y0, y1 + 1)


def _features_at(archive: Path, zoom: int) -> dict[str, list[dict]]:
    """Every feature of every tile at `zoom` over the test data: {tile layer: [properties, ...]}."""
    found: dict[str, list[dict]] = {}
    with open(archive, "rb") as file:
        reader = Reader(MmapSource(file))
        xs, ys = _tile_range(zoom, LOW_COUNTRIES)
        for x in xs:
            for y in ys:
                data = reader.get(zoom, x, y)
                if not data:
                    continue
                for name, layer in mapbox_vector_tile.decode(gzip.decompress(data)).items():
                    found.setdefault(name, []).extend(feature["properties"] for feature in layer["features"])
    return found


def test_each_zoom_band_draws_every_feature_of_its_level_with_the_tile_attributes(built, datasets_dir):
    out_dir, entry = built
    archive = out_dir / entry["file"]
    assert entry["max_zoom"] == tiles.EMBEDDED_MAX_ZOOM
    sets = entry["sets"]
    for band in tiles.bands(tiles.EMBEDDED_MAX_ZOOM):
        for zoom in sorted({band.min_zoom, band.max_zoom}):
            found = _features_at(archive, zoom)
            assert set(found) == {tiles.tile_layer(layer, band.level) for layer in layers_with_levels()}, zoom
            for layer in layers_with_levels():
                source = levels.read_level(layer, band.level, datasets_dir)
                props = found[tiles.tile_layer(layer, band.level)]
                assert all(set(p) == TILE_ATTRIBUTES for p in props)
                # Pieces cut at tile edges share their id: de-duplicated, no feature is missing or thinned out.
                assert {p["id"] for p in props} == set(source["id"]), (layer, zoom)
                by_id = {p["id"]: p for p in props}
                expected_class = dict(zip(source["id"], get_layer(layer).line_class(source), strict=True))
                assert all(by_id[i]["cls"] == expected_class[i] for i in by_id)
                countries = source["country"].astype("string").fillna("")
                assert all(by_id[i]["country"] == c for i, c in zip(source["id"], countries, strict=True))
                assert all(-1 <= p["doc"] < len(sets) for p in props)


def test_a_feature_key_leads_to_its_documents(built, datasets_dir):
    out_dir, entry = built
    found = _features_at(out_dir / entry["file"], tiles.EMBEDDED_MAX_ZOOM)
    dutch_rail = next(p for p in found["rail.4"] if p["country"] == "NL")
    source = levels.read_level("rail", levels.FULL, datasets_dir)
    alone = policy_views.popup_documents({"rail": source[source["id"] == dutch_rail["id"]]})
    assert entry["sets"][dutch_rail["doc"]] == list(alone.sets[alone.keys["rail"].iloc[0]])
    assert "tent-2024" in entry["sets"][dutch_rail["doc"]]
    table = json.loads((out_dir / entry["popups"] / "docs.json").read_text())
    assert set(entry["sets"][dutch_rail["doc"]]) <= set(table["documents"])


def test_popup_shards_hold_every_feature_once_where_the_browser_looks(built, datasets_dir):
    out_dir, entry = built
    for layer, info in entry["layers"].items():
        ids = set()
        for shard in range(info["shards"]):
            table = json.loads((out_dir / entry["popups"] / "popups" / layer / f"{shard}.json").read_text())
            assert all(tiles.shard_of(i, info["shards"]) == shard for i in table["ids"])
            assert len(table["ids"]) == len(set(table["ids"]))
            assert table["props"]["cols"][0] == "id"
            ids.update(table["ids"])
        all_levels = range(levels.FULL + 1) if get_layer(layer).has_levels else [levels.FULL]
        expected = set().union(*(set(levels.read_level(layer, level, datasets_dir)["id"]) for level in all_levels))
        assert ids == expected, layer


def test_shard_of_is_fnv1a_as_the_browser_computes_it():
    # Published FNV-1a 32-bit test vectors.
    assert tiles.shard_of("", 2**32) == 0x811C9DC5
    assert tiles.shard_of("a", 2**32) == 0xE40C292C
    assert tiles.shard_of("foobar", 2**32) == 0xBF9CF968
    assert tiles.shard_of("ne:rail/1", 7) == tiles.shard_of("ne:rail/1", 2**32) % 7


def test_the_basemap_is_recorded_with_the_embedded_archive(built):
    out_dir, entry = built
    manifest = tiles.read_manifest(out_dir)
    assert manifest["archives"][tiles.EMBEDDED]["file"] == entry["file"]
    basemap = manifest["archives"][tiles.BASEMAP]
    tiles.check_archive(out_dir / basemap["file"])
    with open(out_dir / basemap["file"], "rb") as file:
        assert Reader(MmapSource(file)).header()["max_zoom"] == tiles.BASEMAP_MAX_ZOOM


def test_a_rebuild_of_the_same_data_keeps_its_name_and_new_data_keeps_the_previous_archive(built, datasets_dir):
    out_dir, entry = built
    again = tiles.build_embedded(out_dir, datasets_dir, progress=lambda _: None)
    assert again["file"] == entry["file"]  # content-hashed: same data, same file
    manifest = tiles.read_manifest(out_dir)
    replaced = tiles.record_archive(
        tiles.EMBEDDED, {**again, "file": "embedded-other.pmtiles", "popups": "x/"}, out_dir
    )
    assert replaced["previous"][tiles.EMBEDDED] == [entry["file"].removesuffix(".pmtiles")]
    assert (out_dir / entry["file"]).exists()  # an open page keeps reading the previous archive
    tiles.record_archive(tiles.EMBEDDED, manifest["archives"][tiles.EMBEDDED], out_dir)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no map tiles are built yet"), ("{not json", "unreadable"), ('{"version": 0}', "older build")],
)
def test_a_missing_corrupt_or_old_manifest_is_one_clear_error(tmp_path, content, message):
    if content is not None:
        (tmp_path / tiles.MANIFEST).write_text(content)
    with pytest.raises(TilesError, match=message):
        tiles.read_manifest(tmp_path)


def test_a_corrupt_archive_is_one_clear_error(tmp_path):
    (tmp_path / "a.pmtiles").write_bytes(b"<html>not found</html>")
    with pytest.raises(TilesError, match=r"a\.pmtiles is corrupt"):
        tiles.check_archive(tmp_path / "a.pmtiles")
    with pytest.raises(TilesError, match="missing"):
        tiles.check_archive(tmp_path / "b.pmtiles")


# -- the map request falls back to drawing from the page, and says why ------------------------------


@pytest.fixture
def copied_tiles(built, tmp_path, monkeypatch, datasets_dir):
    out_dir, entry = built
    folder = tmp_path / "tiles"
    folder.mkdir()
    for path in out_dir.iterdir():
        if path.suffix in {".pmtiles", ".json"}:
            (folder / path.name).write_bytes(path.read_bytes())
        elif path.is_dir() and not path.name.startswith("."):
            (folder / path.name).symlink_to(path)
    monkeypatch.setattr(settings, "TILES_DIR", folder)
    monkeypatch.setattr(settings, "DATASETS_DIR", datasets_dir)
    return folder, entry


def _request(store_dir: Path):
    from geo import select

    loaded = select.load_layers(store_dir=store_dir)
    return usecases.map_request(loaded, ["ports", "rail", "roads"], ["NL"], tiled=True)


def test_current_tiles_draw_the_lines(copied_tiles, tmp_path):
    request = _request(tmp_path / "store")
    assert request.tiles is not None and request.notice is None
    assert [archive.key for archive in request.tiles.archives] == [tiles.EMBEDDED]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda folder, entry: (folder / entry["file"]).write_bytes(b"\0" * 50), "corrupt"),
        (lambda folder, entry: (folder / entry["file"]).unlink(), "missing"),
        (lambda folder, entry: (folder / tiles.MANIFEST).write_text('{"version": 0}'), "older build"),
        (lambda folder, entry: (folder / tiles.MANIFEST).unlink(), "no map tiles are built yet"),
    ],
)
def test_damaged_tiles_fall_back_to_the_page_with_a_notice(copied_tiles, tmp_path, damage, reason):
    folder, entry = copied_tiles
    damage(folder, entry)
    request = _request(tmp_path / "store")
    assert request.tiles is None
    assert "without detail that follows the zoom" in request.notice and reason in request.notice
    assert len(request.frames["rail"])  # the lines are in the page instead


def test_tiles_of_other_data_are_refused(copied_tiles, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DATASETS_DIR", settings.REPO_DIR / "datasets")
    request = _request(tmp_path / "store")
    assert request.tiles is None and "built from other data" in request.notice


class _RangeHandler(SimpleHTTPRequestHandler):
    """Serves a folder; answers `Range: bytes=a-b` with 206 unless the class says it cannot."""

    ranges = True

    def do_GET(self):
        wanted = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not wanted or not self.ranges or not path.is_file():
            return super().do_GET()
        start, end = (int(v) for v in wanted.removeprefix("bytes=").split("-"))
        body = path.read_bytes()[start : end + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{path.stat().st_size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def remote(copied_tiles, monkeypatch):
    folder, _ = copied_tiles
    handler = type("Handler", (_RangeHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(settings, "TILES_URL", f"http://127.0.0.1:{server.server_port}/")
    tiles._probe.cache_clear()
    yield handler, server
    server.shutdown()
    tiles._probe.cache_clear()


def test_tiles_on_object_storage_are_used_when_they_answer_range_requests(remote, tmp_path):
    _, server = remote
    request = _request(tmp_path / "store")
    assert request.tiles is not None
    assert request.tiles.archives[0].url.startswith(f"http://127.0.0.1:{server.server_port}/embedded-")


def test_tiles_on_a_server_without_range_requests_fall_back(remote, tmp_path):
    handler, _ = remote
    handler.ranges = False
    request = _request(tmp_path / "store")
    assert request.tiles is None and "answered HTTP 200, not a range (206)" in request.notice


def test_a_tiles_url_that_does_not_answer_falls_back(remote, tmp_path):
    _, server = remote
    server.shutdown()
    server.server_close()
    request = _request(tmp_path / "store")
    assert request.tiles is None and "do not answer" in request.notice


# -- stored OpenStreetMap detail --------------------------------------------------------------------


def test_an_imported_area_gets_its_own_archive_up_to_zoom_14(copied_tiles, tmp_path):
    store_dir = tmp_path / "store"
    (result,) = usecases.import_file(OSM_DIR / "monaco-2020-02.osm.pbf", ["roads"], store_dir=store_dir)
    sources = tiles.map_sources(store_dir=store_dir)
    assert not sources.untiled_areas
    area = sources.archives[1]
    (record,) = store.stored_areas("roads", store_dir)
    assert area.key == tiles.area_key(record) == "area-roads-osm_pbf__monaco-2020-02"
    assert area.entry["max_zoom"] == tiles.AREA_MAX_ZOOM
    archive = settings.TILES_DIR / area.entry["file"]
    with open(archive, "rb") as file:
        reader = Reader(MmapSource(file))
        x, y = _tile_range(14, (7.42, 43.735, 7.42, 43.735))
        layer = mapbox_vector_tile.decode(gzip.decompress(reader.get(14, x[0], y[0])))["roads.4"]
    assert {feature["properties"]["id"] for feature in layer["features"]} <= set(result.frame["id"])
    assert len(layer["features"]) > 0


def test_a_stored_area_without_tiles_is_drawn_from_the_page(copied_tiles, tmp_path):
    store_dir = tmp_path / "store"
    usecases.import_file(OSM_DIR / "monaco-2020-02.osm.pbf", ["roads"], store_dir=store_dir)
    manifest = tiles.read_manifest()
    key = tiles.area_key(store.stored_areas("roads", store_dir)[0])
    manifest["archives"][key]["built_from"] = {"roads": "stale"}
    (settings.TILES_DIR / tiles.MANIFEST).write_text(json.dumps(manifest))
    sources = tiles.map_sources(store_dir=store_dir)
    assert [record["layer"] for record in sources.untiled_areas] == ["roads"]
    assert usecases.prepare_tiles(store_dir=store_dir) is None  # builds what is missing
    assert not tiles.map_sources(store_dir=store_dir).untiled_areas


def test_prepare_tiles_builds_missing_tiles_and_reports_what_it_cannot(copied_tiles, tmp_path, monkeypatch):
    folder, _ = copied_tiles
    (folder / tiles.MANIFEST).unlink()
    lines: list[str] = []
    assert usecases.prepare_tiles(store_dir=tmp_path / "store", progress=lines.append) is None
    assert tiles.map_sources(store_dir=tmp_path / "store").archives[0].key == tiles.EMBEDDED
    assert any("no map tiles are built yet" in line for line in lines)
    (folder / tiles.MANIFEST).unlink()
    monkeypatch.setattr(settings, "TILES_DIR", folder / tiles.MANIFEST / "not-a-folder")
    (folder / tiles.MANIFEST).write_text("{}")
    problem = usecases.prepare_tiles(store_dir=tmp_path / "store", progress=lines.append)
    assert problem is not None and problem.startswith("the map tiles could not be built")


def test_the_cli_builds_the_tiles_into_a_folder(datasets_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "DATASETS_DIR", datasets_dir)
    assert cli.main(["build-tiles", "--out-dir", str(tmp_path / "out")]) == 0
    manifest = tiles.read_manifest(tmp_path / "out")
    assert manifest["archives"][tiles.EMBEDDED]["file"] in capsys.readouterr().out
    tiles.check_archive(tmp_path / "out" / manifest["archives"][tiles.EMBEDDED]["file"])


def test_stored_points_without_tiles_carry_their_popups_in_the_page(copied_tiles, tmp_path):
    store_dir = tmp_path / "store"
    ports = features(
        "ports", [shapely.Point(4.3, 51.9)], id=["osm:node/7"], name=["Zqport <b>stored</b>"], country="NL"
    )
    store.write_area(ports, "ports", "osm_overpass", "maasvlakte", {"retrieved_at": "2026-11-30T00:00:00Z"}, store_dir)
    request = _request(store_dir)
    assert list(request.untiled["ports"]["id"]) == ["osm:node/7"]
    data = json.loads(render.prepare_map(request).layers["ports"])
    assert data["popups"], "the embedded ports' popups still come from the shards"
    assert "name" not in data["props"]["cols"]
    (row,) = data["local"]["rows"]
    assert wire.column_value(data["props"]["data"]["id"], row) == "osm:node/7"
    assert data["local"]["props"]["data"]["name"]["r"] == ["Zqport <b>stored</b>"]
