"""Arguments shared by several commands: images, geometry options, ``--set`` values."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from ..dicom.elements import SINGLE_VALUED_VRS, resolve
from ..errors import DicomWriterError, InputError, MetadataError
from ..images import sitk_reason
from ..readers.example import EXAMPLE_PREFIX, example_image
from ..readers.images import load_image
from ..types import ImageInput

__all__ = [
    "add_geometry_options",
    "add_number_pair",
    "add_series_option",
    "geometry_options",
    "load",
    "metadata_file",
    "metadata_value",
    "parse_set",
    "reference_image",
]


def load(text: str, series_uid: str | None = None) -> tuple[ImageInput, dict[str, str]]:
    """The image named on the command line, and metadata that comes with it."""
    if text.startswith(EXAMPLE_PREFIX) and not Path(text).exists():
        return example_image(text[len(EXAMPLE_PREFIX) :])
    return load_image(text, series_uid), {}


def metadata_file(path: str | None) -> dict[str, Any]:
    """``--metadata FILE.json``: a JSON object of keyword -> value."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"--metadata {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MetadataError(f"--metadata {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise MetadataError(f"--metadata {path}: a JSON object (keyword -> value) is needed")
    return data


def parse_set(text: str) -> tuple[str, str]:
    """``KEYWORD=VALUE`` of ``--set``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEYWORD=VALUE")
    return key.strip(), value


def metadata_value(key: str, value: str) -> Any:
    """A command-line value; a backslash separates the values of a multi-valued element,
    and a sequence is given as JSON (a list of objects)."""
    try:
        element = resolve(key, allow_sequence=True)
    except DicomWriterError:
        return value  # the writer reports the bad key with its own message
    if element.vr == "SQ":
        try:
            return json.loads(value)
        except ValueError as error:
            raise MetadataError(
                f'{element}: a sequence is given as JSON, e.g. \'[{{"CodeValue": "1"}}]\' ({error})'
            ) from None
    if "\\" not in value or element.vr in SINGLE_VALUED_VRS:
        return value
    return value.split("\\")


def geometry_options(args: argparse.Namespace, image: ImageInput, what: str) -> dict[str, Any]:
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


def reference_image(args: argparse.Namespace) -> ImageInput:
    """The ``--reference`` image, with the geometry options applied to a .npy array."""
    reference, _ = load(args.reference, args.series_uid)
    geometry = geometry_options(args, reference, "REFERENCE")
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
        raise InputError(
            f"{args.reference}: geometry does not fit the array ({sitk_reason(error)})"
        ) from None
    return image


def add_number_pair(
    parser: argparse.ArgumentParser, flag: str, names: tuple[str, str], text: str
) -> None:
    """Add an option taking two numbers (``--rescale SLOPE INTERCEPT``)."""
    parser.add_argument(flag, nargs=2, type=float, metavar=names, help=text)


def add_series_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add --series-uid, which picks one series of a folder holding several."""
    parser.add_argument(
        "--series-uid",
        metavar="UID",
        help=f"the Series Instance UID to read when {what} holds several series",
    )


def add_geometry_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Add --spacing, --origin and --direction for a .npy ``what``."""
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
