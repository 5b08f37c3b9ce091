"""GDCM's process-global state, put into one known condition before any write.

ITK's DICOM reader switches on GDCM's ForceRescaleInterceptSlope (and the
image plane for Secondary Capture) for the rest of the process. Before that,
GDCM writes MR with a rescale as Enhanced MR and drops Secondary Capture
geometry. Reading one tiny file first makes every write the same, whatever
the process did before.
"""

from __future__ import annotations

import logging
import os
import tempfile

import pydicom
import SimpleITK as sitk
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, SecondaryCaptureImageStorage

__all__ = ["prime_gdcm"]

_log = logging.getLogger(__name__)
_primed = False


def prime_gdcm() -> None:
    """Put GDCM's global flags in the state a DICOM read leaves them (once per process)."""
    global _primed
    if _primed:
        return
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = UID("2.25.1")
    ds.Modality = "OT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = b"\0\0"
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "prime.dcm")
        ds.save_as(path, enforce_file_format=True)
        reader = sitk.ImageFileReader()
        reader.SetImageIO("GDCMImageIO")
        reader.SetFileName(path)
        reader.ReadImageInformation()
    _log.debug("GDCM primed by reading %s", path)
    _primed = True
