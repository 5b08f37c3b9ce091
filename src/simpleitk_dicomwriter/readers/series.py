"""Reading a DICOM series back as a SimpleITK image."""

from __future__ import annotations

import os
from pathlib import Path

import SimpleITK as sitk

from ..errors import InputError
from ..images import sitk_reason

__all__ = ["read_series"]


def read_series(
    series_dir: str | os.PathLike[str], *, series_instance_uid: str | None = None
) -> sitk.Image:
    """Read one DICOM series from a directory.

    Parameters
    ----------
    series_dir : path
        Directory holding the series' files.
    series_instance_uid : str, optional
        Which series to read when the directory holds several.

    Returns
    -------
    SimpleITK.Image
        Slices sorted along their normal; float pixels when a fractional
        rescale is present, the stored integer type otherwise. Its metadata
        dictionary holds the first file's elements (``gggg|eeee`` keys), so it
        can be the ``template`` of a derived series.

    Raises
    ------
    InputError
        When the directory holds no DICOM series, or several and none was chosen.
    """
    directory = Path(series_dir)
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    found = list(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(directory)))
    if series_instance_uid is None:
        if not found:
            raise InputError(f"{directory} holds no DICOM series")
        if len(found) > 1:
            raise InputError(
                f"{directory} holds {len(found)} series ({', '.join(found)}); "
                "choose one with series_instance_uid="
            )
        series_instance_uid = found[0]
    elif series_instance_uid not in found:
        raise InputError(f"{directory} holds no series {series_instance_uid!r}")
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(directory), series_instance_uid)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    # The first file's elements travel with the image, so that it can serve as
    # the template of a series derived from it.
    reader.MetaDataDictionaryArrayUpdateOn()
    try:
        image: sitk.Image = reader.Execute()
        for key in reader.GetMetaDataKeys(0):
            image.SetMetaData(key, reader.GetMetaData(0, key))
    except RuntimeError as error:
        raise InputError(f"{directory}: the series cannot be read ({sitk_reason(error)})") from None
    return image
