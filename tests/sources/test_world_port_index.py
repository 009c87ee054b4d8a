"""World Port Index -> ports features, its merge with GISCO and the port types, on the real raw files and data."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from geo import schema, settings, store
from geo.sources import gisco_ports, natural_earth_countries, world_port_index


@pytest.fixture(scope="module")
def wpi():
    return world_port_index.load(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def gisco():
    return gisco_ports.load(settings.SHARED_DATA_DIR)


@pytest.fixture(scope="module")
def merged(gisco, wpi):
    table = natural_earth_countries.load_countries(settings.SHARED_DATA_DIR)
    return world_port_index.merge_with_gisco(gisco, wpi, table)


@pytest.fixture(scope="module")
def embedded():
    return store.read_embedded("ports").set_index("id", drop=False)


def test_every_wpi_number_once(wpi):
    raw = world_port_index.read_raw(settings.SHARED_DATA_DIR)
    assert len(raw) == 1205  # 1,206 records, number 400 listed twice
    assert sorted(wpi["id"]) == sorted("wpi:" + raw["world_port_index_number"].astype(int).astype(str))


def test_zero_depths_and_blank_sizes_become_null(wpi):
    for column in ("channel_depth_m", "cargo_pier_depth_m", "max_vessel_length_m", "max_vessel_draft_m"):
        assert not (wpi[column] == 0).any(), column
        assert wpi[column].notna().any(), column
    assert set(wpi["harbour_size"].dropna()) == {"Large", "Medium", "Small", "Very Small"}
    assert wpi["harbour_size"].isna().sum() == 33 - 1  # 33 blank, one of them the dropped duplicate


def test_wpi_countries_and_locodes(wpi):
    by_id = wpi.set_index("id")
    assert by_id.loc["wpi:44750", ["locode", "country"]].tolist() == ["TRIZM", "TR"]
    assert by_id.loc["wpi:44805", "country"] == "TR"
    assert wpi["country"].notna().all()
    assert by_id.loc["wpi:44804", "country"] == "TR"  # Delta Terminal: no LOCODE, country by name


def test_rotterdam_is_enriched_by_its_locode(merged):
    rotterdam = merged.set_index("id").loc["gisco:NLRTM"]
    assert rotterdam["harbour_size"] == "Large"
    assert rotterdam["channel_depth_m"] == 11.0
    assert "World Port Index (NGA)" in rotterdam["attribution"]
    assert rotterdam["wpi_match"] == world_port_index.BY_LOCODE == "UN/LOCODE"
    assert 0 <= rotterdam["wpi_match_km"] < 5
    tags = json.loads(rotterdam["tags"])
    assert (tags["wpi:main_port_name"], tags["wpi:un_locode"]) == ("Rotterdam", "NL RTM")
    assert tags["CNTR_CODE"] == "NL"  # GISCO tags kept next to WPI's


def test_ambarli_is_not_merged_with_a_wpi_record_of_another_locode(merged):
    # GISCO TRAMB and WPI 43388 "Ambarli" (TR AMR) lie 1.4 km apart: different codes, so two features.
    by_id = merged.set_index("id")
    ambarli = by_id.loc["gisco:TRAMB"]
    assert pd.isna(ambarli["harbour_size"]) and pd.isna(ambarli["wpi_match"]) and pd.isna(ambarli["wpi_match_km"])
    assert "wpi:id" not in json.loads(ambarli["tags"])
    other = by_id.loc["wpi:43388"]
    assert (other["locode"], other["harbour_size"]) == ("TRAMR", "Very Small")
    note = json.loads(other["tags"])["match_note"]
    assert "gisco:TRAMB" in note and "TRAMR" in note and "1.42 km" in note


def test_a_shared_locode_goes_to_the_wpi_record_of_the_same_name(merged):
    # WPI gives ISFAS to Budir and to Faskrudsfjordur; GISCO's Faskrudsfjordur takes the one named so.
    by_id = merged.set_index("id")
    port = by_id.loc["gisco:ISFAS"]
    assert json.loads(port["tags"])["wpi:id"] == "wpi:453"
    assert port["wpi_match"] == "UN/LOCODE" and port["wpi_match_km"] < 5
    budir = by_id.loc["wpi:450"]
    assert pd.isna(budir["locode"])
    tags = json.loads(budir["tags"])
    assert tags["un_locode"] == "IS FAS" and "gisco:ISFAS" in tags["locode_note"]


def test_far_locode_pairs_are_not_matched_and_leave_the_code_to_gisco(merged):
    # WPI's "Ulvik" (NO UVK) lies at 68.6 N, 990 km from GISCO's Ulvik (NOUVK) at 60.6 N: kept apart.
    by_id = merged.set_index("id")
    assert json.loads(by_id.loc["gisco:NOUVK", "tags"]).get("wpi:id") != "wpi:21970"
    assert pd.isna(by_id.loc["wpi:21970", "locode"])
    assert "gisco:NOUVK" in json.loads(by_id.loc["wpi:21970", "tags"])["locode_note"]


def test_locodes_are_unique_in_the_layer(merged, embedded):
    for frame in (merged, embedded):
        codes = frame["locode"].dropna()
        assert codes.is_unique, codes[codes.duplicated()].tolist()
    # The seven codes that appeared twice keep one holder each; UAILK stays with Illichivsk, not Chornomorske.
    holders = merged.dropna(subset=["locode"]).set_index("locode")["id"]
    assert holders["UAILK"] == "wpi:43645"
    for code in ("DEBRB", "DKNYM", "FRDKK", "ISFAS", "NOUVK", "TRBOT"):
        assert holders[code] == f"gisco:{code}"


def test_every_enrichment_records_its_method_and_distance(merged):
    enriched = merged["tags"].str.contains('"wpi:id"').to_numpy(dtype=bool)
    assert (merged["wpi_match"].notna().to_numpy() == enriched).all()
    assert (merged["wpi_match_km"].notna().to_numpy() == enriched).all()
    assert set(merged["wpi_match"].dropna()) == {"UN/LOCODE", "name and distance"}
    by_locode = merged[merged["wpi_match"] == "UN/LOCODE"]
    assert by_locode["wpi_match_km"].between(0, world_port_index.LOCODE_MATCH_KM).all()
    assert by_locode["wpi_match_km"].median() < 2
    by_name = merged[merged["wpi_match"] == "name and distance"]
    assert len(by_name) > 0 and by_name["wpi_match_km"].between(0, world_port_index.NAME_MATCH_KM).all()
    for feature in by_name.itertuples(index=False):
        assert world_port_index.similar_names(feature.name, json.loads(feature.tags)["wpi:main_port_name"]), feature.id
    assert (merged.loc[merged["source"] == "wpi", "wpi_match"].isna()).all()


def test_a_wrong_wpi_code_does_not_refuse_a_name_match(merged):
    # WPI's Nowy Port (Gdansk) carries PLNWA, the code of GISCO's Nowe Warpno 300 km away.
    port = merged.set_index("id").loc["gisco:PLNOW"]
    assert port["wpi_match"] == "name and distance" and port["wpi_match_km"] < 1
    assert json.loads(port["tags"])["wpi:id"] == "wpi:28720"


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Oristano", "Porto Di Oristano", True),
        ("Larymna (Λάρυμνα)", "Larimna", True),
        ("Ærøskøbing", "Aeroskobing", True),
        ("Dunkerque", "Dunkerque Port Est", True),
        ("Fáskrúðsfjörður", "Budir", False),
        ("Chalkida (Χαλκίδα)", "Porthmos Evripou", False),
        ("Port Glasgow", "Port Talbot", False),  # a shared generic word is not a match
    ],
)
def test_similar_names(a, b, similar):
    assert world_port_index.similar_names(a, b) is similar


def test_merge_keeps_every_port_once(gisco, wpi, merged):
    assert set(gisco["id"]) <= set(merged["id"])
    matched = [json.loads(t)["wpi:id"] for t in merged["tags"] if "wpi:id" in t]
    assert len(matched) == len(set(matched))
    added = set(merged.loc[merged["source"] == "wpi", "id"])
    assert set(matched).isdisjoint(added)
    assert set(matched) | added == set(wpi["id"])


def test_turkish_entry_ports_are_findable(merged):
    turkish = merged[merged["country"] == "TR"]
    assert {"TRIST", "TRIZM", "TRMER", "TRAMB", "TRNEM"} <= set(turkish["locode"].dropna())
    assert turkish.set_index("locode").loc["TRIST", "harbour_size"] == "Large"


def test_no_wpi_attribute_lost_in_the_merge(merged):
    raw = world_port_index.read_raw(settings.SHARED_DATA_DIR).set_index("world_port_index_number")
    enriched = merged[merged["wpi_match"].notna().to_numpy(dtype=bool)]
    assert len(enriched) > 800
    for feature in enriched.itertuples(index=False):
        tags = json.loads(feature.tags)
        record = raw.loc[float(tags["wpi:id"].removeprefix("wpi:"))]
        for field, value in record.drop("geometry").dropna().items():
            column = world_port_index.COLUMN_OF.get(field)
            if column in world_port_index.ENRICHED_COLUMNS:
                kept = getattr(feature, column)
                if pd.isna(kept):
                    assert value == 0 and field in world_port_index.ZERO_MEANS_UNKNOWN, (feature.id, field)
                else:
                    assert kept == value, (feature.id, field)
            else:
                assert tags[f"wpi:{field}"] == value, (feature.id, field)


# --------------------------------------------------------------------------- port type


@pytest.mark.parametrize("locode", ["DEDUI", "DEDTM", "DEBER", "BGVID", "BGRDU", "DEMHG", "FRSXB", "HUBUD"])
def test_river_ports_far_from_the_sea_are_inland(embedded, locode):
    port = embedded[embedded["locode"] == locode].iloc[0]
    assert port["port_type"] == "inland"
    km = int(port["port_type_basis"].split(" km ")[0])
    assert km > world_port_index.INLAND_KM
    assert port["port_type_basis"].endswith("km from the sea and not in the World Port Index")


@pytest.mark.parametrize(
    ("locode", "basis"),
    [
        ("HRRJK", world_port_index.IN_WPI),
        ("MTMAR", world_port_index.IN_WPI),
        ("FRURO", world_port_index.IN_WPI),  # 44 km up the Seine, in the World Port Index
        ("ROGAL", world_port_index.IN_WPI),  # Galati: a Danube port for seagoing ships
        ("ITLMP", world_port_index.IN_WPI),
    ],
)
def test_seaports_are_sea(embedded, locode, basis):
    port = embedded[embedded["locode"] == locode].iloc[0]
    assert (port["port_type"], port["port_type_basis"]) == ("sea", basis)


def test_port_type_is_not_known_between_the_coast_and_120_km(embedded):
    koping = embedded[embedded["locode"] == "SEKOG"].iloc[0]  # Lake Malaren, 95 km from the sea, not in WPI
    assert pd.isna(koping["port_type"])
    assert koping["port_type_basis"].startswith("95 km from the sea and not in the World Port Index")
    unknown = embedded[embedded["port_type"].isna().to_numpy(dtype=bool)]
    assert len(unknown) > 50 and unknown["port_type_basis"].notna().all()
    assert (unknown["wpi_match"].isna() & unknown["source"].eq("gisco")).all()


def test_port_types_follow_the_evidence(embedded):
    types = embedded["port_type"].astype(object).where(embedded["port_type"].notna(), None)
    assert set(types) == {"sea", "inland", None}
    assert embedded["port_type_basis"].notna().all()
    in_wpi = embedded["wpi_match"].notna() | embedded["source"].eq("wpi")
    assert (embedded.loc[in_wpi.to_numpy(dtype=bool), "port_type"] == "sea").all()
    inland = embedded[embedded["port_type"].eq("inland").fillna(False).to_numpy(dtype=bool)]
    assert not inland["wpi_match"].notna().any()


def test_port_types_on_made_up_points(embedded):
    table = natural_earth_countries.load_countries(settings.SHARED_DATA_DIR)
    frame = schema.conform(
        gpd.GeoDataFrame(
            {
                "id": ["t:kassel", "t:kassel-wpi", "t:north-sea", "t:bremerhaven", "t:hamburg"],
                "layer": "ports",
                "kind": "port",
                "source": ["t", "wpi", "t", "t", "t"],
                "licence": "x",
                "attribution": "x",
                "retrieved_at": "2026",
            },
            geometry=gpd.points_from_xy([9.5, 9.5, 4.0, 8.58, 9.97], [51.3, 51.3, 55.0, 53.54, 53.54]),
            crs=schema.CRS,
        ),
        "ports",
    )
    kind, basis = world_port_index.port_types(frame, table)
    assert kind.tolist()[:4] == ["inland", "sea", "sea", "sea"]
    assert pd.isna(kind.iloc[4])  # Hamburg is in the WPI, but this made-up point is not
    assert basis.iloc[1] == world_port_index.IN_WPI and basis.iloc[2] == world_port_index.OFF_OUTLINE
    assert basis.iloc[3].endswith("km from the coast")
