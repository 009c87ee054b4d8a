"""Command line: `python -m geo COMMAND ...`. Every command calls the same library functions as the app.

Each command is a small function `_cmd_<name>(args) -> int`; errors a user can fix are printed
as one clear line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys

from geo import __version__


class UserError(Exception):
    """An error caused by the command's input; printed without a traceback."""


def _cmd_build_default(args: argparse.Namespace) -> int:
    from geo.build import build_default

    build_default(data_dir=args.data_dir, out_dir=args.out_dir)
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

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UserError, ValueError, LookupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
