"""Write a NumPy array or a SimpleITK image as a DICOM series that every DICOM
reader reads back correctly, and prove it by re-reading what was written.

>>> import numpy as np, simpleitk_dicomwriter as dw
>>> ws = dw.write_series(np.zeros((3, 4, 5), np.int16), "out", modality="CT")  # doctest: +SKIP
"""

import logging

from ._version import __version__
from .batch import BatchReport, write_batch
from .errors import (
    DicomWriterError,
    InputError,
    MetadataError,
    OutputError,
    SendError,
    VerificationError,
)
from .readers.series import read_series
from .send import SendReport, send_series
from .verify import VerificationReport, verify_series
from .write import WrittenSeries, write_series

# A library leaves logging configuration to its application (the CLI sets it up).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "BatchReport",
    "DicomWriterError",
    "InputError",
    "MetadataError",
    "OutputError",
    "SendError",
    "SendReport",
    "VerificationError",
    "VerificationReport",
    "WrittenSeries",
    "__version__",
    "read_series",
    "send_series",
    "verify_series",
    "write_batch",
    "write_series",
]
