"""Searching ports, places and border crossings by name, UN/LOCODE or feature id, and deciding what a query
points at.

Ports are the ports layer; places are the GeoNames gazetteer `datasets/places.parquet` (towns of
15,000+ people, `geo.sources.geonames_places`); border crossings are the crossings layer, when given
(their names say the countries, the mode and the nearest town: "PL–UA rail crossing near Chełm").
Names are compared folded: case-insensitive,
accents removed ("gdansk" finds "Gdańsk"), letters without a decomposition spelled out (ł -> l,
ø -> o, ß -> ss). Other names are searched too: a port's names in its `tags` (the World Port
Index's "Durazzo" for Durrës) and a place's GeoNames alternate names ("Athina" for Athens).

Match strength, strongest first (the score orders results):
- strong: the feature id ("gisco:NLRTM", "geonames:264371"), the UN/LOCODE ("NLRTM", "NL RTM"),
  the exact name, an exact other name ("Wien" is an other name of Vienna);
- weaker: the name or one of its words starts with the query, or the name contains it;
- weak: a similar spelling ("pireas" for "Pireus"), for queries of 4+ letters.

`decide` says what the app and `python -m geo search` do with a query:
- "answer": one clear result. The strong matches of the strongest kind (id, then LOCODE, then
  exact name, then exact other name) all lie in one place: one country, within SAME_PLACE_KM of
  the first. A port and the town it is named after count as one answer, and the port is chosen
  (the atlas's own feature, with its details and popup).
- "choices": strong matches in different places ("Frankfurt": am Main and (Oder)), or only weaker
  or weak matches. Results are offered and nothing is selected: a weak match is never picked.
- "none": nothing matches.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema, store
from geo.errors import SearchError
from geo.text import fold

_LOCODE = re.compile(r"^[A-Za-z]{2}\s?[A-Za-z2-9]{3}$")
# Tag keys whose values are other names of the same place.
_NAME_TAG = re.compile(r"(^|[:_])(name|alternate_port_name|main_port_name|name_asci|name_ascii)$", re.IGNORECASE)
# The characters of folded text, for the vectorised similarity bound.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "

# Scores: higher ranks first. Similar spellings score between 50 * FUZZY_MIN and 50.
SCORE_ID = 100
SCORE_LOCODE = 95
SCORE_EXACT_NAME = 90
SCORE_OTHER_NAME = 85
SCORE_PREFIX = 70
SCORE_WORD = 65
SCORE_SUBSTRING = 55
FUZZY_MIN = 0.78
FUZZY_MIN_CHARS = 4
STRONG_MIN = SCORE_OTHER_NAME
WEAKER_MIN = SCORE_SUBSTRING
# Name windows compared with a query of as many words (longer queries are compared with whole names).
MAX_WINDOW_WORDS = 3
MAX_QUERY_CHARS = 120
# Strong matches closer than this (same country) are one place. Of the 701 ports named like a town
# of their country, 95 % lie within 6 km of it (Gdańsk 2.5 km) and Ceyhan's at 19 km; the pairs
# farther apart are other places of the same name (the two Bangors, Madrid's barrio "Ibiza").
SAME_PLACE_KM = 25.0
EARTH_RADIUS_KM = 6371.0088
PLACE_COLUMNS = {"id", "name", "country", "population", "other_names", "attribution", "geometry"}

_REASONS = {
    SCORE_EXACT_NAME: "exact name",
    SCORE_OTHER_NAME: "exact other name",
    SCORE_PREFIX: "name starts with the query",
    SCORE_WORD: "a word of the name starts with the query",
    SCORE_SUBSTRING: "name contains the query",
}


@dataclass(frozen=True)
class Result:
    """One match: a port or a place, where it is (lon/lat degrees, EPSG:4326) and why it matched.

    `locode` is set for ports, `population` (people) for places; `strength` is "strong",
    "weaker" or "weak" (see the module docstring); `matched` says which name matched and how;
    `attribution` is the credit line of the feature's source (GeoNames for places).
    """

    kind: str
    id: str
    name: str
    country: str | None
    lon: float
    lat: float
    locode: str | None
    population: int | None
    score: float
    strength: str
    matched: str
    attribution: str | None = None

    def detail(self) -> str:
        """The LOCODE of a port, the population of a place, or the id of a border crossing."""
        if self.kind == "port":
            return self.locode or "no UN/LOCODE"
        if self.kind == "crossing":
            return self.id
        return "population unknown" if self.population is None else f"population {self.population:,}"

    def label(self) -> str:
        """One line naming the result, for a pick list: "Athens (GR) · place · population 664,046"."""
        return f"{self.name} ({self.country or '?'}) · {self.kind} · {self.detail()}"

    def line(self) -> str:
        """One line with everything: kind, name, country, LOCODE or population, lon/lat, why it matched."""
        return (
            f"{self.kind:<5}  {self.name} ({self.country or '?'})  {self.detail()}  "
            f"{self.lon:.5f},{self.lat:.5f}  {self.strength}: {self.matched}"
        )


@dataclass(frozen=True)
class Decision:
    """What a query points at: `outcome` "answer" (then `answer` is set), "choices" or "none".

    `results` are the matches to show, best first; `message` is one plain sentence for the user.
    """

    query: str
    outcome: str
    answer: Result | None
    results: tuple[Result, ...]
    message: str

    def to_dict(self) -> dict:
        """JSON-ready form: the query, the decision, the message, the answer and the results."""
        return {
            "query": self.query,
            "decision": self.outcome,
            "message": self.message,
            "answer": asdict(self.answer) if self.answer else None,
            "results": [asdict(result) for result in self.results],
        }


@dataclass(frozen=True)
class SearchIndex:
    """Ports and places prepared for search; build once per process with `build_index`.

    `features`: one row per port or place (kind, id, name, country, locode, population, lon,
    lat, size rank). `names`: one row per (feature, folded name), `own` True for the feature's
    own name. `terms`: the names and their runs of 1..MAX_WINDOW_WORDS words for similar
    spellings, with their character counts. `notes`: problems met while loading (e.g. no places).
    """

    features: pd.DataFrame
    names: pd.DataFrame
    terms: pd.DataFrame
    term_counts: np.ndarray
    notes: tuple[str, ...] = field(default=())


def _tag_names(tags: str) -> list[str]:
    try:
        values = json.loads(tags or "{}")
    except (TypeError, ValueError):
        return []
    if not isinstance(values, dict):
        return []
    return [str(v) for k, v in values.items() if _NAME_TAG.search(str(k)) and isinstance(v, str) and v]


def _optional(values: pd.Series) -> list:
    """The values of `values` with every missing value (NaN, <NA>) as None."""
    return [None if pd.isna(value) else value for value in values]


def _port_rows(ports: pd.DataFrame) -> tuple[pd.DataFrame, list[list[str]]]:
    points = ports.geometry.representative_point()
    size_rank = {"Large": 0, "Medium": 1, "Small": 2, "Very Small": 3}
    features = pd.DataFrame(
        {
            "kind": "port",
            "id": ports["id"].astype(str).to_numpy(),
            "name": ports["name"].fillna(ports["id"]).astype(str).to_numpy(),
            "country": _optional(ports["country"]),
            "locode": _optional(ports["locode"]),
            "population": None,
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
            "size_rank": ports["harbour_size"].map(size_rank).fillna(4).to_numpy() if "harbour_size" in ports else 4,
            "attribution": _optional(ports["attribution"]),
        }
    )
    other = [_tag_names(tags) for tags in ports["tags"].fillna("{}").astype(str)]
    return features, other


def _crossing_rows(crossings: pd.DataFrame) -> tuple[pd.DataFrame, list[list[str]]]:
    points = crossings.geometry.representative_point()
    features = pd.DataFrame(
        {
            "kind": "crossing",
            "id": crossings["id"].astype(str).to_numpy(),
            "name": crossings["name"].fillna(crossings["id"]).astype(str).to_numpy(),
            "country": _optional(crossings["country"]),
            "locode": None,
            "population": None,
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
            "size_rank": 5,
            "attribution": _optional(crossings["attribution"]),
        }
    )
    return features, [[] for _ in range(len(crossings))]


def _place_rows(places: pd.DataFrame) -> tuple[pd.DataFrame, list[list[str]]]:
    features = pd.DataFrame(
        {
            "kind": "place",
            "id": places["id"].astype(str).to_numpy(),
            "name": places["name"].astype(str).to_numpy(),
            "country": _optional(places["country"]),
            "locode": None,
            "population": _optional(places["population"]),
            "lon": places.geometry.x.to_numpy(),
            "lat": places.geometry.y.to_numpy(),
            "size_rank": 0,
            "attribution": _optional(places["attribution"]),
        }
    )
    return features, [list(names) for names in places["other_names"]]


def _windows(folded: str) -> list[tuple[str, int]]:
    """The runs of 1..MAX_WINDOW_WORDS words of a multi-word name, with their word counts."""
    words = folded.split()
    if len(words) < 2:
        return []
    return [
        (" ".join(words[i : i + size]), size)
        for size in range(1, min(len(words), MAX_WINDOW_WORDS + 1))
        for i in range(len(words) - size + 1)
    ]


def _char_counts(texts: list[str]) -> np.ndarray:
    """Counts of each character of `_ALPHABET` per text, shape (len(texts), 37), for the similarity bound."""
    codes = np.full(256, len(_ALPHABET), dtype=np.int64)
    codes[[ord(ch) for ch in _ALPHABET]] = np.arange(len(_ALPHABET))
    joined = "".join(texts).encode("ascii", "replace")
    owner = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    counts = np.zeros((len(texts), len(_ALPHABET) + 1), dtype=np.int32)
    np.add.at(counts, (owner, codes[np.frombuffer(joined, dtype=np.uint8)]), 1)
    return counts[:, : len(_ALPHABET)]


def build_index(
    ports: pd.DataFrame,
    places: pd.DataFrame | None = None,
    notes: tuple[str, ...] = (),
    crossings: pd.DataFrame | None = None,
) -> SearchIndex:
    """The search index of `ports` (a ports layer frame), `places` (`load_places()`, or None) and border
    `crossings` (the crossings layer, or None)."""
    parts = [_port_rows(ports)] + ([_place_rows(places)] if places is not None else [])
    parts += [_crossing_rows(crossings)] if crossings is not None and len(crossings) else []
    features = pd.concat([f for f, _ in parts], ignore_index=True)
    other = [names for _, names in parts for names in names]
    rows = pd.DataFrame(
        {
            "row": np.arange(len(features)),
            "label": [[n, *o] for n, o in zip(features["name"], other, strict=True)],
            "own": [[True] + [False] * len(o) for o in other],
        }
    )
    names = rows.explode(["label", "own"]).dropna(subset=["label"])
    names["folded"] = names["label"].map(fold)
    names["own"] = names["own"].astype(bool)
    names = names[names["folded"] != ""].drop_duplicates(["row", "folded"]).reset_index(drop=True)
    terms = [(i, text, 0) for i, text in enumerate(names["folded"])]
    terms += [(i, text, size) for i, folded in enumerate(names["folded"]) for text, size in _windows(folded)]
    terms = pd.DataFrame(terms, columns=["name", "text", "words"])
    return SearchIndex(features, names, terms, _char_counts(terms["text"].tolist()), tuple(notes))


def places_path() -> Path:
    """Where the embedded places gazetteer lives (datasets/places.parquet)."""
    return store.embedded_path("places")


def load_places(path: Path | None = None) -> gpd.GeoDataFrame:
    """The GeoNames places gazetteer (EPSG:4326); raises store.DatasetError if missing or unreadable."""
    return store.read_table(Path(path or places_path()), PLACE_COLUMNS)


def default_index(ports: pd.DataFrame, crossings: pd.DataFrame | None = None) -> SearchIndex:
    """The index of `ports`, the embedded places and border `crossings` (if given); without places (file
    unreadable) it says so in `notes`."""
    try:
        places = load_places()
    except store.DatasetError as exc:
        return build_index(ports, None, (f"Places cannot be searched: {exc}",), crossings)
    return build_index(ports, places, crossings=crossings)


def clean_query(query: str) -> str:
    """`query` with spaces trimmed; raises SearchError when it is empty or longer than MAX_QUERY_CHARS."""
    query = " ".join(str(query or "").split())
    if not query:
        raise SearchError("Type a port, a place or a UN/LOCODE to search for, e.g. Gdansk, Wien or NLRTM.")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"Search for at most {MAX_QUERY_CHARS} characters: a name, a UN/LOCODE or a feature id.")
    return query


def _name_scores(index: SearchIndex, folded: str) -> np.ndarray:
    """The score of each row of `index.names` for the folded query (0: no match)."""
    names = index.names["folded"]
    own = index.names["own"].to_numpy()
    exact = (names == folded).to_numpy()
    scores = np.select(
        [
            exact & own,
            exact,
            names.str.startswith(folded).to_numpy(),
            names.str.contains(rf"\b{re.escape(folded)}", regex=True).to_numpy(),
            names.str.contains(folded, regex=False).to_numpy(),
        ],
        [SCORE_EXACT_NAME, SCORE_OTHER_NAME, SCORE_PREFIX, SCORE_WORD, SCORE_SUBSTRING],
        0.0,
    )
    if len(folded) >= FUZZY_MIN_CHARS:
        words = len(folded.split())
        terms = index.terms
        usable = (terms["words"] == 0).to_numpy() | (terms["words"] == words).to_numpy()
        # difflib's ratio is at most 2 * shared characters / total length: compute that bound for all terms at once.
        query_counts = _char_counts([folded])[0]
        shared = np.minimum(index.term_counts, query_counts).sum(axis=1)
        lengths = terms["text"].str.len().to_numpy()
        candidates = np.flatnonzero(usable & (2 * shared >= FUZZY_MIN * (lengths + len(folded))))
        for term in candidates:
            ratio = difflib.SequenceMatcher(None, folded, terms["text"].iat[term]).ratio()
            name = terms["name"].iat[term]
            if ratio >= FUZZY_MIN and 50 * ratio > scores[name]:
                scores[name] = 50 * ratio
    return scores


def _ranked(index: SearchIndex, query: str) -> pd.DataFrame:
    """Every matching feature of `index` with its score and reason, best first.

    Ties: a match on the feature's own name first, then ports (the atlas's features) before places,
    the larger harbour and the more populous place first, then by name.
    """
    features = index.features
    found = [pd.DataFrame({"row": pd.Series(dtype=int), "score": pd.Series(dtype=float), "matched": "", "own": True})]
    if schema.ID_PATTERN.match(query):
        rows = np.flatnonzero(features["id"].to_numpy() == query)
        found.append(pd.DataFrame({"row": rows, "score": float(SCORE_ID), "matched": "feature id", "own": True}))
    if _LOCODE.match(query):
        code = query.replace(" ", "").upper()
        rows = np.flatnonzero(features["locode"].to_numpy() == code)
        found.append(pd.DataFrame({"row": rows, "score": float(SCORE_LOCODE), "matched": "UN/LOCODE", "own": True}))
    folded = fold(query)
    if folded:
        scores = _name_scores(index, folded)
        hits = index.names.assign(score=scores)[scores > 0]
        reasons = [
            _REASONS.get(score, "similar spelling") + ("" if own else f" ({label})")
            for score, own, label in zip(hits["score"], hits["own"], hits["folded"], strict=True)
        ]
        found.append(hits[["row", "score", "own"]].assign(matched=reasons))
    best = pd.concat(found, ignore_index=True)
    best["score"] = best["score"].round(2)
    best = best.sort_values(["score", "own"], ascending=False, kind="stable").drop_duplicates("row")
    ranked = features.iloc[best["row"].to_numpy()].assign(
        score=best["score"].to_numpy(), matched=best["matched"].to_numpy(), own=best["own"].to_numpy()
    )
    ranked["people"] = pd.to_numeric(ranked["population"], errors="coerce").fillna(0)
    ranked["port"] = ranked["kind"] == "port"
    return ranked.sort_values(
        ["score", "own", "port", "size_rank", "people", "name"],
        ascending=[False, False, False, True, False, True],
        kind="stable",
    )


def _strength(score: float) -> str:
    return "strong" if score >= STRONG_MIN else "weaker" if score >= WEAKER_MIN else "weak"


def _result(row) -> Result:
    return Result(
        kind=row.kind,
        id=row.id,
        name=row.name,
        country=row.country,
        lon=float(row.lon),
        lat=float(row.lat),
        locode=row.locode,
        population=None if row.population is None else int(row.population),
        score=float(row.score),
        strength=_strength(row.score),
        matched=row.matched,
        attribution=row.attribution,
    )


def _results(ranked: pd.DataFrame, limit: int) -> tuple[Result, ...]:
    """The first `limit` (at least 1) rows of `_ranked` as results."""
    return tuple(_result(row) for row in ranked.head(max(1, limit)).itertuples(index=False))


def search(index: SearchIndex, query: str, limit: int = 10) -> list[Result]:
    """Ports and places matching `query`, best first, at most `limit` (raises SearchError for an empty query).

    Ties put places first, the most populous first, then ports, the larger harbour first, then names.
    """
    return list(_results(_ranked(index, clean_query(query)), limit))


def distance_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Great-circle distance (km, spherical Earth) from (lon0, lat0) to each point; degrees in."""
    lon, lat, lon0, lat0 = map(np.radians, (lon, lat, lon0, lat0))
    a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat) * np.cos(lat0) * np.sin((lon - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def decide(index: SearchIndex, query: str, limit: int = 10) -> Decision:
    """What `query` points at: one clear answer, choices, or none (see the module docstring).

    `results` hold at most `limit` matches (the answer first when there is one). Raises
    SearchError for an empty or over-long query.
    """
    query = clean_query(query)
    shown = f'"{query[:60]}"'
    ranked = _ranked(index, query)
    if ranked.empty:
        hint = (
            "check the spelling, or try a UN/LOCODE such as NLRTM or a larger town nearby"
            if fold(query)
            else "type names in Latin letters (e.g. Athina, Moskva) or a UN/LOCODE such as NLRTM"
        )
        return Decision(query, "none", None, (), f"Nothing matches {shown}: {hint}.")
    top = ranked[ranked["score"] == ranked["score"].iat[0]]
    if top["score"].iat[0] < STRONG_MIN:
        message = f"No exact match for {shown}: pick one of the closest matches, if any fits."
        return Decision(query, "choices", None, _results(ranked, limit), message)
    first = top.iloc[0]
    near = distance_km(top["lon"].to_numpy(), top["lat"].to_numpy(), first["lon"], first["lat"])
    if not ((near <= SAME_PLACE_KM) & (top["country"].to_numpy() == first["country"])).all():
        message = f"{len(top)} matches in different places fit {shown} equally well: pick the one you mean."
        return Decision(query, "choices", None, _results(ranked, limit), message)
    # One place: its port if it has one (the atlas's own feature, with a popup), else the largest town.
    chosen = top.index[0] if (top["kind"] != "port").all() else top.index[(top["kind"] == "port").argmax()]
    ranked = pd.concat([ranked.loc[[chosen]], ranked.drop(index=chosen)])
    results = _results(ranked, limit)
    answer = results[0]
    return Decision(query, "answer", answer, results, f"{answer.name} ({answer.country}) matches {shown}.")
