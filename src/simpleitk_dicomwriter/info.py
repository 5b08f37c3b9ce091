"""Describing a DICOM series directory: what it holds and what is wrong with it.

:func:`describe_series` reads every header of a directory once and reports the
identifiers, the geometry and values as a reader sees them (through
:func:`~simpleitk_dicomwriter.read_series`), and the inconsistencies that make
viewers stack a series wrongly: several series in one directory, duplicate or
unevenly spaced slice positions, differing image sizes or orientations, and
files that are not DICOM. :func:`list_elements` dumps one file's elements.
This module backs the ``dicomwriter info`` command.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataelem import DataElement
from pydicom.multival import MultiValue
from pydicom.uid import UID

from .dicom.elements import element_text, label
from .errors import InputError
from .readers.headers import scan_headers
from .readers.series import read_series

__all__ = ["SeriesInfo", "TagLine", "describe_series", "format_info", "list_elements"]

_POSITION_TOL = 1e-3  # mm: far above DS rounding, far below any real slice spacing
_ORIENTATION_TOL = 1e-4
_MAX_VALUE_CHARS = 64


@dataclass
class SeriesInfo:
    """What a series directory holds.

    Attributes
    ----------
    directory : str
        The directory described.
    files : int
        Number of DICOM files in it.
    slices : int
        Number of slices of the series as read back (0 when unreadable).
    modality, sop_class_uid, sop_class_name : str or None
        From the first file of the series; the name is pydicom's.
    transfer_syntax_uid, transfer_syntax_name : str or None
        (0002,0010) of the series' files; the UID is None when they differ
        (the name then lists them).
    size : tuple of int or None
        (columns, rows, slices) as read back.
    spacing, origin : tuple of float or None
        In SimpleITK's (x, y, z) order, millimetres, LPS patient space.
    direction : tuple of float or None
        The 3x3 direction matrix, row-major, as SimpleITK gives it.
    rescale_slope, rescale_intercept : float or None
        From the first file.
    value_range : tuple of float or None
        (minimum, maximum) real (rescaled) value of the series.
    patient_name, patient_id, study_instance_uid, series_description : str or None
        From the first file.
    series_instance_uids : list of str
        Every Series Instance UID found; the first is the one described.
    problems : list of str
        One line per inconsistency; empty when the directory is one clean series.
    first_file : str or None
        The file (first in name order of the described series) that the
        header values come from.
    """

    directory: str
    files: int = 0
    slices: int = 0
    modality: str | None = None
    sop_class_uid: str | None = None
    sop_class_name: str | None = None
    transfer_syntax_uid: str | None = None
    transfer_syntax_name: str | None = None
    size: tuple[int, ...] | None = None
    spacing: tuple[float, ...] | None = None
    origin: tuple[float, ...] | None = None
    direction: tuple[float, ...] | None = None
    rescale_slope: float | None = None
    rescale_intercept: float | None = None
    value_range: tuple[float, float] | None = None
    patient_name: str | None = None
    patient_id: str | None = None
    study_instance_uid: str | None = None
    series_instance_uids: list[str] = field(default_factory=list)
    series_description: str | None = None
    problems: list[str] = field(default_factory=list)
    first_file: str | None = None

    @property
    def ok(self) -> bool:
        """True when no inconsistency was found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (tuples become lists)."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class TagLine:
    """One data element of a file, as text.

    Attributes
    ----------
    tag : str
        ``(gggg,eeee)``.
    keyword : str
        The DICOM keyword; ``Private`` or ``Unknown`` when it has none.
    vr : str
        The value representation.
    value : str
        The value, multiple values joined by a backslash, truncated when long.
    depth : int
        Nesting level inside sequences (0 for the top level).
    """

    tag: str
    keyword: str
    vr: str
    value: str
    depth: int = 0

    def __str__(self) -> str:
        return f"{'  ' * self.depth}{self.tag} {self.keyword} {self.vr} {self.value}".rstrip()


def _text(element: DataElement) -> str:
    value = element.value
    if element.tag == 0x7FE00010 or isinstance(value, bytes | bytearray):
        size = len(value) if value is not None else 0
        return f"<{size} bytes>"
    if element.VR == "SQ":
        return f"<{len(value)} item(s)>"
    text = element_text(element).replace("\n", " ").replace("\r", " ")
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _walk(dataset: pydicom.Dataset, depth: int) -> Iterator[TagLine]:
    for element in dataset:
        keyword = element.keyword or ("Private" if element.tag.is_private else "Unknown")
        tag = f"({element.tag.group:04X},{element.tag.element:04X})"
        yield TagLine(tag, keyword, element.VR, _text(element), depth)
        if element.VR == "SQ":
            for item in element.value:
                yield from _walk(item, depth + 1)


def list_elements(path: str | os.PathLike[str]) -> list[TagLine]:
    """Every element of one DICOM file, file meta information first.

    Sequence items follow their sequence with ``depth`` one higher; the
    value of (7FE0,0010) PixelData is shown as its length only.

    Raises
    ------
    InputError
        When the file cannot be read as DICOM.
    """
    try:
        dataset = pydicom.dcmread(path)
    except Exception as error:  # pydicom raises many types for a bad file
        raise InputError(f"{path}: not a readable DICOM file ({error})") from None
    return [*_walk(dataset.file_meta, 0), *_walk(dataset, 0)]


def _floats(header: pydicom.Dataset, keyword: str) -> list[float] | None:
    value = header.get(keyword)
    if value is None or value == "":
        return None
    try:
        values = [float(v) for v in (value if isinstance(value, MultiValue) else [value])]
    except (TypeError, ValueError):
        return None
    return values if all(math.isfinite(v) for v in values) else None


def _check_sizes(headers: dict[Path, pydicom.Dataset], problems: list[str]) -> None:
    sizes = Counter(f"{h.get('Columns', '?')}x{h.get('Rows', '?')}" for h in headers.values())
    if len(sizes) > 1:
        found = ", ".join(f"{size} ({n} files)" for size, n in sizes.most_common())
        problems.append(f"{label('Columns')} x {label('Rows')} differ across files: {found}")


def _check_positions(headers: dict[Path, pydicom.Dataset], problems: list[str]) -> None:
    """Duplicate positions and uneven spacing along the slice normal."""
    orientations = [_floats(h, "ImageOrientationPatient") for h in headers.values()]
    known = [o for o in orientations if o is not None and len(o) == 6]
    if not known:
        return
    reference = np.array(known[0])
    if len(known) < len(orientations) or any(
        not np.allclose(o, reference, atol=_ORIENTATION_TOL) for o in known
    ):
        problems.append(f"{label('ImageOrientationPatient')} differs across files")
        return
    normal = np.cross(reference[:3], reference[3:])
    placed: list[tuple[float, str]] = []
    for path, header in headers.items():
        position = _floats(header, "ImagePositionPatient")
        if position is None or len(position) != 3:
            problems.append(f"{path.name}: no valid {label('ImagePositionPatient')}")
            continue
        placed.append((float(np.dot(position, normal)), path.name))
    placed.sort()
    duplicates = [(a[1], b[1]) for a, b in pairwise(placed) if b[0] - a[0] < _POSITION_TOL]
    if duplicates:
        example = " and ".join(duplicates[0])
        problems.append(
            f"{len(duplicates)} duplicate slice position(s) in "
            f"{label('ImagePositionPatient')}, e.g. {example}"
        )
    steps = [(b[0] - a[0], a[1], b[1]) for a, b in pairwise(placed)]
    steps = [s for s in steps if s[0] >= _POSITION_TOL]
    if len(steps) > 1:
        low = min(s[0] for s in steps)
        widest = max(steps)
        if widest[0] - low > max(_POSITION_TOL, 1e-4 * low):
            problems.append(
                f"uneven slice spacing along the normal: {low:.6g} to {widest[0]:.6g} mm "
                f"(gap between {widest[1]} and {widest[2]}; a missing slice?)"
            )


def _str(header: pydicom.Dataset, keyword: str) -> str | None:
    value = header.get(keyword)
    return None if value is None else str(value)


def _float(header: pydicom.Dataset, keyword: str) -> float | None:
    values = _floats(header, keyword)
    return values[0] if values else None


def _read_back(directory: Path, info: SeriesInfo) -> None:
    """Geometry and value range as SimpleITK reads the described series."""
    # ITK would also print its own warning about gaps to stderr; they are reported above.
    warnings = sitk.ProcessObject.GetGlobalWarningDisplay()
    sitk.ProcessObject.SetGlobalWarningDisplay(False)
    try:
        image = read_series(directory, series_instance_uid=info.series_instance_uids[0])
    except InputError as error:
        info.problems.append(f"the series cannot be read back: {error}")
        return
    finally:
        sitk.ProcessObject.SetGlobalWarningDisplay(warnings)
    size = image.GetSize()
    pad = 3 - len(size)
    info.size = (*size, *([1] * pad))
    info.slices = info.size[2]
    info.spacing = (*image.GetSpacing(), *([1.0] * pad))
    info.origin = (*image.GetOrigin(), *([0.0] * pad))
    direction = np.eye(3)
    dim = image.GetDimension()
    direction[:dim, :dim] = np.array(image.GetDirection()).reshape(dim, dim)
    info.direction = tuple(float(v) for v in direction.ravel())
    extrema = sitk.MinimumMaximumImageFilter()
    extrema.Execute(image)
    info.value_range = (float(extrema.GetMinimum()), float(extrema.GetMaximum()))


def describe_series(
    series_dir: str | os.PathLike[str], *, series_instance_uid: str | None = None
) -> SeriesInfo:
    """Describe the DICOM series in a directory and list its inconsistencies.

    Parameters
    ----------
    series_dir : path
        Directory holding one series (subdirectories and hidden files are ignored).
    series_instance_uid : str, optional
        The series to describe when the directory holds several.

    Returns
    -------
    SeriesInfo
        When the directory holds several series, the chosen one (by default
        the one with the most files) is described and the others are reported
        as a problem.

    Raises
    ------
    InputError
        When ``series_dir`` is not a directory or holds no DICOM file.
    """
    directory = Path(series_dir)
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    scan = scan_headers(directory)
    headers, others = scan.headers, list(scan.others)
    if not headers:
        raise InputError(f"{directory} holds no DICOM file")
    info = SeriesInfo(directory=str(directory), files=len(headers))
    series = Counter(str(h.get("SeriesInstanceUID", "")) for h in headers.values())
    info.series_instance_uids = [uid for uid, _ in series.most_common()]
    if series_instance_uid is not None:
        if series_instance_uid not in series:
            raise InputError(f"{directory} holds no series {series_instance_uid!r}")
        info.series_instance_uids.remove(series_instance_uid)
        info.series_instance_uids.insert(0, series_instance_uid)
    if len(series) > 1:
        found = ", ".join(f"{uid or '<none>'} ({n} files)" for uid, n in series.most_common())
        info.problems.append(
            f"{len(series)} {label('SeriesInstanceUID')} values in one directory: {found}; "
            "the first is described"
        )
    chosen = {
        path: h
        for path, h in headers.items()
        if str(h.get("SeriesInstanceUID", "")) == info.series_instance_uids[0]
    }
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        info.problems.append(f"{len(others)} non-DICOM file(s): {shown}")
    _check_sizes(chosen, info.problems)
    _check_positions(chosen, info.problems)
    first_path, first = next(iter(chosen.items()))
    info.first_file = str(first_path)
    info.modality = _str(first, "Modality")
    info.sop_class_uid = _str(first, "SOPClassUID")
    info.sop_class_name = UID(info.sop_class_uid).name if info.sop_class_uid else None
    syntaxes = sorted({str(h.file_meta.get("TransferSyntaxUID", "")) for h in chosen.values()})
    info.transfer_syntax_uid = syntaxes[0] if len(syntaxes) == 1 and syntaxes[0] else None
    info.transfer_syntax_name = (
        UID(info.transfer_syntax_uid).name if info.transfer_syntax_uid else ", ".join(syntaxes)
    )
    info.rescale_slope = _float(first, "RescaleSlope")
    info.rescale_intercept = _float(first, "RescaleIntercept")
    info.patient_name = _str(first, "PatientName")
    info.patient_id = _str(first, "PatientID")
    info.study_instance_uid = _str(first, "StudyInstanceUID")
    info.series_description = _str(first, "SeriesDescription")
    _read_back(directory, info)
    return info


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.10g}"


def _numbers(values: tuple[float, ...] | None, unit: str = "") -> str:
    if values is None:
        return "?"
    return " x ".join(f"{v:.6g}" for v in values) + unit


def format_info(info: SeriesInfo) -> str:
    """A human-readable, multi-line description of ``info``."""
    rows: list[tuple[str, str]] = [
        ("modality", info.modality or "?"),
        ("SOP class", f"{info.sop_class_name or '?'} ({info.sop_class_uid or '?'})"),
        ("encoding", f"{info.transfer_syntax_name or '?'} ({info.transfer_syntax_uid or 'mixed'})"),
        ("files", f"{info.files} DICOM file(s), {info.slices} slice(s)"),
        ("size", _numbers(info.size) + " (columns x rows x slices)"),
        ("spacing", _numbers(info.spacing, " mm")),
        (
            "origin",
            "?"
            if info.origin is None
            else "(" + ", ".join(f"{v:.6g}" for v in info.origin) + ") mm",
        ),
        (
            "direction",
            "?" if info.direction is None else " ".join(f"{v:.6g}" for v in info.direction),
        ),
        (
            "rescale",
            f"slope {_number(info.rescale_slope)}, intercept {_number(info.rescale_intercept)}",
        ),
        (
            "value range",
            "?"
            if info.value_range is None
            else f"{info.value_range[0]:.6g} to {info.value_range[1]:.6g}",
        ),
        ("patient", f"{info.patient_name or '-'} (ID {info.patient_id or '-'})"),
        ("study UID", info.study_instance_uid or "-"),
        ("series UID", info.series_instance_uids[0] if info.series_instance_uids else "-"),
        ("description", info.series_description or "-"),
    ]
    lines = [info.directory] + [f"  {name:<12} {value}" for name, value in rows]
    if info.problems:
        lines.append(f"  {'problems':<12} {len(info.problems)}")
        lines += [f"    - {problem}" for problem in info.problems]
    else:
        lines.append(f"  {'consistency':<12} ok")
    return "\n".join(lines)
