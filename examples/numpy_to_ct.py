"""Create a DICOM CT series from a NumPy array.

The classic task: a volume computed in NumPy (here a synthetic phantom in
Hounsfield units) becomes a CT series that viewers, PACS and converters accept,
with the patient and study attributes they display.

Usage: python numpy_to_ct.py [OUTPUT_DIR]   (default: a new temporary directory)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import simpleitk_dicomwriter as dw


def phantom(shape: tuple[int, int, int] = (40, 128, 128)) -> np.ndarray:
    """An int16 CT phantom, (z, y, x): body, two lungs, a spine, a small lesion."""
    z, y, x = np.indices(shape, dtype=np.float64)
    depth, rows, columns = shape
    z, y, x = z / (depth - 1), 2 * y / (rows - 1) - 1, 2 * x / (columns - 1) - 1
    hu = np.full(shape, -1000, np.int16)  # air
    hu[(x / 0.9) ** 2 + (y / 0.7) ** 2 < 1] = 40  # soft tissue
    for side in (-1, 1):
        hu[((x - side * 0.4) / 0.28) ** 2 + ((y + 0.05) / 0.45) ** 2 < 1] = -850  # lungs
    hu[x**2 + (y - 0.5) ** 2 < 0.1**2] = 700  # vertebra
    hu[(x + 0.4) ** 2 + (y + 0.1) ** 2 + (z - 0.5) ** 2 < 0.1**2] = 60  # lesion in a lung
    return hu


def main(argv: list[str] | None = None) -> int:
    """Write the phantom as a CT series and print what was written."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="numpy_to_ct."))
    volume = phantom()
    written = dw.write_series(
        volume,
        root / "ct",
        modality="CT",
        # x, y, z in mm; the origin puts the volume's centre at the scanner isocentre.
        spacing=(0.7, 0.7, 2.5),
        origin=(-44.45, -44.45, -48.75),
        metadata={
            "PatientName": "Doe^Jane",
            "PatientID": "PHANTOM-001",
            "PatientBirthDate": "19700101",
            "PatientSex": "F",
            "StudyDescription": "Synthetic chest phantom",
            "SeriesDescription": "Phantom from NumPy",
            "AccessionNumber": "A0001",
            "SeriesNumber": 1,
        },
    )
    # int16 Hounsfield units fit the stored range: written losslessly, slope 1.
    print(f"wrote {len(written.files)} files to {written.directory}")
    print(
        f"rescale slope {written.rescale_slope}, intercept {written.rescale_intercept}, "
        f"max error {written.max_error}"
    )
    print(f"verified: {written.report is not None and written.report.ok}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
