"""Searching ports by name, UN/LOCODE or feature id, with ranked results.

Names are compared folded: case-insensitive, accents removed ("gdansk" finds "Gdańsk"), and
letters without a decomposition spelled out (ł -> l, ø -> o, ß -> ss). Alternative names kept in a
port's `tags` (e.g. the World Port Index's "Durazzo" for Durrës, GISCO's ASCII name) are
searched too. Misspellings are matched by similarity ("piraeus" and "pireas" both find "Pireus").
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import schema

# Letters NFKD leaves alone, spelled in ASCII.
_SPELLED_OUT = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ı": "i", "ħ": "h"}
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LOCODE = re.compile(r"^[A-Za-z]{2}\s?[A-Za-z2-9]{3}$")
# Tag keys whose values are other names of the same place.
_NAME_TAG = re.compile(r"(^|[:_])(name|alternate_port_name|main_port_name|name_asci|name_ascii)$", re.IGNORECASE)

# Scores: higher ranks first. Fuzzy matches score between FUZZY_MIN and 50.
SCORE_ID = 100
SCORE_LOCODE = 95
SCORE_EXACT_NAME = 90
SCORE_PREFIX = 70
SCORE_WORD = 65
SCORE_SUBSTRING = 55
FUZZY_MIN = 0.78
MAX_QUERY_CHARS = 120


def fold(text: str) -> str:
    """Lower-case ASCII form of `text` for comparison: accents stripped, punctuation as single spaces."""
    text = unicodedata.normalize("NFKD", str(text).casefold().translate(_SPELLED_OUT))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Result:
    """One match: the feature's id, name, country, LOCODE, position (lon/lat degrees) and why it matched."""

    id: str
    name: str
    country: str | None
    locode: str | None
    lon: float
    lat: float
    score: float
    matched: str


def _other_names(tags: str) -> list[str]:
    try:
        values = json.loads(tags or "{}")
    except (TypeError, ValueError):
        return []
    if not isinstance(values, dict):
        return []
    return [str(v) for k, v in values.items() if _NAME_TAG.search(str(k)) and isinstance(v, str) and v]


def search_index(ports: pd.DataFrame) -> pd.DataFrame:
    """One row per (port row, folded name) for every name of every port; build once, search many times."""
    names = ports["name"].fillna("").astype(str)
    other = ports["tags"].fillna("{}").astype(str).map(_other_names)
    rows = pd.DataFrame({"row": range(len(ports)), "names": [[n, *o] for n, o in zip(names, other, strict=True)]})
    rows = rows.explode("names").dropna(subset=["names"])
    rows["folded"] = rows["names"].map(fold)
    rows = rows[rows["folded"] != ""].drop_duplicates(["row", "folded"])
    return rows.rename(columns={"names": "label"}).reset_index(drop=True)


def _fuzzy_score(query: str, folded: str) -> float:
    """Best similarity (0..1) of `query` to the whole name or to any run of its words of the same length."""
    words = folded.split()
    size = max(1, len(query.split()))
    candidates = {folded, *(" ".join(words[i : i + size]) for i in range(len(words)))}
    return max(difflib.SequenceMatcher(None, query, c).ratio() for c in candidates)


def search_ports(ports: pd.DataFrame, query: str, limit: int = 10, index: pd.DataFrame | None = None) -> list[Result]:
    """Ports matching `query`, best first, at most `limit`.

    Matches, from strongest: feature id ("gisco:PLGDN"), UN/LOCODE with or without the space
    ("PLGDN", "PL GDN"), exact folded name, name prefix, word prefix, substring, then
    similar spelling. Ties keep the larger port (by harbour size) and then the name order.
    `index` is `search_index(ports)`, to skip rebuilding it on every call.
    """
    query = str(query or "").strip()[:MAX_QUERY_CHARS]
    if not query or ports.empty:
        return []
    index = search_index(ports) if index is None else index
    scores = pd.Series(0.0, index=range(len(ports)))
    reasons = pd.Series("", index=range(len(ports)), dtype=object)

    def bump(rows, score: float, reason: str) -> None:
        rows = pd.Index(pd.unique(pd.Series(rows)))
        better = rows[scores.loc[rows].to_numpy() < score]
        scores.loc[better] = score
        reasons.loc[better] = reason

    if schema.ID_PATTERN.match(query):
        bump(np.flatnonzero(ports["id"].astype(str).to_numpy() == query), SCORE_ID, "id")
    if _LOCODE.match(query):
        code = query.replace(" ", "").upper()
        bump(np.flatnonzero(ports["locode"].fillna("").astype(str).to_numpy() == code), SCORE_LOCODE, "UN/LOCODE")
    folded = fold(query)
    if folded:
        names = index["folded"]
        bump(index.loc[names == folded, "row"], SCORE_EXACT_NAME, "name")
        bump(index.loc[names.str.startswith(folded), "row"], SCORE_PREFIX, "name starts with")
        bump(index.loc[names.str.contains(rf"\b{re.escape(folded)}", regex=True), "row"], SCORE_WORD, "word")
        bump(index.loc[names.str.contains(folded, regex=False), "row"], SCORE_SUBSTRING, "part of name")
        if len(folded) >= 4:
            similarity = names.map(lambda name: _fuzzy_score(folded, name))
            close = index.loc[similarity >= FUZZY_MIN].assign(similarity=similarity[similarity >= FUZZY_MIN])
            for row, value in close.groupby("row")["similarity"].max().items():
                bump([row], 50 * value, "similar spelling")
    found = scores[scores > 0]
    if found.empty:
        return []
    size_rank = {"Large": 0, "Medium": 1, "Small": 2, "Very Small": 3}
    order = pd.DataFrame(
        {
            "score": found,
            "size": ports["harbour_size"].iloc[found.index].map(size_rank).fillna(4).to_numpy()
            if "harbour_size" in ports
            else 4,
            "name": ports["name"].iloc[found.index].fillna("").astype(str).to_numpy(),
        },
        index=found.index,
    ).sort_values(["score", "size", "name"], ascending=[False, True, True])
    results = []
    for row in order.index[:limit]:
        feature = ports.iloc[row]
        point = feature.geometry.representative_point()
        results.append(
            Result(
                id=str(feature["id"]),
                name=str(feature["name"]) if pd.notna(feature["name"]) else str(feature["id"]),
                country=None if pd.isna(feature["country"]) else str(feature["country"]),
                locode=None if pd.isna(feature.get("locode")) else str(feature["locode"]),
                lon=float(point.x),
                lat=float(point.y),
                score=round(float(scores[row]), 2),
                matched=str(reasons[row]),
            )
        )
    return results
