"""Where a series is sent: ``AE_TITLE@HOST:PORT`` (DICOM) or a DICOMweb base URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError

__all__ = ["DicomNode", "WebService", "parse_destination", "validate_ae_title"]

_AE_RE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # printable ASCII, no backslash


@dataclass(frozen=True)
class DicomNode:
    """A DICOM peer reached by C-STORE."""

    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"


@dataclass(frozen=True)
class WebService:
    """A DICOMweb service reached by STOW-RS."""

    base_url: str

    def __str__(self) -> str:
        return self.base_url


def validate_ae_title(title: object, what: str = "AE title") -> str:
    """``title`` if it is a valid AE title (1-16 printable characters, no backslash)."""
    if not isinstance(title, str) or not _AE_RE.match(title) or not title.strip():
        raise InputError(
            f"{what} {title!r} is not a valid AE title (1 to 16 printable ASCII characters, "
            "no backslash)"
        )
    return title


def parse_destination(text: object) -> DicomNode | WebService:
    """Parse ``AE_TITLE@HOST:PORT`` or an ``http(s)://`` DICOMweb base URL.

    Raises
    ------
    InputError
        For anything else, before any connection is tried.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"destination {text!r} is empty or not a string")
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if not parts.hostname:
            raise InputError(f"destination {text!r} has no host")
        return WebService(text.rstrip("/"))
    title, at, address = text.rpartition("@")
    host, colon, port = address.rpartition(":")
    if not at or not colon or not host:
        raise InputError(
            f"destination {text!r} is neither AE_TITLE@HOST:PORT nor an http(s):// DICOMweb URL"
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"destination {text!r}: port {port!r} is not a number from 1 to 65535")
    return DicomNode(validate_ae_title(title, "called AE title"), host.strip("[]"), int(port))
