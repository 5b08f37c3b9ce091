"""Pixel encoding: how real values become stored integers, and the error it costs.

Pure NumPy. The writer asks :func:`scan` for the value range once per series,
:func:`choose` for the stored type and Rescale Slope/Intercept, then
:func:`encode` for each slice. The slope and intercept are rounded to their
16-character Decimal String form *before* quantising, so the values written
in the file are exactly the ones the stored integers were computed with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .ds import format_ds

__all__ = ["Encoding", "ValueRange", "choose", "encode", "scan"]

_STORED = {
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "uint16": (0, 65535),
}
# Rows of pixels examined at once: bounds the temporaries of the range scan.
_CHUNK_VOXELS = 1 << 22
# Smallest positive slope: a subnormal range divided by 65535 underflows to 0.
_TINY = math.ulp(0.0)


@dataclass(frozen=True)
class ValueRange:
    """Finite value range of an image and whether every value is an integer."""

    minimum: float
    maximum: float
    integral: bool
    dtype: np.dtype[np.generic]


@dataclass(frozen=True)
class Encoding:
    """How one series is stored.

    Attributes
    ----------
    stored : str
        NumPy name of the stored integer type: ``uint8``, ``int16`` or ``uint16``.
    slope, intercept : float
        Rescale Slope and Intercept, exactly the values of ``slope_ds`` and
        ``intercept_ds``.
    slope_ds, intercept_ds : str
        The Decimal Strings written to (0028,1053) and (0028,1052).
    identity : bool
        True when stored values are the input values (slope 1, intercept 0,
        integer input): the write is lossless and needs no conversion.
    """

    stored: str
    slope: float
    intercept: float
    slope_ds: str
    intercept_ds: str
    identity: bool

    @property
    def bits(self) -> int:
        """Bits Allocated (= Bits Stored) of the stored type."""
        return 8 if self.stored == "uint8" else 16

    @property
    def signed(self) -> bool:
        """Pixel Representation: True for two's complement."""
        return self.stored == "int16"

    @property
    def bound(self) -> float:
        """Largest error quantisation can introduce: half the slope, or 0."""
        return 0.0 if self.identity else self.slope / 2


def scan(volume: npt.NDArray[np.generic]) -> ValueRange:
    """Return the value range of ``volume``, rejecting NaN and infinity.

    Raises
    ------
    InputError
        If a value is NaN or infinite (the message gives its index), or the
        array is empty.
    """
    if volume.size == 0:
        raise InputError("the image is empty (no voxels)")
    dtype = volume.dtype
    if dtype == np.bool_:
        # The minimum is 1 only when every voxel is set (it used to be 0 always).
        low, high = float(volume.all()), float(volume.any())
        return ValueRange(low, high, True, dtype)
    floating = np.issubdtype(dtype, np.floating)
    lows, highs, integral = [], [], True
    flat = volume.reshape(-1, volume.shape[-1]) if volume.ndim > 1 else volume.reshape(1, -1)
    step = max(1, _CHUNK_VOXELS // flat.shape[1])
    for start in range(0, flat.shape[0], step):
        chunk = flat[start : start + step]
        low, high = chunk.min(), chunk.max()
        if floating:
            if not (math.isfinite(low) and math.isfinite(high)):
                bad = np.argwhere(~np.isfinite(chunk))[0]
                index = np.unravel_index(start * flat.shape[1] + bad[0] * flat.shape[1] + bad[1],
                                         volume.shape)  # fmt: skip
                value = volume[index]
                raise InputError(
                    f"the image holds {value} at (z, y, x) index {tuple(int(i) for i in index)}; "
                    "DICOM pixels must be finite"
                )
            integral = integral and bool(np.array_equal(chunk, np.rint(chunk)))
        lows.append(float(low))
        highs.append(float(high))
    return ValueRange(min(lows), max(highs), integral, dtype)


def _fits(stored: str, low: float, high: float) -> bool:
    lo, hi = _STORED[stored]
    return lo <= low and high <= hi


def _lossless(rng: ValueRange, allow_8bit: bool) -> str | None:
    """Stored type that holds integer values unchanged, preferring the input's kind."""
    if not rng.integral:
        return None
    if allow_8bit and rng.dtype in (np.bool_, np.uint8):
        return "uint8"
    unsigned_first = rng.dtype == np.bool_ or np.issubdtype(rng.dtype, np.unsignedinteger)
    order = ("uint16", "int16") if unsigned_first else ("int16", "uint16")
    return next((s for s in order if _fits(s, rng.minimum, rng.maximum)), None)


def _make(stored: str, slope: str, intercept: str, identity: bool = False) -> Encoding:
    return Encoding(stored, float(slope), float(intercept), slope, intercept, identity)


def choose(
    rng: ValueRange,
    *,
    allow_8bit: bool = False,
    zero_intercept: bool = False,
    rescale: str | tuple[float, float] = "auto",
) -> Encoding:
    """Choose the stored type and the rescale for a series.

    Parameters
    ----------
    rng : ValueRange
        From :func:`scan`.
    allow_8bit : bool
        The IOD accepts 8-bit pixels (Secondary Capture); used for uint8/bool input.
    zero_intercept : bool
        The IOD requires Rescale Intercept 0 (PET).
    rescale : "auto" or (slope, intercept)
        ``"auto"``: integers that fit 16 bits are stored unchanged; anything else is
        mapped onto the full 16-bit range with the smallest slope that holds it.
        A tuple imposes the slope and intercept (rounded to Decimal Strings).

    Returns
    -------
    Encoding

    Raises
    ------
    InputError
        For an explicit rescale that cannot hold the values or breaks the IOD.
    """
    if not isinstance(rescale, str):
        return _explicit(rng, rescale, zero_intercept)
    if rescale != "auto":
        raise InputError(f"rescale must be 'auto' or a (slope, intercept) pair, not {rescale!r}")
    stored = _lossless(rng, allow_8bit)
    if stored is not None:
        return _make(stored, "1", "0", identity=True)
    low, high = rng.minimum, rng.maximum
    if zero_intercept:
        if low >= 0:
            slope = format_ds(max(high / 65535, _TINY), "up") if high > 0 else "1"
            return _make("uint16", slope, "0")
        slope = format_ds(max(high / 32767, -low / 32768, _TINY), "up")
        return _make("int16", slope, "0")
    intercept = format_ds(low, "down")
    span = high - float(intercept)
    if not math.isfinite(span):
        # Beyond float64 (e.g. [-1e308, 1e308]): format_ds(inf) would fail and the
        # slope search below would never end.
        raise InputError(
            f"the value range [{low:g}, {high:g}] is too wide to rescale: max - min "
            "exceeds the float64 range; scale the data or give rescale=(slope, intercept)"
        )
    if span == 0:
        return _make("uint16", "1", intercept)
    if rng.integral and float(intercept) == low and span <= 65535:
        # Integers beyond 16 bits but spanning at most 65535 values stay exact
        # with slope 1 and the minimum as intercept.
        return _make("uint16", "1", intercept)
    slope = format_ds(max(span / 65535, _TINY), "up")
    # Rounding the slope up keeps the top value in range; guard the float maths too.
    while (high - float(intercept)) / float(slope) > 65535.49:
        slope = format_ds(math.nextafter(float(slope), math.inf), "up")
    return _make("uint16", slope, intercept)


def _explicit(rng: ValueRange, rescale: tuple[float, float], zero_intercept: bool) -> Encoding:
    try:
        slope_value, intercept_value = (float(v) for v in rescale)
    except (TypeError, ValueError):
        raise InputError(
            f"rescale must be 'auto' or a (slope, intercept) pair of numbers, not {rescale!r}"
        ) from None
    if not (math.isfinite(slope_value) and slope_value > 0):
        raise InputError(f"(0028,1053) RescaleSlope: {slope_value!r} must be a positive number")
    if not math.isfinite(intercept_value):
        raise InputError(f"(0028,1052) RescaleIntercept: {intercept_value!r} must be finite")
    if zero_intercept and intercept_value != 0:
        raise InputError(f"(0028,1052) RescaleIntercept: {intercept_value!r}; this IOD requires 0")
    slope, intercept = format_ds(slope_value), format_ds(intercept_value)
    q_low = (rng.minimum - float(intercept)) / float(slope)
    q_high = (rng.maximum - float(intercept)) / float(slope)
    stored = None
    # An overflowing quotient is beyond 16 bits too (round(inf) would raise OverflowError).
    if math.isfinite(q_low) and math.isfinite(q_high):
        q_low, q_high = round(q_low), round(q_high)
        stored = next((s for s in ("uint16", "int16") if _fits(s, q_low, q_high)), None)
    if stored is None:
        raise InputError(
            f"(0028,1053) RescaleSlope {slope} with (0028,1052) RescaleIntercept {intercept} "
            f"maps the values [{rng.minimum:g}, {rng.maximum:g}] to stored values "
            f"[{q_low}, {q_high}], beyond 16 bits"
        )
    identity = slope == "1" and intercept == "0" and rng.integral
    return _make(stored, slope, intercept, identity)


def encode(plane: npt.NDArray[np.generic], enc: Encoding) -> tuple[npt.NDArray[np.generic], float]:
    """Encode one slice for the writer.

    Returns
    -------
    stored : ndarray
        The stored integers, little-endian, of type ``enc.stored``.
    max_error : float
        Largest ``|input - decoded|`` on this slice.
    """
    stored_type = np.dtype(enc.stored).newbyteorder("<")
    if enc.identity:
        return plane.astype(stored_type, copy=False), 0.0
    lo, hi = _STORED[enc.stored]
    values = plane.astype(np.float64)
    # In place, two float64 buffers per slice: this loop is most of a float write.
    work = np.subtract(values, enc.intercept)
    work /= enc.slope
    np.rint(work, out=work)
    np.clip(work, lo, hi, out=work)
    stored = work.astype(stored_type)
    work *= enc.slope
    work += enc.intercept
    work -= values
    error = float(np.max(np.abs(work, out=work))) if values.size else 0.0
    return stored, error
