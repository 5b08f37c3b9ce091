"""``dicomwriter info``: what a series directory holds and what is wrong with it."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from ..info import describe_series, format_info, list_elements
from . import render
from .inputs import add_series_option

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Describe ``args.series_dir``; 0 unless it cannot be read."""
    info = describe_series(args.series_dir, series_instance_uid=args.series_uid)
    tags = list_elements(info.first_file) if args.tags and info.first_file else []
    if args.json:
        data = info.to_dict()
        if args.tags:
            data["tags"] = [asdict(t) for t in tags]
        render.print_json(data)
    else:
        print(format_info(info))
        if args.tags:
            print()
            print("\n".join(str(t) for t in tags))
    return 0


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``info`` command to the sub-parsers ``sub``."""
    info = sub.add_parser("info", parents=parents, help="describe a series directory")
    info.add_argument("series_dir", metavar="SERIES_DIR")
    info.add_argument("--json", action="store_true", help="print the description as JSON")
    info.add_argument("--tags", action="store_true", help="list the elements of the first file")
    add_series_option(info, "SERIES_DIR")
    info.set_defaults(run=run)
