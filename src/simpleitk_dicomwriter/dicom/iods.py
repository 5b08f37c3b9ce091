"""Information Object Definitions: per modality, the SOP class and the defaults.

Each modality writes its legacy single-frame storage SOP class. ``defaults``
holds every Type 1 and Type 2 attribute of the IOD that the writer does not
compute itself (UIDs, dates, geometry and pixel description are computed), with
values that are honest for a derived image: Type 2 attributes whose truth is
unknown are present and empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydicom.uid import (
    CTImageStorage,
    MRImageStorage,
    PositronEmissionTomographyImageStorage,
    SecondaryCaptureImageStorage,
)

from .._version import __version__

__all__ = ["IOD", "IODS", "MODALITIES", "TYPE1"]

_COMMON: dict[str, str] = {
    # Patient (PS3.3 C.7.1.1)
    "PatientName": "",
    "PatientID": "",
    "PatientBirthDate": "",
    "PatientSex": "",
    # General Study (C.7.2.1)
    "ReferringPhysicianName": "",
    # Type 2, but a file-set (DICOMDIR, dcmmkdir) needs a value: a new study is study 1.
    "StudyID": "1",
    "AccessionNumber": "",
    # General Series (C.7.3.1)
    "SeriesNumber": "1",
    # Type 3, but dcm2niix names files by it and warns when it is empty.
    "ProtocolName": "DERIVED",
    # Type 2C: dciodvfy requires it unless the body part is known to be unpaired;
    # for a derived image it is unknown, which an empty value says.
    "Laterality": "",
    # General Equipment (C.7.5.1)
    "Manufacturer": "simpleitk_dicomwriter",
    "ManufacturerModelName": "simpleitk_dicomwriter",
    "SoftwareVersions": __version__,
    # General Image (C.7.6.1)
    "BurnedInAnnotation": "NO",
    "LossyImageCompression": "00",
    # Frame of Reference (C.7.4.1)
    "PositionReferenceIndicator": "",
}


@dataclass(frozen=True)
class IOD:
    """What a modality's storage SOP class needs.

    Attributes
    ----------
    modality : str
        Value of (0008,0060) Modality.
    sop_class_uid : str
        The legacy single-frame storage SOP class.
    allow_8bit : bool
        Whether 8-bit pixels are allowed (else 16 bits are stored).
    zero_intercept : bool
        Whether (0028,1052) Rescale Intercept must be 0.
    defaults : dict
        Keyword -> value of the attributes the writer does not compute.
    sequences : tuple of str
        Type 2 sequences of the IOD, written empty unless the user gives items.
    """

    modality: str
    sop_class_uid: str
    allow_8bit: bool
    zero_intercept: bool
    image_type: str
    defaults: dict[str, str] = field(default_factory=dict)
    sequences: tuple[str, ...] = ()


# Modality-specific Type 1 and 2 attributes, on top of _COMMON.
_CT = {"PatientPosition": "", "KVP": "", "AcquisitionNumber": ""}
_MR = {
    "PatientPosition": "",
    # RM (research mode) and NONE: the honest terms for a computed image.
    "ScanningSequence": "RM",
    "SequenceVariant": "NONE",
    "ScanOptions": "",
    "MRAcquisitionType": "",
    "RepetitionTime": "",
    "EchoTime": "",
    "EchoTrainLength": "",
    "AcquisitionNumber": "",
}
_PT = {
    # PET Series (C.8.9.1): a reconstructed static image in Bq/ml.
    "Units": "BQML",
    "CountsSource": "EMISSION",
    "SeriesType": "STATIC\\IMAGE",
    "CorrectedImage": "",
    "DecayCorrection": "NONE",
    "CollimatorType": "",
    # PET Image (C.8.9.4)
    "FrameReferenceTime": "0",
    "ActualFrameDuration": "",
}
_PT_SEQUENCES = (
    "RadiopharmaceuticalInformationSequence",
    "PatientOrientationCodeSequence",
    "PatientGantryRelationshipCodeSequence",
)
# SC Equipment (C.8.6.1): WSD = workstation.
_OT = {"ConversionType": "WSD"}

IODS: dict[str, IOD] = {
    "CT": IOD("CT", str(CTImageStorage), False, False, "DERIVED\\SECONDARY\\AXIAL",
              {**_COMMON, **_CT}),
    "MR": IOD("MR", str(MRImageStorage), False, False, "DERIVED\\SECONDARY\\OTHER",
              {**_COMMON, **_MR}),
    # PET Image C.8.9.4.1.1: Image Type value 2 is always PRIMARY; Rescale Intercept is 0.
    "PT": IOD("PT", str(PositronEmissionTomographyImageStorage), False, True, "DERIVED\\PRIMARY",
              {**_COMMON, **_PT}, _PT_SEQUENCES),
    "OT": IOD("OT", str(SecondaryCaptureImageStorage), True, False, "DERIVED\\SECONDARY",
              {**_COMMON, **_OT}),
}  # fmt: skip

MODALITIES = tuple(IODS)

# Type 1 attributes a user may set (the rest the writer computes): an empty value
# would make the file invalid, so it is refused.
_TYPE1_COMMON = ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "ImageType")
TYPE1: dict[str, frozenset[str]] = {
    "CT": frozenset(_TYPE1_COMMON),
    "MR": frozenset((*_TYPE1_COMMON, "ScanningSequence", "SequenceVariant")),
    "PT": frozenset(
        (
            *_TYPE1_COMMON,
            "Units",
            "CountsSource",
            "SeriesType",
            "DecayCorrection",
            "FrameReferenceTime",
        )
    ),
    "OT": frozenset((*_TYPE1_COMMON, "ConversionType")),
}
