"""Sending files by DICOMweb STOW-RS (PS3.18 10.5): ``POST {base}/studies``.

Files go in batches as ``multipart/related; type="application/dicom"``. The
response's Failed SOP Sequence names each refused instance with its Failure
Reason; an HTTP error without one fails the whole batch. Only the standard
library is needed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import SendError
from .cstore import FileToSend
from .destination import WebService
from .report import SendReport

__all__ = ["stow"]

_BATCH = 50  # files per request: bounded memory, few round trips
_FAILED_SOP = "00081198"
_REFERENCED_SOP_INSTANCE = "00081155"
_FAILURE_REASON = "00081197"


def _body(files: Sequence[FileToSend], boundary: str) -> bytes:
    parts = []
    for item in files:
        parts += [f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(),
                  item.path.read_bytes(), b"\r\n"]  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def _failures(payload: bytes) -> dict[str, str]:
    """SOP Instance UID -> failure reason, from a DICOM JSON STOW response."""
    try:
        response: dict[str, Any] = json.loads(payload or b"{}")
    except ValueError:
        return {}
    failed: dict[str, str] = {}
    for item in response.get(_FAILED_SOP, {}).get("Value", []) or []:
        uid = (item.get(_REFERENCED_SOP_INSTANCE, {}).get("Value") or [""])[0]
        reason = (item.get(_FAILURE_REASON, {}).get("Value") or [None])[0]
        failed[str(uid)] = f"0x{int(reason):04X}" if isinstance(reason, int) else str(reason)
    return failed


def stow(
    files: Sequence[FileToSend], service: WebService, report: SendReport, timeout: float
) -> None:
    """Store ``files`` at ``service``, filling ``report``; SendError when unreachable."""
    url = f"{service.base_url}/studies"
    for start in range(0, len(files), _BATCH):
        batch = files[start : start + _BATCH]
        boundary = f"dicomwriter-{uuid.uuid4().hex}"
        request = urllib.request.Request(url, data=_body(batch, boundary), method="POST")
        request.add_header(
            "Content-Type", f'multipart/related; type="application/dicom"; boundary={boundary}'
        )
        request.add_header("Accept", "application/dicom+json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise SendError(f"{service}: cannot reach the DICOMweb service ({reason})") from None
        failures = _failures(payload)
        for item in batch:
            reason = failures.get(item.sop_instance_uid)
            if reason is None and status >= 400 and not failures:
                reason = f"HTTP {status}"
            elif reason is not None:
                reason = f"Failure Reason {reason}"
            if reason is not None:
                report.failed.append({"file": item.path.name, "status": status, "reason": reason})
            else:
                report.sent += 1
