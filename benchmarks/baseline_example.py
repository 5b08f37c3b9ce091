"""Baseline (a) for ``bench_write.py``: the SimpleITK "Dicom Series From Array" example.

This module re-implements, for benchmarking only, the way the SimpleITK documentation
example "Dicom Series From Array" (``Examples/DicomSeriesFromArray``) writes a 3D image as a
DICOM series: one ``ImageFileWriter`` call per extracted 2D slice, with a handful of
hand-set tags.  It is *not* a recommended way of writing DICOM and it is not part of the
``simpleitk_dicomwriter`` package; it exists so the benchmark can compare the package
against what users commonly copy-paste.

The example's quirks are kept on purpose, because they are part of the behaviour being
measured:

* the instance number is set under the key ``"0020,0013"`` (comma instead of ``|``), so
  GDCM ignores it;
* the series instance UID is built from the current date and time, so two calls within the
  same second produce the same UID;
* for floating point images the rescale slope is fixed at ``0.001`` with a signed 16-bit
  storage, which overflows for CT values beyond about +/-32 HU.
"""

from __future__ import annotations

import os
import time

import SimpleITK as sitk

__all__ = ["write_like_example"]

_FLOAT_PIXEL_IDS = (sitk.sitkFloat32, sitk.sitkFloat64)


def write_like_example(image: sitk.Image, out_dir: str) -> None:
    """Write ``image`` slice by slice into ``out_dir`` the way the SimpleITK example does.

    Reproduces the "Dicom Series From Array" example of SimpleITK for benchmarking only:
    same writer settings, same tags (including the example's mistakes), same file names
    (``0.dcm``, ``1.dcm``, ...).  ``out_dir`` must already exist.
    """
    writer = sitk.ImageFileWriter()
    # Take the study/series/frame-of-reference UIDs from the metadata we set instead of
    # letting GDCM generate new ones for every file.
    writer.KeepOriginalImageUIDOn()

    now_time = time.strftime("%H%M%S")
    now_date = time.strftime("%Y%m%d")
    direction = image.GetDirection()
    orientation = (
        direction[0],
        direction[3],
        direction[6],
        direction[1],
        direction[4],
        direction[7],
    )

    series_tags: list[tuple[str, str]] = [
        ("0008|0031", now_time),  # Series Time
        ("0008|0021", now_date),  # Series Date
        ("0008|0008", "DERIVED\\SECONDARY"),  # Image Type
        # Series Instance UID derived from the date and time, as in the example.
        ("0020|000e", "1.2.826.0.1.3680043.2.1125." + now_date + ".1" + now_time),
        ("0020|0037", "\\".join(map(str, orientation))),  # Image Orientation (Patient)
        ("0008|103e", "Created-SimpleITK"),  # Series Description
    ]
    if image.GetPixelID() in _FLOAT_PIXEL_IDS:
        # The example keeps three decimals of a float image by storing value / 0.001 as a
        # signed 16-bit integer.
        series_tags += [
            ("0028|1053", "0.001"),  # Rescale Slope
            ("0028|1052", "0"),  # Rescale Intercept
            ("0028|0100", "16"),  # Bits Allocated
            ("0028|0101", "16"),  # Bits Stored
            ("0028|0102", "15"),  # High Bit
            ("0028|0103", "1"),  # Pixel Representation (signed)
        ]

    for i in range(image.GetDepth()):
        image_slice = image[:, :, i]
        for key, value in series_tags:
            image_slice.SetMetaData(key, value)
        image_slice.SetMetaData("0008|0012", time.strftime("%Y%m%d"))  # Instance Creation Date
        image_slice.SetMetaData("0008|0013", time.strftime("%H%M%S"))  # Instance Creation Time
        image_slice.SetMetaData("0008|0060", "CT")  # Modality
        position = image.TransformIndexToPhysicalPoint((0, 0, i))
        image_slice.SetMetaData("0020|0032", "\\".join(map(str, position)))  # Image Position
        # The example's key uses a comma, so this Instance Number never reaches the file.
        image_slice.SetMetaData("0020,0013", str(i))
        writer.SetFileName(os.path.join(out_dir, str(i) + ".dcm"))
        writer.Execute(image_slice)
