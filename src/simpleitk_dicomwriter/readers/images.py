"""Reading an input image from a path: any SimpleITK format, a DICOM series
directory, an Interfile header or a ``.npy`` array."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk
from pydicom.misc import is_dicom

from ..errors import InputError
from ..images import sitk_reason
from .interfile import is_interfile, read_interfile
from .series import read_series

__all__ = ["load_image"]


def load_image(
    path: str | os.PathLike[str], series_instance_uid: str | None = None
) -> sitk.Image | npt.NDArray[np.generic]:
    """Read ``path`` as an image.

    ``series_instance_uid`` chooses the series of a DICOM folder holding several.

    Returns
    -------
    SimpleITK.Image or ndarray
        An ndarray for ``.npy`` files (its geometry is given separately).

    Raises
    ------
    InputError
        When the path does not exist or cannot be read as an image.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        return read_series(path, series_instance_uid=series_instance_uid)
    if is_dicom(path):
        return read_series(path)
    if path.suffix.lower() == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise InputError(f"{path}: not a readable .npy array ({error})") from None
        return np.asarray(array)
    if is_interfile(path):
        return read_interfile(path)
    try:
        return sitk.ReadImage(str(path))
    except RuntimeError as error:
        raise InputError(
            f"{path}: SimpleITK cannot read it as an image ({sitk_reason(error)})"
        ) from None
