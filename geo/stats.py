"""Statistics per country: ports, km of rail and road, share of electrified rail.

Lengths are kilometres from the schema's `length_km` (geodesic, WGS 84). Shares are 0..1 and
computed over the length whose electrification is known, so unknown lines neither count as
electrified nor as not electrified. Everything is a vectorised group-by.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

# OSM `electrified` values that mean "no power supply"; every other value except unknown means powered.
_NOT_ELECTRIFIED = frozenset({"no", "false", "0"})
_UNKNOWN = frozenset({"", "unknown"})
ROAD_CLASSES = ("motorway", "trunk", "primary")
NO_COUNTRY = "(no country)"
TOTAL = "Total"


def electrification(values: pd.Series) -> pd.Series:
    """Each rail feature's electrification as "yes", "no" or "unknown" (OSM values such as "contact_line" are "yes")."""
    text = values.astype("string").str.strip().str.lower().fillna("unknown")
    out = pd.Series("yes", index=values.index, dtype="string")
    out[text.isin(_NOT_ELECTRIFIED).to_numpy()] = "no"
    out[text.isin(_UNKNOWN).to_numpy()] = "unknown"
    return out


def road_class(kinds: pd.Series) -> pd.Series:
    """Road class of each feature: "motorway", "trunk", "primary" (links count with their road), else "other"."""
    base = kinds.astype("string").str.removesuffix("_link")
    return base.where(base.isin(ROAD_CLASSES), "other").fillna("other")


def _country_key(frame: pd.DataFrame) -> pd.Series:
    return frame["country"].astype("string").fillna(NO_COUNTRY)


def _length(frame: pd.DataFrame) -> pd.Series:
    return frame["length_km"].astype("Float64").fillna(0.0).astype(float)


def country_stats(
    ports: pd.DataFrame | None = None,
    rail: pd.DataFrame | None = None,
    roads: pd.DataFrame | None = None,
    countries: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per country (alpha-2 code, plus a "Total" row) of the given, already selected frames.

    Columns: ports, ten_t_ports (ports with a TEN-T code recorded in GISCO 2013: code > 0), rail_km, rail_electrified_km,
    rail_known_km (electrification known), electrified_share (electrified / known, NaN when
    nothing is known), and road_<class>_km for motorway, trunk, primary and other, plus road_km.
    `countries` lists the rows to show even when they have no features (all zeros).
    Features without a country are counted under "(no country)".
    """
    parts = []
    if ports is not None:
        key = _country_key(ports)
        ten_t = ports["ten_t_code"].astype("Int64").fillna(0).gt(0).astype(int)
        parts.append(pd.DataFrame({"ports": 1, "ten_t_ports": ten_t.to_numpy()}, index=key.to_numpy()))
    if rail is not None:
        length = _length(rail).to_numpy()
        state = electrification(rail["electrified"]).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "rail_km": length,
                    "rail_electrified_km": np.where(state == "yes", length, 0.0),
                    "rail_known_km": np.where(state != "unknown", length, 0.0),
                },
                index=_country_key(rail).to_numpy(),
            )
        )
    if roads is not None:
        classes = road_class(roads["kind"]).to_numpy()
        length = _length(roads).to_numpy()
        columns = {f"road_{name}_km": np.where(classes == name, length, 0.0) for name in (*ROAD_CLASSES, "other")}
        parts.append(pd.DataFrame({**columns, "road_km": length}, index=_country_key(roads).to_numpy()))
    table = pd.concat(parts).groupby(level=0).sum() if parts else pd.DataFrame()
    if countries is not None:
        table = table.reindex(sorted(set(countries) | set(table.index)), fill_value=0)
    table = table.fillna(0)
    if table.empty:
        return table
    table.loc[TOTAL] = table.sum()
    for column in ("ports", "ten_t_ports"):
        if column in table:
            table[column] = table[column].astype(int)
    if "rail_km" in table:
        known = table["rail_known_km"].replace(0.0, np.nan)
        table["electrified_share"] = table["rail_electrified_km"] / known
    table.index.name = "country"
    return table
