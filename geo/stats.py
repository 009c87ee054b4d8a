"""Statistics per country, as each layer's specification defines them (`geo.layers`: `statistics`).

Every `Statistic` of a layer gives each feature a value (1 to count it, its km to measure it);
values are summed per country in one vectorised group-by, then each `Ratio` is computed. Lengths
are kilometres from the schema's `length_km` (geodesic, WGS 84). For rail, ferries are counted
apart, never as railway length, and the electrified share is over the length whose electrification
is known; the headline states a share only when enough length is known (`MIN_KNOWN_SHARE`, see
`electrification_headline`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.layers import Ratio, Statistic, get_layer

# Below this share of the rail length with known electrification, a percentage says more about the
# data's gaps than about the network, so the headline gives the known length instead.
MIN_KNOWN_SHARE = 0.5
NO_COUNTRY = "(no country)"
TOTAL = "Total"


def country_stats(frames: Mapping[str, pd.DataFrame | None], countries: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per country (alpha-2 code, plus a "Total" row) of the given, already selected frames.

    `frames` maps layer names to their selected features (None: leave the layer out). The columns
    are the layers' statistics, in layer order (e.g. ports, ten_t_ports, rail_km, ..., road_km);
    counts are integers. `countries` lists the rows to show even when they have no features (all
    zeros). Features without a country are counted under "(no country)". A feature with several
    countries (a border crossing, `LayerSpec.country_columns`) counts in each of them and once in the total.
    """
    parts, totals, ratios, counts = [], [], [], []
    for layer, frame in frames.items():
        if frame is None:
            continue
        spec = get_layer(layer)
        values = {}
        for statistic in spec.statistics:
            if isinstance(statistic, Ratio):
                ratios.append(statistic)
                continue
            values[statistic.column] = np.asarray(statistic.value(frame), dtype=float)
            if statistic.unit == "count":
                counts.append(statistic.column)
        totals.append(pd.DataFrame(values).sum())
        # A feature of several countries (a border crossing) counts once in each, and once in the total.
        seen = pd.Series("", index=frame.index, dtype="string")
        for position, column in enumerate(c for c in spec.country_columns if c in frame.columns):
            codes = frame[column].astype("string")
            key = codes.fillna(NO_COUNTRY) if position == 0 else codes
            if len(spec.country_columns) > 1 and countries is not None:  # a crossing's rows: the selected sides
                key = key.where(key.isin(list(countries)))
            fresh = key.notna() & (key != seen)
            parts.append(pd.DataFrame(values, index=key.to_numpy())[fresh.to_numpy()])
            seen = key.fillna(seen)
    table = pd.concat(parts).groupby(level=0).sum() if parts else pd.DataFrame()
    if countries is not None:
        table = table.reindex(sorted(set(countries) | set(table.index)), fill_value=0)
    table = table.fillna(0)
    if table.empty:
        return table
    table.loc[TOTAL] = pd.concat(totals, axis=1).sum(axis=1).reindex(table.columns).fillna(0)
    for column in counts:
        table[column] = table[column].astype(int)
    for ratio in ratios:
        table[ratio.column] = table[ratio.numerator] / table[ratio.denominator].replace(0.0, np.nan)
    table.index.name = "country"
    return table


def statistics(layers: Iterable[str]) -> dict[str, Statistic | Ratio]:
    """{column: its Statistic or Ratio} of `layers`, for labelling a `country_stats` table."""
    return {statistic.column: statistic for layer in layers for statistic in get_layer(layer).statistics}


@dataclass(frozen=True)
class Metric:
    """One headline figure: a label, the value as text, and what it counts."""

    label: str
    value: str
    help: str


def _figure(value: float, unit: str) -> str:
    return f"{int(value):,}" if unit == "count" else f"{value:,.0f} km"


def headlines(total: pd.Series, layers: Iterable[str]) -> list[Metric]:
    """The headline figure of each of `layers` present in a `country_stats` row (usually the Total row).

    Each layer's `headline` statistic is the value; its help says what it counts, followed by the
    layer's other statistics of the same unit (e.g. "With TEN-T code (GISCO 2013): 1,022").
    """
    metrics = []
    for layer in layers:
        spec = get_layer(layer)
        by_column = {s.column: s for s in spec.statistics if isinstance(s, Statistic)}
        main = by_column.get(spec.headline or "")
        if main is None or main.column not in total:
            continue
        others = [
            f"{s.label}: {total[s.column]:,.0f}"
            for s in by_column.values()
            if s is not main and s.unit == main.unit and s.column in total
        ]
        text = " ".join(filter(None, [main.help, "; ".join(others) + "." if others else ""]))
        metrics.append(Metric(spec.title, _figure(total[main.column], main.unit), text))
    return metrics


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
