"""A quick-look PNG of a DICOM series: three orthogonal mid-slices and a MIP.

The series is reoriented to LPS first so that every panel is shown the way a
radiologist expects (axial with the patient's right on the left and anterior
at the top; coronal and sagittal with the head at the top), and each panel is
resampled to square pixels so that anatomy keeps its physical proportions.
Only SimpleITK and NumPy are used, so a headless CI machine can produce it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import SimpleITK as sitk

from . import labels
from .errors import InputError, OutputError
from .images import sitk_reason
from .readers.series import choose_series, find_series, read_series

__all__ = ["preview_image", "series_window", "write_preview"]

_GAP = 2  # black pixels between panels, so bright panels do not merge
_MAX_PANEL = 1024  # pixels along a panel's longest side
_PERCENTILES = (1.0, 99.0)

Array = npt.NDArray[np.float32]


def series_window(
    series_dir: str | os.PathLike[str], series_instance_uid: str | None = None
) -> tuple[float, float] | None:
    """(center, width) of the VOI window in the series' first file, if it has one."""
    directory = Path(series_dir)
    try:
        found = find_series(directory) if directory.is_dir() else {}
        files = choose_series(directory, found, series_instance_uid).files if found else []
    except InputError:
        return None
    if not files:
        return None
    try:
        header = pydicom.dcmread(files[0], stop_before_pixels=True)
        center, width = header.get("WindowCenter"), header.get("WindowWidth")
        if center is None or width is None or center == "" or width == "":
            return None
        # Several windows may be listed; the first is the default presentation.
        first = [v[0] if isinstance(v, pydicom.multival.MultiValue) else v for v in (center, width)]
        center_value, width_value = float(first[0]), float(first[1])
    except Exception:  # a window we cannot parse falls back to percentiles
        return None
    if not (np.isfinite(center_value) and np.isfinite(width_value) and width_value > 0):
        return None
    return center_value, width_value


def _isotropic(plane: Array, row_mm: float, column_mm: float) -> Array:
    """Resample a 2-D array (rows, columns) to square pixels of the finer spacing."""
    rows, columns = plane.shape
    pixel = min(row_mm, column_mm)
    pixel = max(pixel, max(rows * row_mm, columns * column_mm) / _MAX_PANEL)
    size = (max(1, round(columns * column_mm / pixel)), max(1, round(rows * row_mm / pixel)))
    if size == (columns, rows):
        return plane
    image = sitk.GetImageFromArray(plane)
    image.SetSpacing((column_mm, row_mm))
    # Output pixels tile the same extent as the input: align the outer edges.
    spacing = (columns * column_mm / size[0], rows * row_mm / size[1])
    origin = tuple(-s0 / 2 + s / 2 for s0, s in zip((column_mm, row_mm), spacing, strict=True))
    out = sitk.Resample(
        image,
        size,
        sitk.Transform(),
        sitk.sitkLinear,
        origin,
        spacing,
        (1.0, 0.0, 0.0, 1.0),
        0.0,
        sitk.sitkFloat32,
    )
    return sitk.GetArrayFromImage(out)


def _panels(volume: Array, spacing: tuple[float, float, float]) -> list[Array]:
    """Axial, coronal and sagittal mid-slices and a coronal MIP of an LPS (z, y, x) volume."""
    sx, sy, sz = spacing
    depth, rows, columns = volume.shape
    # Rows of coronal and sagittal planes run along +S (z); flip so the head is on top.
    axial = volume[depth // 2]
    coronal = volume[:, rows // 2, :][::-1]
    sagittal = volume[:, :, columns // 2][::-1]
    mip = volume.max(axis=1)[::-1]
    return [
        _isotropic(axial, sy, sx),
        _isotropic(coronal, sz, sx),
        _isotropic(sagittal, sz, sy),
        _isotropic(mip, sz, sx),
    ]


def _to_uint8(plane: Array, low: float, high: float) -> npt.NDArray[np.uint8]:
    scaled = (plane.astype(np.float64) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _tile(panels: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.uint8]:
    """Two by two: axial | coronal over sagittal | MIP, padded with black."""
    grid = [panels[0:2], panels[2:4]]
    heights = [max(p.shape[0] for p in row) for row in grid]
    widths = [max(grid[r][c].shape[1] for r in range(2)) for c in range(2)]
    canvas = np.zeros((sum(heights) + _GAP, sum(widths) + _GAP), np.uint8)
    for r, row in enumerate(grid):
        for c, panel in enumerate(row):
            top = r * (heights[0] + _GAP)
            left = c * (widths[0] + _GAP)
            canvas[top : top + panel.shape[0], left : left + panel.shape[1]] = panel
    return canvas


def _oriented(
    image: sitk.Image, window: tuple[float, float] | None
) -> tuple[Array, tuple[float, float, float], float, float]:
    """The volume in LPS (z, y, x), its spacing, and the display range."""
    if image.GetDimension() == 2:
        image = sitk.JoinSeries(image)
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError("a preview needs a scalar image")
    oriented = sitk.DICOMOrient(sitk.Cast(image, sitk.sitkFloat32), "LPS")
    volume = sitk.GetArrayFromImage(oriented)
    if window is not None:
        low, high = window[0] - window[1] / 2, window[0] + window[1] / 2
    else:
        low, high = (float(v) for v in np.percentile(volume, _PERCENTILES))
    if not high > low:
        high = low + 1.0
    x, y, z = oriented.GetSpacing()
    return volume, (x, y, z), low, high


def labelled_preview(
    image: sitk.Image,
    window: tuple[float, float] | None = None,
    *,
    slice_number: int | None = None,
    size: int = 320,
) -> npt.NDArray[np.uint8]:
    """The preview as a person reads it: named views with orientation letters,
    scale bars and the window, each view ``size`` pixels across.

    Parameters
    ----------
    image : SimpleITK.Image
        Any orientation; it is reoriented to LPS.
    window : (center, width), optional
        Display window; by default the 1st to 99th percentile of the values.
    slice_number : int, optional
        The axial slice shown, 1 (most inferior) to the number of slices; the
        middle one by default.
    size : int
        Pixels along the longest side of each view (at least 64).
    """
    volume, (sx, sy, sz), low, high = _oriented(image, window)
    depth, rows, columns = volume.shape
    if slice_number is None:
        slice_number = depth // 2 + 1
    if not 1 <= slice_number <= depth:
        raise InputError(f"slice {slice_number} is not one of the 1..{depth} axial slices")
    if size < 64:
        raise InputError(f"a preview of {size} pixels is too small to read; give at least 64")
    _, coronal, sagittal, mip = (_to_uint8(p, low, high) for p in _panels(volume, (sx, sy, sz)))
    axial = _to_uint8(_isotropic(volume[slice_number - 1], sy, sx), low, high)
    width_mm = columns * sx
    title = f"axial, slice {slice_number} of {depth}" if depth > 1 else "the image (one slice)"
    panels = [labels.Panel(axial, width_mm / axial.shape[1], title, ("A", "P", "R", "L"))]
    if depth > 1:
        panels += [
            labels.Panel(coronal, width_mm / coronal.shape[1], "coronal", ("S", "I", "R", "L")),
            labels.Panel(sagittal, rows * sy / sagittal.shape[1], "sagittal",
                         ("S", "I", "A", "P")),
            labels.Panel(mip, width_mm / mip.shape[1], "coronal MIP", ("S", "I", "R", "L")),
        ]  # fmt: skip
    centre, width = (low + high) / 2, high - low
    source = "given" if window is not None else "1st-99th percentile"
    footer = [
        f"window centre {centre:.6g}, width {width:.6g} ({source})",
        f"voxels {sx:.3g} x {sy:.3g} x {sz:.3g} mm",
    ]
    return labels.compose(panels, footer, size)


def preview_image(
    image: sitk.Image, window: tuple[float, float] | None = None
) -> npt.NDArray[np.uint8]:
    """The preview of a 3-D scalar image as a 2-D uint8 array.

    Parameters
    ----------
    image : SimpleITK.Image
        Any orientation; it is reoriented to LPS.
    window : (center, width), optional
        Display window in image values; by default the 1st to 99th percentile.

    Returns
    -------
    ndarray of uint8, shape (rows, columns)
        Axial and coronal mid-slices on top, sagittal mid-slice and coronal
        maximum intensity projection below, each with square pixels.
    """
    volume, spacing, low, high = _oriented(image, window)
    panels = _panels(volume, spacing)
    return _tile([_to_uint8(p, low, high) for p in panels])


def write_preview(
    series_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    series_instance_uid: str | None = None,
    *,
    window: tuple[float, float] | None = None,
    slice_number: int | None = None,
    size: int = 320,
) -> tuple[int, int]:
    """Read a series and write its labelled preview (:func:`labelled_preview`) as PNG.

    The window is ``window`` if given (the footer says "given"), else the series' own (0028,1050)
    WindowCenter / (0028,1051) WindowWidth when present, else the 1st to 99th
    percentile of its values.

    Returns
    -------
    (width, height) of the PNG in pixels.

    Raises
    ------
    InputError
        When the directory holds no single readable series, or ``output``
        does not end in ``.png``.
    OutputError
        When the PNG cannot be written.
    """
    output = Path(output)
    if output.suffix.lower() != ".png":
        raise InputError(f"{output}: the preview is written as PNG; name it *.png")
    image = read_series(series_dir, series_instance_uid=series_instance_uid)
    pixels = labelled_preview(
        image,
        window or series_window(series_dir, series_instance_uid),
        slice_number=slice_number,
        size=size,
    )
    try:
        sitk.WriteImage(sitk.GetImageFromArray(pixels), str(output))
    except RuntimeError as error:
        raise OutputError(f"{output}: cannot write the PNG ({sitk_reason(error)})") from None
    return pixels.shape[1], pixels.shape[0]
