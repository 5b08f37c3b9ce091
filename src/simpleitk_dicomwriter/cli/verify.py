"""``dicomwriter verify``: does a series directory hold a reference image?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..verify import verify_series
from . import render
from .inputs import add_geometry_options, add_series_option, reference_image

__all__ = ["add_parser", "run"]

_HELP = "check that a series holds a reference image"
_DESCRIPTION = (
    "Exit 0 when SERIES_DIR holds the reference image (values within the tolerance, same "
    "geometry, one series), 1 when it does not."
)


def run(args: argparse.Namespace) -> int:
    """0 when ``args.series_dir`` holds the reference, 1 when it does not."""
    if not Path(args.series_dir).is_dir():
        raise InputError(f"{args.series_dir} is not a directory")
    report = verify_series(args.series_dir, reference_image(args), tolerance=args.tolerance)
    if args.json:
        render.print_json(report.to_dict())
    else:
        print(render.report_text(report, args.reference))
    return 0 if report.ok else 1


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``verify`` command to the sub-parsers ``sub``."""
    verify = sub.add_parser("verify", parents=parents, help=_HELP, description=_DESCRIPTION)
    verify.add_argument("series_dir", metavar="SERIES_DIR")
    verify.add_argument("--reference", required=True, metavar="IMAGE")
    verify.add_argument(
        "--tolerance",
        type=float,
        metavar="T",
        help="largest accepted value difference (default: half the series' rescale slope)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    add_series_option(verify, "the --reference folder")
    add_geometry_options(verify, "IMAGE")
    verify.set_defaults(run=run)
