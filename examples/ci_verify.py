"""Prove in CI that a DICOM series round-trips, and that the check has teeth.

``verify_series`` re-reads a series and compares it with the image it should
hold: values within the quantization bound, spacing, origin, direction, file
count and identifiers. This script verifies a freshly written series, then
changes one pixel of one file (as a faulty transfer or an over-eager tool
might) and shows that verification now fails.

Exit status 0 only if the untouched series verifies AND the tampered one does not.

Usage: python ci_verify.py [OUTPUT_DIR]   (default: a new temporary directory)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

import simpleitk_dicomwriter as dw


def tamper(path: Path) -> None:
    """Add 100 to one stored pixel of a DICOM file, keeping everything else."""
    dataset = pydicom.dcmread(path)
    pixels = dataset.pixel_array.copy()
    pixels[0, 0] += 100
    dataset.PixelData = pixels.tobytes()
    dataset.save_as(path)


def main(argv: list[str] | None = None) -> int:
    """Write, verify, tamper, verify again; report both outcomes."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="ci_verify."))
    # An image, not a bare array, so that the reference carries its geometry too.
    reference = sitk.GetImageFromArray(np.arange(4 * 16 * 16, dtype=np.int16).reshape(4, 16, 16))
    reference.SetSpacing((0.5, 0.5, 1.25))
    reference.SetOrigin((-4.0, -4.0, 10.0))
    written = dw.write_series(reference, root / "series")

    clean = dw.verify_series(written.directory, reference, tolerance=0)
    print(f"untouched series: ok={clean.ok}")

    tamper(written.files[2])
    tampered = dw.verify_series(written.directory, reference, tolerance=0)
    print(f"tampered series:  ok={tampered.ok}")
    for problem in tampered.problems:
        print(f"  - {problem}")
    return 0 if clean.ok and not tampered.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
