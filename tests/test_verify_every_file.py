"""verify_series checks every file: tampering with any one file is found and named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest

import simpleitk_dicomwriter as dw

SPACING = (0.7, 0.8, 2.5)
ORIGIN = (-20.0, 10.0, 5.0)


def _shift(axis: int, mm: float) -> Callable[[pydicom.Dataset], None]:
    def tamper(ds: pydicom.Dataset) -> None:
        position = [float(v) for v in ds.ImagePositionPatient]
        position[axis] += mm
        ds.ImagePositionPatient = position

    return tamper


def _flip_orientation(ds: pydicom.Dataset) -> None:
    ds.ImageOrientationPatient = [-float(v) for v in ds.ImageOrientationPatient]


def _spacing(ds: pydicom.Dataset) -> None:
    ds.PixelSpacing = [float(ds.PixelSpacing[0]) * 1.1, float(ds.PixelSpacing[1])]


def _pixel_representation(ds: pydicom.Dataset) -> None:
    ds.PixelRepresentation = 1 - int(ds.PixelRepresentation)


def _slope(ds: pydicom.Dataset) -> None:
    ds.RescaleSlope = float(ds.RescaleSlope) * 2


def _bits_stored(ds: pydicom.Dataset) -> None:
    ds.BitsStored, ds.HighBit = 12, 11


TAMPERS: dict[str, tuple[str, Callable[[pydicom.Dataset], None]]] = {
    "position_z_half_mm": ("ImagePositionPatient", _shift(2, 0.5)),
    "position_x_5mm": ("ImagePositionPatient", _shift(0, 5.0)),
    "orientation_flipped": ("ImageOrientationPatient", _flip_orientation),
    "pixel_spacing": ("PixelSpacing", _spacing),
    "pixel_representation": ("PixelRepresentation", _pixel_representation),
    "rescale_slope": ("RescaleSlope", _slope),
    "bits_stored": ("BitsStored", _bits_stored),
}


@pytest.mark.parametrize("which", ["middle", "last"])
@pytest.mark.parametrize("dtype", ["int16", "float32"])
@pytest.mark.parametrize("case", list(TAMPERS))
def test_tampering_with_one_file_is_found(
    tmp_path: Path, case: str, dtype: str, which: str
) -> None:
    rng = np.random.default_rng(5)
    array = rng.integers(-500, 1500, (7, 12, 10)).astype(dtype)
    if dtype == "float32":
        array += rng.uniform(0, 1, array.shape).astype(np.float32)
    ws = dw.write_series(array, tmp_path / "s", spacing=SPACING, origin=ORIGIN, durable=False)
    untouched = dw.verify_series(ws.directory, array, spacing=SPACING, origin=ORIGIN)
    assert untouched.ok, untouched.problems
    target = ws.files[3 if which == "middle" else -1]
    keyword, tamper = TAMPERS[case]
    ds = pydicom.dcmread(target)
    tamper(ds)
    ds.save_as(target)
    report = dw.verify_series(ws.directory, array, spacing=SPACING, origin=ORIGIN)
    assert not report.ok
    named = [p for p in report.problems if p.startswith(target.name + ":")]
    assert named, report.problems
    assert any(keyword in p for p in named), named


def test_ndarray_reference_with_geometry(tmp_path: Path) -> None:
    array = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    direction = (0, 1, 0, 1, 0, 0, 0, 0, -1)  # left-handed
    ws = dw.write_series(array, tmp_path / "s", spacing=SPACING, direction=direction)
    assert dw.verify_series(ws.directory, array, spacing=SPACING, direction=direction).ok
    wrong = dw.verify_series(ws.directory, array, spacing=(0.7, 0.8, 3.0), direction=direction)
    assert not wrong.ok
    assert not dw.verify_series(ws.directory, array).ok  # identity, spacing 1: not this series
    with pytest.raises(dw.InputError, match="only with an ndarray"):
        import SimpleITK as sitk

        dw.verify_series(ws.directory, sitk.GetImageFromArray(array), spacing=SPACING)
