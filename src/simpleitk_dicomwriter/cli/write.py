"""``dicomwriter write``: an image file, a .npy array or an example as a DICOM series."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import VerificationError
from ..readers.example import EXAMPLE_PREFIX
from ..sinks.directory import check_output, resolve_output
from ..write import write_series
from . import render
from .inputs import add_geometry_options, geometry_options, load, metadata_value, parse_set

__all__ = ["add_parser", "run"]

_HELP = "write an image as a DICOM series"
_DESCRIPTION = (
    "Write INPUT (NIfTI, NRRD, MetaImage, any SimpleITK file, a DICOM series directory, .npy, "
    f"Interfile .hv, or {EXAMPLE_PREFIX}ct for a built-in 64x64x32 CT phantom) as a DICOM "
    "series in OUTPUT_DIR."
)


def run(args: argparse.Namespace) -> int:
    """Write ``args.input`` to ``args.output_dir``; 0 on success."""
    # Checked before a possibly long read; the writer checks again before it writes.
    check_output(resolve_output(args.output_dir), args.overwrite, hint="--overwrite")
    image, metadata = load(args.input)
    geometry = geometry_options(args, image, "INPUT")
    user: dict[str, Any] = dict(metadata)
    for key, value in args.set:
        user[key] = metadata_value(key, value)
    show_progress = not args.json and sys.stderr.isatty()
    try:
        written = write_series(
            image,
            args.output_dir,
            modality=args.modality,
            metadata=user,
            template=args.template,
            rescale=tuple(args.rescale) if args.rescale else "auto",
            overwrite=args.overwrite,
            verify=not args.no_verify,
            progress=render.progress(sys.stderr, not args.no_verify) if show_progress else None,
            **geometry,
        )
    except VerificationError as error:
        if args.json:
            render.print_json({"error": str(error), "report": error.report.to_dict()})
        raise
    if args.json:
        render.print_json(written.to_dict())
    else:
        print(render.written_text(written))
    return 0


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``write`` command to the sub-parsers ``sub``."""
    write = sub.add_parser("write", parents=parents, help=_HELP, description=_DESCRIPTION)
    write.add_argument("input", metavar="INPUT")
    write.add_argument("output_dir", metavar="OUTPUT_DIR")
    write.add_argument(
        "--modality",
        type=str.upper,
        choices=["CT", "MR", "PT", "OT"],
        default="CT",
        help="storage SOP class to write (default CT)",
    )
    write.add_argument(
        "--template", metavar="PATH", help="DICOM file or series whose study the output joins"
    )
    write.add_argument(
        "--set",
        metavar="KEYWORD=VALUE",
        type=parse_set,
        action="append",
        default=[],
        help="set an element by keyword or gggg|eeee; separate several values with a backslash",
    )
    write.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTPUT_DIR")
    write.add_argument(
        "--no-verify", action="store_true", help="skip re-reading and comparing the written series"
    )
    write.add_argument(
        "--rescale",
        nargs=2,
        type=float,
        metavar=("SLOPE", "INTERCEPT"),
        help="explicit rescale instead of the optimal one",
    )
    write.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    add_geometry_options(write, "INPUT")
    write.set_defaults(run=run)
