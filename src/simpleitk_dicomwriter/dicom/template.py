"""Templates: the study a derived series joins, decided from its headers.

The derived series takes the template's Patient and General Study modules
(and, by default, its Frame of Reference), and references the template's
instances it was derived from. Everything series- and instance-level is new;
private tags are never copied. Reading a template from a file, a folder or a
SimpleITK image is :mod:`simpleitk_dicomwriter.readers.template`'s job.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from ..errors import MetadataError
from .elements import Element, element_text, label, resolve
from .values import format_value

__all__ = [
    "ACQUISITION_KEYWORDS",
    "ACQUISITION_SEQUENCES",
    "FRAME_KEYWORDS",
    "SOURCE_KEYWORDS",
    "STUDY_KEYWORDS",
    "Source",
    "Template",
    "template_from_headers",
]

# Patient (PS3.3 C.7.1.1) and General Study (C.7.2.1) attributes, plus Patient Study
# (C.7.2.2) descriptors that belong to the patient's visit, not to one series.
STUDY_KEYWORDS = (
    "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientBirthTime",
    "PatientSex", "OtherPatientIDs", "OtherPatientNames", "EthnicGroup", "PatientComments",
    "PatientAge", "PatientSize", "PatientWeight",
    "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber",
    "ReferringPhysicianName", "StudyDescription",
)  # fmt: skip
FRAME_KEYWORDS = ("FrameOfReferenceUID", "PositionReferenceIndicator")
# How the source was acquired, which stays true of an image derived from it in the
# same modality (DESIGN: Patient Position, Body Part, Protocol; MR timing; PET
# radiopharmaceutical and decay).
ACQUISITION_KEYWORDS: dict[str, tuple[str, ...]] = {
    "CT": ("PatientPosition", "BodyPartExamined", "ProtocolName", "KVP"),
    "MR": (
        "PatientPosition", "BodyPartExamined", "ProtocolName", "ScanningSequence",
        "SequenceVariant", "ScanOptions", "MRAcquisitionType", "RepetitionTime", "EchoTime",
        "EchoTrainLength", "InversionTime", "FlipAngle", "MagneticFieldStrength",
        "ImagingFrequency", "ImagedNucleus", "SequenceName",
    ),
    "PT": (
        "PatientPosition", "BodyPartExamined", "ProtocolName", "Units", "CountsSource",
        "CorrectedImage", "DecayCorrection",
    ),
    "OT": ("BodyPartExamined",),
}  # fmt: skip
ACQUISITION_SEQUENCES: dict[str, tuple[str, ...]] = {
    "PT": ("RadiopharmaceuticalInformationSequence",),
}
SOURCE_KEYWORDS = ("SOPClassUID", "SOPInstanceUID", "ImagePositionPatient", "SeriesNumber")


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
    modality : str
        The template's (0008,0060) Modality.
    acquisition, acquisition_sequences : dict
        What describes its acquisition (:data:`ACQUISITION_KEYWORDS`), carried to a
        derived series of the same modality only; sequences without private tags.
    """

    study: dict[Element, str]
    frame: dict[Element, str]
    series_number: int | None
    sources: list[Source] = field(default_factory=list)
    modality: str = ""
    acquisition: dict[Element, str] = field(default_factory=dict)
    acquisition_sequences: dict[int, DicomSequence] = field(default_factory=dict)

    def nearest(self, position: npt.NDArray[np.float64]) -> Source | None:
        """The source instance closest to ``position`` (any, without positions)."""
        if not self.sources:
            return None
        located = [s for s in self.sources if s.position is not None]
        if not located:
            return self.sources[0]
        distances = [float(np.linalg.norm(s.position - position)) for s in located]  # type: ignore[operator]
        return located[int(np.argmin(distances))]


def _source(header: Dataset) -> Source | None:
    if "SOPInstanceUID" not in header or "SOPClassUID" not in header:
        return None
    position = header.get("ImagePositionPatient")
    located = None
    if position and len(position) == 3:
        try:
            located = np.array([float(v) for v in position])
        except (TypeError, ValueError):
            text = element_text(header["ImagePositionPatient"])
            raise MetadataError(
                f"template: {label('ImagePositionPatient')} {text!r} is not three decimal numbers"
            ) from None
    return Source(str(header.SOPClassUID), str(header.SOPInstanceUID), located)


def _series_number(header: Dataset) -> int | None:
    number = header.get("SeriesNumber")
    if number in (None, ""):
        return None
    try:
        return int(number)
    except (TypeError, ValueError):
        raise MetadataError(
            f"template: {label('SeriesNumber')} {element_text(header['SeriesNumber'])!r} is not "
            "a valid IS (an integer); override it with metadata="
        ) from None


def _take(header: Dataset, keywords: tuple[str, ...]) -> dict[Element, str]:
    taken: dict[Element, str] = {}
    for keyword in keywords:
        if keyword not in header:
            continue
        element = resolve(keyword)
        text = element_text(header[keyword])
        try:
            taken[element] = format_value(element, text.split("\\") if "\\" in text else text)
        except MetadataError as error:
            raise MetadataError(
                f"template value is invalid: {error}; override it with metadata="
            ) from None
    return taken


def template_from_headers(headers: Sequence[Dataset]) -> Template:
    """The template of a series, from the headers of its files (the first decides).

    Raises
    ------
    MetadataError
        When the first header has no Study Instance UID or a template value is
        invalid.
    """
    first = headers[0]
    if "StudyInstanceUID" not in first:
        raise MetadataError("template has no (0020,000D) StudyInstanceUID")
    modality = str(first.get("Modality", "") or "")
    sequences = {}
    for keyword in ACQUISITION_SEQUENCES.get(modality, ()):
        if keyword in first and first[keyword].VR == "SQ":
            items = copy.deepcopy(first[keyword].value)
            for item in items:
                item.remove_private_tags()
            sequences[resolve(keyword, allow_sequence=True).tag] = items
    return Template(
        study=_take(first, STUDY_KEYWORDS),
        frame=_take(first, FRAME_KEYWORDS),
        series_number=_series_number(first),
        sources=[s for s in map(_source, headers) if s is not None],
        modality=modality,
        acquisition=_take(first, ACQUISITION_KEYWORDS.get(modality, ())),
        acquisition_sequences=sequences,
    )
