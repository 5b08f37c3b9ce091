"""PET Image Storage (modality="PT") and Interfile input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from conftest import dcentvfy_errors, dciodvfy_errors, pydicom_volume, sitk_series, write_interfile

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.readers.images import load_image

PET_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.128"


def _activity(shape: tuple[int, int, int] = (6, 12, 10), negative: bool = False) -> np.ndarray:
    """A float32 activity volume: a hot sphere in a warm background, Bq/ml."""
    z, y, x = np.indices(shape, dtype=np.float32)
    centre = [(s - 1) / 2 for s in shape]
    r2 = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2
    volume = 5000.0 + 40000.0 * np.exp(-r2 / 6.0)
    noise = np.random.default_rng(3).normal(0, 300, shape)
    activity: np.ndarray = np.asarray(volume + noise, dtype=np.float32)
    if negative:  # OSEM/FBP reconstructions can undershoot below zero
        activity -= 7000.0
    return activity


@pytest.mark.parametrize("negative", [False, True])
def test_pet_series_validates_and_round_trips(tmp_path: Path, negative: bool) -> None:
    volume = _activity(negative=negative)
    ws = dw.write_series(
        volume, tmp_path / "pet", modality="PT", spacing=(4.0, 4.0, 2.027), origin=(-20, -24, 5)
    )
    assert ws.sop_class_uid == PET_SOP_CLASS
    assert ws.rescale_intercept == 0.0
    assert 0 < ws.max_error <= ws.rescale_slope / 2
    assert dciodvfy_errors(ws.files) == []
    assert dcentvfy_errors(ws.files) == []

    read = pydicom_volume(ws.directory)
    np.testing.assert_allclose(read.volume, volume, rtol=0, atol=ws.rescale_slope / 2 * 1.000001)
    assert float(np.max(np.abs(read.volume - volume))) == pytest.approx(ws.max_error, rel=1e-6)
    image = sitk_series(ws.directory)
    values = sitk.GetArrayFromImage(image)
    assert np.issubdtype(values.dtype, np.floating)
    np.testing.assert_allclose(values, volume, rtol=0, atol=ws.rescale_slope / 2 * 1.000001)
    np.testing.assert_allclose(image.GetSpacing(), (4.0, 4.0, 2.027), atol=1e-6)
    np.testing.assert_allclose(image.GetOrigin(), (-20, -24, 5), atol=1e-6)

    for index, ds in enumerate((pydicom.dcmread(f) for f in ws.files), 1):
        assert ds.Modality == "PT"
        assert float(ds.RescaleIntercept) == 0.0
        assert ds.Units == "BQML"
        assert list(ds.SeriesType) == ["STATIC", "IMAGE"]
        assert ds.CountsSource == "EMISSION"
        assert ds.DecayCorrection == "NONE"
        assert int(ds.ImageIndex) == index
        assert int(ds.NumberOfSlices) == volume.shape[0]
        assert float(ds.FrameReferenceTime) == 0.0
        assert ds.AcquisitionDate == ds.SeriesDate and ds.AcquisitionTime == ds.SeriesTime
        for keyword in (
            "RadiopharmaceuticalInformationSequence",
            "PatientOrientationCodeSequence",
            "PatientGantryRelationshipCodeSequence",
        ):
            assert keyword in ds and len(ds[keyword].value) == 0


def test_pet_user_sequences_and_units(tmp_path: Path) -> None:
    ws = dw.write_series(
        _activity(),
        tmp_path / "pet",
        modality="PT",
        metadata={
            "Units": "CNTS",
            "RadiopharmaceuticalInformationSequence": [
                {
                    "Radiopharmaceutical": "Fluorodeoxyglucose",
                    "RadionuclideTotalDose": 3.7e8,
                    "RadionuclideHalfLife": 6586.2,
                    "RadiopharmaceuticalStartTime": "101500",
                    "RadionuclideCodeSequence": [
                        {
                            "CodeValue": "C-111A1",
                            "CodingSchemeDesignator": "SRT",
                            "CodeMeaning": "^18^Fluorine",
                        }
                    ],
                }
            ],
        },
    )
    assert dciodvfy_errors(ws.files) == []
    ds = pydicom.dcmread(ws.files[0])
    assert ds.Units == "CNTS"
    (item,) = ds.RadiopharmaceuticalInformationSequence
    assert item.Radiopharmaceutical == "Fluorodeoxyglucose"
    assert float(item.RadionuclideTotalDose) == 3.7e8
    assert item.RadionuclideCodeSequence[0].CodeMeaning == "^18^Fluorine"


def test_pet_rejects_nonzero_explicit_intercept(tmp_path: Path) -> None:
    with pytest.raises(dw.InputError, match=r"\(0028,1052\) RescaleIntercept"):
        dw.write_series(_activity(), tmp_path / "pet", modality="PT", rescale=(1.0, -5.0))
    assert not (tmp_path / "pet").exists()


def test_bad_sequence_item_is_metadata_error(tmp_path: Path) -> None:
    with pytest.raises(dw.MetadataError, match=r"\(0018,1074\) RadionuclideTotalDose"):
        dw.write_series(
            _activity(),
            tmp_path / "pet",
            modality="PT",
            metadata={
                "RadiopharmaceuticalInformationSequence": [{"RadionuclideTotalDose": "a lot"}]
            },
        )
    assert not (tmp_path / "pet").exists()


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_interfile_to_verified_pet_series(tmp_path: Path, big_endian: bool, dtype: str) -> None:
    volume = _activity()
    if dtype == "int16":
        volume = np.rint(volume / 10).astype(np.int16)
    header = write_interfile(
        tmp_path,
        volume,
        spacing=(2.0, 2.5, 3.27),
        byte_order="BIGENDIAN" if big_endian else "LITTLEENDIAN",
        offset=256,
    )
    image = load_image(header)
    assert isinstance(image, sitk.Image)
    ws = dw.write_series(image, tmp_path / "pet", modality="PT")
    assert ws.report is not None and ws.report.ok
    read = pydicom_volume(ws.directory)
    bound = ws.rescale_slope / 2 * 1.000001 if dtype == "float32" else 0.0
    np.testing.assert_allclose(read.volume, volume, rtol=0, atol=bound)
    assert read.pixel_spacing == pytest.approx((2.5, 2.0))
    assert read.slice_spacing == pytest.approx(3.27)
    assert dciodvfy_errors(ws.files) == []


def test_the_readme_pet_example_passes_dciodvfy(tmp_path: Path) -> None:
    """A user-given radiopharmaceutical item is completed with its Type 2 attributes."""
    ws = dw.write_series(
        _activity(),
        tmp_path / "pet",
        modality="PT",
        metadata={
            "RadiopharmaceuticalInformationSequence": [
                {"Radiopharmaceutical": "Fluorodeoxyglucose", "RadionuclideTotalDose": 3.7e8}
            ]
        },
    )
    assert dciodvfy_errors(ws.files) == []
    (item,) = pydicom.dcmread(ws.files[0]).RadiopharmaceuticalInformationSequence
    assert "RadionuclideCodeSequence" in item
