"""Folding names for comparison."""

from __future__ import annotations

from geo import text


def test_fold_strips_accents_and_spells_out_letters():
    assert text.fold("Gdańsk") == "gdansk"
    assert text.fold("Świnoujście") == "swinoujscie"
    assert text.fold("Łódź / Øresund  Straße") == "lodz oresund strasse"
    assert text.fold("  Saint-Nazaire (Port) ") == "saint nazaire port"


def test_strip_accents_keeps_words_and_case_folds():
    assert text.strip_accents("Ærøskøbing Straße") == "aeroskobing strasse"
