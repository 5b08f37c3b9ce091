"""Write floating-point values and measure what the DICOM series keeps.

DICOM stores integers; float data are mapped onto them with a Rescale Slope and
Intercept. The writer picks the pair that minimises the error and reports the
bound; reading the series back shows the error actually made.

Usage: python float_series.py [OUTPUT_DIR]   (default: a new temporary directory)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk

import simpleitk_dicomwriter as dw


def main(argv: list[str] | None = None) -> int:
    """Write random floats in [-10, 10], read them back, print the errors."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="float_series."))
    rng = np.random.default_rng(seed=42)
    values = rng.uniform(-10, 10, size=(3, 4, 5))  # (z, y, x)
    spacing = (2.5, 3.5, 4.5)  # (x, y, z), as SimpleITK orders it
    written = dw.write_series(values, root / "float", modality="MR", spacing=spacing)

    image = dw.read_series(written.directory)
    read_back = sitk.GetArrayFromImage(image)
    error = float(np.max(np.abs(read_back - values)))
    print(f"rescale slope {written.rescale_slope:.10g}, intercept {written.rescale_intercept:.10g}")
    print(f"bound (half the slope) {written.rescale_slope / 2:.6g}")
    print(f"max error reported {written.max_error:.6g}, measured {error:.6g}")
    print(f"spacing read back {image.GetSpacing()}")
    within_bound = error <= written.rescale_slope / 2 * (1 + 1e-9)
    ok = within_bound and np.allclose(image.GetSpacing(), spacing)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
