"""Comparing names: one folded form for every name a user types or a source spells.

Used by search (ports and places) and by the sources that match records by name (World Port
Index against GISCO, GeoNames alternate names). Folding is case-insensitive, strips accents
("gdansk" finds "Gdańsk"), spells out letters without a decomposition (ł -> l, ø -> o, ß -> ss)
and turns punctuation into single spaces.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD leaves alone, spelled in ASCII.
_SPELLED_OUT = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ı": "i", "ħ": "h"}
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_accents(text: str) -> str:
    """`text` case-folded, with accents removed and letters such as ł, ø, ß spelled in ASCII."""
    text = unicodedata.normalize("NFKD", str(text).casefold().translate(_SPELLED_OUT))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case ASCII form of `text` for comparison: accents stripped, punctuation as single spaces."""
    return _NON_WORD.sub(" ", strip_accents(text)).strip()
