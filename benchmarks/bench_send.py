"""Benchmark ``send_series`` (C-STORE and STOW-RS) against dcmtk's ``storescu``.

Starts a private Orthanc on loopback, writes W1 (512x512x300 int16), then times,
interleaved and in the same run, our C-STORE, our STOW-RS and ``storescu`` sending
the same files; the series is deleted from Orthanc between runs so that every run
stores afresh. Prints medians and the ratios (target: C-STORE within 1.3x of
storescu).

    python benchmarks/bench_send.py [--repeat 3] [--slices 300]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

import simpleitk_dicomwriter as dw

_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_orthanc(root: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    http, dicom = _port(), _port()
    config = {"HttpPort": http, "DicomPort": dicom, "DicomAet": "ORTHANC",
              "StorageDirectory": str(root / "db"), "IndexDirectory": str(root / "db"),
              "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
              "HttpBindAddress": "127.0.0.1", "DicomBindAddress": "127.0.0.1",
              "Plugins": [_PLUGIN],
              "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}}  # fmt: skip
    (root / "orthanc.json").write_text(json.dumps(config))
    binary = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
    process = subprocess.Popen([binary, str(root / "orthanc.json")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{http}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/system", timeout=1).read()
            return process, base, dicom
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("Orthanc did not start")


def _clear(base: str) -> None:
    for series in json.loads(urllib.request.urlopen(base + "/series", timeout=30).read()):
        request = urllib.request.Request(f"{base}/series/{series}", method="DELETE")
        urllib.request.urlopen(request, timeout=60).read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slices", type=int, default=300)
    args = parser.parse_args()
    storescu = shutil.which("storescu")
    if storescu is None:
        raise SystemExit("storescu (dcmtk) is needed for the baseline")
    scratch = Path(tempfile.mkdtemp(prefix="bench_send_"))
    process, base, port = _start_orthanc(scratch)
    try:
        volume = np.random.default_rng(0).integers(-1000, 3000, (args.slices, 512, 512))
        ws = dw.write_series(volume.astype(np.int16), scratch / "w1", durable=False)
        files = [str(f) for f in ws.files]
        node = f"ORTHANC@127.0.0.1:{port}"
        methods = {
            "ours_cstore": lambda: dw.send_series(ws.directory, node),
            "ours_stow": lambda: dw.send_series(ws.directory, base + "/dicom-web"),
            "storescu": lambda: subprocess.run(
                [storescu, "-aec", "ORTHANC", "127.0.0.1", str(port), *files], check=True
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(args.repeat):
            for name, send in methods.items():
                _clear(base)
                started = time.perf_counter()
                send()
                times[name].append(time.perf_counter() - started)
        medians = {name: statistics.median(t) for name, t in times.items()}
        print(f"W1 ({args.slices} x 512 x 512 int16), median of {args.repeat}:")
        for name, seconds in medians.items():
            print(f"  {name:<12} {seconds:.3f} s")
        for name in ("ours_cstore", "ours_stow"):
            ratio = medians[name] / medians["storescu"]
            print(f"  {name} / storescu = {ratio:.2f} (target <= 1.3)")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
