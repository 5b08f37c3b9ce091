"""The exception classes the package raises.

Every error derives from :class:`DicomWriterError`, so a caller can catch the
whole family; each also derives from the built-in exception a Python user
would expect for that kind of failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verify import VerificationReport


class DicomWriterError(Exception):
    """Base class of every error raised by ``simpleitk_dicomwriter``."""


class InputError(DicomWriterError, ValueError):
    """The image or array cannot be written (values, rank, dtype, geometry)."""


class MetadataError(DicomWriterError, ValueError):
    """A DICOM element, value, UID or template is not acceptable."""


class OutputError(DicomWriterError, OSError):
    """The output directory cannot receive the series."""


class VerificationError(DicomWriterError):
    """The written series does not round-trip.

    Parameters
    ----------
    message : str
        Human-readable summary.
    report : VerificationReport
        The full comparison; ``report.problems`` lists each mismatch.
    """

    def __init__(self, message: str, report: VerificationReport) -> None:
        super().__init__(message, report)
        self.report = report

    def __str__(self) -> str:
        return str(self.args[0])
