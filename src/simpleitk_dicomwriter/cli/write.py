"""``dicomwriter write``: an image file, a .npy array or an example as a DICOM series."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import SimpleITK as sitk
from pydicom.misc import is_dicom

from ..dicom.syntaxes import DEFAULT, SYNTAXES
from ..errors import InputError
from ..readers.example import EXAMPLE_PREFIX
from ..sinks.directory import check_output, resolve_output
from ..types import ImageInput, TemplateInput
from ..write import write_series
from . import render
from .inputs import (
    add_geometry_options,
    add_number_pair,
    add_series_option,
    geometry_options,
    load,
    metadata_file,
    metadata_value,
    parse_set,
)
from .send import add_send_options, send_and_report

__all__ = ["add_parser", "run"]

_HELP = "write an image as a DICOM series"
_DESCRIPTION = (
    "Write INPUT (NIfTI, NRRD, MetaImage, any SimpleITK file, a DICOM series directory, .npy, "
    f"Interfile .hv, or {EXAMPLE_PREFIX}ct for a built-in 64x64x32 CT phantom) as a DICOM "
    "series in OUTPUT_DIR."
)


def _is_dicom(path: Path) -> bool:
    return path.is_dir() or (path.is_file() and is_dicom(path))


def _template(args: argparse.Namespace, image: ImageInput) -> TemplateInput | None:
    """--template, else a DICOM INPUT itself (the output derives from it), else none."""
    if args.template is not None:
        return str(args.template)
    source = Path(args.input)
    if args.no_template or args.input.startswith(EXAMPLE_PREFIX) or not _is_dicom(source):
        return None
    # A folder of several series: the chosen one, as read (its first file's study).
    if args.series_uid is not None and source.is_dir() and isinstance(image, sitk.Image):
        return image
    return str(source)


def _refuse_own_sources(target: Path, sources: list[object]) -> None:
    """Writing over the folder of the input or the template would destroy it."""
    for source in sources:
        if not isinstance(source, str) or source.startswith(EXAMPLE_PREFIX):
            continue
        path = Path(source).resolve()
        folder = path if path.is_dir() else path.parent
        if target == folder:
            raise InputError(
                f"{target} holds the input or template {source}; writing there would replace "
                "the source it is derived from; choose another OUTPUT_DIR"
            )


def run(args: argparse.Namespace) -> int:
    """Write ``args.input`` to ``args.output_dir``; 0 on success."""
    target = resolve_output(args.output_dir)
    # Checked before a possibly long read; the writer checks again before it writes.
    check_output(target, args.overwrite, hint="--overwrite")
    image, example = load(args.input, args.series_uid)
    template = _template(args, image)
    _refuse_own_sources(target, [args.input, template])
    geometry = geometry_options(args, image, "INPUT")
    # An example's patient and study names describe the phantom, not the template's
    # study it joins: with a template only its description stays.
    user: dict[str, Any] = dict(example)
    if template is not None:
        user = {k: v for k, v in example.items() if k == "SeriesDescription"}
    user.update(metadata_file(args.metadata))
    for key, value in args.set:
        user[key] = metadata_value(key, value)
    show_progress = not args.json and sys.stderr.isatty()
    written = write_series(
        image,
        args.output_dir,
        modality=args.modality,
        metadata=user,
        template=template,
        rescale=tuple(args.rescale) if args.rescale else "auto",
        transfer_syntax=args.transfer_syntax,
        dicomdir=args.dicomdir,
        overwrite=args.overwrite,
        verify=not args.no_verify,
        progress=render.progress(sys.stderr, not args.no_verify) if show_progress else None,
        **geometry,
    )
    if args.send is not None:
        if not args.json:
            print(render.written_text(written))
        args.destination = args.send
        return send_and_report(args, str(written.directory))
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
        "--template",
        metavar="PATH",
        help="DICOM file or series whose study the output joins (default: a DICOM INPUT)",
    )
    write.add_argument(
        "--no-template",
        action="store_true",
        help="a DICOM INPUT is only the pixels: the output starts a study of its own",
    )
    write.add_argument(
        "--metadata",
        metavar="FILE.json",
        help="metadata as a JSON object: keyword -> value, a list for several values, "
        "a list of objects for a sequence (--set wins)",
    )
    add_series_option(write, "INPUT")
    write.add_argument(
        "--set",
        metavar="KEYWORD=VALUE",
        type=parse_set,
        action="append",
        default=[],
        help="set an element by keyword or gggg|eeee; separate several values with a backslash",
    )
    write.add_argument(
        "--transfer-syntax",
        metavar="NAME",
        default=DEFAULT.name,
        help=f"how the files are encoded, all lossless: {', '.join(SYNTAXES)} or a transfer "
        f"syntax UID (default {DEFAULT.name}; the compressed ones need the [codecs] extra)",
    )
    write.add_argument(
        "--dicomdir",
        action="store_true",
        help="write a DICOM file-set for a CD or USB stick: a DICOMDIR at the top of "
        "OUTPUT_DIR and media file IDs (needs a PatientID)",
    )
    write.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTPUT_DIR")
    write.add_argument(
        "--no-verify", action="store_true", help="skip re-reading and comparing the written series"
    )
    add_number_pair(
        write, "--rescale", ("SLOPE", "INTERCEPT"), "explicit rescale instead of the optimal one"
    )
    write.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    write.add_argument(
        "--send", metavar="DESTINATION", help="send the verified series there (see send)"
    )
    add_send_options(write)
    add_geometry_options(write, "INPUT")
    write.set_defaults(run=run)
