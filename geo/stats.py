"""Statistics per country: ports, km of rail and road, share of electrified rail.

Lengths are kilometres from the schema's `length_km` (geodesic, WGS 84). Rail ferries (rail
features of kind "ferry") are counted apart, never as railway length. Shares are 0..1 and
computed over the length whose electrification is known, so unknown lines neither count as
electrified nor as not electrified; a share is only stated when enough length is known
(`MIN_KNOWN_SHARE`, see `electrification_headline`). Everything is a vectorised group-by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.layers import get_layer

# OSM `electrified` values that mean "no power supply"; every other value except unknown means powered.
_NOT_ELECTRIFIED = frozenset({"no", "false", "0"})
_UNKNOWN = frozenset({"", "unknown"})
ROAD_CLASSES = ("motorway", "trunk", "primary")
FERRY = "ferry"
# Below this share of the rail length with known electrification, a percentage says more about the
# data's gaps than about the network, so the headline gives the known length instead.
MIN_KNOWN_SHARE = 0.5
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

    Columns: ports, ten_t_ports (ports with a TEN-T code recorded in GISCO 2013), rail_km (railway
    lines, rail ferries excluded), rail_ferry_km, rail_electrified_km, rail_known_km (electrification
    known), electrified_share (electrified / known, NaN when nothing is known), and road_<class>_km
    for motorway, trunk, primary and other, plus road_km.
    `countries` lists the rows to show even when they have no features (all zeros).
    Features without a country are counted under "(no country)".
    """
    parts = []
    if ports is not None:
        key = _country_key(ports)
        ten_t = ports["ten_t_code"].astype("Int64").fillna(0).gt(0).astype(int)
        parts.append(pd.DataFrame({"ports": 1, "ten_t_ports": ten_t.to_numpy()}, index=key.to_numpy()))
    if rail is not None:
        ferry = rail["kind"].eq(FERRY).fillna(False).to_numpy(dtype=bool)
        all_length = _length(rail).to_numpy()
        length = np.where(ferry, 0.0, all_length)
        state = electrification(rail["electrified"]).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "rail_km": length,
                    "rail_ferry_km": np.where(ferry, all_length, 0.0),
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


@dataclass(frozen=True)
class Headline:
    """The electrified-rail figure for a selection: what to show, its explanation, and a warning if any."""

    value: str
    help: str
    caption: str | None


def electrification_headline(total: pd.Series) -> Headline:
    """The electrified-rail headline of a `country_stats` row (usually the Total row).

    States the electrified share only when at least `MIN_KNOWN_SHARE` of the rail length has a known
    electrification; otherwise it gives the known length itself ("34 km known of 24,741 km").
    """
    rail_km = float(total.get("rail_km", 0.0) or 0.0)
    known_km = float(total.get("rail_known_km", 0.0) or 0.0)
    electrified_km = float(total.get("rail_electrified_km", 0.0) or 0.0)
    if rail_km <= 0:
        return Headline("no rail", "No railway in this selection.", None)
    known = known_km / rail_km
    if known_km <= 0:
        return Headline("unknown", f"Electrification is known for none of the {rail_km:,.0f} km of rail here.", None)
    if known < MIN_KNOWN_SHARE:
        return Headline(
            f"{known_km:,.0f} km known",
            f"Electrification is known for {known_km:,.0f} km of {rail_km:,.0f} km of rail here "
            f"({electrified_km:,.0f} km of it electrified): too little for a share to mean anything.",
            f"Electrification is known for only {known_km:,.0f} km of the {rail_km:,.0f} km of rail in this "
            "selection, so no share is given. Load detailed OpenStreetMap data for a fuller picture.",
        )
    return Headline(
        f"{electrified_km / known_km:.0%}",
        f"Electrified share of the {known_km:,.0f} km of rail whose electrification is known "
        f"({known:.0%} of the {rail_km:,.0f} km here).",
        None,
    )


def caveats(frames: Mapping[str, pd.DataFrame | None]) -> list[str]:
    """What a reader of these statistics must know about the sources of `frames` ({layer: frame}), e.g. that
    Natural Earth's electrification describes an older, undated state of the network."""
    found: list[str] = []
    for layer, frame in frames.items():
        if frame is not None and len(frame):
            found += get_layer(layer).caveats_for(frame["source"].dropna().unique()).values()
    return list(dict.fromkeys(found))
