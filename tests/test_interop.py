"""Interoperability: dcm2niix stacks every written series into one NIfTI volume
with the input's geometry and values.

SimpleITK reads the NIfTI back in LPS, so the comparison is made in physical
space: the 8 corner voxels as a set (dcm2niix may reorder or flip axes) and
every voxel's value at its physical point.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import SimpleITK as sitk
from conftest import (
    assert_corners_match,
    assert_same_in_physical_space,
    make_image,
    require_tool,
    rotation,
)

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.types import Modality

SHAPE = (6, 16, 20)
BAD_WORDS = re.compile(r"unstacked|missing|inconsistent|unable|error", re.IGNORECASE)


def _float(seed: int) -> npt.NDArray[np.float32]:
    return np.random.default_rng(seed).uniform(-150.0, 900.0, SHAPE).astype(np.float32)


def _int16(seed: int) -> npt.NDArray[np.int16]:
    return np.random.default_rng(seed).integers(-1024, 3071, SHAPE).astype(np.int16)


CASES: dict[str, tuple[Modality, npt.NDArray[np.generic], dict[str, Any]]] = {
    "ct_int16_axial": ("CT", _int16(1), {"spacing": (0.7, 0.7, 2.5), "origin": (-7, 5, -30)}),
    "ct_float_oblique": (
        "CT",
        _float(2),
        {
            "spacing": (0.9, 1.1, 3.0),
            "origin": (12.5, -40.25, 100.0),
            "direction": tuple(rotation((1, 2, 3), 27).ravel()),
        },
    ),
    "mr_float_anisotropic": (
        "MR",
        _float(3),
        {"spacing": (0.5, 0.8, 4.0), "origin": (-100.0, 50.5, 12.0)},
    ),
    "ct_left_handed": (
        "CT",
        _int16(4),
        {
            "spacing": (1.0, 1.0, 2.0),
            "origin": (0, 0, 50),
            "direction": (1, 0, 0, 0, 1, 0, 0, 0, -1),
        },
    ),
    "mr_left_handed_oblique": (
        "MR",
        _int16(5),
        {
            "spacing": (1.25, 0.75, 2.0),
            "origin": (-3.5, 8.0, -17.0),
            "direction": tuple((rotation((-2, 1, 0.5), 41) @ np.diag([1, 1, -1])).ravel()),
        },
    ),
    "mr_sagittal": (
        "MR",
        _int16(6),
        {"spacing": (0.9, 0.9, 3.0), "direction": (0, 0, -1, 1, 0, 0, 0, -1, 0)},
    ),
}


def run_dcm2niix(series: Path, out: Path) -> str:
    tool = require_tool("dcm2niix")
    out.mkdir()
    result = subprocess.run(
        [tool, "-z", "n", "-f", "out", "-o", str(out), str(series)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.mark.parametrize("case", list(CASES))
def test_dcm2niix_stacks_one_volume_with_the_same_geometry(tmp_path: Path, case: str) -> None:
    modality, array, geometry = CASES[case]
    ws = dw.write_series(array, tmp_path / "series", modality=modality, **geometry)
    output = run_dcm2niix(ws.directory, tmp_path / "nifti")
    bad = [line for line in output.splitlines() if BAD_WORDS.search(line)]
    assert not bad, output
    volumes = sorted((tmp_path / "nifti").glob("*.nii"))
    assert [v.name for v in volumes] == ["out.nii"], output
    assert f"Convert {SHAPE[0]} DICOM" in output, output

    nifti = sitk.ReadImage(str(volumes[0]))
    if nifti.GetDimension() == 4:  # a trailing time axis of length 1
        assert nifti.GetSize()[3] == 1
        nifti = nifti[:, :, :, 0]
    assert nifti.GetDimension() == 3
    assert sorted(nifti.GetSize()) == sorted(array.shape)

    reference = make_image(array, **geometry)
    assert_corners_match(nifti, reference, atol=1e-3)
    scale = float(np.max(np.abs(array)))
    # NIfTI holds scl_slope/scl_inter and the affine in float32
    tolerance = ws.max_error + 4 * float(np.finfo(np.float32).eps) * scale
    worst = assert_same_in_physical_space(nifti, reference, atol=tolerance)
    if np.issubdtype(array.dtype, np.integer):
        assert worst == 0.0
