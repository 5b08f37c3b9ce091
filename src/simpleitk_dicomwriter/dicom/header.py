"""The header of a series: series-level and slice-level element dictionaries.

:func:`series_header` decides every element value once per series (UIDs, dates,
IOD defaults, geometry, pixel description, user metadata); :func:`slice_tags`
adds the few that differ per slice. Values are validated strings keyed by
``gggg|eeee``; the user's own values travel as typed pydicom elements
(:meth:`UserMetadata.elements`), so that binary numbers of any multiplicity are
written as given.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass

from pydicom import datadict
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from ..errors import MetadataError
from ..pixels.ds import format_ds
from ..pixels.geometry import Geometry, patient_orientation
from ..pixels.rescale import Encoding, ValueRange
from .elements import Element, resolve
from .iods import IOD, TYPE1
from .sequences import build_sequence
from .values import Value, format_value, typed_value

__all__ = [
    "SeriesHeader",
    "UserMetadata",
    "new_uid",
    "series_header",
    "slice_tags",
    "validate_metadata",
]

# Elements the writer computes from the image, the encoding or its own bookkeeping;
# the value names the argument that controls each one instead.
_COMPUTED = {
    "SOPClassUID": "modality=",
    "SOPInstanceUID": "nothing: each slice gets a new UID",
    "InstanceNumber": "nothing: slices are numbered 1..N",
    "Modality": "modality=",
    "ImagePositionPatient": "origin= or the image's origin",
    "ImageOrientationPatient": "direction= or the image's direction",
    "PixelSpacing": "spacing= or the image's spacing",
    "SliceLocation": "the geometry",
    "SpacingBetweenSlices": "spacing= or the image's spacing",
    "Rows": "the image size",
    "Columns": "the image size",
    "NumberOfFrames": "nothing: the series is single-frame",
    "SamplesPerPixel": "nothing: images are scalar",
    "PhotometricInterpretation": "nothing: MONOCHROME2 is written",
    "BitsAllocated": "the encoding",
    "BitsStored": "the encoding",
    "HighBit": "the encoding",
    "PixelRepresentation": "the encoding",
    "RescaleSlope": "rescale=(slope, intercept)",
    "RescaleIntercept": "rescale=(slope, intercept)",
    "RescaleType": "the encoding",
    "SmallestImagePixelValue": "the encoding",
    "LargestImagePixelValue": "the encoding",
    "NumberOfSlices": "the image size",
    "ImageIndex": "nothing: slices are numbered 1..N",
    "SourceImageSequence": "template=",
}
_UTF8 = "ISO_IR 192"
# The series' identifiers stay in the header text, which reports them
# (SeriesHeader's UIDs), and are not repeated as typed elements.
_IDENTIFIERS = frozenset({"StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"})
_CHARSET = "0008|0005"  # Specific Character Set: only the writer sets it
_BODY_PART, _LATERALITY = "0018|0015", "0020|0060"
# Body Part Examined terms of paired structures (PS3.16 CID 4031), as dciodvfy knows them.
_PAIRED = frozenset(
    {
        "ACJOINT", "ADRENAL", "ANKLE", "ARM", "BREAST", "CALCANEUS", "CALF", "CLAVICLE", "EAR",
        "ELBOW", "EXTREMITY", "EYE", "FEMUR", "FIBULA", "FINGER", "FOOT", "FOREARM", "HAND",
        "HIP", "HUMERUS", "KIDNEY", "KNEE", "LEG", "LOWRLIMB", "LUNG", "ORBIT", "OVARY",
        "PAROTID", "PATELLA", "RADIUS", "SACROILIAC", "SCAPULA", "SHOULDER", "STERNOCLAVIC",
        "TESTIS", "THIGH", "THUMB", "TIBIA", "TMJ", "TOE", "ULNA", "UPRLIMB", "WRIST", "ZYGOMA",
    }
)  # fmt: skip


def new_uid() -> str:
    """A new globally unique UID of the 2.25 (UUID-derived) form, <= 64 characters."""
    return str(generate_uid(prefix=None))


@dataclass(frozen=True)
class SeriesHeader:
    """Elements shared by every slice, and the identifiers a caller reports."""

    tags: dict[str, str]
    study_instance_uid: str
    series_instance_uid: str
    frame_of_reference_uid: str


@dataclass(frozen=True)
class UserMetadata:
    """Validated user metadata: each value as text, and the sequences.

    Both are written as the pydicom elements :meth:`elements` returns.
    """

    values: dict[Element, str]
    sequences: dict[Element, DicomSequence]

    def elements(self, signed: bool) -> dict[int, DataElement]:
        """The pydicom elements every file receives.

        An element whose VR is "US or SS" (Pixel Padding Value and its kin) takes
        the stored pixels' signedness, ``signed``; its value must fit that VR.

        Raises
        ------
        MetadataError
            When such a value does not fit the VR the pixels give it.
        """
        found: dict[int, DataElement] = {}
        for element, text in self.values.items():
            if element.keyword in _IDENTIFIERS:
                continue
            vr = element.vr
            if _signed_by_pixels(element):
                vr = "SS" if signed else "US"
                format_value(Element(element.tag, element.keyword, vr, element.vm),
                             text.split("\\"))  # fmt: skip
            found[element.tag] = DataElement(element.tag, vr, typed_value(vr, text))
        for element, items in self.sequences.items():
            found[element.tag] = DataElement(element.tag, "SQ", items)
        return found


_PIXEL_REPRESENTATION = 0x00280103


def _signed_by_pixels(element: Element) -> bool:
    """Whether the element is "US or SS", its VR given by Pixel Representation."""
    return element.vr == "US" and "SS" in datadict.dictionary_VR(element.tag).split(" or ")


def validate_metadata(
    metadata: Mapping[str, Value | object] | None, iod: IOD | None = None
) -> UserMetadata:
    """Resolve and validate user metadata before anything is written.

    A sequence element is given as a list of dicts (keyword -> value).

    Raises
    ------
    MetadataError
        For an unknown keyword or tag, a computed element, an invalid value, an
        empty value of a Type 1 attribute of ``iod``, or a Study Instance UID
        equal to the Series Instance UID.
    """
    values: dict[Element, str] = {}
    sequences: dict[Element, DicomSequence] = {}
    if metadata is not None and not isinstance(metadata, Mapping):
        raise MetadataError(
            f"metadata must be a mapping of DICOM keyword to value, not {type(metadata).__name__}"
        )
    for key, value in (metadata or {}).items():
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise MetadataError(
                f"metadata key {key!r} is a {type(key).__name__}; give a DICOM keyword or a "
                "'gggg|eeee' tag as a str"
            )
        element = resolve(key, allow_sequence=True)
        if element.keyword in _COMPUTED:
            raise MetadataError(
                f"{element} is computed by the writer; it is set by {_COMPUTED[element.keyword]}"
            )
        if element.vr == "SQ":
            sequences[element] = build_sequence(element, value)
            continue
        if _signed_by_pixels(element) and element.tag < _PIXEL_REPRESENTATION:
            # Found by the property test: GDCM (and so ITK's readers) cannot read
            # such an element before it has read the Pixel Representation that
            # decides its VR ("pixelrep < t"), in Explicit VR files too (measured).
            raise MetadataError(
                f"{element}: its VR (US or SS) follows (0028,0103) PixelRepresentation, "
                "which comes after it in the file; GDCM-based readers cannot read it back"
            )
        # "US or SS" elements are checked once the pixels' signedness is known.
        checked = (
            Element(element.tag, element.keyword, "SL", element.vm)
            if _signed_by_pixels(element)
            else element
        )
        text = format_value(checked, value)  # type: ignore[arg-type]
        if iod is not None and text == "" and element.keyword in TYPE1[iod.modality]:
            raise MetadataError(
                f"{element}: an empty value; it is Type 1 in the {iod.modality} IOD and must "
                "have a value (leave it out and the writer sets one)"
            )
        values[element] = text
    uids = {e.keyword: t for e, t in values.items() if e.keyword in _IDENTIFIERS}
    if "StudyInstanceUID" in uids and uids["StudyInstanceUID"] == uids.get("SeriesInstanceUID"):
        raise MetadataError(
            f"{resolve('SeriesInstanceUID')}: {uids['SeriesInstanceUID']!r} equals the "
            f"{resolve('StudyInstanceUID')}; a series needs a UID of its own"
        )
    return UserMetadata(values, sequences)


def _put(tags: dict[str, str], keyword: str, value: Value) -> None:
    element = resolve(keyword)
    tags[element.key] = value if isinstance(value, str) else format_value(element, value)


def _window(rng: ValueRange) -> tuple[str, str] | None:
    """A full-range VOI window; none when the range is narrower than 1, the minimum width."""
    width = rng.maximum - rng.minimum
    centre = (rng.maximum + rng.minimum) / 2
    if width < 1 or max(width, abs(centre)) >= 2**31:
        # The VOI LUT module is optional in these IODs; a window beyond 32 bits
        # (full-range 64-bit input) is read as negative by dciodvfy and others.
        return None
    return format_ds(centre), format_ds(width)


def series_header(
    iod: IOD,
    geometry: Geometry,
    encoding: Encoding,
    value_range: ValueRange,
    user: Mapping[Element, str],
    inherited: Mapping[Element, str] | None = None,
    now: _dt.datetime | None = None,
) -> SeriesHeader:
    """Decide every series-level element.

    Parameters
    ----------
    iod : IOD
        The modality's definition; its defaults come first.
    geometry : Geometry
        Orientation, spacing and thickness.
    encoding : Encoding
        Pixel description and rescale.
    value_range : ValueRange
        For the default window.
    user : mapping
        Validated user metadata (:func:`validate_metadata`); wins over all but
        the computed elements.
    inherited : mapping, optional
        Elements taken from a template (patient, study, frame of reference).
    now : datetime, optional
        Creation time; one value for every date and time of the series.

    Returns
    -------
    SeriesHeader
    """
    now = now or _dt.datetime.now()
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S.%f")
    tags: dict[str, str] = {}
    for keyword, value in iod.defaults.items():
        _put(tags, keyword, value)
    if iod.modality == "PT":
        # PET Image: Acquisition Date/Time are Type 2 and anchor Frame Reference Time.
        _put(tags, "AcquisitionDate", date)
        _put(tags, "AcquisitionTime", time)
        _put(tags, "NumberOfSlices", str(geometry.size[2]))
    for keyword in ("StudyDate", "SeriesDate", "ContentDate", "InstanceCreationDate"):
        _put(tags, keyword, date)
    for keyword in ("StudyTime", "SeriesTime", "ContentTime", "InstanceCreationTime"):
        _put(tags, keyword, time)
    _put(tags, "StudyInstanceUID", new_uid())
    _put(tags, "SeriesInstanceUID", new_uid())
    _put(tags, "FrameOfReferenceUID", new_uid())
    _put(tags, "ImageType", iod.image_type)
    _put(tags, "Modality", iod.modality)
    _put(tags, "SOPClassUID", iod.sop_class_uid)
    _put(tags, "ImageOrientationPatient", geometry.orientation)
    _put(tags, "PatientOrientation", patient_orientation(geometry.direction))
    _put(tags, "PixelSpacing", geometry.pixel_spacing)
    if geometry.spacing[2] is not None:
        _put(tags, "SliceThickness", format_ds(geometry.spacing[2]))
        _put(tags, "SpacingBetweenSlices", format_ds(geometry.spacing[2]))
    else:
        _put(tags, "SliceThickness", "")
    _put(tags, "SamplesPerPixel", "1")
    _put(tags, "PhotometricInterpretation", "MONOCHROME2")
    _put(tags, "BitsAllocated", str(encoding.bits))
    _put(tags, "BitsStored", str(encoding.bits))
    _put(tags, "HighBit", str(encoding.bits - 1))
    _put(tags, "PixelRepresentation", "1" if encoding.signed else "0")
    _put(tags, "RescaleIntercept", encoding.intercept_ds)
    _put(tags, "RescaleSlope", encoding.slope_ds)
    if iod.modality == "OT":
        # Type 1C in the SC Image module whenever Rescale Intercept is present;
        # US (unspecified) is the honest unit for a derived value.
        _put(tags, "RescaleType", "US")
    elif iod.modality == "CT":
        # CT values are Hounsfield units (CT Image C.8.2.1); GDCM would write US.
        _put(tags, "RescaleType", "HU")
    window = _window(value_range)
    if window is not None:
        _put(tags, "WindowCenter", window[0])
        _put(tags, "WindowWidth", window[1])
    for element, value in (inherited or {}).items():
        tags[element.key] = value
    given = {element.key: value for element, value in user.items()}
    body_part = given.get(_BODY_PART, tags.get(_BODY_PART, "")).strip()
    if body_part and body_part not in _PAIRED and _LATERALITY not in given:
        # Laterality (Type 2C) may only be present for a paired structure.
        tags.pop(_LATERALITY, None)
    if not all(v.isascii() for v in (*tags.values(), *given.values())):
        tags[_CHARSET] = _UTF8
    # The user's values are written as typed elements; the header text keeps only
    # the identifiers, which the caller reports (SeriesHeader's UIDs).
    for element, value in user.items():
        if element.keyword in _IDENTIFIERS:
            tags[element.key] = value
        else:
            tags.pop(element.key, None)
    return SeriesHeader(
        tags,
        tags[resolve("StudyInstanceUID").key],
        tags[resolve("SeriesInstanceUID").key],
        tags[resolve("FrameOfReferenceUID").key],
    )


_IPP, _INSTANCE, _SOP_UID, _LOCATION, _IMAGE_INDEX = (
    resolve(k).key
    for k in (
        "ImagePositionPatient", "InstanceNumber", "SOPInstanceUID", "SliceLocation", "ImageIndex"
    )
)  # fmt: skip


def slice_tags(iod: IOD, geometry: Geometry, k: int) -> dict[str, str]:
    """Elements of slice ``k`` (0-based): position, number and instance UID."""
    tags = {
        _IPP: geometry.position_ds(k),
        _INSTANCE: str(k + 1),
        _SOP_UID: new_uid(),
        _LOCATION: geometry.slice_location(k),
    }
    if iod.modality == "PT":
        tags[_IMAGE_INDEX] = str(k + 1)
    return tags
