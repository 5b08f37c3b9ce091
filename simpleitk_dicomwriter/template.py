"""Templates: the study a derived series joins.

A template is a DICOM file, a directory holding one series, a
``pydicom.Dataset`` or a ``SimpleITK.Image`` read from DICOM. The derived
series takes its Patient and General Study modules (and, by default, its
Frame of Reference), and references the template's instances it was derived
from. Everything series- and instance-level is new; private tags are never
copied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset

from .errors import MetadataError
from .tags import Element, format_value, resolve

__all__ = ["Source", "Template", "load_template"]

# Patient (PS3.3 C.7.1.1) and General Study (C.7.2.1) attributes, plus Patient Study
# (C.7.2.2) descriptors that belong to the patient's visit, not to one series.
_STUDY_KEYWORDS = (
    "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientBirthTime",
    "PatientSex", "OtherPatientIDs", "OtherPatientNames", "EthnicGroup", "PatientComments",
    "PatientAge", "PatientSize", "PatientWeight",
    "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber",
    "ReferringPhysicianName", "StudyDescription",
)  # fmt: skip
_FRAME_KEYWORDS = ("FrameOfReferenceUID", "PositionReferenceIndicator")
_SOURCE_KEYWORDS = ("SOPClassUID", "SOPInstanceUID", "ImagePositionPatient", "SeriesNumber")
_NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}


@dataclass(frozen=True)
class Source:
    """One template instance a derived slice can reference."""

    sop_class_uid: str
    sop_instance_uid: str
    position: npt.NDArray[np.float64] | None


@dataclass(frozen=True)
class Template:
    """What a derived series takes from its template.

    Attributes
    ----------
    study : dict
        Element -> value of the Patient and General Study attributes.
    frame : dict
        Element -> value of the Frame of Reference attributes.
    series_number : int or None
        The template's Series Number, to choose a different one.
    sources : list of Source
        The template's instances, for Source Image Sequence.
    """

    study: dict[Element, str]
    frame: dict[Element, str]
    series_number: int | None
    sources: list[Source] = field(default_factory=list)

    def nearest(self, position: npt.NDArray[np.float64]) -> Source | None:
        """The source instance closest to ``position`` (any, without positions)."""
        if not self.sources:
            return None
        located = [s for s in self.sources if s.position is not None]
        if not located:
            return self.sources[0]
        distances = [float(np.linalg.norm(s.position - position)) for s in located]  # type: ignore[operator]
        return located[int(np.argmin(distances))]


def _text(element: pydicom.DataElement) -> str:
    value = element.value
    if value is None:
        return ""
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value)


def _read(path: Path) -> Dataset:
    """Read a whole template file, refusing one that is cut short.

    pydicom reads a truncated file without complaint, so the pixel data length
    is checked against Rows x Columns x Bits Allocated.
    """
    try:
        dataset = pydicom.dcmread(path)
    except Exception as error:  # pydicom raises many types for bad files
        raise MetadataError(f"template {path}: not a readable DICOM file ({error})") from None
    if "StudyInstanceUID" not in dataset:
        raise MetadataError(
            f"template {path}: no (0020,000D) StudyInstanceUID; not a DICOM image or truncated"
        )
    if "Rows" in dataset and dataset.file_meta.get("TransferSyntaxUID", "") in _NATIVE:
        expected = (
            int(dataset.Rows) * int(dataset.Columns) * int(dataset.get("BitsAllocated", 16))
            * int(dataset.get("SamplesPerPixel", 1)) * int(dataset.get("NumberOfFrames", 1) or 1)
        ) // 8  # fmt: skip
        found = len(dataset.PixelData) if "PixelData" in dataset else 0
        if found < expected:
            raise MetadataError(
                f"template {path}: (7FE0,0010) PixelData holds {found} bytes of the "
                f"{expected} its header describes; the file is truncated"
            )
    return dataset


def _series_files(directory: Path) -> list[Dataset]:
    headers: dict[str, list[Dataset]] = {}
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        try:
            header = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # non-DICOM files beside a series are common (DICOMDIR, notes)
            continue
        if "SOPInstanceUID" in header:
            headers.setdefault(str(header.get("SeriesInstanceUID", "")), []).append(header)
    if not headers:
        raise MetadataError(f"template {directory}: the directory holds no DICOM files")
    if len(headers) > 1:
        raise MetadataError(
            f"template {directory} holds {len(headers)} series ({', '.join(sorted(headers))}); "
            "give the directory of one series or one of its files"
        )
    return next(iter(headers.values()))


def _from_image(image: sitk.Image) -> Dataset:
    dataset = Dataset()
    for keyword in (*_STUDY_KEYWORDS, *_FRAME_KEYWORDS, *_SOURCE_KEYWORDS):
        element = resolve(keyword)
        if image.HasMetaDataKey(element.key):
            value = image.GetMetaData(element.key).strip()
            dataset.add_new(element.tag, element.vr, value.split("\\") if "\\" in value else value)
    if "SOPInstanceUID" not in dataset and "StudyInstanceUID" not in dataset:
        raise MetadataError("template image carries no DICOM metadata (read it from DICOM)")
    return dataset


def _source(header: Dataset) -> Source | None:
    if "SOPInstanceUID" not in header or "SOPClassUID" not in header:
        return None
    position = header.get("ImagePositionPatient")
    return Source(
        str(header.SOPClassUID),
        str(header.SOPInstanceUID),
        np.array([float(v) for v in position]) if position and len(position) == 3 else None,
    )


def _take(header: Dataset, keywords: tuple[str, ...]) -> dict[Element, str]:
    taken: dict[Element, str] = {}
    for keyword in keywords:
        if keyword not in header:
            continue
        element = resolve(keyword)
        text = _text(header[keyword])
        try:
            taken[element] = format_value(element, text.split("\\") if "\\" in text else text)
        except MetadataError as error:
            raise MetadataError(
                f"template value is invalid: {error}; override it with metadata="
            ) from None
    return taken


def load_template(template: object) -> Template:
    """Read what a derived series needs from ``template``.

    Parameters
    ----------
    template : path, pydicom.Dataset or SimpleITK.Image
        A DICOM file, a directory holding one series, a dataset, or an image
        read from DICOM that still carries its metadata dictionary.

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
            headers = _series_files(path)
        elif path.is_file():
            headers = [_read(path)]
        else:
            raise MetadataError(f"template {path}: no such file or directory")
    else:
        raise MetadataError(
            f"template must be a path, a pydicom.Dataset or a SimpleITK.Image, "
            f"not {type(template).__name__}"
        )
    first = headers[0]
    if "StudyInstanceUID" not in first:
        raise MetadataError("template has no (0020,000D) StudyInstanceUID")
    number = first.get("SeriesNumber")
    return Template(
        study=_take(first, _STUDY_KEYWORDS),
        frame=_take(first, _FRAME_KEYWORDS),
        series_number=int(number) if number not in (None, "") else None,
        sources=[s for s in map(_source, headers) if s is not None],
    )
