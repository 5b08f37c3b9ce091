"""Sending to a real Orthanc by C-STORE and STOW-RS, and the ways a send goes wrong."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from conftest import Orthanc, free_port, orthanc_server

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter import InputError, SendError


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    with orthanc_server(tmp_path_factory.mktemp("orthanc-send")) as server:
        yield server


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        return json.loads(body) if response.headers.get_content_type().endswith("json") else body


_RNG = np.random.default_rng(1)
SERIES = {
    "ct_int16": ("CT", _RNG.integers(-1000, 2000, (6, 16, 12)).astype(np.int16)),
    "pt_float32": ("PT", _RNG.uniform(0, 5e4, (5, 12, 12)).astype(np.float32)),
    "ot_uint8": ("OT", _RNG.integers(0, 255, (4, 9, 11)).astype(np.uint8)),
}


def _orthanc_series(orthanc: Orthanc, uid: str) -> dict[str, Any]:
    found = json.loads(urllib.request.urlopen(urllib.request.Request(
        orthanc.base + "/tools/find", data=json.dumps(
            {"Level": "Series", "Query": {"SeriesInstanceUID": uid}, "Expand": True}).encode(),
        method="POST"), timeout=30).read())  # fmt: skip
    assert len(found) == 1, found
    series: dict[str, Any] = found[0]
    return series


@pytest.mark.parametrize("how", ["cstore", "stow"])
@pytest.mark.parametrize("name", list(SERIES))
def test_send_stores_the_series_as_written(
    tmp_path: Path, orthanc: Orthanc, name: str, how: str
) -> None:
    modality, array = SERIES[name]
    ws = dw.write_series(array, tmp_path / name, modality=modality, durable=False)  # type: ignore[arg-type]
    destination = (
        f"{orthanc.aet}@127.0.0.1:{orthanc.dicom_port}" if how == "cstore" else (orthanc.dicomweb)
    )
    report = dw.send_series(ws.directory, destination, confirm=True)
    assert report.ok, report.failed
    assert report.sent == len(ws.files) and report.confirmed == len(ws.files)
    series = _orthanc_series(orthanc, ws.series_instance_uid)
    assert len(series["Instances"]) == len(ws.files)
    study = _get(orthanc.base + f"/studies/{series['ParentStudy']}")
    assert study["MainDicomTags"]["StudyInstanceUID"] == ws.study_instance_uid
    written = {str(pydicom.dcmread(f).SOPInstanceUID): f for f in ws.files}
    for instance in series["Instances"]:
        stored = pydicom.dcmread(
            __import__("io").BytesIO(_get(orthanc.base + f"/instances/{instance}/file"))
        )
        original = pydicom.dcmread(written[str(stored.SOPInstanceUID)])
        assert stored.PixelData == original.PixelData
    again = dw.send_series(ws.directory, destination)  # a re-run is harmless
    assert again.ok and len(_orthanc_series(orthanc, ws.series_instance_uid)["Instances"]) == len(
        ws.files
    )


@pytest.mark.parametrize(
    "destination",
    ["nonsense", "AE@host", "AE@host:notaport", "AE@host:0", "A" * 17 + "@host:104",
     "BAD\\AE@host:104", "", "http://"],
)  # fmt: skip
def test_malformed_destinations_are_input_errors(tmp_path: Path, destination: str) -> None:
    ws = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "s", durable=False)
    with pytest.raises(InputError):
        dw.send_series(ws.directory, destination)


def test_unreachable_destinations_are_send_errors_within_the_timeout(tmp_path: Path) -> None:
    ws = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "s", durable=False)
    closed = free_port()
    for destination, words in [
        (f"PACS@127.0.0.1:{closed}", "cannot connect"),
        ("PACS@no-such-host.invalid:104", "unknown host"),
        (f"http://127.0.0.1:{closed}/dicom-web", "cannot reach"),
    ]:
        started = time.monotonic()
        with pytest.raises(SendError, match=words):
            dw.send_series(ws.directory, destination, timeout=3)
        assert time.monotonic() - started < 10


def test_a_silent_peer_times_out(tmp_path: Path) -> None:
    ws = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "s", durable=False)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(SendError, match=r"no association|aborted|rejected"):
            dw.send_series(ws.directory, f"PACS@127.0.0.1:{port}", timeout=2)
        assert time.monotonic() - started < 15


def test_a_rejected_association(tmp_path: Path) -> None:
    """A peer that checks the called AE title rejects a wrong one."""
    ws = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "s", durable=False)
    with pytest.raises(SendError, match=r"rejected|aborted"):
        dw.send_series(ws.directory, f"WRONG@127.0.0.1:{_strict_scp_port()}", timeout=5)


def test_a_folder_without_dicom(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing")
    with pytest.raises(dw.DicomWriterError, match="no DICOM"):
        dw.send_series(tmp_path, "PACS@127.0.0.1:104")


# --------------------------------------------------------------------------- a flaky SCP

_SCPS: dict[str, int] = {}


def _strict_scp_port() -> int:
    """A pynetdicom SCP whose AE title is STRICT and that refuses any other called AE."""
    if "strict" in _SCPS:
        return _SCPS["strict"]
    from pynetdicom import AE, AllStoragePresentationContexts

    ae = AE(ae_title="STRICT")
    ae.require_called_aet = True
    ae.supported_contexts = AllStoragePresentationContexts
    port = free_port()
    ae.start_server(("127.0.0.1", port), block=False)
    _SCPS["strict"] = port
    return port


def test_an_aborted_association_is_resumed(tmp_path: Path) -> None:
    """An SCP that aborts after every 3 files: the send re-opens and completes."""
    from pynetdicom import AE, AllStoragePresentationContexts, evt

    stored: set[str] = set()
    counter = {"n": 0}
    lock = threading.Lock()

    def handle(event: Any) -> int:
        with lock:
            stored.add(str(event.request.AffectedSOPInstanceUID))
            counter["n"] += 1
            if counter["n"] % 3 == 0:
                threading.Timer(0.01, event.assoc.abort).start()
        return 0x0000

    ae = AE(ae_title="FLAKY")
    ae.supported_contexts = AllStoragePresentationContexts
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_STORE, handle)])  # fmt: skip
    try:
        ws = dw.write_series(np.zeros((7, 4, 4), np.int16), tmp_path / "s", durable=False)
        report = dw.send_series(ws.directory, f"FLAKY@127.0.0.1:{port}", timeout=10)
    finally:
        assert server is not None
        server.shutdown()
    assert report.ok, report.failed
    assert report.associations >= 2
    assert stored == {str(pydicom.dcmread(f).SOPInstanceUID) for f in ws.files}


# --------------------------------------------------------------------------- command line


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("dicomwriter")
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=180, check=False)  # fmt: skip


def test_send_and_write_send_on_the_command_line(tmp_path: Path, orthanc: Orthanc) -> None:
    node = f"{orthanc.aet}@127.0.0.1:{orthanc.dicom_port}"
    written = _cli("write", "example:ct", tmp_path / "ex", "--send", node, "--confirm")
    assert written.returncode == 0, written.stderr
    assert "sent 32 file(s)" in written.stdout
    sent = _cli("send", tmp_path / "ex", orthanc.dicomweb, "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["sent"] == 32
    bad = _cli("send", tmp_path / "ex", "nonsense")
    assert (
        bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    )
    unreachable = _cli("send", tmp_path / "ex", f"PACS@127.0.0.1:{free_port()}", "--timeout", "2")
    assert unreachable.returncode == 2 and "cannot connect" in unreachable.stderr


_NO_PYNETDICOM = """
import sys, numpy as np
sys.modules["pynetdicom"] = None  # as if the [pacs] extra were not installed
import simpleitk_dicomwriter as dw
ws = dw.write_series(np.zeros((1, 4, 4), np.int16), sys.argv[1], durable=False)
try:
    dw.send_series(ws.directory, "PACS@127.0.0.1:104")
except dw.DicomWriterError as error:
    print(error)
"""


def test_without_the_extra_the_error_names_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", _NO_PYNETDICOM, str(tmp_path / "s")],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert "pip install 'simpleitk_dicomwriter[pacs]'" in result.stdout, result.stderr


# --------------------------------------------------------------------------- STOW-RS failures


def _stow_server(status: int, failed_uid: str | None) -> tuple[Any, int]:
    """A DICOMweb stand-in answering every STOW-RS request with ``status``."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body: dict[str, Any] = {}
            if failed_uid is not None:
                body = {"00081198": {"vr": "SQ", "Value": [
                    {"00081155": {"vr": "UI", "Value": [failed_uid]},
                     "00081197": {"vr": "US", "Value": [0xA700]}}]}}  # fmt: skip
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def test_stow_partial_failure_names_the_refused_file(tmp_path: Path) -> None:
    ws = dw.write_series(np.zeros((3, 4, 4), np.int16), tmp_path / "s", durable=False)
    refused = pydicom.dcmread(ws.files[1])
    server, port = _stow_server(202, str(refused.SOPInstanceUID))
    try:
        report = dw.send_series(ws.directory, f"http://127.0.0.1:{port}/dicom-web")
    finally:
        server.shutdown()
    assert not report.ok and report.sent == 2
    assert report.failed == [
        {"file": ws.files[1].name, "status": 202, "reason": "Failure Reason 0xA700"}
    ]


def test_stow_http_error_fails_every_file(tmp_path: Path) -> None:
    ws = dw.write_series(np.zeros((2, 4, 4), np.int16), tmp_path / "s", durable=False)
    server, port = _stow_server(500, None)
    try:
        report = dw.send_series(ws.directory, f"http://127.0.0.1:{port}/dicom-web")
    finally:
        server.shutdown()
    assert not report.ok and report.sent == 0
    assert [f["reason"] for f in report.failed] == ["HTTP 500", "HTTP 500"]
