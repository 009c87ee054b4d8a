"""Corridor Atlas: the Streamlit app. UI only: every piece of data logic lives in `geo/`.

Run with `streamlit run app.py`. The page is a sidebar of controls, the map, and panels below it;
each is a small function so further panels can be added beside them. The URL carries the
layers, countries, basemap, seed toggle and search (`st.query_params`), and a rail route's origin,
destination and options (`from`, `to`, `avoid`, `avoid_country`, `prefer`, `within`), so links are shareable.
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

import streamlit as st

# First, before anything can fail (a bad setting stops `geo.settings` at import): on the hosted dashboard a
# visitor never sees an exception's text, a traceback or a server path; the server log has them. Any mode
# but "local" counts as hosted here, so a misspelt mode errs on the safe side.
if os.environ.get("CORRIDOR_ATLAS_MODE", "local") != "local":
    st.set_option("client.showErrorDetails", "none")

import pandas as pd
from streamlit.errors import FragmentHandledException
from streamlit_folium import st_folium

from geo import (
    areas,
    export,
    policies,
    policy_views,
    ratelimit,
    render,
    route,
    search,
    seed_ports,
    select,
    settings,
    stats,
    store,
    usecases,
)
from geo.countries import load_countries, resolve_country
from geo.errors import AtlasError, InputError, StoreError, UnknownCountryError
from geo.layers import get_layer, layer_names, osm_layer_names

# The server log, for the operator: what went wrong and where (a visitor only ever reads one plain sentence).
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("corridor_atlas.app")

# The map's height before the page's style sizes it to the window (PAGE_CSS); also its height where that fails.
MAP_HEIGHT_PX = 640
# The reader's page: a one-line title, then the map filling the window below it (down to a usable minimum).
# streamlit-folium fixes its iframe's height in px when it renders, so the page's style overrides it;
# inside the iframe the map fills the frame (geo/render_runtime.css).
PAGE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
.ca-title { margin: 0; font-size: 1rem; line-height: 1.4; font-weight: 400; color: #444; }
.ca-title strong { font-size: 1.25rem; color: #111; margin-right: 0.4rem; }
iframe[title="streamlit_folium.st_folium"] { height: max(360px, calc(100dvh - 7rem)) !important; }
@media (max-width: 700px) { .ca-title span { display: none; } }
.ca-small-window { display: none; }
@media (max-height: 420px), (max-width: 300px) {
  .ca-small-window { display: block; background: #fff7d6; border: 1px solid #e0c36a; border-radius: 4px; padding: 6px 10px; }
}
"""
# Shown by PAGE_CSS only in a window too small to read the map in; the map keeps a usable size and the page scrolls.
SMALL_WINDOW_NOTICE = (
    "This window is too small to read the map in: enlarge it, turn the phone upright or zoom the browser out. "
    "The map keeps a usable size below, and the page scrolls."
)
# How the statistics table shows each unit of a statistic (geo.layers).
STAT_FORMATS = {"count": None, "km": "%.0f", "share": "percent"}
# Typed input is short by nature; the caps keep hostile or accidental megabyte strings out.
MAX_QUERY_CHARS = 100
MAX_BBOX_CHARS = 80
# What a hosted visitor reads when part of the page fails; the details go to the server log.
PAGE_ERROR = (
    "Something went wrong while preparing this part of the page. Reload the page to try again; "
    "if it keeps happening, the dashboard's operator can find the details in the server log."
)


def guarded(panel):
    """Run `panel`; on the hosted dashboard an unexpected error becomes one plain sentence in its place (the
    traceback goes to the server log), so a visitor never sees internals. Locally it is raised as usual."""

    @wraps(panel)
    def run(*args, **kwargs):
        try:
            return panel(*args, **kwargs)
        except FragmentHandledException:
            raise  # already shown inside its panel
        except Exception:
            if settings.MODE != "hosted":
                raise
            log.exception("page error in %s", panel.__name__)
            st.error(PAGE_ERROR)
            return None

    return run


# -- data, loaded once per process and shared by every session -----------------------------------


@st.cache_resource(show_spinner="Loading the layers ...")
def load_data() -> select.Layers:
    return select.load_layers()


@st.cache_resource
def load_outlines():
    return load_countries()


@st.cache_resource
def load_seed() -> pd.DataFrame:
    return seed_ports.load_seed_ports()


@st.cache_resource(show_spinner="Building the map's vector tiles, once (about a minute) ...")
def prepare_tiles() -> None:
    """Missing or outdated tiles are built once per process; if that fails, the map says why."""
    if settings.BUILD_TILES:
        usecases.prepare_tiles()


@st.cache_resource(show_spinner="Preparing the search ...")
def search_index() -> search.SearchIndex:
    return search.default_index(load_data()["ports"], load_data()["crossings"])


@st.cache_resource(max_entries=32, show_spinner="Drawing the map ...")
def prepared_map(
    layers: tuple[str, ...],
    countries: tuple[str, ...] | None,
    basemap: str,
    show_seed: bool,
    highlight: str | None,
    document: str | None = None,
    area: tuple[float, float, float, float] | None = None,
    route_query: tuple | None = None,
) -> tuple[render.PreparedMap, str | None]:
    """The encoded map of one selection, shared across sessions: not rebuilt when other widgets change.

    `document` (a policy document id) keeps only the features it applies to ("show on map"; a corridor
    with nodes is drawn as its indicative line); `area` (W,S,E,N degrees) narrows the map to a region
    drawn in finer detail; `route_query` (`RouteQuery.key()`) draws that rail route over the map.
    """
    planned = planned_route(*route_query) if route_query else None
    found = planned is not None and planned.route is not None and planned.route.found
    request = usecases.map_request(
        load_data(),
        layers,
        countries,
        area,
        outlines=load_outlines(),
        document=document,
        tiled=True,
        basemap=basemap,
        seed_ports=load_seed(),
        show_seed=show_seed,
        highlight=highlight,
        overlays=(render.Overlay("route", f"Route: {planned.route.title}", planned.route.stretches),) if found else (),
    )
    return render.prepare_map(request), request.notice


@st.cache_resource(max_entries=64)
def country_table(countries: tuple[str, ...] | None) -> tuple[pd.DataFrame, list[str]]:
    """The statistics of the selected countries, and what a reader must know about their sources."""
    return usecases.country_statistics(load_data(), countries)


# -- controls ------------------------------------------------------------------------------------


@dataclass
class Controls:
    layers: tuple[str, ...]
    countries: tuple[str, ...] | None  # None: all of Europe
    basemap: str
    show_seed: bool
    query: str


def _param_list(name: str, max_items: int = 64) -> list[str]:
    """The comma-separated values of a URL parameter; a link cannot make the app do unbounded work."""
    parts = (part.strip() for part in st.query_params.get(name, "")[:2000].split(","))
    return [part for part in parts if part][:max_items]


def _countries_from_url(known: dict[str, str]) -> list[str]:
    """Country codes from the URL; names and codes are resolved, the rest is reported once."""
    codes, unknown = [], []
    for text in _param_list("countries"):
        try:
            code = resolve_country(text, load_outlines())
        except UnknownCountryError:
            code = None
        (codes if code in known else unknown).append(code if code in known else text)
    if unknown:
        st.info(
            plain(
                f"Unknown or uncovered country in the link: {', '.join(repr(u[:40]) for u in unknown[:5])}. "
                "It is ignored; pick countries in the sidebar."
            )
        )
    return list(dict.fromkeys(codes))


def country_choices() -> dict[str, str]:
    """{alpha-2 code: "Name (CODE)"} of every country with at least one feature."""
    data = load_data()
    present = set()
    for layer in layer_names():
        present |= set(data[layer]["country"].dropna().unique())
    names = load_outlines().set_index("iso2")["name"].to_dict()
    return {code: f"{names.get(code, code)} ({code})" for code in sorted(present, key=lambda c: names.get(c, c))}


def sidebar() -> Controls:
    """The sidebar: layer toggles, country filter, basemap, seed ports, search."""
    st.sidebar.header("Layers")
    url_layers = set(_param_list("layers")) or set(layer_names())
    layers = tuple(
        layer
        for layer in layer_names()
        if st.sidebar.toggle(get_layer(layer).title, value=layer in url_layers, key=f"layer_{layer}")
    )
    show_seed = st.sidebar.toggle(
        "Show debate entry ports",
        value=st.query_params.get("seed") == "1",
        key="seed",
        help="ports named in the public debate on military mobility",
    )
    choices = country_choices()
    st.sidebar.header("Countries")
    picked = st.sidebar.multiselect(
        "Filter by country",
        options=list(choices),
        default=_countries_from_url(choices),
        format_func=choices.get,
        key="countries",
        placeholder="All of Europe",
    )
    if not picked:
        st.sidebar.caption("No country selected: the map and the statistics cover all of Europe.")
    st.sidebar.header("Basemap")
    url_basemap = st.query_params.get("basemap", "outlines")
    basemap = st.sidebar.radio(
        "Basemap",
        render.BASEMAPS,
        index=render.BASEMAPS.index(url_basemap) if url_basemap in render.BASEMAPS else 0,
        format_func=render.BASEMAP_TITLES.get,
        key="basemap",
        label_visibility="collapsed",
        help="Country outlines need no network; the tile basemaps do.",
    )
    st.sidebar.header("Search")
    query = st.sidebar.text_input(
        "Port, place or UN/LOCODE",
        value=st.query_params.get("q", "")[:MAX_QUERY_CHARS],
        key="query",
        placeholder="e.g. Gdansk, Wien or NLRTM",
        max_chars=MAX_QUERY_CHARS,
        help="Ports of the map, towns of 15,000+ people (GeoNames, in many languages), border crossings and UN/LOCODEs.",
    )
    return Controls(layers, tuple(picked) or None, basemap, show_seed, query.strip())


def sync_url(controls: Controls) -> None:
    """Write the selection into the URL so the page can be shared."""
    wanted = {
        "layers": ",".join(controls.layers) or "none",
        "countries": ",".join(controls.countries or ()),
        "basemap": controls.basemap,
        "seed": "1" if controls.show_seed else "",
        "q": controls.query,
    }
    for name, value in wanted.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]


# -- rail routes ---------------------------------------------------------------------------------

ROUTE_PENDING = "route_pending"  # session key: (widget key, value) to put in a route field on the next run
ROUTE_WITHIN = {None: "anywhere", "EU": "the EU member states", "NATO": "the European NATO members"}


@dataclass(frozen=True)
class RouteQuery:
    """A route as the sidebar and the URL carry it (words of `geo.route.make_options`)."""

    origin: str
    destination: str
    avoid: tuple[str, ...] = ()
    avoid_countries: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    within: str | None = None

    def key(self) -> tuple:
        return (self.origin, self.destination, self.avoid, self.avoid_countries, self.prefer, self.within)


@dataclass(frozen=True)
class PlannedRoute:
    route: route.Route | None
    error: str | None = None
    choices: tuple[search.Result, ...] = ()
    field: str | None = None  # the widget key of the ambiguous end


@st.cache_resource(max_entries=32, show_spinner="Routing ...")
def planned_route(
    origin: str,
    destination: str,
    avoid: tuple[str, ...],
    avoid_countries: tuple[str, ...],
    prefer: tuple[str, ...],
    within: str | None,
) -> PlannedRoute:
    """The route of one query, shared across sessions; bad input comes back as the error to show."""
    field = "route_from"
    try:
        options = route.make_options(avoid, avoid_countries, prefer, within)
        start = route.resolve(origin, role="origin")
        field = "route_to"
        end = route.resolve(destination, role="destination")
        return PlannedRoute(route.plan(start, end, options))
    except route.RouteError as exc:
        return PlannedRoute(None, str(exc), exc.choices, field)


def _route_default(key: str, value: object) -> None:
    """Give a route widget its value from the link once; later runs keep what the user set."""
    if key not in st.session_state:
        st.session_state[key] = value


def route_controls() -> RouteQuery | None:
    """The sidebar's route fields (origin, destination, options), filled from the link on first load."""
    pending = st.session_state.pop(ROUTE_PENDING, None)
    if pending:
        st.session_state[pending[0]] = pending[1]
    avoid = set(_param_list("avoid"))
    _route_default("route_from", st.query_params.get("from", "")[:MAX_QUERY_CHARS])
    _route_default("route_to", st.query_params.get("to", "")[:MAX_QUERY_CHARS])
    _route_default("route_avoid_ferry", "ferry" in avoid)
    _route_default("route_avoid_non_electrified", "non-electrified" in avoid)
    _route_default("route_prefer_multiple", "multiple-track" in _param_list("prefer"))
    choices = country_choices()
    _route_default("route_avoid_countries", [code for code in _param_list("avoid_country") if code in choices])
    within = st.query_params.get("within", "").upper()
    _route_default("route_within", within if within in ROUTE_WITHIN else None)
    st.sidebar.header("Route by rail")
    origin = st.sidebar.text_input(
        "From", key="route_from", max_chars=MAX_QUERY_CHARS, placeholder="e.g. NLRTM, Genoa or Gdansk"
    )
    destination = st.sidebar.text_input(
        "To",
        key="route_to",
        max_chars=MAX_QUERY_CHARS,
        placeholder="a place, port, border crossing or lat,lon",
        help="A port, a town (GeoNames), a border crossing by name or id, a UN/LOCODE, or a point as "
        "latitude,longitude in degrees.",
    )
    st.sidebar.toggle("Pick the destination on the map", key="route_pick", help="Click the map to set To.")
    with st.sidebar.expander("Route options"):
        avoid_ferry = st.checkbox("Avoid rail ferries", key="route_avoid_ferry")
        avoid_wires = st.checkbox(
            "Avoid track known to be not electrified",
            key="route_avoid_non_electrified",
            help="Most track's electrification is unknown in the data; unknown track stays allowed and is reported.",
        )
        prefer = st.checkbox(
            "Prefer multiple track", key="route_prefer_multiple", help="Known single track counts double."
        )
        countries = st.multiselect(
            "Avoid countries", list(choices), key="route_avoid_countries", format_func=choices.get
        )
        group = st.radio("Stay within", list(ROUTE_WITHIN), key="route_within", format_func=ROUTE_WITHIN.get)
    if not origin.strip() or not destination.strip():
        return None
    return RouteQuery(
        origin.strip(),
        destination.strip(),
        avoid=tuple(word for word, on in (("ferry", avoid_ferry), ("non-electrified", avoid_wires)) if on),
        avoid_countries=tuple(countries),
        prefer=("multiple-track",) if prefer else (),
        within=group,
    )


def sync_route_url(routing: RouteQuery | None) -> None:
    """Write the route (origin, destination, options) into the URL so the page can be shared."""
    wanted = {
        "from": routing.origin if routing else "",
        "to": routing.destination if routing else "",
        "avoid": ",".join(routing.avoid) if routing else "",
        "avoid_country": ",".join(routing.avoid_countries) if routing else "",
        "prefer": ",".join(routing.prefer) if routing else "",
        "within": (routing.within or "") if routing else "",
    }
    for name, value in wanted.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]


def route_choices(planned: PlannedRoute) -> None:
    """For an ambiguous origin or destination: the matches to pick from, in the sidebar."""
    labels = {result.id: result.label() for result in planned.choices}
    chosen = st.sidebar.selectbox(
        "Which one do you mean?", list(labels), index=None, format_func=labels.get, key="route_choice"
    )
    if chosen:
        st.session_state[ROUTE_PENDING] = (planned.field, chosen)
        st.session_state.pop("route_choice", None)
        st.rerun()


@st.cache_resource(max_entries=32)
def route_offer(query: tuple, fmt: str) -> export.Download:
    found = planned_route(*query).route
    text = route.explanation_text(found.explanation)
    return export.route_download(found.stretches, found.explanation, text, fmt)


def route_panel(routing: RouteQuery | None) -> None:
    """The route's explanation: length, countries, borders and gauge breaks, corridors, documents, standards."""
    if routing is None:
        return
    planned = planned_route(*routing.key())
    st.subheader("Route by rail")
    if planned.error:
        st.error(plain(planned.error))
        if planned.choices:
            route_choices(planned)
        return
    found = planned.route
    explanation = found.explanation
    if not found.found:
        st.info(plain(found.reason))
        st.caption(route.ROAD_NOTE)
        return
    by_attribute = explanation["by_attribute"]
    columns = st.columns(4)
    columns[0].metric("Length", f"{explanation['length_km']:,.0f} km")
    columns[1].metric("Countries", " → ".join(explanation["countries"]))
    columns[2].metric("Borders crossed", len(explanation["crossings"]))
    columns[3].metric("Breaks of gauge", len(explanation["gauge_breaks"]))
    lines = route.explanation_text(explanation).splitlines()
    st.caption(plain(f"{lines[1]}. {lines[2]}."))
    electrified = by_attribute["electrified_km"]
    st.markdown(
        f"**Electrified** (Natural Earth, an older, undated state): yes {electrified['yes']:,.0f} km, "
        f"no {electrified['no']:,.0f} km, unknown {electrified['unknown']:,.0f} km. **Rail ferry**: "
        f"{by_attribute['ferry_km']:,.0f} km. **Options**: {plain('; '.join(explanation['options']) or 'none')}."
    )
    st.dataframe(pd.DataFrame(explanation["by_country"]), hide_index=True, key="route_countries")
    if explanation["crossings"]:
        st.markdown("**Borders crossed**")
        st.dataframe(pd.DataFrame(explanation["crossings"]), hide_index=True, key="route_crossings")
    st.markdown("**Breaks of gauge**" if explanation["gauge_breaks"] else "**Breaks of gauge**: none on this route.")
    if explanation["gauge_breaks"]:
        st.dataframe(pd.DataFrame(explanation["gauge_breaks"]), hide_index=True, key="route_gauge_breaks")
    st.markdown("**Corridors**")
    st.dataframe(pd.DataFrame(explanation["corridors"]), hide_index=True, key="route_corridors")
    st.markdown(f"**Documents that apply** ({len(explanation['documents'])}, most relevant first)")
    st.dataframe(
        pd.DataFrame(explanation["documents"]),
        hide_index=True,
        key="route_documents",
        column_config={"url": st.column_config.LinkColumn("Link", display_text="open")},
    )
    st.markdown("**TEN-T standards check**")
    st.caption(explanation["standards_note"] or "")
    st.dataframe(
        pd.DataFrame(explanation["standards"]).drop(columns=["route_data"]), hide_index=True, key="route_standards"
    )
    for note in explanation["notes"]:
        st.caption(note)
    columns = st.columns(len(export.ROUTE_FORMATS))
    for column, fmt in zip(columns, export.ROUTE_FORMATS, strict=True):
        offer = route_offer(routing.key(), fmt)
        column.download_button(
            f"Download {offer.label}",
            data=offer.build,
            file_name=offer.file_name,
            mime=offer.media_type,
            key=f"route_download_{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )


# -- panels --------------------------------------------------------------------------------------


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Where Streamlit's Markdown would turn bare text into a link (https://..., www., an e-mail address): it does so
# after escapes are read, so an invisible word joiner (U+2060) is put there instead.
_AUTOLINK = re.compile(r"(?=://)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def plain(text: str) -> str:
    """`text` (typed by a user, from the data or a remote answer) for st messages: every Markdown character
    escaped and no bare address made a link, so it shows as typed; nothing loads, nothing is clickable."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub("\u2060", " ".join(str(text).split())))


def search_panel(controls: Controls) -> search.Result | None:
    """Search for the sidebar query; returns the port or place to show, if any.

    One clear answer is selected at once; choices are listed with nothing selected until the user picks one.
    """
    if not controls.query:
        return None
    index = search_index()
    for note in index.notes:
        st.sidebar.warning(plain(note))
    try:
        decision = search.decide(index, controls.query, limit=10)
    except InputError as exc:
        st.sidebar.info(plain(str(exc)))
        return None
    if decision.outcome == "none":
        st.sidebar.info(plain(decision.message))
        return None
    if st.session_state.get("search_for") != controls.query:
        st.session_state.pop("search_result", None)  # a new query: forget the previous pick
        st.session_state["search_for"] = controls.query
    labels = {r.id: r.label() for r in decision.results}
    chosen = st.sidebar.selectbox(
        "Result" if decision.answer else "Matches",
        list(labels),
        index=0 if decision.answer else None,
        format_func=labels.get,
        key="search_result",
        placeholder="Pick the one you mean",
    )
    if decision.answer is None:
        st.sidebar.caption(plain(decision.message))
    if chosen is None:
        return None
    result = next(r for r in decision.results if r.id == chosen)
    if controls.countries is not None and result.country not in controls.countries:
        st.info(
            plain(f"{result.name} is in {result.country}, outside the selected countries: add it to see it on the map.")
        )
    shown_in = {"port": "ports", "crossing": "crossings"}.get(result.kind)
    if shown_in and shown_in not in controls.layers:
        st.info(f"Turn on the {get_layer(shown_in).title} layer to see the search result on the map.")
    return result


def map_panel(controls: Controls, found: search.Result | None, routing: RouteQuery | None = None) -> None:
    """The map; panning and zooming do not rerun the script (no values are returned, except the clicked
    point while the route's destination is picked on the map).

    A search result is shown in the region around it, in finer detail than all of Europe; a route is drawn
    over the map, which then fits it.
    """
    if not controls.layers:
        st.info("No layer selected: turn on Ports, Railways or Major roads in the sidebar.")
    document = document_on_map()
    area = areas.area_around(found.lon, found.lat) if found else None
    highlight = found.id if found and found.kind in ("port", "crossing") else None
    if found and found.kind == "place":
        st.caption(
            plain(
                f"Showing the region around {found.name} ({found.country}), a place from "
                f"{found.attribution}; clear the search to see the whole selection."
            )
        )
    elif found:
        st.caption(plain(f"Showing the region around {found.name}; clear the search to see the whole selection."))
    route_key = routing.key() if routing else None
    prepared, notice = prepared_map(
        controls.layers, controls.countries, controls.basemap, controls.show_seed, highlight, document, area, route_key
    )
    if notice:
        st.info(notice)
    empty = [
        get_layer(layer).title
        for layer, count in prepared.counts.items()
        if count == 0 and layer not in prepared.titles
    ]
    if empty:
        st.info(f"Nothing to draw for {', '.join(empty)} in this selection.")
    # A fresh folium map each run: rendering renames its elements, so a rendered map is never reused.
    fig = render.assemble_map(prepared)
    picking = bool(st.session_state.get("route_pick"))
    clicked = st_folium(
        fig,
        height=MAP_HEIGHT_PX,
        use_container_width=True,
        returned_objects=["last_clicked"] if picking else [],
        key="atlas_map_pick" if picking else "atlas_map",
    )
    point = (clicked or {}).get("last_clicked") if picking else None
    if point and st.session_state.get("route_last_click") != point:
        st.session_state["route_last_click"] = point
        st.session_state[ROUTE_PENDING] = ("route_to", f"{point['lat']:.5f},{point['lng']:.5f}")
        st.rerun()


def stats_panel(controls: Controls) -> None:
    """Ports, km of rail and road, and the electrified share, per selected country."""
    st.subheader("Statistics")
    table, caveats = country_table(controls.countries)
    if table.empty:
        st.info("No features in the selected countries.")
        return
    total = table.loc[stats.TOTAL]
    metrics = stats.headlines(total, layer_names())
    columns = st.columns(len(metrics) + 1)
    for column, metric in zip(columns, metrics, strict=False):
        column.metric(metric.label, metric.value, help=metric.help)
    headline = stats.electrification_headline(total)
    columns[-1].metric("Electrified rail", headline.value, help=headline.help)
    if headline.caption:
        st.caption(headline.caption)
    names = country_choices()
    shown = table.rename(index=lambda code: names.get(code, code))
    st.dataframe(
        shown,
        column_config={
            column: st.column_config.NumberColumn(
                statistic.label, help=statistic.help or None, format=STAT_FORMATS[statistic.unit]
            )
            for column, statistic in stats.statistics(layer_names()).items()
        },
    )
    st.caption(
        "Lengths are geodesic kilometres of the embedded snapshot (Natural Earth railways, OpenStreetMap 2021 "
        "major roads; dual carriageways count twice). Rail ferries are counted apart, not as railway. The "
        "electrified share is over the length whose electrification is known, and is given only when at least "
        f"{stats.MIN_KNOWN_SHARE:.0%} of the length is known. {' '.join(caveats)}"
    )


POLICY_ON_MAP = "policy_on_map"  # session key: the document whose features the map shows


def document_on_map() -> str | None:
    """The document whose features the map shows: picked in the policy panel, or from the link (`doc=`)."""
    if POLICY_ON_MAP not in st.session_state:
        wanted = st.query_params.get("doc")
        st.session_state[POLICY_ON_MAP] = wanted if wanted in policies.load_catalogue().documents else None
    return st.session_state[POLICY_ON_MAP]


@st.cache_resource
def entry_ports_table() -> pd.DataFrame:
    return policy_views.entry_ports_frame(load_data()["ports"])


@st.fragment  # filters rerun this panel only; "show on map" reruns the app
@guarded
def policy_panel(controls: Controls) -> None:
    """EU documents that apply to the visible layers and countries, filterable by mode and status."""
    st.subheader("Policy documents")
    if not fragment_allowed():
        return
    if not controls.layers:
        st.caption("Turn on a layer to see the documents that apply to it.")
        return
    documents = policies.documents_for_selection(controls.layers, controls.countries)
    columns = st.columns(2)
    modes = columns[0].multiselect(
        "Mode",
        sorted({mode for doc in documents for mode in doc.modes}),
        format_func=lambda mode: mode.replace("_", " "),
        key="policy_modes",
        placeholder="All modes",
    )
    statuses = columns[1].multiselect(
        "Status",
        list(policies.STATUS_LABELS),
        format_func=policies.STATUS_LABELS.get,
        key="policy_status",
        placeholder="Any status",
    )
    shown = policy_views.filter_documents(documents, modes or None, statuses or None)
    where = ", ".join(controls.countries) if controls.countries else "Europe"
    st.caption(
        f"{len(shown)} of {len(documents)} documents may apply to the visible layers in {where}, most relevant first."
    )
    st.dataframe(
        policy_views.documents_frame(shown),
        hide_index=True,
        key="policy_table",
        column_config={
            "id": None,
            "official text": st.column_config.LinkColumn("Official text", display_text="open"),
            "address not verified": st.column_config.LinkColumn("Address not verified", display_text="open"),
        },
    )
    titles = {doc.id: doc.short_title for doc in shown}
    current = st.session_state.get(POLICY_ON_MAP)
    chosen = st.selectbox(
        "Show on map what a document applies to",
        [None, *titles],
        index=[None, *titles].index(current) if current in titles else 0,
        format_func=lambda doc_id: "(all features)" if doc_id is None else titles[doc_id],
        key="policy_document",
    )
    if chosen != current:
        st.session_state[POLICY_ON_MAP] = chosen
        if chosen:
            st.query_params["doc"] = chosen
        elif "doc" in st.query_params:
            del st.query_params["doc"]
        st.rerun()
    st.caption(
        f"Sources: {policies.load_catalogue().info.provenance.reference}. Facts the reference could not "
        "verify are marked. In a feature's popup, 'applies: ... by country' means only its country was matched, "
        "not that very feature; the web address is named apart (official text, address not verified, or none)."
    )


@st.cache_resource
def about_tables(layer: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(attributes, sources) of a layer: what each attribute means, and where the data comes from and how old it is."""
    attributes = pd.DataFrame(get_layer(layer).describe()["attributes"])
    return attributes, export.sources_frame(load_data()[layer], layer)


def about_panel(controls: Controls) -> None:
    """What each visible layer's attributes mean, where they come from and how old they are."""
    for layer in controls.layers:
        with st.expander(f"About the data: {get_layer(layer).title}"):
            attributes, sources = about_tables(layer)
            st.caption(get_layer(layer).description)
            st.dataframe(sources, hide_index=True, key=f"about_sources_{layer}")
            st.dataframe(attributes, hide_index=True, key=f"about_attributes_{layer}")


def corridors_panel() -> None:
    """The nine 2024 European Transport Corridors and the entry ports of the public debate."""
    with st.expander("The nine 2024 European Transport Corridors"):
        st.caption(policies.load_catalogue().info.provenance.corridors_note)
        st.dataframe(policy_views.corridors_frame(), hide_index=True, key="corridors_table")
    with st.expander("Entry ports of the public debate: corridors and documents"):
        st.caption("The same ports as the 'Debate entry ports' map overlay.")
        st.dataframe(entry_ports_table(), hide_index=True, key="entry_ports_table")


@st.fragment  # its widgets rerun this panel only, not the map (issue 6)
@guarded
def osm_detail_panel(controls: Controls) -> None:
    """Load detailed OpenStreetMap data for one country or a bbox (local mode), and the age of stored detail."""
    st.subheader("Detailed OpenStreetMap data")
    if not fragment_allowed():
        return
    if "osm_fetch_message" in st.session_state:
        level, text = st.session_state.pop("osm_fetch_message")
        getattr(st, level)(plain(text))
    if settings.MODE == "hosted":
        st.caption(
            "Loading live OpenStreetMap data is disabled on the hosted dashboard; the operator refreshes it "
            "on a schedule."
        )
    else:
        one_country = controls.countries[0] if controls.countries and len(controls.countries) == 1 else None
        columns = st.columns([1, 2])
        layer = columns[0].selectbox(
            "Layer", osm_layer_names(), format_func=lambda name: get_layer(name).title, key="osm_layer"
        )
        bbox = columns[1].text_input(
            "Area: W,S,E,N in degrees" + (f" (empty: all of {one_country})" if one_country else ""),
            key="osm_bbox",
            max_chars=MAX_BBOX_CHARS,
            placeholder="e.g. 15.3,47.9,16.0,48.4",
        )
        if st.button("Load detailed OpenStreetMap data for this area", key="osm_fetch"):
            bar = st.progress(0.0, text="Asking the Overpass API ...")

            def progress(done: int, total: int | None, message: str) -> None:
                bar.progress(done / total if total else 0.0, text=message)

            try:
                result = usecases.fetch_detail(
                    layer, bbox=bbox.strip() or None, country=None if bbox.strip() else one_country, progress=progress
                )
            except AtlasError as exc:
                st.error(plain(str(exc)) if bbox.strip() or one_country else "Pick one country or type a bbox W,S,E,N.")
            else:
                level = "success" if result.ok else ("warning" if result.origin == "stored" else "error")
                st.session_state["osm_fetch_message"] = (level, result.message)
                st.cache_resource.clear()  # the map and statistics now include the new detail
                st.rerun()
    stored_panel()


def _age(timestamp: str | None) -> str:
    """How long ago an ISO 8601 UTC time was, in words ("3 hours ago"); "at an unknown time" if unreadable."""
    seconds = usecases.seconds_since(timestamp)
    if seconds is None:
        return "at an unknown time"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def stored_panel() -> None:
    """Each stored area with its age: when it was refreshed (hosted) or retrieved (local), and any problem."""
    try:
        status = usecases.stored_status()
    except StoreError as exc:
        log.warning("stored status: %s", exc)
        st.warning("The stored OpenStreetMap detail cannot be reached just now; the map shows the embedded data.")
        return
    if not status:
        st.caption("No detailed OpenStreetMap data stored yet.")
    for row in status:
        where = f"{row['layer']} · {row['area']}"
        if row["error"]:
            st.warning(
                plain(f"{where} cannot be read ({row['error']}); {store.repair_hint(bool(row['refreshed_at']))}.")
            )
            continue
        line = f"{where} · {row['features']:,} features · "
        if row["refreshed_at"]:
            line += f"refreshed {_age(row['refreshed_at'])} (OpenStreetMap data of {str(row['retrieved_at'])[:10]})"
        else:
            line += f"{row['source']} · retrieved {_age(row['retrieved_at'])}"
        if row["stale"]:
            advice = "the next refresh updates it" if row["refreshed_at"] else "consider loading it again"
            st.warning(plain(f"{line}: older than {settings.STALE_AFTER_DAYS} days, {advice}."))
        else:
            st.caption(plain(line))


@st.cache_resource(max_entries=64, show_spinner="Estimating file sizes ...")
def download_offer(
    layers: tuple[str, ...], bundle: bool, fmt: str, selection: export.Selection, limit: int | None
) -> export.Download:
    """One download button (one layer, or a bundle of layers): sized once per selection and format."""
    return usecases.download(load_data(), layers, fmt, selection, bundle=bundle, max_features=limit)


@st.fragment
@guarded
def download_panel(controls: Controls) -> None:
    """Download buttons for each visible layer and a bundle, at full detail, in the picked format.

    The file is built only when its button is clicked. Stable keys for tests: export_format,
    export_bbox, download_<layer>, download_bundle. On the hosted dashboard, pricing a new selection or
    format and building each file count against the visitor's allowance.
    """
    st.subheader("Download")
    if not fragment_allowed():
        return
    if not controls.layers:
        st.caption("Turn on a layer to download it.")
        return
    columns = st.columns([1, 2])
    fmt = columns[0].selectbox(
        "Format", list(export.FORMATS), format_func=lambda key: export.FORMATS[key].label, key="export_format"
    )
    bbox_text = columns[1].text_input(
        "Clip to W,S,E,N in degrees (optional)",
        key="export_bbox",
        placeholder="e.g. 14.1,49.0,24.2,54.9",
        max_chars=MAX_BBOX_CHARS,
    )
    try:
        bbox = areas.parse_bbox(bbox_text) if bbox_text.strip() else None
    except InputError as exc:
        st.error(plain(str(exc)))
        return
    selection = export.Selection(countries=controls.countries or (), bbox=bbox)
    if settings.MODE == "hosted":
        priced = (controls.layers, fmt, selection)
        if st.session_state.get("priced_downloads") != priced:
            refused = charge("export")
            if refused is not None:
                st.warning(limit_notice(refused))
                return
            st.session_state["priced_downloads"] = priced
        wait = visitor_limiter().wait_s(visitor(), ratelimit.cost("download"))
        if wait > 0:
            st.info(
                f"Downloads are paused: this shared dashboard limits how much one visitor can do. Try again in {wait:.0f} s."
            )
            return
    offers = [(layer, get_layer(layer).title, (layer,)) for layer in controls.layers]
    for key, title, layers in [*offers, ("bundle", "bundle with README and licences", controls.layers)]:
        try:
            offer = download_offer(layers, key == "bundle", fmt, selection, export.export_limit())
        except export.ExportError as exc:
            st.info(plain(f"{title}: {exc}"))
            continue
        st.download_button(
            f"Download {title} · {offer.label}",
            data=charged(offer.build, visitor()) if settings.MODE == "hosted" else offer.build,
            file_name=offer.file_name,
            mime=offer.media_type,
            key=f"download_{key}",
            on_click="ignore",
            icon=":material/download:",
        )
    st.caption(
        "Features crossing the clip box are kept whole. Every feature carries its source, licence and "
        "attribution; OpenStreetMap data is © OpenStreetMap contributors, ODbL 1.0."
    )


@st.cache_resource
def visitor_limiter() -> ratelimit.SlidingWindowLimiter:
    """One limiter for the whole process, so every session of a visitor counts against one allowance."""
    return ratelimit.hosted_limiter()


LAST_CONTROLS = "last_accepted_controls"  # session key: the selection the page last drew
# True while main() draws the whole page: a fragment that runs then is part of that (counted) run.
_FULL_RUN: ContextVar[bool] = ContextVar("full_run", default=False)


def visitor() -> str:
    """Who the rate limit counts: the connection's address, or behind a trusted proxy the forwarded one."""
    return ratelimit.client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))


def charge(action: str) -> ratelimit.RateLimitExceeded | None:
    """On the hosted dashboard, count `action` (settings.HOSTED_COSTS) for this visitor; the refusal if it is over."""
    if settings.MODE != "hosted":
        return None
    try:
        visitor_limiter().check(visitor(), ratelimit.cost(action))
    except ratelimit.RateLimitExceeded as exc:
        return exc
    return None


def charged(build, who: str):
    """`build` (a download's file builder), counted as a download of visitor `who` when it runs (on click, outside
    the script run). Over the limit it raises, and the button says the file could not be made; the panel has
    already said when downloads resume."""

    def run() -> bytes:
        visitor_limiter().check(who, ratelimit.cost("download"))
        return build()

    return run


def limit_notice(refused: ratelimit.RateLimitExceeded) -> str:
    return (
        "This shared dashboard limits how much one visitor can do per minute. You can act again in "
        f"{refused.retry_after_s:.0f} s."
    )


def fragment_allowed() -> bool:
    """In a panel that reruns alone: count the rerun; False (and a notice saying when) for a limited visitor, who
    keeps the rest of the page. A panel drawn as part of the whole page is counted with it."""
    if _FULL_RUN.get():
        return True
    refused = charge("fragment")
    if refused is None:
        return True
    st.warning(limit_notice(refused))
    return False


def hosted_limit() -> ratelimit.RateLimitExceeded | None:
    """On the hosted dashboard, count this run against the visitor's allowance; the refusal if it is used up."""
    return charge("rerun")


def accepted_controls(controls: Controls, refused: ratelimit.RateLimitExceeded | None) -> tuple[Controls, bool]:
    """The selection to draw: the new one, or, for a visitor over the limit, the one the page last drew.

    A limited visitor keeps the page (drawn from the shared caches) and is told when the change applies.
    """
    if refused is None:
        st.session_state[LAST_CONTROLS] = controls
        return controls, False
    st.warning(
        f"{limit_notice(refused)} Your last change will apply if you repeat it then; until then the page shows "
        "your previous selection."
    )
    return st.session_state.get(LAST_CONTROLS, Controls(layer_names(), None, "outlines", False, "")), True


@st.cache_data(ttl=settings.STORE_CHECK_S, show_spinner=False)
def store_generation() -> str:
    """The generation the store serves now (read at most every `settings.STORE_CHECK_S` seconds); "" for a store
    refresh never wrote, "unreachable" when it cannot be read."""
    try:
        return store.current_generation() or ""
    except StoreError as exc:
        log.warning("store generation: %s", exc)
        return "unreachable"


@st.cache_resource
def served_generation() -> dict:
    """The generation this process's data caches hold (one per process)."""
    return {}


def follow_store() -> None:
    """When a refresh has published a new generation (here or by another machine), drop the caches built from
    the old one, so the page shows the new data; the rate limits are kept."""
    current, served = store_generation(), served_generation()
    if served.get("id", current) != current:
        for cached in (load_data, search_index, prepared_map, country_table, entry_ports_table, about_tables):
            cached.clear()
        download_offer.clear()
    served["id"] = current


def problems_panel(problems: list[str]) -> None:
    for problem in problems:
        st.warning(plain(f"Stored data left out: {problem}"))


@guarded
def main() -> None:
    # "auto": the sidebar is open on a wide screen and closed on a phone, where it would cover the map.
    st.set_page_config(
        page_title="Corridor Atlas", page_icon=":world_map:", layout="wide", initial_sidebar_state="auto"
    )
    st.html(f"<style>{PAGE_CSS}</style>")
    st.html(
        '<h1 class="ca-title"><strong>Corridor Atlas</strong><span>Europe\'s ports, railways and major roads from '
        "open data, with the EU rules that govern them.</span></h1>"
        f'<div class="ca-small-window" role="status">{SMALL_WINDOW_NOTICE}</div>'
    )
    refused = hosted_limit()
    follow_store()
    try:
        data = load_data()
        load_outlines()
        load_seed()
        prepare_tiles()
    except store.DatasetError as exc:
        if settings.MODE == "hosted":
            log.error("map data unreadable: %s", exc)
            st.error("The map data cannot be read just now. The dashboard's operator has been told in the server log.")
        else:
            st.error(plain(f"The map data cannot be read: {exc}") + f"\n\nRebuild it with `{store.BUILD_COMMAND}`.")
        st.stop()
    problems_panel(data.problems)
    controls = sidebar()
    sync_url(controls)
    routing = route_controls()
    sync_route_url(routing)
    controls, limited = accepted_controls(controls, refused)
    found = search_panel(controls)
    map_panel(controls, found, routing)
    route_panel(routing)
    stats_panel(controls)
    policy_panel(controls)
    corridors_panel()
    about_panel(controls)
    if limited:
        st.caption("Downloads are paused for a moment: this shared dashboard limits how fast one visitor can act.")
    else:
        download_panel(controls)
    osm_detail_panel(controls)


def run_page() -> None:
    """The whole page; the panels that rerun alone afterwards know they are not part of it (`fragment_allowed`)."""
    token = _FULL_RUN.set(True)
    try:
        main()
    finally:
        _FULL_RUN.reset(token)


run_page()
