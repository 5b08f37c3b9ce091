"""Reading Interfile 3.3 images (STIR, CASToR) into :class:`SimpleITK.Image`.

This module owns the Interfile input path: parsing the text header (``.hv`` /
``.h33``), turning its number format, byte order, offset and rescale keys into
a NumPy dtype and voxel values, and turning its matrix size, scaling factors
and first-pixel offsets into SimpleITK geometry. SimpleITK has no Interfile
reader of its own, so without this module PET reconstructions from STIR and
CASToR could not be fed to the DICOM writer.

Only the first frame of the data file is read; keys the reader does not need
(modality, time frames, quantification units, ...) are ignored.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk

from ..errors import InputError

__all__ = ["is_interfile", "read_interfile"]

_SUFFIXES = frozenset({".hv", ".h33"})

# Enough to get past blank lines and comments at the top of a real header
# without slurping a large binary file that merely happens to be passed in.
_SNIFF_BYTES = 64 * 1024

# (number format, bytes per pixel) -> dtype kind and itemsize. "float" is the
# 3.3 spelling; "short float"/"long float" are the older spellings STIR and
# CASToR still write, and they pin the width.
_FORMATS: dict[tuple[str, int], str] = {
    ("float", 4): "f4",
    ("float", 8): "f8",
    ("short float", 4): "f4",
    ("long float", 8): "f8",
    **{
        (f"{kind} integer", size): f"{code}{size}"
        for kind, code in (("signed", "i"), ("unsigned", "u"))
        for size in (1, 2, 4, 8)
    },
}

_BYTE_ORDERS = {"LITTLEENDIAN": "<", "BIGENDIAN": ">"}

_INDEX_RE = re.compile(r"\s*\[\s*(\w+)\s*\]")
_SPACE_RE = re.compile(r"\s+")
_INT_RE = re.compile(r"[+-]?[0-9]+")


def _normalise_key(raw: str) -> str:
    """Return the canonical spelling of a header key.

    Writers disagree on ``!``, case and spacing (STIR writes both
    ``data offset in bytes[1]`` and ``matrix size [1]``), so every key is
    reduced to lower case, single spaces and exactly one space before ``[i]``.
    """
    key = raw.strip().lstrip("!").strip().lower()
    key = _SPACE_RE.sub(" ", key)
    return _INDEX_RE.sub(r" [\1]", key).strip()


def _significant_lines(text: str) -> list[str]:
    """Return the stripped lines that are neither blank nor ``;`` comments."""
    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(";"):
            lines.append(stripped)
    return lines


def _is_interfile_marker(line: str) -> bool:
    key = line.split(":=", 1)[0]
    return _normalise_key(key) == "interfile"


def is_interfile(path: str | os.PathLike[str]) -> bool:
    """Tell cheaply whether ``path`` looks like an Interfile header.

    Parameters
    ----------
    path : str or os.PathLike
        File to test.

    Returns
    -------
    bool
        ``True`` when the suffix is ``.hv`` or ``.h33`` (any case), or when
        the first line that is neither blank nor a ``;`` comment is the
        ``!INTERFILE`` marker. Unreadable files give ``False``; this function
        never raises for a bad path.
    """
    p = Path(path)
    if p.suffix.lower() in _SUFFIXES:
        return True
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    lines = _significant_lines(head.decode("utf-8", errors="replace"))
    return bool(lines) and _is_interfile_marker(lines[0])


class _Header:
    """Parsed key/value pairs of one header, with error messages naming it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, str] = {}

    def error(self, message: str) -> InputError:
        return InputError(f"Interfile header '{self.path}': {message}")

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        # An empty value ("!GENERAL DATA :=") is a section marker, not data.
        return value if value else None

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise self.error(f"required key '{key}' is missing or empty")
        return value

    def as_int(self, key: str, value: str) -> int:
        # Stricter than int(), which would also take "1_000" or " 12 ".
        if not _INT_RE.fullmatch(value):
            raise self.error(f"key '{key}' has non-integer value '{value}'")
        return int(value)

    def as_float(self, key: str, value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise self.error(f"key '{key}' has non-numeric value '{value}'") from None
        if not math.isfinite(number):
            raise self.error(f"key '{key}' has non-finite value '{value}'")
        return number

    def float_or(self, key: str, default: float) -> float:
        value = self.get(key)
        return default if value is None else self.as_float(key, value)

    def first_of(self, *keys: str) -> tuple[str, str] | None:
        for key in keys:
            value = self.get(key)
            if value is not None:
                return key, value
        return None


def _parse_header(path: Path) -> _Header:
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(
            f"Interfile header '{path}' cannot be read: {exc.strerror or exc}"
        ) from None
    header = _Header(path)
    lines = _significant_lines(text)
    if not lines or not _is_interfile_marker(lines[0]):
        first = lines[0] if lines else ""
        raise header.error(f"does not start with '!INTERFILE' (first line is '{first[:80]}')")
    for line in lines[1:]:
        if ":=" not in line:
            continue
        raw_key, value = line.split(":=", 1)
        key = _normalise_key(raw_key)
        # Multi-frame headers repeat some keys per frame; the first occurrence
        # belongs to the first frame, which is the one this reader returns.
        header.values.setdefault(key, value.strip())
    return header


def _dtype(header: _Header) -> np.dtype[np.generic]:
    fmt_raw = header.require("number format")
    fmt = _SPACE_RE.sub(" ", fmt_raw.lower())
    if fmt not in {f for f, _ in _FORMATS}:
        raise header.error(f"key 'number format' has unsupported value '{fmt_raw}'")
    bpp_key = "number of bytes per pixel"
    bpp = header.as_int(bpp_key, header.require(bpp_key))
    code = _FORMATS.get((fmt, bpp))
    if code is None:
        raise header.error(
            f"key '{bpp_key}' has unsupported value '{bpp}' for number format '{fmt_raw}'"
        )

    order_key = "imagedata byte order"
    order_raw = header.get(order_key)
    # Interfile 3.3 makes big endian the default, unlike most modern writers.
    order = "BIGENDIAN" if order_raw is None else _SPACE_RE.sub("", order_raw).upper()
    if order not in _BYTE_ORDERS:
        raise header.error(f"key '{order_key}' has unsupported value '{order_raw}'")
    return np.dtype(_BYTE_ORDERS[order] + code)


def _geometry(header: _Header) -> tuple[list[int], list[float], list[float]]:
    """Return size, spacing and origin in (x, y[, z]) order."""
    ndim_key = "number of dimensions"
    ndim_raw = header.get(ndim_key)
    if ndim_raw is None:
        ndim = 3 if header.get("matrix size [3]") is not None else 2
    else:
        ndim = header.as_int(ndim_key, ndim_raw)
        if ndim not in (2, 3):
            raise header.error(f"key '{ndim_key}' has unsupported value '{ndim_raw}'")

    size: list[int] = []
    spacing: list[float] = []
    origin: list[float] = []
    for axis in range(1, ndim + 1):
        size_key = f"matrix size [{axis}]"
        size_raw = header.require(size_key)
        n = header.as_int(size_key, size_raw)
        if n <= 0:
            raise header.error(f"key '{size_key}' has non-positive value '{size_raw}'")
        size.append(n)

        spacing_key = f"scaling factor (mm/pixel) [{axis}]"
        spacing_raw = header.get(spacing_key)
        step = 1.0 if spacing_raw is None else header.as_float(spacing_key, spacing_raw)
        if step <= 0:
            raise header.error(f"key '{spacing_key}' has non-positive value '{spacing_raw}'")
        spacing.append(step)

        origin.append(header.float_or(f"first pixel offset (mm) [{axis}]", 0.0))
    return size, spacing, origin


def _data_path(header: _Header) -> Path:
    name = header.require("name of data file")
    # Joining with an absolute name yields that absolute name, which is
    # exactly the Interfile rule for absolute data file paths.
    return header.path.parent / name


def _offset(header: _Header) -> int:
    found = header.first_of("data offset in bytes", "data offset in bytes [1]")
    if found is None:
        return 0
    key, value = found
    offset = header.as_int(key, value)
    if offset < 0:
        raise header.error(f"key '{key}' has negative value '{value}'")
    return offset


def _rescale(header: _Header) -> tuple[float, float]:
    """Return the (slope, intercept) mapping stored values to real values.

    CASToR writes ``data rescale slope/offset``; STIR writes
    ``image scaling factor [1]``. Both are honoured, multiplicatively.
    """
    slope = header.float_or("data rescale slope", 1.0)
    slope *= header.float_or("image scaling factor [1]", 1.0)
    intercept = header.float_or("data rescale offset", 0.0)
    return slope, intercept


def _read_data(
    header: _Header, path: Path, dtype: np.dtype[np.generic], offset: int, count: int
) -> npt.NDArray[np.generic]:
    expected = offset + count * dtype.itemsize
    try:
        actual = path.stat().st_size
    except OSError as exc:
        raise header.error(
            f"data file '{path}' (key 'name of data file') cannot be accessed: "
            f"{exc.strerror or exc}"
        ) from None
    if not path.is_file():
        raise header.error(f"data file '{path}' (key 'name of data file') is not a regular file")
    if actual < expected:
        raise header.error(
            f"data file '{path}' (key 'name of data file') is too short: expected at least "
            f"{expected} bytes ({offset} offset + {count} voxels x {dtype.itemsize} bytes), "
            f"found {actual}"
        )
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = np.fromfile(fh, dtype=dtype, count=count)
    except OSError as exc:
        raise header.error(f"data file '{path}' cannot be read: {exc.strerror or exc}") from None
    if data.size != count:
        # The size check above makes this unreachable unless the file shrank
        # between stat and read; fail loudly rather than reshape garbage.
        raise header.error(f"data file '{path}' yielded {data.size} voxels, expected {count}")
    # SimpleITK requires native byte order.
    return data.astype(dtype.newbyteorder("="), copy=False)


def read_interfile(header_path: str | os.PathLike[str]) -> sitk.Image:
    """Read an Interfile 3.3 image into a :class:`SimpleITK.Image`.

    Parameters
    ----------
    header_path : str or os.PathLike
        The text header (``.hv``, ``.h33``, ...). Its ``name of data file``
        is resolved relative to the header's directory unless absolute.

    Returns
    -------
    SimpleITK.Image
        A 2-D or 3-D scalar image. Voxels are stored x fastest, then y, then
        z. Spacing comes from ``scaling factor (mm/pixel) [i]`` (default 1),
        origin from ``first pixel offset (mm) [i]`` (default 0), direction is
        the identity. The pixel type follows ``number format`` and ``number
        of bytes per pixel``, except that when a rescale is present
        (``data rescale slope`` != 1, ``data rescale offset`` != 0 or
        ``image scaling factor [1]`` != 1) the values are rescaled and
        returned as float32.

    Raises
    ------
    InputError
        If the header is unreadable, does not start with ``!INTERFILE``,
        lacks a required key, has a non-numeric, non-positive or
        unsupported value, or if the data file is missing or shorter than
        ``data offset in bytes`` plus the voxel data. The message names the
        header and the offending key and value.

    Notes
    -----
    Keys are case-insensitive, a leading ``!`` is ignored and lines starting
    with ``;`` are comments. Unknown keys are ignored. Only the first frame
    of a multi-frame file is read; trailing bytes in the data file are
    ignored.
    """
    header = _parse_header(Path(header_path))
    dtype = _dtype(header)
    size, spacing, origin = _geometry(header)
    data_path = _data_path(header)
    offset = _offset(header)
    slope, intercept = _rescale(header)

    count = math.prod(size)
    data = _read_data(header, data_path, dtype, offset, count)
    # NumPy shape is the reverse of the Interfile (x, y, z) axis order.
    array: npt.NDArray[np.generic] = data.reshape(size[::-1])
    if slope != 1.0 or intercept != 0.0:
        array = (array.astype(np.float64) * slope + intercept).astype(np.float32)

    image = sitk.GetImageFromArray(array)
    # SimpleITK ships py.typed but its SWIG-generated methods are unannotated.
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    return image
