"""The ``dicomwriter`` command line: write, verify, info and preview.

Exit status: 0 success, 1 the series does not verify, 2 bad usage or bad
input. Errors the package anticipates (every :class:`DicomWriterError`, and
``OSError`` for unreadable or unwritable files) are reported as one
``error: ...`` line on stderr; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk
from pydicom.uid import UID

from ._version import __version__
from .errors import DicomWriterError, InputError, OutputError, VerificationError
from .info import describe_series, format_info, list_elements
from .inputs import load_image
from .preview import write_preview
from .tags import resolve
from .verify import VerificationReport, verify_series
from .writer import WrittenSeries, write_series

__all__ = ["example_image", "main"]

_EXAMPLE_PREFIX = "example:"
# Values with a backslash are one value for these VRs (free text, a URL); see tags.py.
_SINGLE_TEXT_VRS = {"LT", "ST", "UT", "UR"}

Image = sitk.Image | npt.NDArray[np.generic]


def _ct_phantom() -> sitk.Image:
    """A 64 x 64 x 32 int16 CT of an elliptical body with lungs, spine and a lesion."""
    z, y, x = np.mgrid[0:32, 0:64, 0:64].astype(np.float64)
    y, x = (y - 31.5) / 32, (x - 31.5) / 32
    # The body narrows towards both ends, so coronal and sagittal views show a shape.
    taper = 1 - 0.35 * ((z - 15.5) / 16) ** 2
    hu = np.full((32, 64, 64), -1000, np.int16)  # air
    hu[(x / (0.9 * taper)) ** 2 + (y / (0.7 * taper)) ** 2 < 1] = 40  # soft tissue
    for side in (-1, 1):
        lung = ((x - side * 0.4) / 0.28) ** 2 + ((y + 0.05) / 0.45) ** 2 + ((z - 18) / 14) ** 2
        hu[lung < 1] = -850  # lungs
    hu[(x**2 + (y - 0.5) ** 2) < 0.1**2] = 700  # spine
    hu[(x + 0.4) ** 2 + (y + 0.1) ** 2 + ((z - 16) / 32) ** 2 < 0.08**2] = 60  # lesion
    image = sitk.GetImageFromArray(hu)
    image.SetSpacing((0.8, 0.8, 2.5))
    image.SetOrigin((-25.2, -25.2, -38.75))  # centred on the origin of patient space
    return image


_EXAMPLES: dict[str, tuple[Callable[[], sitk.Image], dict[str, str]]] = {
    "ct": (
        _ct_phantom,
        {
            "PatientName": "Phantom^Example",
            "PatientID": "EXAMPLE-CT",
            "SeriesDescription": "dicomwriter example CT phantom",
            "StudyDescription": "dicomwriter example",
        },
    ),
}


def example_image(name: str) -> tuple[sitk.Image, dict[str, str]]:
    """A built-in example image and the metadata written with it.

    Parameters
    ----------
    name : str
        ``"ct"``: a 64 x 64 x 32 synthetic CT phantom in Hounsfield units.

    Raises
    ------
    InputError
        For an unknown name.
    """
    if name not in _EXAMPLES:
        known = ", ".join(_EXAMPLE_PREFIX + n for n in _EXAMPLES)
        raise InputError(f"{_EXAMPLE_PREFIX}{name}: no such example image (known: {known})")
    make, metadata = _EXAMPLES[name]
    return make(), dict(metadata)


def _load(text: str) -> tuple[Image, dict[str, str]]:
    """The image named on the command line, and metadata that comes with it."""
    if text.startswith(_EXAMPLE_PREFIX) and not Path(text).exists():
        return example_image(text[len(_EXAMPLE_PREFIX) :])
    return load_image(text), {}


def _parse_set(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEYWORD=VALUE")
    return key.strip(), value


def _metadata_value(key: str, value: str) -> str | list[str]:
    """A command-line value; a backslash separates the values of a multi-valued element."""
    if "\\" not in value:
        return value
    try:
        if resolve(key).vr in _SINGLE_TEXT_VRS:
            return value
    except DicomWriterError:
        pass  # the writer reports the bad key with its own message
    return value.split("\\")


def _geometry(args: argparse.Namespace, image: Image, what: str) -> dict[str, Any]:
    """The --spacing/--origin/--direction options, which only a .npy array needs."""
    given = {
        name: value
        for name in ("spacing", "origin", "direction")
        if (value := getattr(args, name)) is not None
    }
    if given and not isinstance(image, np.ndarray):
        options = ", ".join(f"--{name}" for name in given)
        raise InputError(
            f"{options}: only for a .npy {what}; {getattr(args, what.lower())} has its own geometry"
        )
    direction = given.get("direction")
    if direction is not None and len(direction) not in (4, 9):
        raise InputError(f"--direction takes 9 numbers (3-D) or 4 (2-D), not {len(direction)}")
    return given


def _progress(stream: TextIO, verify: bool) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        stream.write(f"\rwriting slice {done}/{total}")
        if done == total:
            stream.write(", verifying\n" if verify else "\n")
        stream.flush()

    return report


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _written_dict(ws: WrittenSeries) -> dict[str, Any]:
    return {
        "directory": str(ws.directory),
        "files": len(ws.files),
        "study_instance_uid": ws.study_instance_uid,
        "series_instance_uid": ws.series_instance_uid,
        "frame_of_reference_uid": ws.frame_of_reference_uid,
        "sop_class_uid": ws.sop_class_uid,
        "sop_class_name": UID(ws.sop_class_uid).name,
        "rescale_slope": ws.rescale_slope,
        "rescale_intercept": ws.rescale_intercept,
        "max_error": _json_float(ws.max_error),
        "report": ws.report.to_dict() if ws.report is not None else None,
    }


def _written_text(ws: WrittenSeries) -> str:
    if ws.report is None:
        verified = "no (--no-verify)"
    else:
        verified = (
            f"yes: {ws.report.files} files re-read, max abs error {ws.report.max_abs_error:.6g}"
            f" <= tolerance {ws.report.tolerance:.6g}"
        )
    lossless = " (lossless)" if ws.max_error == 0 else ""
    rows = [
        ("SOP class", f"{UID(ws.sop_class_uid).name} ({ws.sop_class_uid})"),
        ("series UID", ws.series_instance_uid),
        ("rescale", f"slope {ws.rescale_slope:.10g}, intercept {ws.rescale_intercept:.10g}"),
        ("max error", f"{ws.max_error:.6g}{lossless}"),
        ("verified", verified),
    ]
    lines = [f"wrote {len(ws.files)} files to {ws.directory}"]
    lines += [f"  {name:<11} {value}" for name, value in rows]
    return "\n".join(lines)


def _report_text(report: VerificationReport, reference: str) -> str:
    if report.ok:
        return (
            f"OK: {report.directory} holds {reference} ({report.files} files, "
            f"max abs error {report.max_abs_error:.6g} <= tolerance {report.tolerance:.6g})"
        )
    lines = [f"FAILED: {report.directory} does not hold {reference}:"]
    lines += [f"  - {problem}" for problem in report.problems]
    return "\n".join(lines)


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2))


def _cmd_write(args: argparse.Namespace) -> int:
    output = Path(args.output_dir)
    # Checked before a possibly long read; the writer checks again before it writes.
    if not args.overwrite and output.is_dir() and any(output.iterdir()):
        raise OutputError(f"{output} is not empty; pass --overwrite to replace it")
    image, metadata = _load(args.input)
    geometry = _geometry(args, image, "INPUT")
    user: dict[str, str | list[str]] = dict(metadata)
    for key, value in args.set:
        user[key] = _metadata_value(key, value)
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
            progress=_progress(sys.stderr, not args.no_verify) if show_progress else None,
            **geometry,
        )
    except VerificationError as error:
        if args.json:
            _print_json({"error": str(error), "report": error.report.to_dict()})
        raise
    if args.json:
        _print_json(_written_dict(written))
    else:
        print(_written_text(written))
    return 0


def _reference(args: argparse.Namespace) -> Image:
    reference = load_image(args.reference)
    geometry = _geometry(args, reference, "REFERENCE")
    if not geometry:
        return reference
    # A .npy reference carries no geometry: build the image the writer would have.
    array = np.asarray(reference)
    image = sitk.GetImageFromArray(array.astype(np.uint8) if array.dtype == bool else array)
    try:
        if "spacing" in geometry:
            image.SetSpacing(geometry["spacing"])
        if "origin" in geometry:
            image.SetOrigin(geometry["origin"])
        if "direction" in geometry:
            image.SetDirection(geometry["direction"])
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "invalid"
        raise InputError(f"{args.reference}: geometry does not fit the array ({reason})") from None
    return image


def _cmd_verify(args: argparse.Namespace) -> int:
    if not Path(args.series_dir).is_dir():
        raise InputError(f"{args.series_dir} is not a directory")
    report = verify_series(args.series_dir, _reference(args), tolerance=args.tolerance)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(_report_text(report, args.reference))
    return 0 if report.ok else 1


def _cmd_info(args: argparse.Namespace) -> int:
    info = describe_series(args.series_dir)
    tags = list_elements(info.first_file) if args.tags and info.first_file else []
    if args.json:
        data = info.to_dict()
        if args.tags:
            data["tags"] = [
                {"tag": t.tag, "keyword": t.keyword, "vr": t.vr, "value": t.value, "depth": t.depth}
                for t in tags
            ]
        _print_json(data)
    else:
        print(format_info(info))
        if args.tags:
            print()
            print("\n".join(str(t) for t in tags))
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    width, height = write_preview(args.series_dir, args.output)
    print(
        f"wrote {args.output} ({width} x {height} pixels): axial, coronal / sagittal, coronal MIP"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    parser = argparse.ArgumentParser(
        prog="dicomwriter",
        description="Write images as DICOM series that every reader reads back correctly, "
        "verified by re-reading them.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    write = sub.add_parser(
        "write",
        parents=[common],
        help="write an image as a DICOM series",
        description="Write INPUT (NIfTI, NRRD, MetaImage, any SimpleITK file, a DICOM series "
        f"directory, .npy, Interfile .hv, or {_EXAMPLE_PREFIX}ct for a built-in 64x64x32 "
        "CT phantom) as a DICOM series in OUTPUT_DIR.",
    )
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
        type=_parse_set,
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
    _geometry_options(write, "INPUT")

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="check that a series holds a reference image",
        description="Exit 0 when SERIES_DIR holds the reference image (values within the "
        "tolerance, same geometry, one series), 1 when it does not.",
    )
    verify.add_argument("series_dir", metavar="SERIES_DIR")
    verify.add_argument("--reference", required=True, metavar="IMAGE")
    verify.add_argument(
        "--tolerance",
        type=float,
        metavar="T",
        help="largest accepted value difference (default: half the series' rescale slope)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    _geometry_options(verify, "IMAGE")

    info = sub.add_parser("info", parents=[common], help="describe a series directory")
    info.add_argument("series_dir", metavar="SERIES_DIR")
    info.add_argument("--json", action="store_true", help="print the description as JSON")
    info.add_argument("--tags", action="store_true", help="list the elements of the first file")

    preview = sub.add_parser("preview", parents=[common], help="write a PNG quick look")
    preview.add_argument("series_dir", metavar="SERIES_DIR")
    preview.add_argument("output", metavar="OUTPUT.png")
    return parser


def _geometry_options(parser: argparse.ArgumentParser, what: str) -> None:
    group = parser.add_argument_group(f"geometry of a .npy {what} (x, y, z order, mm, LPS)")
    group.add_argument(
        "--spacing", nargs="+", type=float, metavar="X", help="voxel size (default 1)"
    )
    group.add_argument(
        "--origin", nargs="+", type=float, metavar="X", help="first voxel's centre (default 0)"
    )
    group.add_argument(
        "--direction",
        nargs="+",
        type=float,
        metavar="D",
        help="9 (3-D) or 4 (2-D) direction cosines, row-major",
    )


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "write": _cmd_write,
    "verify": _cmd_verify,
    "info": _cmd_info,
    "preview": _cmd_preview,
}


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 success, 1 the series does not verify, 2 bad usage or bad input.
    """
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader of stdout went away (``| head``): stop quietly, as Python's docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except VerificationError as error:
        if debug:
            raise
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 1
    except (DicomWriterError, OSError) as error:
        if debug:
            raise
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
