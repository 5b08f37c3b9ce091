"""Reading a template: a DICOM file, a folder of one series, a dataset or an image.

What the derived series takes from the headers is decided in
:mod:`simpleitk_dicomwriter.dicom.template`; this module only gets the
headers, refusing files that are unreadable or cut short.
"""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset
from pydicom.pixels.utils import get_expected_length

from ..dicom.elements import resolve
from ..dicom.template import (
    ACQUISITION_KEYWORDS,
    FRAME_KEYWORDS,
    SOURCE_KEYWORDS,
    STUDY_KEYWORDS,
    Template,
    template_from_headers,
)
from ..errors import MetadataError
from .headers import scan_headers
from .series import skip_reason

__all__ = ["load_template"]


def _read(path: Path) -> Dataset:
    """Read a whole template file, refusing one that is cut short.

    pydicom reads a truncated file without complaint, so the pixel data length
    of an uncompressed file is checked against what its header describes.
    """
    try:
        dataset = pydicom.dcmread(path)
    except Exception as error:  # pydicom raises many types for bad files
        raise MetadataError(f"template {path}: not a readable DICOM file ({error})") from None
    if "StudyInstanceUID" not in dataset:
        raise MetadataError(
            f"template {path}: no (0020,000D) StudyInstanceUID; not a DICOM image or truncated"
        )
    syntax = dataset.file_meta.get("TransferSyntaxUID")
    if "Rows" in dataset and syntax is not None and not syntax.is_compressed:
        try:
            expected = int(get_expected_length(dataset, "bytes"))
            found = len(dataset.PixelData) if "PixelData" in dataset else 0
        except (AttributeError, KeyError, TypeError, ValueError):
            return dataset  # an unreadable pixel description: nothing to compare
        if found < expected:
            raise MetadataError(
                f"template {path}: (7FE0,0010) PixelData holds {found} bytes of the "
                f"{expected} its header describes; the file is truncated"
            )
    return dataset


def _series_headers(directory: Path, series_instance_uid: str | None) -> list[Dataset]:
    by_series: dict[str, list[Dataset]] = {}
    # Non-DICOM files beside a series are common (DICOMDIR, notes): skipped.
    for header in scan_headers(directory).headers.values():
        # Non-image objects beside a series (an RT Dose, a DICOMDIR) are not its files.
        if "SOPInstanceUID" in header and skip_reason(header) is None:
            by_series.setdefault(str(header.get("SeriesInstanceUID", "")), []).append(header)
    if series_instance_uid is not None:
        by_series = {k: v for k, v in by_series.items() if k == series_instance_uid}
    if not by_series:
        raise MetadataError(f"template {directory}: the directory holds no DICOM files")
    if len(by_series) > 1:
        raise MetadataError(
            f"template {directory} holds {len(by_series)} series "
            f"({', '.join(sorted(by_series))}); give the directory of one series or one of "
            "its files"
        )
    (headers,) = by_series.values()
    for keyword in ("StudyInstanceUID", "PatientID", "PatientName"):
        found = sorted({str(h.get(keyword, "")) for h in headers})
        if len(found) > 1:
            raise MetadataError(
                f"template {directory}: one series, but {len(found)} different "
                f"{resolve(keyword)} values ({', '.join(repr(v) for v in found)}); a derived "
                "series can join one study of one patient only"
            )
    return headers


def _from_image(image: sitk.Image) -> Dataset:
    dataset = Dataset()
    acquisition = {k for keywords in ACQUISITION_KEYWORDS.values() for k in keywords}
    for keyword in (*STUDY_KEYWORDS, *FRAME_KEYWORDS, *SOURCE_KEYWORDS, "Modality",
                    *sorted(acquisition)):  # fmt: skip
        element = resolve(keyword)
        if image.HasMetaDataKey(element.key):
            value = image.GetMetaData(element.key).strip()
            dataset.add_new(element.tag, element.vr, value.split("\\") if "\\" in value else value)
    if "SOPInstanceUID" not in dataset and "StudyInstanceUID" not in dataset:
        raise MetadataError("template image carries no DICOM metadata (read it from DICOM)")
    return dataset


def load_template(template: object, series_instance_uid: str | None = None) -> Template:
    """Read what a derived series needs from ``template``.

    Parameters
    ----------
    template : path, pydicom.Dataset or SimpleITK.Image
        A DICOM file, a directory holding one series, a dataset, or an image
        read from DICOM that still carries its metadata dictionary.
    series_instance_uid : str, optional
        The series of a directory that holds several.

    Returns
    -------
    Template

    Raises
    ------
    MetadataError
        For anything that is not a readable DICOM template, or a directory
        holding several series.
    """
    if isinstance(template, Dataset):
        headers = [template]
    elif isinstance(template, sitk.Image):
        headers = [_from_image(template)]
    elif isinstance(template, str | os.PathLike):
        path = Path(template)
        if path.is_dir():
            headers = _series_headers(path, series_instance_uid)
        elif path.is_file():
            headers = [_read(path)]
        else:
            raise MetadataError(f"template {path}: no such file or directory")
    else:
        raise MetadataError(
            f"template must be a path, a pydicom.Dataset or a SimpleITK.Image, "
            f"not {type(template).__name__}"
        )
    try:
        return template_from_headers(headers)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as error:
        # pydicom parses values lazily: a malformed one fails only when it is read.
        raise MetadataError(f"template {template}: a value cannot be read ({error})") from None
