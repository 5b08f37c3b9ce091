"""The slice loop: the only caller of ``SimpleITK.ImageFileWriter``.

Each slice is written as a one-slice volume by GDCM, with the series header
and its own position, number and instance UID.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk

from ..dicom.header import SeriesHeader, slice_tags
from ..dicom.iods import IOD
from ..errors import OutputError
from ..images import sitk_reason
from ..pixels import rescale
from ..pixels.geometry import Geometry
from .gdcm import prime_gdcm

__all__ = ["Progress", "slice_names", "write_slices"]

#: Called as ``progress(slices_written, total)`` after each slice.
Progress = Callable[[int, int], None]


def _why_gdcm_failed(directory: Path, error: RuntimeError, needed: int) -> str:
    """GDCM reports a full disk as "DICOM does not support this component type": say why."""
    try:
        status = os.statvfs(directory)
    except OSError:
        return sitk_reason(error)
    if status.f_bavail * status.f_frsize < needed:
        return f"the disk is full ({status.f_bavail * status.f_frsize} bytes free)"
    if status.f_files and status.f_favail == 0:
        return "the file system has no free inodes left"
    return sitk_reason(error)


def slice_names(count: int) -> list[str]:
    """File names that sort in slice order: ``0001.dcm`` ... (wider past 9999)."""
    width = max(4, len(str(count)))
    return [f"{k + 1:0{width}d}.dcm" for k in range(count)]


def write_slices(
    staging: Path,
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    header: SeriesHeader,
    encoding: rescale.Encoding,
    iod: IOD,
    progress: Progress | None,
    on_final: Callable[[Path], None] | None = None,
) -> tuple[list[Path], float]:
    """Write one file per slice into ``staging``.

    ``on_final(path)`` is called for each file as soon as it is written, when no
    later pass changes it (to start syncing it while the next slices are written).

    Returns
    -------
    files : list of Path
        In slice order.
    max_error : float
        Largest quantisation error over all slices.
    """
    prime_gdcm()
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    writer.SetImageIO("GDCMImageIO")
    planes = voxels.reshape(-1, *voxels.shape[-2:])
    count = planes.shape[0]
    # GDCM writes Pixel Spacing and Spacing Between Slices from the image spacing;
    # handing it the Decimal String values keeps the file equal to what is verified.
    # Each slice is a one-slice volume so that GDCM takes the slice spacing, not 1.
    column, row, step = geometry.written_spacing
    spacing = (column, row, step if step is not None else 1.0)
    files, worst = [], 0.0
    for k, name in enumerate(slice_names(count)):
        pixels, error = rescale.encode(planes[k], encoding)
        worst = max(worst, error)
        plane = sitk.GetImageFromArray(pixels[np.newaxis])
        plane.SetSpacing(spacing)
        for key, value in header.tags.items():
            plane.SetMetaData(key, value)
        for key, value in slice_tags(iod, geometry, k).items():
            plane.SetMetaData(key, value)
        path = staging / name
        writer.SetFileName(str(path))
        try:
            writer.Execute(plane)
        except RuntimeError as error:
            reason = _why_gdcm_failed(staging, error, 2 * pixels.nbytes + (64 << 10))
            raise OutputError(f"writing {path.name} failed: {reason}") from error
        files.append(path)
        if on_final is not None:
            on_final(path)
        if progress is not None:
            progress(k + 1, count)
    return files, worst
