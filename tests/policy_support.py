"""Shared by the policy tests: the official-publisher allow-list and tmp variants of the real catalogue."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import yaml

from geo import settings

CATALOGUE_PATH = settings.DATASETS_DIR / "policies.yaml"

# Official publishers, listed here independently of the catalogue's own allow-list.
OFFICIAL_HOSTS = {
    "eur-lex.europa.eu",
    "ec.europa.eu",
    "transport.ec.europa.eu",
    "cinea.ec.europa.eu",
    "taxation-customs.ec.europa.eu",
    "webgate.ec.europa.eu",
    "consilium.europa.eu",
    "www.consilium.europa.eu",
    "europarl.europa.eu",
    "www.europarl.europa.eu",
    "oeil.secure.europarl.europa.eu",
    "nato.int",
    "www.nato.int",
}


def read_raw_catalogue() -> dict:
    return yaml.load(CATALOGUE_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def write_variant(tmp_path: Path, raw: dict, change: Callable[[dict], None]) -> Path:
    """A copy of the real catalogue with `change` applied, written to a tmp YAML file."""
    data = copy.deepcopy(raw)
    change(data)
    path = tmp_path / "policies.yaml"
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")
    return path


def document_entry(data: dict, doc_id: str) -> dict:
    return next(d for d in data["documents"] if d["id"] == doc_id)
