"""Shared by the level and view tests: the areas they look at, and reading levels from a test datasets folder.

The fixtures `low_countries` and `datasets_dir` are in tests/conftest.py."""

from __future__ import annotations

from geo import levels

# Netherlands and Belgium, where dual carriageways and dense rail make generalising matter.
LOW_COUNTRIES = (2.5, 49.5, 7.3, 53.6)
ROTTERDAM = (4.0, 51.8, 4.6, 52.0)


def _reader(datasets_dir):
    return lambda layer, level: levels.read_level(layer, level, datasets_dir)
