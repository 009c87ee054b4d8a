"""Track gauge: the nominal gauge of each national network, and whether two gauges make a break of gauge.

Gauges are millimetres, written as text ("1435"; OpenStreetMap writes dual gauge as "1435;1520").
Natural Earth gives no gauge, so a rail feature without one gets its country's nominal gauge,
labelled "assumed from the national network" (`ASSUMED`); a gauge from OpenStreetMap's `gauge`
tag is labelled "OpenStreetMap" (`FROM_OSM`). The national rule (facts in
`../shared/reference/tent_standards.md`, section Gauge):

- 1520 mm: Estonia, Latvia, Lithuania, Ukraine, Belarus, Moldova, Russia, and the other networks
  of the former Soviet Union on the map (Georgia, Armenia, Azerbaijan);
- 1524 mm: Finland (1520 and 1524 run together in practice: not a break of gauge);
- 1668 mm: Spain and Portugal (the Iberian gauge of the conventional lines; Spain's high-speed
  lines are standard gauge, which Natural Earth cannot tell apart);
- 1600 mm: Ireland, and Northern Ireland (the part of the United Kingdom on the island of Ireland);
- 1435 mm (standard gauge) in every other country the atlas covers.

Known places where the rule is wrong, because a line differs from its national network: the
broad-gauge LHS line in Poland (Hrubieszów - Sławków), Rail Baltica's standard gauge in
Lithuania, the Iberian high-speed lines, metre-gauge lines (e.g. in Switzerland). Outside the
countries the atlas covers (North Africa, the Middle East) no gauge is assumed.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

STANDARD = "1435"
RUSSIAN = "1520"
FINNISH = "1524"
IBERIAN = "1668"
IRISH = "1600"
NATIONAL: dict[str, str] = {
    **dict.fromkeys(("EE", "LV", "LT", "UA", "BY", "MD", "RU", "GE", "AM", "AZ"), RUSSIAN),
    "FI": FINNISH,
    "ES": IBERIAN,
    "PT": IBERIAN,
    "IE": IRISH,
}
# Gauges that run together in practice: Finland's 1524 mm and the 1520 mm network.
COMPATIBLE = (frozenset({RUSSIAN, FINNISH}),)
FROM_OSM = "OpenStreetMap"
ASSUMED = "assumed from the national network"
NOT_COVERED = "not known: outside the countries the atlas covers"
NOTE = (
    "Gauge assumed from the national network where the source does not give it: 1520 mm in the Baltic "
    "states, Ukraine, Belarus, Moldova, Russia and the Caucasus, 1524 mm in Finland, 1668 mm on Iberian "
    "conventional lines, 1600 mm on the island of Ireland, 1435 mm elsewhere. Lines that differ from their "
    "national network (Poland's broad-gauge LHS line, Rail Baltica in Lithuania, Spain's high-speed lines, "
    "metre-gauge lines) are labelled wrongly by this rule."
)


def national_gauge(country: str | None, northern_ireland: bool = False) -> str:
    """The nominal gauge (mm, text) of `country`'s network; Northern Ireland's is Ireland's."""
    if northern_ireland:
        return IRISH
    return NATIONAL.get(str(country), STANDARD)


def assign(
    gauges: pd.Series, countries: pd.Series, covered: Collection[str], northern_ireland: np.ndarray | None = None
) -> tuple[pd.Series, pd.Series]:
    """(gauge, basis) per feature: the source's gauge where given ("OpenStreetMap"), else the national rule.

    `covered`: the countries the atlas covers (a national gauge is assumed only there);
    `northern_ireland`: booleans, the features in the part of the United Kingdom on the island of Ireland.
    """
    given = gauges.astype("string").str.strip().replace("", pd.NA)
    codes = countries.astype("string")
    ni = np.zeros(len(codes), dtype=bool) if northern_ireland is None else np.asarray(northern_ireland, dtype=bool)
    national = [national_gauge(code, flag) for code, flag in zip(codes.fillna(""), ni, strict=True)]
    in_scope = codes.isin(list(covered)).fillna(False).to_numpy(dtype=bool)
    assumed = pd.Series(national, index=gauges.index, dtype="string").where(in_scope, pd.NA)
    gauge = given.fillna(assumed)
    basis = pd.Series(np.where(in_scope, ASSUMED, NOT_COVERED), index=gauges.index, dtype="string")
    basis = basis.mask(given.notna().to_numpy(), FROM_OSM)
    return gauge, basis


def values(gauge: object) -> frozenset[str]:
    """The gauges of one value: "1435;1520" (dual gauge) gives both; empty when unknown."""
    if gauge is None or gauge is pd.NA or (isinstance(gauge, float) and np.isnan(gauge)):
        return frozenset()
    return frozenset(part.strip() for part in str(gauge).replace(",", ";").split(";") if part.strip())


def _runs_on(a: frozenset[str], b: frozenset[str]) -> bool:
    if a & b:
        return True
    return any(a & group and b & group for group in COMPATIBLE)


def is_break(gauge_a: object, gauge_b: object) -> bool | None:
    """Whether a train must change gauge between two lines: None when either gauge is unknown.

    Dual gauge runs on with either of its gauges; 1520 and 1524 mm run together.
    """
    a, b = values(gauge_a), values(gauge_b)
    if not a or not b:
        return None
    return not _runs_on(a, b)
