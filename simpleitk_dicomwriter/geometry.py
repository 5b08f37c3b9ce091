"""Geometry: ndarray <-> SimpleITK image, input checks, and per-slice positions.

DICOM patient space (LPS) is SimpleITK's physical space, so a slice's Image
Position (Patient) is the physical point of its first voxel and Image
Orientation (Patient) the first two columns of the direction matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk

from .errors import InputError
from .tags import format_ds

__all__ = ["Geometry", "as_image", "patient_orientation"]

_DTYPES = {
    np.dtype(t)
    for t in ("bool", "uint8", "int8", "uint16", "int16", "int32", "uint32", "int64",
              "uint64", "float32", "float64")
}  # fmt: skip
_ORTHO_TOL = 1e-6
# Rows and Columns are US; slices are numbered by an IS Instance Number.
_MAX_ROWS = 65535
_MAX_SLICES = 2**31 - 1


@dataclass(frozen=True)
class Geometry:
    """Geometry of a 2-D or 3-D image in patient space, slice by slice.

    Attributes
    ----------
    size : tuple of int
        (columns, rows, slices), slices = 1 for a 2-D image.
    spacing : tuple of float
        (column spacing, row spacing, slice spacing); the slice spacing of a
        2-D image is ``None``.
    origin : ndarray
        Position of the first voxel, shape (3,).
    direction : ndarray
        3x3 direction cosines as columns (x, y, slice axis).
    """

    size: tuple[int, int, int]
    spacing: tuple[float, float, float | None]
    origin: npt.NDArray[np.float64]
    direction: npt.NDArray[np.float64]

    @classmethod
    def of(cls, image: sitk.Image) -> Geometry:
        """Read the geometry of a validated 2-D or 3-D SimpleITK image."""
        dim = image.GetDimension()
        size = image.GetSize()
        direction = np.eye(3)
        direction[:dim, :dim] = np.array(image.GetDirection()).reshape(dim, dim)
        origin = np.zeros(3)
        origin[:dim] = image.GetOrigin()
        spacing = image.GetSpacing()
        return cls(
            (size[0], size[1], size[2] if dim == 3 else 1),
            (spacing[0], spacing[1], spacing[2] if dim == 3 else None),
            origin,
            direction,
        )

    @property
    def orientation(self) -> str:
        """Image Orientation (Patient): row then column direction cosines."""
        return "\\".join(
            format_ds(float(v)) for v in (*self.direction[:, 0], *self.direction[:, 1])
        )

    @cached_property
    def written_spacing(self) -> tuple[float, float, float | None]:
        """The spacing as the file states it: each value rounded to a Decimal String."""
        x, y, z = self.spacing
        return float(format_ds(x)), float(format_ds(y)), None if z is None else float(format_ds(z))

    @property
    def pixel_spacing(self) -> str:
        """Pixel Spacing: row spacing (between rows) then column spacing."""
        return f"{format_ds(self.spacing[1])}\\{format_ds(self.spacing[0])}"

    @cached_property
    def normal(self) -> npt.NDArray[np.float64]:
        """Unit normal of the slices, row x column (DICOM's slice-sorting axis)."""
        return np.cross(self.direction[:, 0], self.direction[:, 1])

    def position(self, k: int) -> npt.NDArray[np.float64]:
        """Physical position of the first voxel of slice ``k``."""
        step = self.spacing[2] or 0.0
        return np.asarray(self.origin + k * step * self.direction[:, 2], dtype=np.float64)

    def position_ds(self, k: int) -> str:
        """Image Position (Patient) of slice ``k`` as Decimal Strings."""
        return "\\".join(format_ds(float(v)) for v in self.position(k))

    def slice_location(self, k: int) -> str:
        """Slice Location: position of slice ``k`` along the slice normal."""
        return format_ds(float(np.dot(self.position(k), self.normal)))


def patient_orientation(direction: npt.NDArray[np.float64]) -> str:
    """Patient Orientation (0020,0020) letters of the row and column directions.

    Each direction is named by up to three letters (L/R, P/A, H/F) for its
    components in decreasing magnitude, leaving out those below 1e-4 — the
    convention of PS3.3 C.7.6.1.1.1 for oblique images.
    """
    names = []
    for axis in (direction[:, 0], direction[:, 1]):
        order = np.argsort(-np.abs(axis))
        letters = ""
        for i in order:
            if abs(axis[i]) > 1e-4:
                letters += ("LR", "PA", "HF")[i][0 if axis[i] > 0 else 1]
        names.append(letters)
    return "\\".join(names)


def _check_geometry_values(spacing: Sequence[float], direction: Sequence[float], dim: int) -> None:
    for i, value in enumerate(spacing):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"spacing[{i}] is {value!r}; spacing must be positive and finite")
    matrix = np.asarray(direction, dtype=np.float64)
    if matrix.size != dim * dim or not np.all(np.isfinite(matrix)):
        raise InputError(f"direction must hold {dim * dim} finite numbers, got {list(direction)}")
    matrix = matrix.reshape(dim, dim)
    error = float(np.max(np.abs(matrix.T @ matrix - np.eye(dim))))
    if error > _ORTHO_TOL:
        raise InputError(
            f"direction {matrix.ravel().tolist()} is not orthonormal "
            f"(|D^T D - I| = {error:.2g} > {_ORTHO_TOL})"
        )


def _floats(name: str, values: object) -> tuple[float, ...]:
    """``values`` as a flat tuple of floats (a 3x3 direction matrix is flattened row-major)."""
    try:
        return tuple(np.asarray(values, dtype=np.float64).ravel().tolist())
    except (TypeError, ValueError):
        # Without this, float() of a nested list or a string escaped as a bare TypeError.
        raise InputError(f"{name} must be a sequence of numbers, not {values!r}") from None


def _check_array(array: npt.NDArray[np.generic]) -> None:
    # Byte order does not matter: a big-endian float32 is still float32.
    if array.dtype.newbyteorder("=") not in _DTYPES:
        raise InputError(
            f"dtype {array.dtype} is not supported; use bool, (u)int8/16/32/64 or float32/64"
        )
    if array.ndim not in (2, 3):
        raise InputError(
            f"the array has {array.ndim} dimensions, shape {array.shape}; "
            "expected (z, y, x) or (y, x) scalar data"
        )
    if array.size == 0:
        raise InputError(f"the array is empty, shape {array.shape}")
    rows, columns = array.shape[-2:]
    if rows > _MAX_ROWS or columns > _MAX_ROWS:
        raise InputError(
            f"slices of {rows} x {columns} exceed DICOM's (0028,0010) Rows / (0028,0011) "
            f"Columns limit of {_MAX_ROWS}"
        )
    if array.ndim == 3 and array.shape[0] > _MAX_SLICES:
        raise InputError(f"{array.shape[0]} slices exceed the Instance Number range")


def as_image(
    image: sitk.Image | npt.NDArray[np.generic],
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
) -> tuple[npt.NDArray[np.generic], Geometry]:
    """Validate the input and return its voxels (z, y, x) and its geometry.

    Parameters
    ----------
    image : SimpleITK.Image or ndarray
        A 2-D or 3-D scalar image, or an array shaped (z, y, x) or (y, x).
    spacing, origin, direction : sequence of float, optional
        Only with an ndarray, in SimpleITK's (x, y, z) order; the defaults are
        spacing 1, origin 0 and the identity.

    Returns
    -------
    voxels : ndarray
        A view of the voxels (no copy for a SimpleITK image or a C-ordered array).
    geometry : Geometry

    Raises
    ------
    InputError
        For anything DICOM or this package cannot write.
    """
    if isinstance(image, sitk.Image):
        if spacing is not None or origin is not None or direction is not None:
            raise InputError(
                "spacing, origin and direction are given only with an ndarray; a "
                "SimpleITK.Image carries its own (use image.SetSpacing() etc.)"
            )
        if image.GetNumberOfComponentsPerPixel() != 1:
            raise InputError(
                f"the image has {image.GetNumberOfComponentsPerPixel()} components per pixel; "
                "only scalar images can be written"
            )
        if image.GetDimension() not in (2, 3):
            raise InputError(f"the image is {image.GetDimension()}-D; expected 2-D or 3-D")
        voxels = sitk.GetArrayViewFromImage(image)
        _check_array(voxels)
        _check_geometry_values(image.GetSpacing(), image.GetDirection(), image.GetDimension())
        if not all(np.isfinite(image.GetOrigin())):
            raise InputError(f"origin {image.GetOrigin()} is not finite")
        return voxels, Geometry.of(image)
    if not isinstance(image, np.ndarray):
        raise InputError(
            f"image must be a SimpleITK.Image or a numpy.ndarray, not {type(image).__name__}"
        )
    _check_array(image)
    dim = image.ndim
    spacing_v = _floats("spacing", spacing) if spacing is not None else (1.0,) * dim
    origin_v = _floats("origin", origin) if origin is not None else (0.0,) * dim
    direction_v = (
        _floats("direction", direction)
        if direction is not None
        else tuple(np.eye(dim).ravel().tolist())
    )
    for name, given in (("spacing", spacing_v), ("origin", origin_v)):
        if len(given) != dim:
            raise InputError(f"{name} has {len(given)} values; a {dim}-D array needs {dim}")
    if not all(np.isfinite(origin_v)):
        raise InputError(f"origin {origin_v} is not finite")
    _check_geometry_values(spacing_v, direction_v, dim)
    # A throw-away header image lets SimpleITK own the geometry conventions.
    header = sitk.Image([1] * dim, sitk.sitkUInt8)
    header.SetSpacing(spacing_v)
    header.SetOrigin(origin_v)
    header.SetDirection(direction_v)
    geometry = Geometry.of(header)
    size = image.shape[::-1]
    geometry = Geometry(
        (size[0], size[1], size[2] if dim == 3 else 1),
        geometry.spacing,
        geometry.origin,
        geometry.direction,
    )
    # Native byte order for the encoder and SimpleITK (no copy when it already is).
    return np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("=")), geometry
