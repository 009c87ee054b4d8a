"""Command line: `python -m geo COMMAND ...`. Every command calls the same library functions as the app.

Each command is a small function `_cmd_<name>(args) -> int` that reads its options, calls
`geo.usecases` (or the library function the app calls too) and prints the result. Options shared by
several commands are declared once, as parent parsers. Errors a user can fix (`geo.errors.AtlasError`)
are printed by `main` as one clear line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from geo import __version__
from geo.errors import AtlasError, InputError
from geo.layers import layer_names, osm_layer_names


def _cmd_build_default(args: argparse.Namespace) -> int:
    from geo.build import build_default

    build_default(data_dir=args.data_dir, out_dir=args.out_dir, tiles_dir=args.tiles_dir)
    return 0


def _names(value: str) -> list[str]:
    """One option value, comma-separated, as a list: "PL, DE" -> ["PL", "DE"]."""
    return [part.strip() for part in value.split(",") if part.strip()]


class _LayerList(argparse.Action):
    """--layer, repeated or comma-separated, as one list; an unknown layer stops the command while the
    options are read (`schema.columns` raises SchemaError naming the known layers; `main` prints it)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from geo import schema

        names = _names(values)
        for name in names:
            schema.columns(name)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), *names])


def _cmd_export(args: argparse.Namespace) -> int:
    from geo import export
    from geo.areas import parse_bbox
    from geo.countries import resolve_country

    selection = export.Selection(
        countries=tuple(dict.fromkeys(resolve_country(code) for code in args.country or ())),
        bbox=parse_bbox(args.bbox) if args.bbox is not None else None,
    )
    out = None if args.out is None else args.out if args.out == "-" else Path(args.out)
    result = export.export_layers(
        args.layer,
        args.format,
        out,
        selection,
        bundle_format=args.bundle_format,
        with_stored=args.with_stored,
        stdout=sys.stdout.buffer,
        max_features=export.export_limit(),
        overwrite=args.force,
    )
    report = sys.stderr if out == "-" else sys.stdout
    for problem in result.warnings:
        print(f"warning: {problem}", file=sys.stderr)
    print(result.summary(), file=report)
    return 0


def _cmd_policies(args: argparse.Namespace) -> int:
    import json

    from geo import policy_views, usecases

    if args.feature and (args.layer or args.country):
        raise InputError("--feature lists what applies to one feature; use it without --layer and --country")
    if args.feature:
        report = usecases.feature_policies(args.feature)
    else:
        report = usecases.selection_policies(args.layer, args.country)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else policy_views.report_text(report))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    import json

    from geo import search, select

    if args.limit < 1:
        raise InputError("--limit must be 1 or more")
    query = search.clean_query(args.query)  # SearchError says what to type
    loaded = select.load_layers(("ports", "crossings"))
    index = search.default_index(loaded["ports"], loaded["crossings"])
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


_progress_line = {"open": False}  # whether a progress line waits for its end on stderr


def _print_progress(done: int, total: int | None, message: str) -> None:
    """A one-line text progress bar on stderr."""
    if total:
        filled = int(30 * done / total)
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {message[:60]:<60}", end="", file=sys.stderr, flush=True)
        _progress_line["open"] = done < total
        if done >= total:
            print(file=sys.stderr)
    else:
        print(f"\r{message[:90]:<90}", end="", file=sys.stderr, flush=True)
        _progress_line["open"] = True


def _end_progress_line() -> None:
    """End a progress line left open (a step failed part-way), so what follows starts on its own line."""
    if _progress_line["open"]:
        print(file=sys.stderr)
        _progress_line["open"] = False


def _report_osm(result) -> None:
    """Print what a fetch or import gave: notes as warnings, then the one-line summary."""
    _end_progress_line()  # a failed fetch leaves its progress line open
    for note in result.notes:
        print(f"warning: {note}", file=sys.stderr)
    where = f" -> {result.stored_path}" if result.stored_path else ""
    print(f"{result.message}{where}")


def _cmd_fetch_overpass(args: argparse.Namespace) -> int:
    from geo import usecases

    if args.bbox is None and args.country is None:
        raise InputError("give --bbox W,S,E,N (degrees) or --country CC")
    status = 0
    for layer in args.layer:
        result = usecases.fetch_detail(
            layer,
            bbox=args.bbox,
            country=args.country,
            endpoint=args.endpoint,
            store_dir=args.store or None,
            progress=_print_progress,
            use_cache=not args.no_cache,
        )
        _report_osm(result)
        status = status or (0 if result.ok else 1)
    return status


def _cmd_fetch_geofabrik(args: argparse.Namespace) -> int:
    from geo import usecases

    path = usecases.download_extract(args.region, args.dest, base_url=args.base_url, progress=_print_progress)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB); import it with: python -m geo import {path}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from geo import usecases

    results = usecases.import_file(
        Path(args.file),
        args.layer or list(osm_layer_names()),
        store_dir=args.store or None,
        dry_run=args.dry_run,
        replace=args.replace,
        progress=_print_progress,
    )
    for result in results:
        _report_osm(result)
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from geo import store, usecases

    config = usecases.read_refresh_config(Path(args.config))
    where = args.store or None
    print(f"refreshing {len(config.areas)} areas into {store.location(where).url}", file=sys.stderr)

    def report(row: dict) -> None:
        _end_progress_line()
        print(
            f"{row['area']} · {row['layer']}: {row['features']:,} features in {row['seconds']:.1f} s", file=sys.stderr
        )

    run = usecases.refresh(config, where, progress=_print_progress, report=report)
    _end_progress_line()
    if not run.ok:
        print(f"error: refresh failed at {run.error}; the store keeps serving its last good data", file=sys.stderr)
        return 1
    layers = len(run.steps)
    print(f"refreshed {len(config.areas)} areas ({layers} area layers) as generation {run.generation}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from geo import areas, policies, render, seed_ports, select, snapshot, store, usecases
    from geo.countries import load_countries, resolve_country

    layers = args.layer or list(layer_names())
    if not args.out and not args.png:
        raise InputError("give --out FILE.html, --png FILE.png, or both")
    for out in filter(None, (args.out, args.png)):
        store.check_output(Path(out), args.force)
    size = snapshot.parse_size(args.png_size) if args.png else None
    countries = [resolve_country(name) for name in args.country or ()] or None
    bbox = areas.parse_bbox(args.bbox) if args.bbox else None
    if args.document:
        policies.load_catalogue().document(args.document)  # an unknown id names the command that lists them
    request = usecases.map_request(
        select.load_layers(layers),
        layers,
        countries,
        bbox,
        outlines=load_countries(),
        document=args.document,
        basemap=args.basemap,
        seed_ports=seed_ports.load_seed_ports(),
        show_seed=args.seed,
        highlight=args.highlight,
        assets="cdn",
    )
    shown = ", ".join(f"{len(frame):,} {layer}" for layer, frame in request.frames.items())
    if args.out:
        page = render.render_html(request, inline_assets=not args.cdn)
        try:
            store.write_text_atomic(Path(args.out), page)
        except OSError as exc:
            raise store.unwritable(args.out, exc) from exc
        print(f"wrote {args.out} ({len(page.encode()) / 1e6:.2f} MB): {shown}")
    if args.png:
        # The picture is always taken of a page with Leaflet embedded: it is opened from a file.
        png = snapshot.page_png(render.render_html(request, inline_assets=True), *size)
        try:
            store.atomic_write(Path(args.png), lambda tmp: tmp.write_bytes(png))
        except OSError as exc:
            raise store.unwritable(args.png, exc) from exc
        print(f"wrote {args.png} ({len(png) / 1e3:.0f} kB, {size[0]}x{size[1]}): {shown}")
    if request.notice:
        print(f"note: {request.notice}", file=sys.stderr)
    return 0


def _cmd_build_tiles(args: argparse.Namespace) -> int:
    from geo import tiles

    entry = tiles.build_embedded(Path(args.out_dir) if args.out_dir else None)
    print(f"tiles: {entry['file']} and its popups, recorded in the manifest")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    import json

    from geo.layers import get_layer

    described = [get_layer(name).describe() for name in (args.layer or layer_names())]
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


def _option_parents() -> dict[str, argparse.ArgumentParser]:
    """The options several commands share, each declared once, as parent parsers (`parents=[...]`).

    `--layer` and `--country` may be repeated or comma-separated and arrive as one list.
    """

    def parent(*names: str, **options) -> argparse.ArgumentParser:
        shared = argparse.ArgumentParser(add_help=False)
        shared.add_argument(*names, **options)
        return shared

    layer_list = {"action": _LayerList, "metavar": "LAYER"}
    return {
        "layers": parent("--layer", required=True, help="ports, rail or roads; repeat or comma-separate", **layer_list),
        "layers_or_all": parent(
            "--layer", help="ports, rail or roads (default: all); repeat or comma-separate", **layer_list
        ),
        "countries": parent(
            "--country",
            action="extend",
            type=_names,
            metavar="COUNTRY",
            help="ISO code or name; repeat or comma-separate",
        ),
        "bbox": parent("--bbox", help="W,S,E,N in degrees (EPSG:4326); write --bbox=-10,35,5,44 when it starts with -"),
        "store": parent(
            "--store", help="store folder or s3://bucket/prefix (default: $CORRIDOR_ATLAS_STORE or store/)"
        ),
        "force": parent("--force", action="store_true", help="replace the --out file if it exists"),
        "json": parent("--json", action="store_true", help="print JSON instead of text"),
    }


def _cmd_route(args: argparse.Namespace) -> int:
    import json

    from geo import export, route, store

    options = route.make_options(args.avoid or [], args.avoid_country or [], args.prefer or [], args.within)
    out = Path(args.out) if args.out else None
    fmt = args.format or (
        next((k for k in export.ROUTE_FORMATS if args.out.endswith(f".{k}")), "geojson") if args.out else None
    )
    if out is not None:
        store.check_output(out, args.force)
    origin = route.resolve(getattr(args, "from"), role="origin")
    destination = route.resolve(args.to, role="destination")
    found = route.plan(origin, destination, options)
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
    shared = _option_parents()

    build = commands.add_parser(
        "build-default", help="build the embedded Europe snapshot in datasets/ from ../shared/data"
    )
    build.add_argument("--data-dir", default=None, help="raw open data folder (default: ../shared/data)")
    build.add_argument("--out-dir", default=None, help="output folder (default: datasets/)")
    build.add_argument(
        "--tiles-dir",
        default=None,
        help="vector tiles folder (default: static/tiles, served by the app, for the default --out-dir; else OUT_DIR/tiles)",
    )
    build.set_defaults(handler=_cmd_build_default)

    build_tiles = commands.add_parser(
        "build-tiles",
        help="build the vector tiles of the embedded snapshot (PMTiles) where the app serves them",
        description="Example: python -m geo build-tiles | python -m geo build-tiles --out-dir /srv/tiles",
    )
    build_tiles.add_argument("--out-dir", default=None, help="output folder (default: static/tiles)")
    build_tiles.set_defaults(handler=_cmd_build_tiles)

    from geo.export import BUNDLE, DEFAULT_BUNDLE_FORMAT, FORMATS

    export = commands.add_parser(
        "export",
        parents=[shared["layers"], shared["countries"], shared["bbox"], shared["force"]],
        help="write layers, clipped by country or bbox, as GIS files with licence and attribution",
        description="Examples: python -m geo export --layer rail --country PL --format gpkg --out rail_pl.gpkg | "
        "python -m geo export --layer rail --layer roads --format bundle --bbox=-10,35,5,44 | "
        "python -m geo export --layer ports --format geojson --out -. Several layers need --format bundle.",
    )
    export.add_argument("--format", default="gpkg", choices=[*FORMATS, BUNDLE], help="file format (default: gpkg)")
    export.add_argument(
        "--bundle-format",
        default=DEFAULT_BUNDLE_FORMAT,
        choices=list(FORMATS),
        help="format of each layer inside a bundle (default: gpkg)",
    )
    export.add_argument(
        "--out", help="file, existing folder, or - for standard output (geojson, csv, kml); default: a named file here"
    )
    export.add_argument("--with-stored", action="store_true", help="add the OSM detail you fetched or imported")
    export.set_defaults(handler=_cmd_export)

    policy = commands.add_parser(
        "policies",
        parents=[shared["layers_or_all"], shared["countries"], shared["json"]],
        help="list the EU documents that apply to layers, countries or one feature",
        description="Examples: python -m geo policies --layer rail --country PL | "
        "python -m geo policies --feature gisco:NLRTM --json",
    )
    policy.add_argument("--feature", help="a feature id, e.g. gisco:NLRTM; lists what applies to that feature")
    policy.set_defaults(handler=_cmd_policies)

    finder = commands.add_parser(
        "search",
        parents=[shared["json"]],
        help="find ports, places and border crossings by name, UN/LOCODE or feature id",
        description="Prints one clear answer (marked *), or the choices when the query is ambiguous or only "
        "close; exit code 1 when nothing matches. With --json, the decision and the results. Examples: "
        "python -m geo search Wien | python -m geo search NLRTM --json | python -m geo search Frankfurt --limit 5. "
        "Places: GeoNames (geonames.org), CC BY 4.0.",
    )
    finder.add_argument("query", help="a port or place name (any spelling GeoNames knows), a UN/LOCODE or an id")
    finder.add_argument("--limit", type=int, default=10, help="most results to list (default: 10)")
    finder.set_defaults(handler=_cmd_search)

    fetch = commands.add_parser("fetch", help="fetch live OpenStreetMap detail into your store")
    sources = fetch.add_subparsers(dest="source", required=True, metavar="SOURCE")
    over = sources.add_parser(
        "overpass",
        parents=[shared["layers"], shared["bbox"], shared["store"]],
        help="fetch a layer for a bbox or a country from an Overpass API endpoint",
        description="Example: python -m geo fetch overpass --layer rail --bbox=15.3,47.9,16.0,48.4",
    )
    # One country, not a list: its box is what is fetched.
    over.add_argument("--country", help="ISO code or name: fetch its bbox (with --bbox: their overlap)")
    over.add_argument("--endpoint", help="Overpass API URL (default: $CORRIDOR_ATLAS_OVERPASS_URL or overpass-api.de)")
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
        parents=[shared["layers_or_all"], shared["store"]],
        help="import an .osm.pbf extract or a saved Overpass .json response into your store",
        description="Example: python -m geo import monaco-latest.osm.pbf --layer rail --layer ports",
    )
    importer.add_argument("file", help=".osm.pbf or Overpass .json file")
    importer.add_argument("--dry-run", action="store_true", help="read and summarise, store nothing")
    importer.add_argument(
        "--replace", action="store_true", help="replace an area imported from another file of the same name"
    )
    importer.set_defaults(handler=_cmd_import)

    refresher = commands.add_parser(
        "refresh",
        parents=[shared["store"]],
        help="rebuild a hosted store from a refresh.toml (run from cron or CI)",
        description="Fetches every area and layer of the config from Overpass into a new generation of the "
        "store and publishes it in one step; on any failure the store keeps its last good data and the exit "
        "code is 1. The store may be a folder or s3://bucket/prefix (AWS_* variables). A summary goes to "
        "last-refresh.json in the store. Example: python -m geo refresh --config refresh.toml --store store/",
    )
    refresher.add_argument("--config", required=True, help="TOML file: endpoint (optional) and [[area]] tables")
    refresher.set_defaults(handler=_cmd_refresh)

    layer_list = commands.add_parser(
        "layers",
        help="list the map layers and what each attribute means",
        description="Examples: python -m geo layers | python -m geo layers --layer rail --json",
        parents=[shared["layers_or_all"], shared["json"]],
    )
    layer_list.set_defaults(handler=_cmd_layers)

    route = commands.add_parser(
        "route",
        parents=[shared["json"], shared["force"]],
        help="route by rail from a port to a place, port, border crossing or point, and explain the route",
        description="Examples: python -m geo route --from NLRTM --to Warsaw | "
        "python -m geo route --from Genoa --to Munich --avoid-country CH --json | "
        "python -m geo route --from Gdansk --to Lviv --out route.gpx. Origins and destinations: a port, a place "
        "(GeoNames), a border crossing (name or id), a UN/LOCODE, or a point lat,lon. Exit code 1 when the data "
        "has no rail link (the reason is printed), 2 for bad input. Roads are not routed.",
    )
    route.add_argument("--from", required=True, help="origin: port, place, crossing, UN/LOCODE or lat,lon")
    route.add_argument("--to", required=True, help="destination: port, place, crossing, UN/LOCODE or lat,lon")
    listed = {"action": "extend", "type": _names}
    route.add_argument("--avoid", **listed, help="ferry or non-electrified; repeat or comma-separate")
    route.add_argument("--avoid-country", **listed, help="ISO code or name; repeat or comma-separate")
    route.add_argument("--prefer", **listed, help="multiple-track: known single track counts double")
    route.add_argument("--within", help="EU or NATO: stay within the EU member states or the European NATO members")
    route.add_argument("--out", help="also write the route to this file, with its explanation (.geojson, .gpx, .csv)")
    route.add_argument("--format", choices=["geojson", "gpx", "csv"], help="format of --out (default: its extension)")
    route.set_defaults(handler=_cmd_route)

    from geo.render import BASEMAPS

    render = commands.add_parser(
        "render",
        parents=[shared["layers_or_all"], shared["countries"], shared["bbox"], shared["force"]],
        help="write the map as a standalone HTML page (works offline: Leaflet is embedded) or a PNG picture",
        description="Examples: python -m geo render --out map.html | "
        "python -m geo render --out pl.html --layer rail,ports --country PL --basemap osm | "
        "python -m geo render --png europe.png --png-size 1600x1000",
    )
    render.add_argument("--out", help="HTML file to write")
    render.add_argument(
        "--png",
        help="PNG picture to write, taken by headless Chromium (needs Playwright and Chromium), attribution included",
    )
    render.add_argument("--png-size", default="1400x900", help="picture size WIDTHxHEIGHT in pixels (default 1400x900)")
    render.add_argument("--basemap", default="outlines", choices=BASEMAPS, help="initial basemap (default: outlines)")
    render.add_argument("--seed", action="store_true", help="show the debate entry ports")
    render.add_argument("--highlight", help="a feature id to zoom to and open, e.g. gisco:PLGDN")
    render.add_argument(
        "--document", help="show only what a policy document applies to, e.g. ports-2017 (ids: python -m geo policies)"
    )
    render.add_argument("--cdn", action="store_true", help="link Leaflet from its CDN instead of embedding it")
    render.set_defaults(handler=_cmd_render)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code.

    Errors a user can fix (`AtlasError`, also a bad setting found while the commands load) and OS
    errors (a file that cannot be read or written) are printed as one line, exit code 2.
    """
    # The library logs details for operators of the app (paths, exception types); on the command line the
    # one-line messages below say it all, so only errors are logged (to stderr).
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(name)s: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except BrokenPipeError:
        # The reader of standard output stopped early (e.g. `| head`); silence the final flush too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (AtlasError, OSError) as exc:
        _end_progress_line()
        print(f"error: {exc}", file=sys.stderr)
        return 2
