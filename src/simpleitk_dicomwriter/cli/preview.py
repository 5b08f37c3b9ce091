"""``dicomwriter preview``: a PNG quick look at a series."""

from __future__ import annotations

import argparse
from typing import Any

from ..preview import write_preview
from .inputs import add_number_pair, add_series_option

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Write the preview PNG of ``args.series_dir``; 0 on success."""
    width, height = write_preview(
        args.series_dir,
        args.output,
        args.series_uid,
        window=tuple(args.window) if args.window else None,
        slice_number=args.slice,
        size=args.size,
    )
    print(
        f"wrote {args.output} ({width} x {height} pixels): axial, coronal / sagittal, coronal MIP"
    )
    return 0


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``preview`` command to the sub-parsers ``sub``."""
    preview = sub.add_parser("preview", parents=parents, help="write a PNG quick look")
    preview.add_argument("series_dir", metavar="SERIES_DIR")
    preview.add_argument("output", metavar="OUTPUT.png")
    preview.add_argument(
        "--slice", type=int, metavar="K", help="the axial slice shown, 1 (inferior) to N"
    )
    add_number_pair(
        preview, "--window", ("CENTRE", "WIDTH"),
        "display window (default: the series' own, else the 1st-99th percentile)",
    )  # fmt: skip
    preview.add_argument(
        "--size", type=int, default=320, metavar="PIXELS", help="pixels across each view"
    )
    add_series_option(preview, "SERIES_DIR")
    preview.set_defaults(run=run)
