"""End-to-end: write a series, then check it the way users and their tools see it.

Every written series is checked by dciodvfy/dcentvfy, re-read by SimpleITK's
ImageSeriesReader and by an independent pydicom reader, and compared with the
input voxel by voxel in physical space.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
import SimpleITK as sitk
from conftest import (
    SOP_CLASS,
    UID_RE,
    PydicomVolume,
    assert_same_in_physical_space,
    canonical_geometry,
    dcentvfy_errors,
    dciodvfy_errors,
    geometry3,
    make_image,
    pydicom_volume,
    raw_ds_values,
    rotation,
    sitk_series,
)

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.types import Modality

SHAPE = (6, 16, 20)  # (z, y, x)
ULPS = 8 * np.finfo(np.float64).eps
ENHANCED = {
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
    "1.2.840.10008.5.1.4.1.1.4.3",  # Enhanced MR Color
    "1.2.840.10008.5.1.4.1.1.4.4",  # Legacy Converted Enhanced MR
    "1.2.840.10008.5.1.4.1.1.2.2",  # Legacy Converted Enhanced CT
}
SERIES_LEVEL = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "FrameOfReferenceUID",
    "StudyDate",
    "StudyTime",
    "SeriesDate",
    "SeriesTime",
    "SOPClassUID",
    "Modality",
    "ImageOrientationPatient",
    "PixelSpacing",
)
SERIES_CONSISTENT = ("RescaleSlope", "RescaleIntercept", "SpecificCharacterSet", "PatientName")


def sample(dtype: str, shape: tuple[int, ...] = SHAPE, seed: int = 0) -> npt.NDArray[np.generic]:
    """Random data spanning much of the dtype's range that fits DICOM's 16 bits."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    low, high = {
        "uint8": (0, 255),
        "int8": (-128, 127),
        "int16": (-3000, 32767),
        "uint16": (0, 65535),
        "int32": (-32768, 32767),
        "uint32": (0, 65535),
        "float32": (-1024.5, 3071.25),
        "float64": (-1e3, 1e3),
    }[dtype]
    if dtype.startswith("float"):
        floats: npt.NDArray[np.generic] = rng.uniform(low, high, shape).astype(dtype)
        return floats
    data: npt.NDArray[np.generic] = rng.integers(int(low), int(high), shape, endpoint=True)
    data = data.astype(dtype)
    data.flat[0], data.flat[-1] = low, high  # the extremes are always present
    return data


def is_exact(array: npt.NDArray[np.generic]) -> bool:
    """Whether the contract promises a lossless round trip for this array."""
    if array.dtype == np.bool_:
        return True
    if np.issubdtype(array.dtype, np.integer):
        return bool(array.min() >= -32768 and array.max() <= 65535)
    return False


def input_image(array: npt.NDArray[np.generic], **geometry: object) -> sitk.Image:
    """SimpleITK image of the input (bool becomes uint8 for SimpleITK)."""
    data = array.astype(np.uint8) if array.dtype == np.bool_ else array
    return make_image(data, **geometry)  # type: ignore[arg-type]


def check_series(
    ws: dw.WrittenSeries,
    array: npt.NDArray[np.generic],
    modality: Modality,
    *,
    spacing: tuple[float, ...] | None = None,
    origin: tuple[float, ...] | None = None,
    direction: tuple[float, ...] | None = None,
) -> PydicomVolume:
    """Everything users see of a written series; returns the pydicom read-back."""
    reference = input_image(array, spacing=spacing, origin=origin, direction=direction)
    depth = 1 if array.ndim == 2 else array.shape[0]
    directory = Path(ws.directory)

    # files: one per slice, names sort in slice order, ws.files in that order
    names = sorted(os.listdir(directory))
    assert len(names) == depth
    assert [Path(f).name for f in ws.files] == names
    assert all(Path(f).parent == directory for f in ws.files)
    files = [directory / n for n in names]

    # the standard's own validators
    assert dciodvfy_errors(files) == []
    assert dcentvfy_errors(files) == []

    # headers
    datasets = [pydicom.dcmread(f) for f in files]
    for keyword in SERIES_LEVEL:
        values = {str(ds.get(keyword, "<absent>")) for ds in datasets}
        assert len(values) == 1, f"{keyword} differs between files: {values}"
        assert "<absent>" not in values, f"{keyword} missing"
    for keyword in SERIES_CONSISTENT:
        values = {str(ds.get(keyword, "<absent>")) for ds in datasets}
        assert len(values) == 1, f"{keyword} differs between files: {values}"
    first = datasets[0]
    assert first.StudyInstanceUID == ws.study_instance_uid
    assert first.SeriesInstanceUID == ws.series_instance_uid
    assert first.FrameOfReferenceUID == ws.frame_of_reference_uid
    assert len({ws.study_instance_uid, ws.series_instance_uid, ws.frame_of_reference_uid}) == 3
    assert first.Modality == modality
    assert first.SOPClassUID == SOP_CLASS[modality] == ws.sop_class_uid
    for ds in datasets:
        assert ds.file_meta.MediaStorageSOPClassUID == SOP_CLASS[modality]
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPClassUID not in ENHANCED
        assert "NumberOfFrames" not in ds and "PerFrameFunctionalGroupsSequence" not in ds
    sop_uids = [str(ds.SOPInstanceUID) for ds in datasets]
    assert len(set(sop_uids)) == depth
    for uid in [*sop_uids, ws.study_instance_uid, ws.series_instance_uid]:
        assert len(uid) <= 64 and UID_RE.match(uid), uid
    assert [int(ds.InstanceNumber) for ds in datasets] == list(range(1, depth + 1))
    assert float(first.get("RescaleSlope", 1)) == ws.rescale_slope
    assert float(first.get("RescaleIntercept", 0)) == ws.rescale_intercept

    # every DS value at most 16 characters (raw text, before pydicom parses it)
    for f in files:
        found = raw_ds_values(pydicom.dcmread(f))
        ds_keywords = {element.split(" ", 2)[-1] for element, _ in found}
        assert {"ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"} <= ds_keywords
        for element, text in found:
            assert len(text) <= 16, f"{f.name}: {element} = {text!r} is {len(text)} characters"

    # each file holds the input slice of its index, at the input position
    _, in_spacing, in_origin, in_direction = geometry3(reference)
    for k, ds in enumerate(datasets):
        expected = in_origin + k * in_spacing[2] * in_direction[:, 2]
        position = np.array([float(v) for v in ds.ImagePositionPatient])
        np.testing.assert_allclose(position, expected, atol=1e-4, err_msg=f"IPP of file {k + 1}")
    iop = np.array([float(v) for v in first.ImageOrientationPatient])
    np.testing.assert_allclose(iop, in_direction[:, :2].T.ravel(), atol=1e-6)

    # geometry as the readers return it (left-handed input comes back flipped)
    c_spacing, c_origin, c_direction = canonical_geometry(reference)
    for image in (sitk_series(directory), pydicom_volume(directory).image()):
        n = 3 if depth > 1 else 2
        np.testing.assert_allclose(image.GetSpacing()[:n], c_spacing[:n], atol=1e-4)
        np.testing.assert_allclose(image.GetOrigin(), c_origin, atol=1e-4)
        d = np.array(image.GetDirection()).reshape(3, 3)
        np.testing.assert_allclose(d[:, :n], c_direction[:, :n], atol=1e-4)

    # values, compared point by point in physical space
    exact = is_exact(array)
    if exact:
        assert ws.max_error == 0.0
        assert (ws.rescale_slope, ws.rescale_intercept) == (1.0, 0.0)
        tolerance = 0.0
    else:
        assert 0.0 <= ws.max_error <= ws.rescale_slope / 2 * (1 + 1e-12) + ULPS * _scale(array)
        tolerance = ws.max_error + ULPS * _scale(array)
    read_back = sitk_series(directory)
    assert_same_in_physical_space(read_back, reference, atol=tolerance)
    pyd = pydicom_volume(directory)
    worst = assert_same_in_physical_space(pyd.image(), reference, atol=tolerance)
    # the reported bound is the true error, not just an upper bound
    assert worst == pytest.approx(ws.max_error, rel=1e-9, abs=ULPS * _scale(array))

    # slice order: pydicom's normal-sorted order is ws.files' order (reversed if left-handed)
    sorted_names = [p.name for p in pyd.files]
    if np.linalg.det(in_direction) < 0:
        sorted_names.reverse()
    assert sorted_names == names

    # the package's own verification report agrees
    assert ws.report is not None and ws.report.ok, ws.report
    assert ws.report.max_abs_error == pytest.approx(ws.max_error, abs=ULPS * _scale(array))
    return pyd


def _scale(array: npt.NDArray[np.generic]) -> float:
    return max(1.0, float(np.max(np.abs(array.astype(np.float64)))))


# --------------------------------------------------------------------------- modality x dtype

MODALITY_DTYPES = [
    (modality, dtype)
    for modality in ("CT", "MR", "OT")
    for dtype in ("int16", "uint16", "float32", "uint8")
] + [("CT", dtype) for dtype in ("bool", "int8", "int32", "uint32", "float64")]


@pytest.mark.parametrize(("modality", "dtype"), MODALITY_DTYPES)
def test_modality_and_dtype_round_trip(tmp_path: Path, modality: Modality, dtype: str) -> None:
    array = sample(dtype)
    geometry: dict[str, Any] = {"spacing": (0.75, 0.8, 2.5), "origin": (-120.5, 33.25, 7.0)}
    ws = dw.write_series(array, tmp_path / "series", modality=modality, **geometry)
    check_series(ws, array, modality, **geometry)
    if np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        # integer data in 16 bits: stored as is
        values = sitk.GetArrayFromImage(sitk_series(ws.directory))
        np.testing.assert_array_equal(values, array.astype(np.int64))


# --------------------------------------------------------------------------- geometry

OBLIQUE = rotation((1, 2, 3), 27)
LEFT_OBLIQUE = rotation((-2, 1, 0.5), 41) @ np.diag([1, 1, -1])
GEOMETRIES: dict[str, dict[str, object]] = {
    "axial": {"direction": tuple(np.eye(3).ravel())},
    # sagittal: rows run anterior->posterior, columns head->foot
    "sagittal": {"direction": (0, 0, -1, 1, 0, 0, 0, -1, 0)},
    "coronal": {"direction": (1, 0, 0, 0, 0, 1, 0, -1, 0)},
    "oblique": {
        "direction": tuple(OBLIQUE.ravel()),
        "origin": (12.5, -40.25, 100.0),
        "spacing": (0.9, 1.1, 3.0),
    },
    "left_handed": {"direction": (1, 0, 0, 0, 1, 0, 0, 0, -1), "origin": (0, 0, 50)},
    "left_handed_oblique": {
        "direction": tuple(LEFT_OBLIQUE.ravel()),
        "origin": (-3.5, 8.0, -17.0),
        "spacing": (1.25, 0.75, 2.0),
    },
    "anisotropic": {
        "shape": (12, 16, 20),  # more than 9 slices: file names must still sort
        "spacing": (0.488281, 0.7, 5.5),
        "origin": (-250.1, -180.75, 1234.5),
    },
    "awkward_numbers": {  # values whose Decimal Strings need rounding to 16 characters
        "spacing": (1 / 3, 2 / 3, 1 / 7),
        "origin": (-123456.7890123, 0.000012345678, 98765.4321),
        "direction": tuple(rotation((0.1, -0.7, 0.2), 113).ravel()),
    },
    "one_slice": {"shape": (1, 16, 20), "spacing": (0.5, 0.6, 3.0), "origin": (1, 2, 3)},
    "two_d": {"shape": (16, 20), "spacing": (0.5, 0.6), "origin": (-7.5, 9.25)},
}
GEOMETRY_MODALITY_DTYPE = [("CT", "int16"), ("MR", "float32"), ("OT", "uint8")]


@pytest.mark.parametrize(("modality", "dtype"), GEOMETRY_MODALITY_DTYPE)
@pytest.mark.parametrize("case", list(GEOMETRIES))
def test_geometry_round_trips_in_physical_space(
    tmp_path: Path, case: str, modality: Modality, dtype: str
) -> None:
    params = dict(GEOMETRIES[case])
    shape = params.pop("shape", SHAPE)
    array = sample(dtype, shape)  # type: ignore[arg-type]
    geometry: dict[str, Any] = {
        k: tuple(float(x) for x in v)  # type: ignore[attr-defined]
        for k, v in params.items()
    }
    ws = dw.write_series(array, tmp_path / "series", modality=modality, **geometry)
    pyd = check_series(ws, array, modality, **geometry)
    direction = np.array(geometry.get("direction", np.eye(array.ndim).ravel())).reshape(
        array.ndim, array.ndim
    )
    if array.ndim == 3:
        np.testing.assert_allclose(pyd.row, direction[:, 0], atol=1e-6)
        np.testing.assert_allclose(pyd.col, direction[:, 1], atol=1e-6)


def test_geometry_given_as_simpleitk_image(tmp_path: Path) -> None:
    """The same oblique, left-handed volume given as a SimpleITK image."""
    array = sample("int16")
    geometry = GEOMETRIES["left_handed_oblique"]
    image = make_image(array, **geometry)  # type: ignore[arg-type]
    ws = dw.write_series(image, tmp_path / "series", modality="CT")
    check_series(ws, array, "CT", **geometry)  # type: ignore[arg-type]


def test_left_handed_reads_back_as_flipped_reference(tmp_path: Path) -> None:
    """diag(1,1,-1): the read-back equals the input flipped along z, origin at its last slice."""
    array = sample("int16")
    ws = dw.write_series(array, tmp_path / "s", spacing=(1, 1, 2), origin=(0, 0, 50),
                         direction=(1, 0, 0, 0, 1, 0, 0, 0, -1))  # fmt: skip
    image = sitk_series(ws.directory)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), array[::-1])
    np.testing.assert_allclose(image.GetOrigin(), (0, 0, 50 - 2 * 5), atol=1e-4)
    np.testing.assert_allclose(image.GetDirection(), np.eye(3).ravel(), atol=1e-6)


# --------------------------------------------------------------------------- float encodings

FLOAT_CASES: dict[str, npt.NDArray[np.generic]] = {
    "constant_integer": np.full(SHAPE, 7.0, np.float32),
    "constant_fraction": np.full(SHAPE, 3.3, np.float32),
    "constant_negative_fraction": np.full(SHAPE, -1234.5678, np.float64),
    "tiny_range": np.random.default_rng(1).uniform(-1e-3, 1e-3, SHAPE),
    "huge_range": np.random.default_rng(2).uniform(0, 1e6, SHAPE).astype(np.float32),
    "random_3x4x5": np.random.default_rng(3).uniform(-10, 10, (3, 4, 5)).astype(np.float32),
}


@pytest.mark.parametrize("modality", ["CT", "MR"])
@pytest.mark.parametrize("case", list(FLOAT_CASES))
def test_float_data_within_reported_bound(tmp_path: Path, case: str, modality: Modality) -> None:
    array = FLOAT_CASES[case]
    geometry: dict[str, Any] = {"spacing": (2.5, 3.5, 4.5)} if case == "random_3x4x5" else {}
    ws = dw.write_series(array, tmp_path / "series", modality=modality, **geometry)
    pyd = check_series(ws, array, modality, **geometry)
    # the true error, from the independent reader, is the reported one
    true_error = float(np.max(np.abs(pyd.volume - array.astype(np.float64))))
    scale = _scale(array)
    assert true_error == pytest.approx(ws.max_error, rel=1e-9, abs=ULPS * scale)
    assert true_error <= ws.rescale_slope / 2 + ULPS * scale
    assert ws.rescale_slope > 0


def test_float_range_uses_the_stored_range(tmp_path: Path) -> None:
    """A fractional range is spread over the stored integers: error far below the range."""
    array = FLOAT_CASES["tiny_range"]
    ws = dw.write_series(array, tmp_path / "s", modality="MR")
    assert ws.rescale_slope <= 2e-3 / 30000
    assert ws.max_error <= 2e-3 / 60000


def test_integer_valued_floats_are_lossless(tmp_path: Path) -> None:
    array = np.random.default_rng(4).integers(-1000, 3000, SHAPE).astype(np.float32)
    ws = dw.write_series(array, tmp_path / "s", modality="CT")
    assert (ws.rescale_slope, ws.rescale_intercept, ws.max_error) == (1.0, 0.0, 0.0)
    pyd = check_series(ws, array, "CT")
    np.testing.assert_array_equal(pyd.volume, array.astype(np.float64))
    ds = pyd.datasets[0]
    assert float(ds.RescaleSlope) == 1.0 and float(ds.RescaleIntercept) == 0.0


def test_int32_beyond_16_bits_is_rescaled_within_bound(tmp_path: Path) -> None:
    array = np.random.default_rng(5).integers(0, 200000, SHAPE, endpoint=True).astype(np.int32)
    array.flat[0], array.flat[1] = 0, 200000
    ws = dw.write_series(array, tmp_path / "s", modality="CT")
    assert ws.rescale_slope > 1
    pyd = check_series(ws, array, "CT")
    true_error = float(np.max(np.abs(pyd.volume - array)))
    assert true_error <= ws.rescale_slope / 2 + ULPS * 200000
    assert true_error == pytest.approx(ws.max_error, rel=1e-9, abs=1e-9)


def test_explicit_rescale_is_written_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    array = (rng.integers(-20, 2000, SHAPE) * 0.5 - 10).astype(np.float64)  # multiples of 0.5
    ws = dw.write_series(array, tmp_path / "s", modality="CT", rescale=(0.5, -10))
    assert (ws.rescale_slope, ws.rescale_intercept) == (0.5, -10.0)
    pyd = check_series(ws, array, "CT")
    for ds in pyd.datasets:
        assert float(ds.RescaleSlope) == 0.5
        assert float(ds.RescaleIntercept) == -10.0
    np.testing.assert_array_equal(pyd.volume, array)  # representable: exact
    assert ws.max_error == 0.0


def test_explicit_rescale_quantises_within_half_slope(tmp_path: Path) -> None:
    array = np.random.default_rng(7).uniform(-10, 100, SHAPE)
    ws = dw.write_series(array, tmp_path / "s", modality="MR", rescale=(0.5, -10))
    pyd = check_series(ws, array, "MR")
    stored = np.stack([ds.pixel_array for ds in pyd.datasets]).astype(np.float64)
    np.testing.assert_array_equal(pyd.volume, stored * 0.5 - 10)
    assert float(np.max(np.abs(pyd.volume - array))) <= 0.25


# --------------------------------------------------------------------------- metadata


def test_metadata_by_keyword_tag_and_list(tmp_path: Path) -> None:
    array = sample("int16")
    metadata = {
        "PatientName": "Doe^Jane",
        "0010|0020": "PID-0042",  # PatientID by tag
        "PatientBirthDate": "19700101",
        "PatientSex": "F",
        "0008|1030": "Head CT derived",  # StudyDescription by tag
        "SeriesDescription": "synthetic",
        "StudyID": "S1",
        "AccessionNumber": "ACC123",
        "SeriesNumber": 42,
        "WindowCenter": [40, 300],
        "WindowWidth": [400.0, 1500.5],
        "ImageType": ["DERIVED", "SECONDARY", "AXIAL"],
    }
    ws = dw.write_series(array, tmp_path / "s", modality="CT", metadata=metadata)
    pyd = check_series(ws, array, "CT")
    for ds in pyd.datasets:
        assert str(ds.PatientName) == "Doe^Jane"
        assert ds.PatientID == "PID-0042"
        assert ds.PatientBirthDate == "19700101"
        assert ds.PatientSex == "F"
        assert ds.StudyDescription == "Head CT derived"
        assert ds.SeriesDescription == "synthetic"
        assert ds.StudyID == "S1"
        assert ds.AccessionNumber == "ACC123"
        assert int(ds.SeriesNumber) == 42
        assert [float(v) for v in ds.WindowCenter] == [40.0, 300.0]
        assert [float(v) for v in ds.WindowWidth] == [400.0, 1500.5]
        assert list(ds.ImageType) == ["DERIVED", "SECONDARY", "AXIAL"]


@pytest.mark.parametrize(
    "body_part",
    [
        "HEAD",
        "KNEE",
    ],
)
def test_body_part_examined_keeps_the_series_valid(tmp_path: Path, body_part: str) -> None:
    """Laterality (Type 2C) depends on the body part: unpaired HEAD, paired KNEE."""
    array = sample("int16")
    metadata = {"BodyPartExamined": body_part}
    ws = dw.write_series(array, tmp_path / "s", modality="CT", metadata=metadata)
    pyd = check_series(ws, array, "CT")
    assert all(ds.BodyPartExamined == body_part for ds in pyd.datasets)


def test_fixed_identifiers_and_dates_are_used(tmp_path: Path) -> None:
    uids = {
        "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.1",
        "SeriesInstanceUID": "1.2.826.0.1.3680043.8.498.2",
        "FrameOfReferenceUID": "1.2.826.0.1.3680043.8.498.3",
    }
    metadata = {**uids, "StudyDate": "20200131", "StudyTime": "101500",
                "SeriesDate": "20200201", "SeriesTime": "235959.5"}  # fmt: skip
    ws = dw.write_series(sample("int16"), tmp_path / "s", modality="MR", metadata=metadata)
    assert ws.study_instance_uid == uids["StudyInstanceUID"]
    assert ws.series_instance_uid == uids["SeriesInstanceUID"]
    assert ws.frame_of_reference_uid == uids["FrameOfReferenceUID"]
    pyd = check_series(ws, sample("int16"), "MR")
    for ds in pyd.datasets:
        for keyword, value in metadata.items():
            assert str(ds[keyword].value) == value, keyword
        assert ds.SOPInstanceUID not in uids.values()


@pytest.mark.parametrize("modality", ["CT", "MR", "OT"])
def test_non_ascii_metadata_is_utf8(tmp_path: Path, modality: Modality) -> None:
    array = sample("int16")
    metadata = {"PatientName": "Müller^Jürgen", "StudyDescription": "Étude 東京"}
    ws = dw.write_series(array, tmp_path / "s", modality=modality, metadata=metadata)
    pyd = check_series(ws, array, modality)
    for ds in pyd.datasets:
        assert ds.SpecificCharacterSet == "ISO_IR 192"
        assert str(ds.PatientName) == "Müller^Jürgen"
        assert ds.StudyDescription == "Étude 東京"
        raw = bytes(pydicom.dcmread(ds.filename).get_item("StudyDescription").value)
        assert raw.rstrip(b" ").decode("utf-8") == "Étude 東京"


def test_verify_false_writes_a_valid_series(tmp_path: Path) -> None:
    """verify=False writes the same kind of series and reports no verification."""
    array = sample("float32")
    ws = dw.write_series(array, tmp_path / "s", modality="MR", verify=False)
    assert ws.report is None
    assert len(ws.files) == SHAPE[0]
    assert dciodvfy_errors(ws.files) == []
    pyd = pydicom_volume(ws.directory)
    assert float(np.max(np.abs(pyd.volume - array.astype(np.float64)))) <= (
        ws.rescale_slope / 2 + ULPS * 4000
    )


def test_slice_thickness_is_the_users_and_spacing_the_geometrys(tmp_path: Path) -> None:
    """Thick slices at a finer spacing: Slice Thickness must not leak into the spacing."""
    array = np.arange(4 * 6 * 7, dtype=np.int16).reshape(4, 6, 7)
    ws = dw.write_series(
        array, tmp_path / "out", spacing=(0.5, 0.5, 2.5), metadata={"SliceThickness": 5}
    )
    for f in ws.files:
        ds = pydicom.dcmread(f)
        assert float(ds.SliceThickness) == 5.0
        assert float(ds.SpacingBetweenSlices) == 2.5
    assert sitk_series(ws.directory).GetSpacing() == pytest.approx((0.5, 0.5, 2.5))
    with pytest.raises(dw.MetadataError, match=r"\(0018,0088\) SpacingBetweenSlices"):
        dw.write_series(array, tmp_path / "bad", metadata={"SpacingBetweenSlices": 1})
