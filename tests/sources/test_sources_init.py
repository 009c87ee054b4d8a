"""geo.sources: the shared helpers of the source interface."""

from __future__ import annotations

import re

import pytest

from geo.sources import MissingInputError, natural_earth_rail, provenance, require_input, utc_timestamp


def test_require_input_names_the_missing_file(tmp_path):
    with pytest.raises(MissingInputError, match=r"'lines/x\.parquet' not found") as caught:
        require_input(tmp_path, "lines/x.parquet")
    assert isinstance(caught.value, FileNotFoundError)
    (tmp_path / "lines").mkdir()
    (tmp_path / "lines" / "x.parquet").write_bytes(b"")
    assert require_input(tmp_path, "lines/x.parquet") == tmp_path / "lines" / "x.parquet"


def test_provenance_comes_from_the_module_constants():
    prov = provenance(natural_earth_rail, "2026-01-01T00:00:00Z")
    assert (prov.source, prov.licence, prov.attribution) == (
        "natural_earth",
        "public domain",
        "Made with Natural Earth",
    )
    assert prov.retrieved_at == "2026-01-01T00:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", provenance(natural_earth_rail).retrieved_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_timestamp())
