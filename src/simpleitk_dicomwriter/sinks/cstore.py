"""Sending files by DICOM C-STORE (pynetdicom, the ``[pacs]`` extra).

One association carries the series, with a presentation context for each
file's SOP class and transfer syntax. A refused file is reported with its
status and the rest are still sent; an association aborted mid-series is
re-opened a bounded number of times and the remaining files are sent. Sending
again is harmless: the SOP Instance UIDs are the same.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SendError
from ..extras import require
from .destination import DicomNode
from .report import SendReport

__all__ = ["FileToSend", "cstore"]

_log = logging.getLogger(__name__)
_REOPENS = 3  # an aborted association is re-opened at most this many times
_WARNINGS = {0xB000, 0xB006, 0xB007}


@dataclass(frozen=True)
class FileToSend:
    """A file and what its presentation context needs."""

    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str


def _reachable(node: DicomNode, timeout: float) -> None:
    try:
        with socket.create_connection((node.host, node.port), timeout=timeout):
            pass
    except socket.gaierror as error:
        raise SendError(f"{node}: unknown host {node.host!r} ({error.strerror})") from None
    except TimeoutError:
        raise SendError(f"{node}: no answer within {timeout:g} s") from None
    except OSError as error:
        raise SendError(f"{node}: cannot connect ({error.strerror or error})") from None


def _associate(ae: Any, node: DicomNode) -> Any:
    assoc = ae.associate(node.host, node.port, ae_title=node.ae_title)
    if assoc.is_established:
        return assoc
    if assoc.is_rejected:
        raise SendError(f"{node}: the association was rejected (is the called AE title right?)")
    if assoc.is_aborted:
        raise SendError(f"{node}: the association was aborted by the peer")
    raise SendError(f"{node}: no association (no answer within the timeout)")


def _status_text(code: int) -> str:
    from pynetdicom.status import code_to_category

    meaning = {
        0xA700: "out of resources",
        0xA900: "data set does not match SOP class",
        0xC000: "cannot understand",
        0x0122: "SOP class not supported",
        0x0124: "not authorized",
    }.get(code, "")
    category = code_to_category(code)
    return f"{category}{': ' + meaning if meaning else ''}"


def cstore(
    files: Sequence[FileToSend],
    node: DicomNode,
    report: SendReport,
    calling_ae_title: str,
    timeout: float,
) -> None:
    """Send ``files`` to ``node``, filling ``report``; raises SendError when unreachable."""
    pynetdicom = require("pynetdicom", "pacs")
    _reachable(node, timeout)
    ae = pynetdicom.AE(ae_title=calling_ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    contexts = sorted({(f.sop_class_uid, f.transfer_syntax_uid) for f in files})
    if len(contexts) > 128:
        raise SendError(f"{node}: {len(contexts)} presentation contexts exceed DICOM's 128")
    for sop_class, syntax in contexts:
        ae.add_requested_context(sop_class, syntax)
    pending = list(files)
    for _ in range(_REOPENS + 1):
        assoc = _associate(ae, node)
        report.associations += 1
        try:
            while pending and assoc.is_established:
                item = pending[0]
                try:
                    status = assoc.send_c_store(item.path)
                except (RuntimeError, ValueError) as error:  # no accepted context for it
                    failure = {"file": item.path.name, "status": None, "reason": str(error)}
                    report.failed.append(failure)
                    pending.pop(0)
                    continue
                code = int(status.get("Status", -1)) if status else -1
                if code == -1:
                    break  # no response: the association went away; resend this file
                pending.pop(0)
                if code == 0x0000 or code in _WARNINGS:
                    report.sent += 1
                else:
                    failure = {"file": item.path.name, "status": f"0x{code:04X}",
                               "reason": _status_text(code)}  # fmt: skip
                    report.failed.append(failure)
        finally:
            if assoc.is_established:
                assoc.release()
        if not pending:
            return
        _log.info("association to %s ended with %d files left; re-opening", node, len(pending))
    raise SendError(
        f"{node}: the association was aborted {_REOPENS + 1} times; {len(pending)} files unsent"
    )


def count_instances(
    node: DicomNode, series_instance_uid: str, calling_ae_title: str, timeout: float
) -> int:
    """How many instances of the series the peer holds (C-FIND, series level)."""
    pynetdicom = require("pynetdicom", "pacs")
    from pydicom.dataset import Dataset

    find_model = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Q/R Information Model - FIND

    ae = pynetdicom.AE(ae_title=calling_ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.add_requested_context(find_model)
    assoc = _associate(ae, node)
    query = Dataset()
    query.QueryRetrieveLevel = "SERIES"
    query.SeriesInstanceUID = series_instance_uid
    query.StudyInstanceUID = ""
    query.NumberOfSeriesRelatedInstances = ""
    found = 0
    try:
        for status, identifier in assoc.send_c_find(query, find_model):
            if status and status.Status in (0xFF00, 0xFF01) and identifier is not None:
                found += int(identifier.get("NumberOfSeriesRelatedInstances", 0) or 0)
    finally:
        if assoc.is_established:
            assoc.release()
    return found
