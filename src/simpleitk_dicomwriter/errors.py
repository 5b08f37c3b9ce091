"""The exception classes the package raises.

Every error derives from :class:`DicomWriterError`, so a caller can catch the
whole family; each also derives from the built-in exception a Python user
would expect for that kind of failure.
"""

from __future__ import annotations

import errno
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


class SendError(DicomWriterError, OSError):
    """A PACS or DICOMweb destination cannot be reached, refuses, or times out."""


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


# errno -> what a user should read instead of "DICOM does not support this component type".
_PLAIN = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.ENAMETOOLONG: "the file name is too long for the file system",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.EBUSY: "the directory is busy (a mount point or in use)",
    errno.ENOTDIR: "a component of the path is not a directory",
    errno.ENOENT: "no such file or directory",
    errno.EEXIST: "it already exists",
    errno.EXDEV: "it is on another file system",
    errno.EIO: "an input/output error (the device failed)",
    errno.EMFILE: "too many open files",
}


def output_error(what: str, path: object, error: OSError) -> OutputError:
    """An :class:`OutputError` saying what failed, where, and why in plain words."""
    reason = _PLAIN.get(error.errno or 0) or error.strerror or str(error)
    return OutputError(f"cannot {what} {path}: {reason}")
