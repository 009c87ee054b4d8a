"""geo.schema: conform and validate catch every kind of off-schema frame."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import schema
from geo.errors import UnknownLayerError

PROVENANCE = schema.Provenance("test", "public domain", "Test data", "2024-01", "2024-02-01T00:00:00Z")


def _ports(**overrides) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "id": ["gisco:NLRTM", "gisco:DEHAM"],
            "layer": "ports",
            "name": ["Rotterdam", "Hamburg"],
            "kind": "port",
            "country": ["NL", "DE"],
            "locode": ["NLRTM", "DEHAM"],
            "ten_t_code": [2683, 2458],
        }
    )
    frame = schema.with_provenance(frame, PROVENANCE)
    for name, value in overrides.items():
        frame[name] = value
    return schema.conform(
        gpd.GeoDataFrame(frame, geometry=[shapely.Point(4.48, 51.9), shapely.Point(9.97, 53.54)], crs=schema.CRS),
        "ports",
    )


def test_conform_orders_and_types_columns():
    ports = _ports()
    assert list(ports.columns) == [*schema.columns("ports"), "geometry"]
    assert str(ports["ten_t_code"].dtype) == "Int64"
    assert ports["tags"].tolist() == ["{}", "{}"]
    assert ports["harbour_size"].isna().all()


def test_validate_rejects_extra_and_missing_columns():
    ports = _ports()
    with pytest.raises(schema.SchemaError, match="extra"):
        schema.validate(ports.assign(extra=1), "ports")
    with pytest.raises(schema.SchemaError, match="missing"):
        schema.validate(ports.drop(columns="nuts"), "ports")


def test_validate_rejects_wrong_dtype():
    ports = _ports()
    ports["ten_t_code"] = ports["ten_t_code"].astype("float64")
    with pytest.raises(schema.SchemaError, match="ten_t_code"):
        schema.validate(ports, "ports")


@pytest.mark.parametrize("bad_id", ["NLRTM", "Gisco:NLRTM", "gisco:", "gisco:NL RTM"])
def test_conform_rejects_malformed_ids(bad_id):
    with pytest.raises(schema.SchemaError, match="ids"):
        _ports(id=[bad_id, "gisco:DEHAM"])


def test_conform_rejects_duplicate_ids_and_wrong_layer():
    with pytest.raises(schema.SchemaError, match="duplicate"):
        _ports(id=["gisco:NLRTM", "gisco:NLRTM"])
    with pytest.raises(schema.SchemaError, match="another layer"):
        _ports(layer=["ports", "rail"])


def test_conform_rejects_eu_country_codes_and_missing_provenance():
    with pytest.raises(schema.SchemaError, match="alpha-2"):
        _ports(country=["NLD", "DE"])
    with pytest.raises(schema.SchemaError, match="licence"):
        _ports(licence=[None, "public domain"])


def test_validate_rejects_other_crs():
    ports = _ports().to_crs("EPSG:3035")
    with pytest.raises(schema.SchemaError, match="CRS"):
        schema.validate(ports, "ports")


def test_validate_rejects_invalid_empty_and_wrong_type_geometry():
    ports = _ports()
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(schema.SchemaError, match="invalid"):
        schema.validate(ports.set_geometry([bowtie, ports.geometry.iloc[1]], crs=schema.CRS), "ports")
    with pytest.raises(schema.SchemaError, match="without geometry"):
        schema.validate(ports.set_geometry([shapely.Point(), ports.geometry.iloc[1]], crs=schema.CRS), "ports")
    line = shapely.LineString([(0, 0), (1, 1)])
    with pytest.raises(schema.SchemaError, match="geometry types"):
        schema.validate(ports.set_geometry([line, ports.geometry.iloc[1]], crs=schema.CRS), "ports")


def test_unknown_layer_names_the_known_ones():
    with pytest.raises(UnknownLayerError, match="unknown layer 'canals'; choose one of: ports, rail, roads"):
        schema.columns("canals")
    assert issubclass(UnknownLayerError, ValueError)


def test_encode_tags_drops_nulls_and_keeps_unicode():
    tags = schema.encode_tags(pd.DataFrame({"a": [1, None], "name": ["Πειραιάς", "x"]}))
    assert json.loads(tags.iloc[0]) == {"a": 1, "name": "Πειραιάς"}
    assert "Πειραιάς" in tags.iloc[0]
    assert json.loads(tags.iloc[1]) == {"name": "x"}
