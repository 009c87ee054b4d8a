"""Seed ports: the entry ports named in the public debate on military mobility, plus the main
Turkish ports, listed in `datasets/seed_ports.csv` with why each is there.

Columns: `locode` (UN/LOCODE, e.g. "NLRTM"; every one is in `datasets/ports.parquet`),
`name`, `country` (ISO 3166-1 alpha-2), `reason` (plain words: corridor membership from the
policy reference with its verified / probable / unverified mark, and figures from GISCO and
the World Port Index), `source` (where the reason comes from).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import schema, settings, store
from geo.sources import gisco_ports

COLUMNS = ("locode", "name", "country", "reason", "source")


def seed_ports_path() -> Path:
    """datasets/seed_ports.csv"""
    return settings.DATASETS_DIR / "seed_ports.csv"


def load_seed_ports(path: Path | None = None) -> pd.DataFrame:
    """The seed ports, in file order, all columns as strings.

    Raises store.DatasetError if the file is missing, lacks a column, or holds a malformed
    LOCODE or country code.
    """
    path = Path(path or seed_ports_path())
    try:
        frame = pd.read_csv(path, dtype="string", keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise store.DatasetError(f"seed ports file {path} is unreadable: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise store.DatasetError(f"seed ports file {path} lacks columns {missing}")
    bad_locode = ~frame["locode"].str.match(gisco_ports.LOCODE_PATTERN)
    bad_country = ~frame["country"].str.match(schema.COUNTRY_PATTERN)
    if bad_locode.any() or bad_country.any():
        rows = frame.loc[bad_locode | bad_country, "locode"].tolist()
        raise store.DatasetError(f"seed ports file {path}: malformed locode or country in rows {rows}")
    return frame[list(COLUMNS)].reset_index(drop=True)
