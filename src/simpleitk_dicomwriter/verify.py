"""Verification: re-read a series and compare it with a reference image.

Values and geometry are read back the way users read them, through
``SimpleITK.ImageSeriesReader`` in the file order GDCM sorts them into, and
compared in physical space. Identifiers are checked on every file's header.
The series is read a few slices at a time so that verifying costs little
memory beyond the reference itself.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pydicom.config
import SimpleITK as sitk

from .dicom.consistency import (
    DIRECTION_TOL,
    HEADER_KEYWORDS,
    POSITION_TOL,
    check_files,
    check_values,
)
from .dicom.elements import Element
from .engine import slices
from .errors import InputError
from .images import as_image, sitk_reason
from .pixels.geometry import Geometry
from .readers.headers import scan_headers
from .readers.images import load_image
from .types import ImageInput, PathInput

__all__ = ["VerificationReport", "verify_series"]

# Slices read back at a time, by each of the threads: small enough that two
# chunks decoded to float64 at once stay well under the volume's own size.
_CHUNK = 16
_HEADER_TAGS = [
    "SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID", "FrameOfReferenceUID",
    "InstanceNumber", "SpecificCharacterSet", *HEADER_KEYWORDS,
]  # fmt: skip


@dataclass
class VerificationReport:
    """Outcome of comparing a written series with its reference.

    Attributes
    ----------
    ok : bool
        True when no problem was found.
    problems : list of str
        One human-readable line per mismatch; empty when ``ok``.
    max_abs_error : float
        Largest absolute difference between reference and read-back values.
    tolerance : float
        The value tolerance that was applied.
    files : int
        Number of files in the series directory.
    series_instance_uid : str or None
        The Series Instance UID found (the first, if several).
    directory : str
        The directory that was verified.
    """

    ok: bool
    problems: list[str] = field(default_factory=list)
    max_abs_error: float = 0.0
    tolerance: float = 0.0
    files: int = 0
    series_instance_uid: str | None = None
    directory: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        data = asdict(self)
        if not math.isfinite(data["max_abs_error"]):
            data["max_abs_error"] = None
        return data


def _canonical(
    voxels: npt.NDArray[np.generic], geometry: Geometry
) -> tuple[npt.NDArray[np.generic], Geometry]:
    """The right-handed equivalent of a left-handed volume (slices reversed).

    DICOM readers stack slices along row x column, so a left-handed input
    comes back with that normal and its slices in the opposite order; it is
    the same image in physical space.
    """
    if voxels.ndim == 2 or np.linalg.det(geometry.direction) > 0:
        return voxels, geometry
    direction = geometry.direction.copy()
    direction[:, 2] *= -1
    last = geometry.size[2] - 1
    flipped = Geometry(geometry.size, geometry.spacing, geometry.position(last), direction)
    return voxels[::-1], flipped


def _check_identifiers(headers: list[pydicom.Dataset], problems: list[str]) -> str | None:
    series = sorted({str(h.get("SeriesInstanceUID", "")) for h in headers})
    if len(series) > 1:
        problems.append(f"{len(series)} Series Instance UIDs in one directory: {series}")
    for keyword in ("StudyInstanceUID", "FrameOfReferenceUID"):
        values = {str(h.get(keyword, "")) for h in headers}
        if len(values) > 1:
            problems.append(f"{len(values)} different {keyword} values across the files")
    sop = [str(h.get("SOPInstanceUID", "")) for h in headers]
    if len(set(sop)) != len(sop):
        problems.append(f"{len(sop) - len(set(sop))} duplicate SOP Instance UID(s)")
    for uid in {*sop, *series}:
        if not uid or len(uid) > 64:
            problems.append(f"invalid UID {uid!r} (empty or longer than 64 characters)")
    return series[0] if series else None


def _one_row_stack(files: list[str]) -> sitk.Image:
    """Slices of one row, read one by one.

    ImageSeriesReader takes a 1-row slice for a 1-D image and stacks the
    files along y; reading each file keeps the geometry the files state.
    """
    planes = [sitk.ReadImage(f) for f in files]
    array = np.concatenate([sitk.GetArrayViewFromImage(p) for p in planes])
    stack = sitk.GetImageFromArray(array)
    first = planes[0]
    step = first.GetSpacing()[2]
    if len(planes) > 1:
        normal = np.array(first.GetDirection()).reshape(3, 3)[:, 2]
        step = float(np.dot(np.subtract(planes[1].GetOrigin(), first.GetOrigin()), normal))
    stack.SetSpacing((*first.GetSpacing()[:2], abs(step) or 1.0))
    stack.SetOrigin(first.GetOrigin())
    stack.SetDirection(first.GetDirection())
    return stack


def _read_chunk(files: list[str], rows: int) -> sitk.Image:
    if rows == 1:
        return _one_row_stack(files)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    image: sitk.Image = reader.Execute()
    return image


def _close(a: npt.ArrayLike, b: npt.ArrayLike, tol: float) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol))


def _max_difference(values: npt.NDArray[np.generic], expected: npt.NDArray[np.generic]) -> float:
    """Largest absolute difference, without float copies when integers match exactly."""
    integers = np.issubdtype(values.dtype, np.integer) and np.issubdtype(expected.dtype, np.integer)
    if (integers or values.dtype == expected.dtype) and np.array_equal(values, expected):
        return 0.0
    difference = np.subtract(values, expected, dtype=np.float64)
    return float(np.max(np.abs(difference, out=difference)))


def _compare_values(
    files: list[str],
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    tolerance: float,
    problems: list[str],
) -> float:
    voxels = voxels.reshape(-1, *voxels.shape[-2:])  # a 2-D image is one slice
    scale = float(np.max(np.abs([voxels.min(), voxels.max()]))) if voxels.size else 0.0
    # Decoding q * slope + intercept in floating point adds a few ulps.
    allowed = tolerance + 8 * np.finfo(np.float64).eps * max(scale, 1.0)

    def one(start: int) -> tuple[float, list[str], sitk.Image | None]:
        chunk = _read_chunk(files[start : start + _CHUNK], geometry.size[1])
        values = sitk.GetArrayViewFromImage(chunk).reshape(-1, *voxels.shape[-2:])
        expected = voxels[start : start + values.shape[0]].reshape(values.shape)
        if values.shape != expected.shape:
            return (
                math.inf,
                [f"slice shape {values.shape[1:]} differs from {expected.shape[1:]}"],
                None,
            )
        found = []
        origin = chunk.GetOrigin()
        if not _close(origin, geometry.position(start), POSITION_TOL):
            found.append(
                f"slice {start + 1}: read-back origin {origin} differs from "
                f"{tuple(geometry.position(start).tolist())}"
            )
        return _max_difference(values, expected), found, chunk if start == 0 else None

    # SimpleITK releases the GIL while it reads and decodes: chunks on all cores.
    with ThreadPoolExecutor(max(1, slices.WORKERS)) as pool:
        results = list(pool.map(one, range(0, len(files), _CHUNK)))
    worst = 0.0
    for error, found, first in results:
        worst = max(worst, error)
        problems += found
        if first is not None:
            _compare_geometry(first, geometry, problems)
        if math.isinf(error):
            return math.inf
    if worst > allowed:
        problems.append(
            f"values differ by up to {worst:.6g}, more than the tolerance {tolerance:.6g}"
        )
    return worst


def _compare_geometry(image: sitk.Image, geometry: Geometry, problems: list[str]) -> None:
    spacing = image.GetSpacing()
    expected_spacing = [geometry.spacing[0], geometry.spacing[1]]
    if geometry.spacing[2] is not None and image.GetSize()[2] > 1:
        expected_spacing.append(geometry.spacing[2])
    n = len(expected_spacing)
    if not _close(spacing[:n], expected_spacing, POSITION_TOL):
        problems.append(f"spacing {spacing[:n]} differs from {tuple(expected_spacing)}")
    direction = np.array(image.GetDirection()).reshape(3, 3)
    columns = 3 if n == 3 else 2
    if not _close(direction[:, :columns], geometry.direction[:, :columns], DIRECTION_TOL):
        problems.append(
            f"direction {direction.ravel().tolist()} differs from "
            f"{geometry.direction.ravel().tolist()}"
        )


@contextlib.contextmanager
def _unvalidated_reads() -> Iterator[None]:
    """pydicom without its read-time value validation, for the duration of a check.

    Reading 300 headers costs half as much without it, and nothing is lost:
    validation on read only warns, and the checks compare every value with what
    was meant to be written.
    """
    settings = pydicom.config.settings
    before = settings.reading_validation_mode
    settings.reading_validation_mode = pydicom.config.IGNORE
    try:
        yield
    finally:
        settings.reading_validation_mode = before


def compare(
    directory: str | os.PathLike[str],
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    tolerance: float | None,
    rescale: tuple[float, float] | None = None,
    expected: Mapping[Element, str] | None = None,
) -> VerificationReport:
    """Compare the series in ``directory`` with validated voxels and geometry.

    ``tolerance`` None takes it from the series' own rescale (:func:`_tolerance`);
    ``rescale`` is the (slope, intercept) the files must carry, when known;
    ``expected`` the element values every file must hold (the user's and the
    template's).
    """
    with _unvalidated_reads():
        return _compare(Path(directory), voxels, geometry, tolerance, rescale, expected)


def _compare(
    directory: Path,
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    tolerance: float | None,
    rescale: tuple[float, float] | None,
    expected: Mapping[Element, str] | None,
) -> VerificationReport:
    problems: list[str] = []
    report = VerificationReport(ok=False, tolerance=tolerance or 0.0, directory=str(directory))
    if not directory.is_dir():
        report.problems = [f"{directory} is not a directory"]
        return report
    wanted = [*_HEADER_TAGS, *(e.keyword for e in expected or {})]
    scan = scan_headers(directory, specific_tags=wanted)
    report.files = scan.count
    depth = 1 if voxels.ndim == 2 else voxels.shape[0]
    if scan.count != depth:
        problems.append(f"{scan.count} files for {depth} slices")
    problems += [f"{name}: not a readable DICOM file ({why})" for name, why in scan.others.items()]
    headers = list(scan.headers.values())
    if tolerance is None:
        tolerance = _tolerance(headers[0]) if headers else 0.0
        report.tolerance = tolerance
    report.series_instance_uid = _check_identifiers(headers, problems)
    named = {p.name: h for p, h in scan.headers.items()}
    with ThreadPoolExecutor(1) as side:
        # GDCM's own sort reads every header again; it releases the GIL, so it
        # runs beside the header checks.
        grouping = None
        if headers and not scan.others and report.series_instance_uid is not None:
            # A file-set keeps its images below the DICOMDIR, in one series folder.
            folders = {path.parent for path in scan.headers}
            folder = folders.pop() if len(folders) == 1 else directory
            grouping = side.submit(
                sitk.ImageSeriesReader.GetGDCMSeriesFileNames,
                str(folder), report.series_instance_uid,
            )  # fmt: skip
        problems += check_files(named, geometry, rescale)
        problems += check_values(named, expected or {})
        ordered = grouping.result() if grouping is not None else None
    if ordered is not None:
        if len(ordered) == depth == scan.count:
            canon_voxels, canon_geometry = _canonical(voxels, geometry)
            try:
                report.max_abs_error = _compare_values(
                    list(ordered), canon_voxels, canon_geometry, tolerance, problems
                )
            except RuntimeError as error:
                # A decoder that cannot read what was written (a codec bug, a
                # syntax GDCM lacks) is a failed verification, never a crash.
                report.max_abs_error = math.inf
                problems.append(f"SimpleITK cannot read the series back: {sitk_reason(error)}")
        elif len(ordered) != scan.count:
            problems.append(f"GDCM groups {len(ordered)} of the {scan.count} files into the series")
    report.problems = problems
    report.ok = not problems
    return report


def _tolerance(header: pydicom.Dataset) -> float:
    """Half the Rescale Slope of a series' file; 0 for slope 1 and an integer intercept."""
    slope = float(header.get("RescaleSlope", 1) or 1)
    intercept = float(header.get("RescaleIntercept", 0) or 0)
    return 0.0 if slope == 1 and intercept.is_integer() else slope / 2


def verify_series(
    series_dir: PathInput,
    reference: ImageInput | PathInput,
    *,
    tolerance: float | None = None,
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
) -> VerificationReport:
    """Check that a DICOM series holds the reference image.

    Parameters
    ----------
    series_dir : path
        Directory holding exactly one series.
    reference : SimpleITK.Image, ndarray or path
        The expected image; a path is read like the command line's INPUT.
    tolerance : float, optional
        Largest accepted absolute value difference. By default half the
        series' Rescale Slope, or 0 (exact) for stored integers.
    spacing, origin, direction : sequence of float, optional
        The geometry of an ndarray reference, in SimpleITK's (x, y, z) order
        (as for :func:`~simpleitk_dicomwriter.write_series`); by default
        spacing 1, origin 0 and the identity.

    Returns
    -------
    VerificationReport
        ``ok`` is False and ``problems`` says why when the series differs in
        values, spacing, origin, direction, file count or identifiers, or when
        any one file's position, orientation, spacing, size, pixel description
        or rescale is not the series' (the line names the file).
    """
    if isinstance(reference, str | os.PathLike):
        reference = load_image(reference)
    voxels, geometry = as_image(reference, spacing, origin, direction)
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
        raise InputError(f"tolerance {tolerance!r} must be a non-negative number")
    return compare(series_dir, voxels, geometry, tolerance)
