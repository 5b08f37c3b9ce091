"""Sending a written series to a PACS (C-STORE) or a DICOMweb service (STOW-RS)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .errors import InputError, SendError
from .readers.headers import scan_headers
from .sinks.cstore import FileToSend, count_instances, cstore
from .sinks.destination import DicomNode, WebService, parse_destination, validate_ae_title
from .sinks.report import SendReport
from .sinks.stow import stow
from .types import PathInput

__all__ = ["SendReport", "send_series"]

_TAGS = ["SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID"]


def _files(series_dir: Path) -> tuple[list[FileToSend], list[str]]:
    """The files to send, and the Series Instance UIDs among them."""
    if not series_dir.is_dir():
        raise InputError(f"{series_dir} is not a directory")
    scan = scan_headers(series_dir, specific_tags=_TAGS)
    headers = {p: h for p, h in scan.headers.items() if "SOPInstanceUID" in h}
    files = []
    for path, h in headers.items():
        syntax = str(h.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2"))
        files.append(FileToSend(path, str(h.get("SOPClassUID", "")), str(h.SOPInstanceUID), syntax))
    if not files:
        raise InputError(f"{series_dir} holds no DICOM files to send")
    return files, sorted({str(h.get("SeriesInstanceUID", "")) for h in headers.values()})


def _qido_count(service: WebService, series_uid: str, timeout: float) -> int:
    query = urllib.parse.urlencode({"SeriesInstanceUID": series_uid, "includefield": "00201209"})
    request = urllib.request.Request(f"{service.base_url}/series?{query}")
    request.add_header("Accept", "application/dicom+json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            found = json.loads(response.read() or b"[]")
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise SendError(f"{service}: cannot ask how many instances it holds ({error})") from None
    return sum(int((s.get("00201209", {}).get("Value") or [0])[0]) for s in found)


def send_series(
    series_dir: PathInput,
    destination: str,
    *,
    calling_ae_title: str = "DICOMWRITER",
    timeout: float = 30.0,
    confirm: bool = False,
) -> SendReport:
    """Send the DICOM files of a folder to a PACS or a DICOMweb service.

    Parameters
    ----------
    series_dir : path
        The folder of a written series.
    destination : str
        ``"AE_TITLE@HOST:PORT"`` to send by C-STORE (needs the ``[pacs]``
        extra), or an ``http(s)://`` DICOMweb base URL (e.g.
        ``http://host:8042/dicom-web``) to send by STOW-RS.
    calling_ae_title : str
        Our AE title, for C-STORE.
    timeout : float
        Seconds to wait for a connection, an association or an answer.
    confirm : bool
        Afterwards ask the peer (C-FIND or QIDO-RS at series level) how many
        instances of the series it holds; a mismatch makes the report not ok.

    Returns
    -------
    SendReport
        Files the peer refused are listed in ``failed``, not raised.

    Raises
    ------
    InputError
        For a malformed destination or AE title, or a folder without DICOM files.
    SendError
        When the destination cannot be reached, refuses the association or
        does not answer within ``timeout``.
    """
    target = parse_destination(destination)
    validate_ae_title(calling_ae_title, "calling AE title")
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise InputError(f"timeout {timeout!r} must be a positive number of seconds")
    files, uids = _files(Path(series_dir))
    report = SendReport(ok=False, destination=str(target), series_instance_uid=uids[0] or None)
    started = time.monotonic()
    if isinstance(target, DicomNode):
        cstore(files, target, report, calling_ae_title, timeout)
    else:
        stow(files, target, report, timeout)
    if confirm and report.series_instance_uid is not None:
        if isinstance(target, DicomNode):
            report.confirmed = count_instances(
                target, report.series_instance_uid, calling_ae_title, timeout
            )
        else:
            report.confirmed = _qido_count(target, report.series_instance_uid, timeout)
    report.seconds = time.monotonic() - started
    report.ok = not report.failed and report.sent == len(files)
    if report.confirmed is not None and report.confirmed < len(files):
        report.ok = False
        report.failed.append({"file": None, "status": "confirm",
                              "reason": f"the peer holds {report.confirmed} of {len(files)} "
                                        "instances of the series"})  # fmt: skip
    return report
