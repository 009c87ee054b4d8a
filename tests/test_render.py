"""Map rendering: payload encoding, escaping, attribution, layers in the page, page size on the real data."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import countries, policy_views, render, seed_ports, select, settings, store, usecases, wire
from geo.layers import layer_names
from tests.map_support import features

HOSTILE = "<img src=x onerror=alert(1)>"


def _ports(names=("Gdańsk", HOSTILE)) -> gpd.GeoDataFrame:
    return features(
        "ports",
        [shapely.Point(18.65 + i, 54.4) for i in range(len(names))],
        id=[f"osm:node/{i + 1}" for i in range(len(names))],
        name=list(names),
        country="PL",
        locode=["PLGDN", "PLXXX"][: len(names)],
        ten_t_code=[2336, 0][: len(names)],
        harbour_size=["Large", None][: len(names)],
        tags=json.dumps({"note": HOSTILE, "depth": 12}),
    )


def _rail() -> gpd.GeoDataFrame:
    return features(
        "rail",
        [
            shapely.LineString([(18.0, 54.0), (18.1, 54.05), (18.2, 54.1)]),
            shapely.MultiLineString([[(17.0, 53.0), (17.5, 53.5)], [(17.6, 53.6), (17.7, 53.7)]]),
            shapely.LineString([(13.0, 52.0), (13.00001, 52.00001)]),  # collapses at 2 decimals
        ],
        id=["osm:way/1", "osm:way/2", "osm:way/3"],
        name=[HOSTILE, "Line 2", "Line 3"],
        country=["PL", "PL", "DE"],
        electrified=["contact_line", "no", None],
        length_km=[10.0, 5.0, 1.0],
    )


def _decode(path: list[int], decimals: int) -> np.ndarray:
    return np.cumsum(np.asarray(path).reshape(-1, 2), axis=0) / 10**decimals


def test_full_detail_lines_keep_their_precision_at_a_coarse_level():
    rail = _rail()
    fine = pd.Series([False, True, True], index=rail.index)
    payload = render.layer_payload(rail, "rail", 1, full_detail=fine).data
    assert payload["q"] == 1 and payload["qs"] == [1, 5, 5]
    assert np.allclose(_decode(payload["geom"][2][0], 5), [(13.0, 52.0), (13.00001, 52.00001)])
    assert "qs" not in render.layer_payload(rail, "rail", 1).data


def test_rail_ferries_are_their_own_class_with_a_legend_entry():
    rail = _rail()
    rail.loc[1, "kind"] = "ferry"
    payload = render.layer_payload(rail, "rail", 3).data
    ferry = payload["styles"][payload["cls"][1]]
    assert ferry["label"] == "Rail ferry" and ferry["dash"], "drawn dashed, unlike any track"


def test_attribution_escapes_and_links_odbl():
    frame = pd.DataFrame({"attribution": [HOSTILE, "© OpenStreetMap contributors"], "licence": ["x", "ODbL-1.0"]})
    text = " ".join(render.attribution_credits(frame))
    assert HOSTILE not in text and html_escaped(HOSTILE) in text
    assert render.OSM_COPYRIGHT_URL in text and render.ODBL_URL in text


def test_outlines_and_natural_earth_rail_share_one_credit():
    """Leaflet lists identical credits once: the outlines must credit Natural Earth exactly as the rail does."""
    rail = store.read_embedded("rail")
    outline = render.outline_payload(countries.load_countries())
    rail_payload = render.layer_payload(rail.head(50), "rail", 2).data
    assert outline["credits"] == rail_payload["credits"] == ["Made with Natural Earth (public domain)"]


def test_natural_earth_rail_says_its_attributes_are_dated():
    rail = store.read_embedded("rail").head(50)
    caveat = render.layer_payload(rail, "rail", 2).data["caveats"]["natural_earth"]
    assert "older state of the network" in caveat and "no date" in caveat
    assert render.layer_payload(_rail(), "rail", 2).data["caveats"] == {}, "OSM detail has no such caveat"


def html_escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_hostile_names_never_reach_the_page_as_markup():
    request = render.MapRequest(frames={"ports": _ports(), "rail": _rail()}, decimals=3, documents=False)
    page = render.render_html(request)
    assert "<img" not in page
    assert "onerror=alert(1)" in page  # the text is there, escaped as \u003cimg ...
    # Popups are built with textContent only: the runtime never assigns innerHTML.
    assert ".innerHTML" not in render._RUNTIME_JS and "insertAdjacentHTML" not in render._RUNTIME_JS


def test_page_links_leaflet_only_and_names_layers():
    request = render.MapRequest(frames={"ports": _ports(), "rail": _rail()}, decimals=3, documents=False)
    page = render.render_html(request)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert scripts == [settings.LEAFLET_APP_URL + "leaflet.js"]
    assert styles == [settings.LEAFLET_APP_URL + "leaflet.css"]
    for title in ("Ports", "Railways", *render.BASEMAP_TITLES.values()):
        assert json.dumps(title) in page
    assert 'corridorAtlas.addLayer("rail"' in page and 'preferCanvas": true' in page


def test_inline_assets_page_needs_no_network():
    request = render.MapRequest(frames={"ports": _ports()}, decimals=3, documents=False)
    page = render.render_html(request, inline_assets=True)
    assert not re.findall(r'<script src="https?://', page)
    assert not re.findall(r'<link rel="stylesheet" href="https?://', page)
    assert "data:image/png;base64," in page


def test_unknown_basemap_is_refused():
    with pytest.raises(ValueError, match="basemap"):
        render.build_map(render.MapRequest(frames={}, basemap="satellite"))


def test_highlight_finds_the_feature_and_fits_it():
    request = render.MapRequest(frames={"ports": _ports()}, highlight="osm:node/2", documents=False)
    page = render.render_html(request)
    assert '"highlight":{"layer":"ports","index":1}' in page
    assert "fitBounds" in page


# -- the real datasets -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded() -> select.Layers:
    return select.load_layers()


def test_europe_page_with_every_layer_stays_within_budget(loaded):
    request = usecases.map_request(
        loaded,
        layer_names(),
        outlines=countries.load_countries(),
        seed_ports=seed_ports.load_seed_ports(),
        show_seed=True,
    )
    page = render.render_html(request)
    assert len(page.encode()) < 3_000_000
    assert len(request.frames["ports"]) == len(loaded["ports"])
    for layer in layer_names():
        assert f'corridorAtlas.addLayer("{layer}"' in page
    assert "Made with Natural Earth" in page and render.ODBL_URL in page
    assert "Source: GISCO" in page
    assert "corridorAtlas.addSeed" in page and "corridorAtlas.addOutlines" in page


def test_country_selection_narrows_every_layer(loaded):
    request = usecases.map_request(loaded, layer_names(), ["PL"], outlines=countries.load_countries())
    for layer, frame in request.frames.items():
        assert len(frame) > 0, layer
        # A border crossing lies in both its countries: Poland is one of them.
        sides = frame[list(select.country_columns(frame))].apply(lambda row: set(row.dropna()), axis=1)
        assert all("PL" in side for side in sides), layer
        assert set(frame["country"].dropna()) == {"PL"} or layer == "crossings", layer
    assert request.bounds is not None and 13 < request.bounds[0] < 15


def test_popups_link_policy_documents_safely(loaded):
    request = usecases.map_request(loaded, ["ports"], ["NL"], outlines=countries.load_countries())
    page = render.render_html(request)
    config = json.loads(re.search(r"corridorAtlas\.init\([^,]+, (\{.*?\})\);\n", page).group(1))
    documents = config["documents"]
    assert documents, "Dutch ports should link at least one policy document"
    assert all(doc["u"] is None or doc["u"].startswith(("https://", "http://")) for doc in documents.values())
    assert 'rel = "noopener noreferrer"' in render._RUNTIME_JS and 'target = "_blank"' in render._RUNTIME_JS


def test_port_popups_never_say_not_ten_t_and_carry_type_and_match(loaded):
    # Croatian, Maltese and Norwegian ports all have TEN_CODE 0 in GISCO 2013; Germany has inland ports.
    request = usecases.map_request(
        loaded, ["ports"], ["HR", "MT", "NO", "DE"], seed_ports=seed_ports.load_seed_ports(), show_seed=True
    )
    page = render.render_html(request, inline_assets=True)
    assert not re.search(r"not\s+TEN-T|non-TEN-T", page, re.IGNORECASE)
    payload = json.loads(re.search(r'corridorAtlas\.addLayer\("ports", \w+, (\{.*?\})\);\n', page).group(1))
    columns = payload["props"]["cols"]
    for column in ("port_type", "port_type_basis", "ten_t_code", "wpi_match", "wpi_match_km"):
        assert column in columns
    data = payload["props"]["data"]
    ids = request.frames["ports"]["id"].tolist()

    def shown(column, feature_id):
        return wire.decode_column(data[column])[ids.index(feature_id)]

    # The page words a 0 code and an unknown type, and the labels say what the code is.
    assert shown("port_type", "gisco:DEDUI") == "inland" and shown("ten_t_code", "gisco:HRRJK") == "none recorded"
    assert shown("wpi_match", "gisco:HRRJK") == "UN/LOCODE" and float(shown("wpi_match_km", "gisco:HRRJK")) < 5
    unknown = request.frames["ports"]["port_type"].isna().to_numpy()
    assert unknown.any() and shown("port_type", ids[unknown.argmax()]) == "not known"
    assert payload["labels"]["ten_t_code"] == "TEN-T port code (GISCO 2013)"
    assert payload["labels"]["port_type"] == "Port type"


def test_attribution_lists_each_credit_once_with_its_own_licence():
    frame = pd.DataFrame(
        {
            "attribution": ["GISCO", "GISCO; World Port Index", "World Port Index", "GISCO"],
            "licence": ["reuse with attribution", "reuse with attribution", "public domain", "reuse with attribution"],
        }
    )
    assert render.attribution_credits(frame) == ["GISCO (reuse with attribution)", "World Port Index (public domain)"]


def test_popup_documents_label_unverified_facts():
    payload = policy_views.documents_payload(["pesco-milmob", "nato-steadfast-defender-2024", "tent-2024"])
    assert payload["pesco-milmob"]["i"] == "32018D0340 (unverified)"
    assert payload["pesco-milmob"]["a"] == "official site, address not verified"
    assert payload["nato-steadfast-defender-2024"]["s"] == "completed (unverified), news reports only"
    assert payload["nato-steadfast-defender-2024"]["u"] is None
    assert payload["nato-steadfast-defender-2024"]["a"] == "no official address"
    assert payload["tent-2024"]["i"] == "32024R1679"
    assert payload["tent-2024"]["u"].startswith("https://eur-lex.europa.eu/")
    assert payload["tent-2024"]["a"] == "official text"


def test_popups_say_how_sure_each_match_is_and_why(loaded):
    """Each feature's documents carry the match certainty and the reason; Famagusta's are all unverified."""
    ports = loaded["ports"]
    cypriot = ports[ports["country"] == "CY"]
    popups = policy_views.popup_documents({"ports": cypriot})
    documents, table = popups.texts, popups.table
    assert all(text.startswith("applies: ") for text in table["matches"])
    decoded = {}
    for locode, text in zip(cypriot["locode"], documents["ports"], strict=True):
        entries = [entry.split("~") for entry in text.split("|")]
        decoded[locode] = [(doc, table["matches"][int(m)], table["reasons"][int(r)]) for doc, m, r in entries]
    for locode in ("CYFMG", "CYKYR"):
        assert decoded[locode]
        for doc, match, reason in decoded[locode]:
            assert match.startswith("applies: unverified"), (locode, doc)
            assert "north of Cyprus" in reason
    limassol = {doc: match for doc, match, _ in decoded["CYLMS"]}
    assert limassol["ports-strategy-2026"] == "applies: probable, matched on the feature"
    assert table["documents"]["ports-strategy-2026"]["a"] == "no official address"
    page = render.render_html(usecases.map_request(loaded, ["ports"], ["CY"], outlines=countries.load_countries()))
    assert "link verified" not in page


def test_a_route_overlay_is_drawn_from_the_route_spec_and_fitted():
    stretch = features(
        "route",
        [shapely.LineString([(18.6, 54.3), (19.0, 53.0)])],
        kind="rail",
        country="PL",
        step=1,
        electrified="unknown",
        length_km=150.0,
    )
    overlay = render.Overlay("route", "Route: Gdańsk to Toruń", stretch)
    prepared = render.prepare_map(render.MapRequest(frames={"ports": _ports()}, overlays=(overlay,), documents=False))
    assert prepared.counts["route"] == 1 and prepared.titles == {"route": "Route: Gdańsk to Toruń"}
    payload = json.loads(prepared.layers["route"])
    assert payload["layer"] == "route" and payload["title"] == "Route: Gdańsk to Toruń"
    assert payload["styles"][payload["cls"][0]]["label"] == "Route"
    (south, west), (north, east) = prepared.bounds
    assert west < 18.6 and east > 19.0 and south < 53.0 and north > 54.3
    page = render.assemble_map(prepared).get_root().render()
    assert "Route: Gdańsk to Toruń" in page


def test_minor_ports_wait_for_a_closer_zoom_unless_searched_or_entry_ports():
    request = render.MapRequest(frames={"ports": _ports()}, documents=False)
    payload = json.loads(render.prepare_map(request).layers["ports"])
    assert payload["minZoom"] == "07"  # a Large TEN-T port from the start; one of unknown size from zoom 7
    searched = render.prepare_map(replace(request, highlight="osm:node/2"))
    assert json.loads(searched.layers["ports"])["minZoom"] == "00"
    seed = pd.DataFrame({"locode": ["PLXXX"], "reason": ["named in the debate"]})
    entry = render.prepare_map(replace(request, seed_ports=seed))
    assert json.loads(entry.layers["ports"])["minZoom"] == "00"


def test_the_map_opens_on_europes_land_not_on_every_feature(loaded):
    request = usecases.map_request(loaded, layer_names(), outlines=countries.load_countries())
    west, south, east, north = request.bounds
    # The snapshot's countries inside Europe's box: Iceland to the Caucasus, Cyprus to the North Cape.
    assert -26 < west < -20 and 33 < south < 36 and 40 <= east <= 45 and 70 < north < 72
    prepared = render.prepare_map(request)
    assert prepared.land and not prepared.highlighted
    page = render.assemble_map(prepared).get_root().render()
    assert '"land":true' in page and "corridorAtlas.fitBounds([[" in page
