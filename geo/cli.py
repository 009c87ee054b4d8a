"""Command line: `python -m geo COMMAND ...`. Every command calls the same library functions as the app.

Each command is a small function `_cmd_<name>(args) -> int`; errors a user can fix are printed
as one clear line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geo import __version__
from geo.layers import layer_names, osm_layer_names


class UserError(Exception):
    """An error caused by the command's input; printed without a traceback."""


def _cmd_build_default(args: argparse.Namespace) -> int:
    from geo.build import build_default

    build_default(data_dir=args.data_dir, out_dir=args.out_dir)
    return 0


def _split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values as one list: ["PL,DE", "CZ"] -> ["PL", "DE", "CZ"]."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _cmd_export(args: argparse.Namespace) -> int:
    from geo import export, store
    from geo.countries import resolve_country
    from geo.select import parse_bbox

    selection = export.Selection(
        countries=tuple(dict.fromkeys(resolve_country(code) for code in _split_values(args.country))),
        bbox=parse_bbox(args.bbox) if args.bbox is not None else None,
    )
    out = None if args.out is None else args.out if args.out == "-" else Path(args.out)
    try:
        result = export.export_layers(
            _split_values(args.layer),
            args.format,
            out,
            selection,
            bundle_format=args.bundle_format,
            with_stored=args.with_stored,
            stdout=sys.stdout.buffer,
            max_features=export.export_limit(),
            overwrite=args.force,
        )
    except store.DatasetError as exc:
        raise UserError(str(exc)) from exc
    report = sys.stderr if out == "-" else sys.stdout
    for problem in result.warnings:
        print(f"warning: {problem}", file=sys.stderr)
    print(result.summary(), file=report)
    return 0


def _find_feature(feature_id: str):
    """The feature `feature_id` from the embedded snapshot or the user's store (a one-row frame)."""
    import geopandas as gpd

    from geo import schema, store

    if not schema.ID_PATTERN.match(feature_id):
        raise UserError(f"feature ids look like 'gisco:NLRTM' or 'osm:way/123', got {feature_id[:80]!r}")
    for layer in layer_names():
        paths = [store.embedded_path(layer)] + [Path(r["path"]) for r in store.stored_areas(layer)]
        for path in paths:
            if path.exists():
                frame = gpd.read_parquet(path, filters=[("id", "==", feature_id)])
                if len(frame):
                    return frame
    raise UserError(f"no feature {feature_id!r} in the embedded data or your store; search by name in the app")


def _cmd_policies(args: argparse.Namespace) -> int:
    import json

    from geo import policy_views, store
    from geo.countries import resolve_country

    if args.feature and (args.layer or args.country):
        raise UserError("--feature lists what applies to one feature; use it without --layer and --country")
    try:
        if args.feature:
            report = policy_views.feature_report(_find_feature(args.feature))
        else:
            countries = [resolve_country(code) for code in _split_values(args.country)] or None
            report = policy_views.selection_report(_split_values(args.layer) or None, countries)
    except store.DatasetError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else policy_views.report_text(report))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    import json

    from geo import search, select, store

    if args.limit < 1:
        raise UserError("--limit must be 1 or more")
    query = search.clean_query(args.query)  # SearchError (a ValueError) says what to type
    try:
        loaded = select.load_layers(("ports", "crossings"))
        index = search.default_index(loaded["ports"], loaded["crossings"])
    except store.DatasetError as exc:
        raise UserError(str(exc)) from exc
    for note in index.notes:
        print(f"warning: {note}", file=sys.stderr)
    decision = search.decide(index, query, limit=args.limit)
    if args.json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    if decision.outcome == "none":
        print(decision.message, file=sys.stderr)
        return 1
    if not args.json:
        print(decision.message)
        for result in decision.results:
            print(("* " if result is decision.answer else "  ") + result.line())
    return 0


def _print_progress(done: int, total: int | None, message: str) -> None:
    """A one-line text progress bar on stderr."""
    if total:
        filled = int(30 * done / total)
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {message[:60]:<60}", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)
    else:
        print(f"\r{message[:90]:<90}", end="", file=sys.stderr, flush=True)


def _report_osm(result) -> None:
    """Print what a fetch or import gave: notes as warnings, then the one-line summary."""
    if result.origin in ("stored", "none"):
        print(file=sys.stderr)  # end the progress line the failed fetch left open
    for note in result.notes:
        print(f"warning: {note}", file=sys.stderr)
    where = f" -> {result.stored_path}" if result.stored_path else ""
    print(f"{result.message}{where}")


def _cmd_fetch_overpass(args: argparse.Namespace) -> int:
    from geo.sources import overpass

    if args.bbox is None and args.country is None:
        raise UserError("give --bbox W,S,E,N (degrees) or --country CC")
    layers = _split_values(args.layer)
    status = 0
    for layer in layers:
        result = overpass.fetch_area(
            layer,
            bbox=args.bbox,
            country=args.country,
            endpoint=args.endpoint,
            store_dir=Path(args.store) if args.store else None,
            progress=_print_progress,
            use_cache=not args.no_cache,
        )
        _report_osm(result)
        status = status or (0 if result.ok else 1)
    return status


def _cmd_fetch_geofabrik(args: argparse.Namespace) -> int:
    from geo.sources import _http, osm_pbf

    try:
        path = osm_pbf.download_region(args.region, args.dest, base_url=args.base_url, progress=_print_progress)
    except _http.FetchError as exc:
        raise UserError(str(exc)) from exc
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB); import it with: python -m geo import {path}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.sources import osm_pbf, overpass

    path = Path(args.file)
    layers = _split_values(args.layer) or list(osm_layer_names())
    if path.name.endswith(".pbf"):
        results = osm_pbf.load(path, tuple(layers), progress=_print_progress)
    elif path.suffix == ".json":
        results = {layer: overpass.load_json(path, layer) for layer in layers}
    else:
        raise UserError(f"{path.name}: import reads .osm.pbf extracts and Overpass .json responses")
    store_dir = Path(args.store) if args.store else None
    for result in results.values():
        if len(result.frame) and not args.dry_run:
            result.stored_path = str(osm_pbf.save(result, store_dir))
        _report_osm(result)
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from geo import render, schema, seed_ports, select, store
    from geo.countries import load_countries, resolve_country

    layers = _split_values(args.layer) or list(layer_names())
    for layer in layers:
        schema.columns(layer)  # SchemaError (a ValueError) names the known layers
    store.check_output(Path(args.out), args.force)
    countries = [resolve_country(name) for name in _split_values(args.country)] or None
    bbox = select.parse_bbox(args.bbox) if args.bbox else None
    try:
        request = render.plan_request(
            select.load_layers(layers),
            layers,
            countries,
            bbox,
            outlines=load_countries(),
            basemap=args.basemap,
            seed_ports=seed_ports.load_seed_ports(),
            show_seed=args.seed,
            highlight=args.highlight,
            assets="cdn",
        )
    except store.DatasetError as exc:
        raise UserError(str(exc)) from exc
    page = render.render_html(request, inline_assets=not args.cdn)
    try:
        store.write_text_atomic(Path(args.out), page)
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}; choose a folder you can write to") from exc
    shown = ", ".join(f"{len(frame):,} {layer}" for layer, frame in request.frames.items())
    print(f"wrote {args.out} ({len(page.encode()) / 1e6:.2f} MB): {shown}")
    if request.notice:
        print(f"note: {request.notice}", file=sys.stderr)
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    import json

    from geo.layers import get_layer, layer_names

    described = [get_layer(name).describe() for name in (_split_values(args.layer) or layer_names())]
    if args.json:
        print(json.dumps(described, ensure_ascii=False, indent=2))
        return 0
    for layer in described:
        print(f"{layer['name']}: {layer['title']} ({layer['geometry']}s). {layer['description']}")
        for attribute in layer["attributes"]:
            print(f"  {attribute['column']:<20} {attribute['label']}: {attribute['meaning']}")
        for source, caveat in layer["caveats"].items():
            print(f"  note on {source}: {caveat}")
    return 0


def _cmd_route(args: argparse.Namespace) -> int:
    import json

    from geo import export, route, store

    options = route.make_options(
        _split_values(args.avoid), _split_values(args.avoid_country), _split_values(args.prefer), args.within
    )
    out = Path(args.out) if args.out else None
    fmt = args.format or (
        next((k for k in export.ROUTE_FORMATS if args.out.endswith(f".{k}")), "geojson") if args.out else None
    )
    if out is not None:
        store.check_output(out, args.force)
    try:
        origin = route.resolve(getattr(args, "from"), role="origin")
        destination = route.resolve(args.to, role="destination")
        found = route.plan(origin, destination, options)
    except store.DatasetError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(found.explanation, ensure_ascii=False, indent=2, default=str))
    else:
        print(route.explanation_text(found.explanation))
    if not found.found:
        return 1
    if out is not None:
        if export.route_zipped(found.stretches, fmt) and out.suffix != ".zip":
            out = out.with_name(out.name + ".zip")  # e.g. route.csv -> route.csv.zip, with the explanation inside
            store.check_output(out, args.force)
        text = route.explanation_text(found.explanation)
        path = export.write_route(found.stretches, found.explanation, text, fmt, out, found.title)
        print(f"wrote {path} ({export.ROUTE_FORMATS[fmt].label})", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo", description="Corridor Atlas: data, policies, maps and exports."
    )
    parser.add_argument("--version", action="version", version=f"corridor-atlas {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build-default", help="build the embedded Europe snapshot in datasets/ from ../shared/data"
    )
    build.add_argument("--data-dir", default=None, help="raw open data folder (default: ../shared/data)")
    build.add_argument("--out-dir", default=None, help="output folder (default: datasets/)")
    build.set_defaults(handler=_cmd_build_default)

    from geo.export import BUNDLE, DEFAULT_BUNDLE_FORMAT, FORMATS

    export = commands.add_parser(
        "export",
        help="write layers, clipped by country or bbox, as GIS files with licence and attribution",
        description="Examples: python -m geo export --layer rail --country PL --format gpkg --out rail_pl.gpkg | "
        "python -m geo export --layer rail --layer roads --format bundle --bbox=-10,35,5,44 | "
        "python -m geo export --layer ports --format geojson --out -",
    )
    export.add_argument(
        "--layer", action="append", required=True, help="ports, rail or roads; repeat or comma-separate for a bundle"
    )
    export.add_argument("--format", default="gpkg", choices=[*FORMATS, BUNDLE], help="file format (default: gpkg)")
    export.add_argument(
        "--bundle-format",
        default=DEFAULT_BUNDLE_FORMAT,
        choices=list(FORMATS),
        help="format of each layer inside a bundle (default: gpkg)",
    )
    export.add_argument("--country", action="append", help="ISO code or name; repeat or comma-separate")
    export.add_argument("--bbox", help="W,S,E,N in degrees (EPSG:4326); write --bbox=-10,35,5,44 when it starts with -")
    export.add_argument(
        "--out", help="file, existing folder, or - for standard output (geojson, csv, kml); default: a named file here"
    )
    export.add_argument("--with-stored", action="store_true", help="add the OSM detail you fetched or imported")
    export.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    export.set_defaults(handler=_cmd_export)

    policy = commands.add_parser(
        "policies",
        help="list the EU documents that apply to layers, countries or one feature",
        description="Examples: python -m geo policies --layer rail --country PL | "
        "python -m geo policies --feature gisco:NLRTM --json",
    )
    policy.add_argument(
        "--layer", action="append", help="ports, rail or roads (default: all); repeat or comma-separate"
    )
    policy.add_argument("--country", action="append", help="ISO code or name; repeat or comma-separate")
    policy.add_argument("--feature", help="a feature id, e.g. gisco:NLRTM; lists what applies to that feature")
    policy.add_argument("--json", action="store_true", help="print JSON instead of text")
    policy.set_defaults(handler=_cmd_policies)

    finder = commands.add_parser(
        "search",
        help="find ports, places and border crossings by name, UN/LOCODE or feature id",
        description="Prints one clear answer (marked *), or the choices when the query is ambiguous or only "
        "close; exit code 1 when nothing matches. Examples: python -m geo search Wien | "
        "python -m geo search NLRTM --json | python -m geo search Frankfurt --limit 5. "
        "Places: GeoNames (geonames.org), CC BY 4.0.",
    )
    finder.add_argument("query", help="a port or place name (any spelling GeoNames knows), a UN/LOCODE or an id")
    finder.add_argument("--json", action="store_true", help="print the decision and the results as JSON")
    finder.add_argument("--limit", type=int, default=10, help="most results to list (default: 10)")
    finder.set_defaults(handler=_cmd_search)

    fetch = commands.add_parser("fetch", help="fetch live OpenStreetMap detail into your store")
    sources = fetch.add_subparsers(dest="source", required=True, metavar="SOURCE")
    over = sources.add_parser(
        "overpass",
        help="fetch a layer for a bbox or a country from an Overpass API endpoint",
        description="Example: python -m geo fetch overpass --layer rail --bbox=15.3,47.9,16.0,48.4",
    )
    over.add_argument("--layer", action="append", required=True, help="ports, rail or roads; repeat or comma-separate")
    over.add_argument("--bbox", help="W,S,E,N in degrees; write --bbox=-10,35,-9,36 when it starts with -")
    over.add_argument("--country", help="ISO code or name: fetch its bbox (with --bbox: their overlap)")
    over.add_argument("--endpoint", help="Overpass API URL (default: $CORRIDOR_ATLAS_OVERPASS_URL or overpass-api.de)")
    over.add_argument("--store", help="store folder (default: store/)")
    over.add_argument("--no-cache", action="store_true", help="ignore cached responses")
    over.set_defaults(handler=_cmd_fetch_overpass)
    geofabrik = sources.add_parser(
        "geofabrik",
        help="download a Geofabrik .osm.pbf extract (resumes an interrupted download)",
        description="Example: python -m geo fetch geofabrik europe/monaco",
    )
    geofabrik.add_argument("region", help="Geofabrik region path, e.g. europe/monaco")
    geofabrik.add_argument("--dest", help="folder for the file (default: store/pbf)")
    geofabrik.add_argument("--base-url", help="mirror URL (default: $CORRIDOR_ATLAS_GEOFABRIK_URL)")
    geofabrik.set_defaults(handler=_cmd_fetch_geofabrik)

    importer = commands.add_parser(
        "import",
        help="import an .osm.pbf extract or a saved Overpass .json response into your store",
        description="Example: python -m geo import monaco-latest.osm.pbf --layer rail --layer ports",
    )
    importer.add_argument("file", help=".osm.pbf or Overpass .json file")
    importer.add_argument(
        "--layer", action="append", help="ports, rail or roads (default: all); repeat or comma-separate"
    )
    importer.add_argument("--store", help="store folder (default: store/)")
    importer.add_argument("--dry-run", action="store_true", help="read and summarise, store nothing")
    importer.set_defaults(handler=_cmd_import)

    layer_list = commands.add_parser(
        "layers",
        help="list the map layers and what each attribute means",
        description="Examples: python -m geo layers | python -m geo layers --layer rail --json",
    )
    layer_list.add_argument(
        "--layer", action="append", help="ports, rail or roads (default: all); repeat or comma-separate"
    )
    layer_list.add_argument("--json", action="store_true", help="print JSON instead of text")
    layer_list.set_defaults(handler=_cmd_layers)

    route = commands.add_parser(
        "route",
        help="route by rail from a port to a place, port, border crossing or point, and explain the route",
        description="Examples: python -m geo route --from NLRTM --to Warsaw | "
        "python -m geo route --from Genoa --to Munich --avoid-country CH --json | "
        "python -m geo route --from Gdansk --to Lviv --out route.gpx. Origins and destinations: a port, a place "
        "(GeoNames), a border crossing (name or id), a UN/LOCODE, or a point lat,lon. Exit code 1 when the data "
        "has no rail link (the reason is printed), 2 for bad input. Roads are not routed.",
    )
    route.add_argument("--from", required=True, help="origin: port, place, crossing, UN/LOCODE or lat,lon")
    route.add_argument("--to", required=True, help="destination: port, place, crossing, UN/LOCODE or lat,lon")
    route.add_argument("--avoid", action="append", help="ferry or non-electrified; repeat or comma-separate")
    route.add_argument("--avoid-country", action="append", help="ISO code or name; repeat or comma-separate")
    route.add_argument("--prefer", action="append", help="multiple-track: known single track counts double")
    route.add_argument("--within", help="EU or NATO: stay within the EU member states or the European NATO members")
    route.add_argument("--json", action="store_true", help="print the explanation as JSON (with the geometry)")
    route.add_argument("--out", help="also write the route to this file, with its explanation (.geojson, .gpx, .csv)")
    route.add_argument("--format", choices=["geojson", "gpx", "csv"], help="format of --out (default: its extension)")
    route.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    route.set_defaults(handler=_cmd_route)

    from geo.render import BASEMAPS

    render = commands.add_parser(
        "render",
        help="write the map as a standalone HTML page (works offline: Leaflet is embedded)",
        description="Examples: python -m geo render --out map.html | "
        "python -m geo render --out pl.html --layer rail,ports --country PL --basemap osm",
    )
    render.add_argument("--out", required=True, help="HTML file to write")
    render.add_argument(
        "--layer", action="append", help="ports, rail or roads (default: all); repeat or comma-separate"
    )
    render.add_argument("--country", action="append", help="ISO code or name; repeat or comma-separate")
    render.add_argument("--bbox", help="W,S,E,N in degrees (EPSG:4326); write --bbox=-10,35,5,44 when it starts with -")
    render.add_argument("--basemap", default="outlines", choices=BASEMAPS, help="initial basemap (default: outlines)")
    render.add_argument("--seed", action="store_true", help="show the debate entry ports")
    render.add_argument("--highlight", help="a feature id to zoom to and open, e.g. gisco:PLGDN")
    render.add_argument("--cdn", action="store_true", help="link Leaflet from its CDN instead of embedding it")
    render.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    render.set_defaults(handler=_cmd_render)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader of standard output stopped early (e.g. `| head`); silence the final flush too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UserError, ValueError, LookupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
