"""Tests of input validation and patient-space geometry (pixels.geometry, images)."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import numpy.typing as npt
import pytest
import SimpleITK as sitk
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simpleitk_dicomwriter.errors import InputError
from simpleitk_dicomwriter.images import as_image, geometry_of
from simpleitk_dicomwriter.pixels.geometry import patient_orientation

DS_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
PROPERTY = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

AXIAL = np.eye(3)
CORONAL = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=float)  # columns x, y, z
SAGITTAL = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], dtype=float)


def flat(matrix: npt.NDArray[np.float64]) -> tuple[float, ...]:
    """SimpleITK's flat, row-major form of a direction matrix."""
    return tuple(float(v) for v in matrix.ravel())


def parse_ds(text: str) -> list[float]:
    values = text.split("\\")
    for value in values:
        assert len(value) <= 16 and DS_RE.match(value), value
    return [float(v) for v in values]


# --------------------------------------------------------------------------- ndarray input


def test_ndarray_3d_default_geometry() -> None:
    array = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
    voxels, geometry = as_image(array)
    assert voxels is array or np.shares_memory(voxels, array)
    assert np.array_equal(voxels, array)
    assert geometry.size == (4, 3, 2)
    assert geometry.spacing == (1.0, 1.0, 1.0)
    assert np.array_equal(geometry.origin, np.zeros(3))
    assert np.array_equal(geometry.direction, np.eye(3))
    assert geometry.orientation == "1\\0\\0\\0\\1\\0"
    assert geometry.pixel_spacing == "1\\1"
    assert np.array_equal(geometry.normal, [0, 0, 1])
    assert geometry.position_ds(1) == "0\\0\\1"
    assert geometry.slice_location(1) == "1"


def test_ndarray_2d_default_geometry() -> None:
    array = np.zeros((3, 5), dtype=np.float32)
    voxels, geometry = as_image(array)
    assert voxels.shape == (3, 5)
    assert geometry.size == (5, 3, 1)
    assert geometry.spacing == (1.0, 1.0, None)
    assert np.array_equal(geometry.origin, np.zeros(3))
    assert np.array_equal(geometry.direction, np.eye(3))
    assert np.array_equal(geometry.position(0), np.zeros(3))


def test_ndarray_given_geometry() -> None:
    array = np.zeros((2, 3, 4), dtype=np.float64)
    _, geometry = as_image(
        array, spacing=(0.5, 0.75, 2.5), origin=(-10, 20.5, 3), direction=flat(CORONAL)
    )
    assert geometry.spacing == (0.5, 0.75, 2.5)
    assert geometry.origin.tolist() == [-10, 20.5, 3]
    assert np.array_equal(geometry.direction, CORONAL)
    assert geometry.pixel_spacing == "0.75\\0.5"  # row spacing (y), then column spacing (x)
    assert geometry.position(1).tolist() == [-10, 20.5 + 2.5, 3]


def test_non_contiguous_array_is_made_contiguous() -> None:
    array = np.arange(60, dtype=np.float32).reshape(3, 4, 5)[:, ::2, :]
    voxels, geometry = as_image(array)
    assert voxels.flags.c_contiguous and np.array_equal(voxels, array)
    assert geometry.size == (5, 2, 3)


def test_non_native_byte_order_is_accepted() -> None:
    swapped = (
        np.arange(6, dtype=np.float32).reshape(2, 3).astype(">f4" if np.little_endian else "<f4")
    )
    voxels, _ = as_image(swapped)
    assert voxels.dtype == np.float32 and voxels.dtype.isnative
    assert np.array_equal(voxels, swapped)


def test_direction_as_a_matrix() -> None:
    _, geometry = as_image(np.zeros((2, 2, 2)), direction=SAGITTAL)  # type: ignore[arg-type]
    assert np.array_equal(geometry.direction, SAGITTAL)


@pytest.mark.parametrize(
    "dtype",
    ["bool", "uint8", "int8", "uint16", "int16", "int32", "uint32", "int64", "uint64",
     "float32", "float64"],
)  # fmt: skip
def test_supported_dtypes(dtype: str) -> None:
    voxels, _ = as_image(np.zeros((2, 2), dtype=dtype))
    assert voxels.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "float16", "object", "U3", "M8[s]"])
def test_unsupported_dtypes(dtype: str) -> None:
    with pytest.raises(InputError, match="dtype"):
        as_image(np.zeros((2, 2), dtype=dtype))


@pytest.mark.parametrize("shape", [(5,), (2, 2, 2, 2), ()])
def test_wrong_rank(shape: tuple[int, ...]) -> None:
    with pytest.raises(InputError, match="dimensions"):
        as_image(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 2, 2), (2, 0, 2)])
def test_empty(shape: tuple[int, ...]) -> None:
    with pytest.raises(InputError, match="empty"):
        as_image(np.zeros(shape, dtype=np.float32))


def test_too_many_columns_or_rows() -> None:
    with pytest.raises(InputError, match=r"\(0028,0011\) Columns"):
        as_image(np.zeros((1, 65536), dtype=bool))
    with pytest.raises(InputError, match=r"\(0028,0010\) Rows"):
        as_image(np.zeros((65536, 1), dtype=bool))
    as_image(np.zeros((1, 65535), dtype=bool))  # the limit itself is fine


def test_not_an_image() -> None:
    with pytest.raises(InputError, match="list"):
        as_image([[1, 2], [3, 4]])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_bad_spacing(bad: float) -> None:
    with pytest.raises(InputError, match=r"spacing\[1\]"):
        as_image(np.zeros((2, 2, 2)), spacing=(1.0, bad, 1.0))


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("spacing", (1.0, 1.0)),
        ("spacing", (1.0, 1.0, 1.0, 1.0)),
        ("origin", (0.0, 0.0)),
        ("direction", (1.0, 0.0, 0.0, 1.0)),
        ("direction", tuple(np.eye(4).ravel())),
    ],
)
def test_wrong_length_geometry(keyword: str, value: tuple[float, ...]) -> None:
    with pytest.raises(InputError, match=keyword):
        as_image(np.zeros((2, 2, 2)), **{keyword: value})


def test_2d_geometry_lengths() -> None:
    _, geometry = as_image(np.zeros((2, 3)), spacing=(0.5, 2), origin=(1, 2),
                           direction=(0, 1, 1, 0))  # fmt: skip
    assert geometry.spacing == (0.5, 2.0, None)
    assert geometry.origin.tolist() == [1, 2, 0]
    assert geometry.direction.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    with pytest.raises(InputError, match="spacing"):
        as_image(np.zeros((2, 3)), spacing=(1, 1, 1))


@pytest.mark.parametrize("value", ["abc", 3.0, [[1, "x"]]])
def test_unparseable_geometry(value: object) -> None:
    for keyword in ("spacing", "origin", "direction"):
        with pytest.raises(InputError, match=keyword):
            as_image(np.zeros((2, 2, 2)), **{keyword: value})  # type: ignore[arg-type]


def test_non_finite_origin() -> None:
    with pytest.raises(InputError, match="origin"):
        as_image(np.zeros((2, 2, 2)), origin=(0.0, math.nan, 0.0))


@pytest.mark.parametrize(
    "direction",
    [
        (1, 0, 0, 0, 2, 0, 0, 0, 1),  # not unit
        (1, 0.1, 0, 0, 1, 0, 0, 0, 1),  # sheared
        (1, 0, 0, 0, 1, 0, 0, 0, 0),  # singular
        (1, 0, 0, 0, 1, 0, 0, 0, math.nan),
    ],
)
def test_non_orthonormal_direction(direction: tuple[float, ...]) -> None:
    with pytest.raises(InputError, match="direction"):
        as_image(np.zeros((2, 2, 2)), direction=direction)


def test_nearly_orthonormal_direction_is_accepted() -> None:
    direction = np.eye(3)
    direction[0, 1] = 1e-8
    as_image(np.zeros((2, 2, 2)), direction=flat(direction))


# --------------------------------------------------------------------------- SimpleITK input


def sitk_image(size: tuple[int, ...], pixel: int = sitk.sitkFloat32) -> sitk.Image:
    image = sitk.Image(list(size), pixel)
    return image


def test_sitk_3d() -> None:
    image = sitk_image((4, 3, 2), sitk.sitkInt16)
    image.SetSpacing((0.5, 0.7, 3.0))
    image.SetOrigin((1.0, -2.0, 30.0))
    image.SetDirection(flat(SAGITTAL))
    voxels, geometry = as_image(image)
    assert voxels.shape == (2, 3, 4) and voxels.dtype == np.int16
    assert geometry.size == (4, 3, 2)
    assert geometry.spacing == (0.5, 0.7, 3.0)
    assert geometry.origin.tolist() == [1.0, -2.0, 30.0]
    assert np.array_equal(geometry.direction, SAGITTAL)
    of = geometry_of(image)
    assert (of.size, of.spacing) == (geometry.size, geometry.spacing)


def test_sitk_2d() -> None:
    image = sitk_image((5, 3))
    image.SetSpacing((0.25, 0.5))
    image.SetOrigin((7.0, 8.0))
    image.SetDirection((0, -1, 1, 0))
    voxels, geometry = as_image(image)
    assert voxels.shape == (3, 5)
    assert geometry.size == (5, 3, 1)
    assert geometry.spacing == (0.25, 0.5, None)
    assert geometry.origin.tolist() == [7.0, 8.0, 0.0]
    assert geometry.direction.tolist() == [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    assert geometry.pixel_spacing == "0.5\\0.25"
    assert geometry.position(0).tolist() == [7.0, 8.0, 0.0]


def test_sitk_voxels_match_the_array() -> None:
    array = np.random.default_rng(1).normal(size=(3, 4, 5)).astype(np.float32)
    image = sitk.GetImageFromArray(array)
    voxels, _ = as_image(image)
    assert np.array_equal(voxels, array)


@pytest.mark.parametrize("keyword", ["spacing", "origin", "direction"])
def test_sitk_with_geometry_is_an_error(keyword: str) -> None:
    value = {"spacing": (1, 1, 1), "origin": (0, 0, 0), "direction": flat(AXIAL)}[keyword]
    with pytest.raises(InputError, match="SimpleITK"):
        as_image(sitk_image((2, 2, 2)), **{keyword: value})


def test_sitk_errors() -> None:
    with pytest.raises(InputError, match="components"):
        as_image(sitk.Image([3, 3], sitk.sitkVectorFloat32, 3))
    with pytest.raises(InputError, match="4-D"):
        as_image(sitk.Image([2, 2, 2, 2], sitk.sitkFloat32))
    with pytest.raises(InputError, match="dtype"):
        as_image(sitk.Image([2, 2], sitk.sitkComplexFloat32))
    with pytest.raises(InputError, match="Columns"):
        as_image(sitk.Image([65536, 1], sitk.sitkUInt8))
    nan_spacing = sitk_image((2, 2, 2))
    nan_spacing.SetSpacing((1.0, math.nan, 1.0))
    with pytest.raises(InputError, match="spacing"):
        as_image(nan_spacing)
    sheared = sitk_image((2, 2, 2))
    sheared.SetDirection((1, 0.2, 0, 0, 1, 0, 0, 0, 1))
    with pytest.raises(InputError, match="orthonormal"):
        as_image(sheared)
    bad_origin = sitk_image((2, 2, 2))
    bad_origin.SetOrigin((0.0, 0.0, math.inf))
    with pytest.raises(InputError, match="origin"):
        as_image(bad_origin)


def test_sitk_empty() -> None:
    with pytest.raises(InputError, match="empty"):
        as_image(sitk.Image([0, 3], sitk.sitkFloat32))


# --------------------------------------------------------------------------- positions (property)


@st.composite
def rotations(draw: st.DrawFn) -> npt.NDArray[np.float64]:
    """A random orthonormal matrix (QR of a random one), right- or left-handed."""
    a = np.array(draw(st.lists(st.floats(-1, 1), min_size=9, max_size=9))).reshape(3, 3)
    with np.errstate(all="ignore"):
        assume(abs(np.linalg.det(a)) > 1e-3)
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if draw(st.booleans()):
        q[:, 2] = -q[:, 2]  # flip handedness
    return np.asarray(q, dtype=np.float64)


spacings = st.tuples(*[st.floats(1e-3, 1e3)] * 3)
origins = st.tuples(*[st.floats(-1e4, 1e4)] * 3)


@PROPERTY
@given(rotations(), spacings, origins, st.integers(1, 40))
def test_positions_match_simpleitk(
    direction: npt.NDArray[np.float64],
    spacing: tuple[float, float, float],
    origin: tuple[float, float, float],
    slices: int,
) -> None:
    image = sitk.Image([2, 3, slices], sitk.sitkUInt8)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(flat(direction))
    _, from_image = as_image(image)
    array = np.zeros((slices, 3, 2), dtype=np.uint8)
    _, from_array = as_image(array, spacing=spacing, origin=origin, direction=flat(direction))
    scale = max(1.0, float(np.max(np.abs(origin))) + slices * max(spacing))
    for geometry in (from_image, from_array):
        assert geometry.size == (2, 3, slices)
        for k in (0, 1, slices - 1):
            expected = np.array(image.TransformIndexToPhysicalPoint((0, 0, k)))
            assert np.allclose(geometry.position(k), expected, rtol=0, atol=8e-16 * scale), k
            parsed = parse_ds(geometry.position_ds(k))
            assert np.allclose(parsed, expected, rtol=1e-12, atol=1e-12 * scale)
        # Image Orientation (Patient): the first two direction columns.
        values = parse_ds(geometry.orientation)
        assert len(values) == 6
        assert np.max(np.abs(np.array(values) - direction[:, :2].T.ravel())) <= 1e-13
        # Slice Location is the position along the normal (row x column).
        normal = np.cross(direction[:, 0], direction[:, 1])
        assert np.allclose(geometry.normal, normal, atol=1e-15)
        location = float(geometry.slice_location(slices - 1))
        assert math.isclose(location, float(np.dot(geometry.position(slices - 1), normal)),
                            rel_tol=1e-12, abs_tol=1e-12 * scale)  # fmt: skip
        # 16 characters hold >= 13 significant digits of a spacing in [1e-3, 1e3].
        row, column = parse_ds(geometry.pixel_spacing)
        assert math.isclose(row, spacing[1], rel_tol=5e-13)
        assert math.isclose(column, spacing[0], rel_tol=5e-13)


@PROPERTY
@given(rotations())
def test_2d_direction_embeds_in_3d(direction: npt.NDArray[np.float64]) -> None:
    # Only the in-plane 2x2 part of a 2-D image's direction exists.
    angle = math.atan2(direction[1, 0], direction[0, 0])
    c, s = math.cos(angle), math.sin(angle)
    image = sitk.Image([3, 2], sitk.sitkUInt8)
    image.SetDirection((c, -s, s, c))
    _, geometry = as_image(image)
    expected = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    assert np.allclose(geometry.direction, expected, atol=0)
    assert np.array_equal(geometry.position(0), [0, 0, 0])


# --------------------------------------------------------------------------- Patient Orientation


def unit(*v: float) -> npt.NDArray[np.float64]:
    a = np.array(v, dtype=float)
    return np.asarray(a / np.linalg.norm(a), dtype=np.float64)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        (AXIAL, "L\\P"),
        (CORONAL, "L\\F"),
        (SAGITTAL, "P\\F"),
        (np.diag([-1.0, -1.0, 1.0]), "R\\A"),  # axial, seen from the feet
    ],
)
def test_patient_orientation_letters(direction: npt.NDArray[np.float64], expected: str) -> None:
    assert patient_orientation(direction) == expected


def test_patient_orientation_oblique() -> None:
    row = unit(math.cos(math.radians(30)), math.sin(math.radians(30)), 0)
    column = unit(-math.sin(math.radians(30)), math.cos(math.radians(30)), 0)
    direction = np.column_stack([row, column, np.cross(row, column)])
    assert patient_orientation(direction) == "LP\\PR"
    # Three letters, in decreasing magnitude of the components.
    row, column = unit(0.2, 0.9, -0.4), unit(-0.9, 0.1, -0.2)
    direction = np.column_stack([row, column, np.zeros(3)])
    assert patient_orientation(direction) == "PFL\\RFP"
    # A component below 1e-4 is left out; one above is named.
    direction = np.column_stack([unit(1, 5e-5, 0), unit(0, 1, 2e-4), np.zeros(3)])
    assert patient_orientation(direction) == "L\\PH"


def test_geometry_from_an_oblique_array() -> None:
    row, column = unit(2, 1, 0), unit(-1, 2, 3)
    direction = np.column_stack([row, column, np.cross(row, column)])
    _, geometry = as_image(np.zeros((3, 2, 2)), direction=flat(direction))
    assert patient_orientation(geometry.direction) == "LP\\HPR"
