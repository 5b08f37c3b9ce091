"""Geometry: input checks and per-slice positions, in NumPy only.

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

from ..errors import InputError
from .ds import format_ds

__all__ = ["Geometry", "check_array", "check_geometry_values", "floats", "patient_orientation"]

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
    def from_parts(
        cls,
        size: Sequence[int],
        spacing: Sequence[float],
        origin: Sequence[float],
        direction: Sequence[float],
    ) -> Geometry:
        """Geometry of a 2-D or 3-D image from SimpleITK-ordered size, spacing,
        origin and row-major direction (as ``GetSize()`` etc. return them)."""
        dim = len(size)
        matrix = np.eye(3)
        matrix[:dim, :dim] = np.asarray(direction, dtype=np.float64).reshape(dim, dim)
        position = np.zeros(3)
        position[:dim] = origin
        return cls(
            (int(size[0]), int(size[1]), int(size[2]) if dim == 3 else 1),
            (float(spacing[0]), float(spacing[1]), float(spacing[2]) if dim == 3 else None),
            position,
            matrix,
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


def check_geometry_values(spacing: Sequence[float], direction: Sequence[float], dim: int) -> None:
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


def floats(name: str, values: object) -> tuple[float, ...]:
    """``values`` as a flat tuple of floats (a 3x3 direction matrix is flattened row-major)."""
    try:
        return tuple(np.asarray(values, dtype=np.float64).ravel().tolist())
    except (TypeError, ValueError):
        # Without this, float() of a nested list or a string escaped as a bare TypeError.
        raise InputError(f"{name} must be a sequence of numbers, not {values!r}") from None


def check_array(array: npt.NDArray[np.generic]) -> None:
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
