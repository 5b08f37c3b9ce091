"""Tests of pixel encoding (pixels.rescale): range scan, rescale choice, error."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simpleitk_dicomwriter.errors import InputError
from simpleitk_dicomwriter.pixels.ds import format_ds
from simpleitk_dicomwriter.pixels.rescale import Encoding, choose, encode, scan

DS_RE = re.compile(r"^[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$")  # a leading digit: VTK
STORED_RANGE = {"uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535)}
EPS = np.finfo(np.float64).eps

PROPERTY = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- helpers


def check_encoding(data: npt.NDArray[np.generic], e: Encoding) -> float:
    """Assert every invariant of ``encode(data, e)``; return its max error."""
    assert e.stored in STORED_RANGE
    for text, value in ((e.slope_ds, e.slope), (e.intercept_ds, e.intercept)):
        assert len(text) <= 16, text
        assert DS_RE.match(text), text
        assert float(text) == value  # the file holds exactly what was computed with
    assert e.slope > 0
    lo, hi = STORED_RANGE[e.stored]
    stored, max_error = encode(data, e)
    assert stored.dtype == np.dtype(e.stored).newbyteorder("<")
    if e.identity:
        assert e.slope == 1.0 and e.intercept == 0.0
        assert np.array_equal(stored.astype(np.float64), data.astype(np.float64))
        assert max_error == 0.0
        assert e.bound == 0.0
        return max_error
    assert stored.min() >= lo and stored.max() <= hi, (stored.min(), stored.max())
    # What every reader does: stored * slope + intercept, in float64.
    floats = stored.astype(np.float64) * e.slope + e.intercept
    values = data.astype(np.float64)
    true_error = float(np.max(np.abs(values - floats)))
    assert max_error == true_error
    scale = max(float(np.max(np.abs(values))), abs(e.intercept))
    assert max_error <= e.slope / 2 + 4 * EPS * scale, (max_error, e.slope)
    assert e.bound == e.slope / 2
    return max_error


def spread(low: float, high: float, fractions: list[float]) -> npt.NDArray[np.float64]:
    """An array holding ``low``, ``high`` and points between them."""
    inner = [low + f * (high - low) for f in fractions]
    data = np.clip(np.array([low, high, *inner], dtype=np.float64), low, high)
    return data.reshape(1, 1, -1)


def ds_slope_ok(e: Encoding, low: float, high: float) -> None:
    """The auto slope is within DS rounding of the smallest one that holds the range.

    The slope must hold ``high - intercept`` in 65535 steps, and the intercept
    is ``low`` rounded down to a Decimal String. Rounding the slope up to 16
    characters costs at most 1e-9 relatively (a 10-digit mantissa at worst,
    for 3-digit exponents), so the slope is at most
    ``(high - intercept) / 65535 * (1 + 1e-9)`` plus a few ulps. When the
    intercept is exact (``low`` fits in a DS, the common case) this is the
    optimal ``(max - min) / 65535 * (1 + 1e-9)``.
    """
    span = high - e.intercept
    if span == 0:
        return  # a constant image with an exact intercept: any slope is exact
    if e.slope == 1 and e.intercept == low and low.is_integer() and high.is_integer():
        assert span <= 65535  # integers spanning 16 bits are stored exactly instead
        return
    assert e.slope <= span / 65535 * (1 + 1e-9) + 4 * EPS * span / 65535 + 1e-320, (
        e.slope_ds,
        span / 65535,
    )
    if e.intercept == low:
        assert e.slope <= (high - low) / 65535 * (1 + 1e-9) * (1 + 4 * EPS) + 1e-320


# --------------------------------------------------------------------------- scan


def test_scan_integer_and_float_ranges() -> None:
    rng = scan(np.array([[3, -7], [12, 0]], dtype=np.int32))
    assert (rng.minimum, rng.maximum, rng.integral) == (-7.0, 12.0, True)
    assert rng.dtype == np.int32
    rng = scan(np.array([0.5, -2.0, 3.0]))
    assert (rng.minimum, rng.maximum, rng.integral) == (-2.0, 3.0, False)
    rng = scan(np.array([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32))
    assert rng.integral and rng.dtype == np.float32


def test_scan_bool() -> None:
    rng = scan(np.array([[True, False]]))
    assert (rng.minimum, rng.maximum, rng.integral) == (0.0, 1.0, True)
    assert scan(np.zeros((2, 2), dtype=bool)).maximum == 0.0
    all_true = scan(np.ones((2, 2), dtype=bool))
    assert (all_true.minimum, all_true.maximum) == (1.0, 1.0)


def test_scan_empty() -> None:
    with pytest.raises(InputError, match="empty"):
        scan(np.zeros((0, 3), dtype=np.float32))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("shape", "index"), [((4, 5, 6), (2, 3, 1)), ((5, 6), (4, 0)), ((7,), (6,))]
)
def test_scan_rejects_non_finite_naming_the_index(
    bad: float, shape: tuple[int, ...], index: tuple[int, ...]
) -> None:
    data = np.arange(math.prod(shape), dtype=np.float64).reshape(shape) / 3
    data[index] = bad
    with pytest.raises(InputError) as info:
        scan(data)
    message = str(info.value)
    assert str(index if len(index) > 1 else (index[0],)) in message
    assert ("nan" if math.isnan(bad) else "inf") in message
    assert "finite" in message


def test_scan_reports_the_first_non_finite_across_chunks() -> None:
    # Many rows so that the scan works in several chunks.
    data = np.zeros((3, 3000, 2000), dtype=np.float32)
    data[2, 2999, 1999] = np.nan
    with pytest.raises(InputError, match=r"\(2, 2999, 1999\)"):
        scan(data)


# --------------------------------------------------------------------------- choose: integers


@pytest.mark.parametrize(
    ("dtype", "low", "high", "stored"),
    [
        (np.int16, -32768, 32767, "int16"),
        (np.int32, -1000, 3000, "int16"),
        (np.int32, 0, 65535, "uint16"),
        (np.uint16, 0, 65535, "uint16"),
        (np.uint16, 0, 100, "uint16"),
        (np.int8, -5, 5, "int16"),
        (np.uint32, 10, 40000, "uint16"),
        (np.int64, -32768, 0, "int16"),
        (np.uint8, 0, 255, "uint16"),
        (np.float32, -1024, 3071, "int16"),  # integer-valued floats are integers
        (np.float64, 0, 60000, "uint16"),
    ],
)
def test_integers_in_16_bits_are_stored_unchanged(
    dtype: type[np.generic], low: int, high: int, stored: str
) -> None:
    data = np.array([[low, high, (low + high) // 2]], dtype=dtype)
    e = choose(scan(data))
    assert e.identity and e.stored == stored
    assert (e.slope_ds, e.intercept_ds, e.slope, e.intercept) == ("1", "0", 1.0, 0.0)
    check_encoding(data, e)


def test_uint8_and_bool_use_8_bits_only_when_allowed() -> None:
    data = np.array([[0, 255]], dtype=np.uint8)
    assert choose(scan(data), allow_8bit=True).stored == "uint8"
    assert choose(scan(data)).stored == "uint16"
    mask = np.array([[True, False]])
    e = choose(scan(mask), allow_8bit=True)
    assert (e.stored, e.bits, e.signed, e.identity) == ("uint8", 8, False, True)
    decoded, error = encode(mask, e)
    assert decoded.dtype == np.uint8 and decoded.tolist() == [[1, 0]] and error == 0.0
    e = choose(scan(mask))
    assert (e.stored, e.bits) == ("uint16", 16)
    # Integer data of another type never goes to 8 bits.
    assert choose(scan(np.array([[0, 255]], dtype=np.int16)), allow_8bit=True).stored == "int16"
    assert choose(scan(np.array([[0.0, 255.0]])), allow_8bit=True).stored == "int16"


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [
        (np.int32, -100000, 100000),
        (np.int32, 0, 70000),
        (np.int32, -40000, 30000),
        (np.uint32, 0, 2**32 - 1),
        (np.int64, -(2**40), 2**40),
        (np.int32, 100000, 100010),  # a narrow range away from 0
    ],
)
def test_integers_beyond_16_bits_are_rescaled(dtype: type[np.generic], low: int, high: int) -> None:
    data = np.linspace(low, high, 101).astype(dtype).reshape(1, 1, -1)
    e = choose(scan(data))
    assert not e.identity and e.stored == "uint16"
    assert e.intercept <= low
    error = check_encoding(data, e)
    ds_slope_ok(e, float(low), float(high))
    if high - low <= 65535:  # shifted by the minimum, they still fit 16 bits exactly
        assert (e.slope, e.intercept, error) == (1.0, float(low), 0.0)
    else:
        assert e.slope > 1


def test_encoding_properties() -> None:
    e = choose(scan(np.array([[-5, 5]], dtype=np.int16)))
    assert (e.bits, e.signed, e.bound) == (16, True, 0.0)
    e = choose(scan(np.array([[0.5, 1.5]])))
    assert (e.bits, e.signed) == (16, False) and e.bound == e.slope / 2 > 0


# --------------------------------------------------------------------------- choose: floats

fractions = st.lists(st.floats(0, 1), min_size=0, max_size=30)


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


range_pairs = st.one_of(
    st.tuples(finite(-1e6, 1e6), finite(-1e6, 1e6)),  # general
    st.tuples(finite(-1e-3, 1e-3), finite(-1e-3, 1e-3)),  # tiny
    st.tuples(finite(0, 1e6), finite(0, 1e6)),  # non-negative
    st.tuples(finite(-1e9, -1e-9), finite(-1e9, -1e-9)),  # negative only
    st.builds(  # a narrow range far from zero
        lambda base, width: (base, base + width), finite(-1e7, 1e7), finite(0, 10)
    ),
    st.builds(lambda v: (v, v), finite(-1e12, 1e12)),  # constant
    st.tuples(finite(-1e300, 1e300), finite(-1e300, 1e300)),  # very wide
).map(sorted)


@PROPERTY
@given(range_pairs, fractions)
@example([0.0, 1e6], [0.25])
@example([-1e-3, 1e-3], [0.3, 0.7])
@example([1e6, 1e6 + 1], [0.5])
@example([-7.25, -0.5], [0.1])
@example([1000.0999755859375, 1000.0999755859375], [])  # constant float32 1000.1
@example([0.1, 0.1], [])
@example([1e6, 1e6 + 1e-9], [0.5])  # narrower than the float spacing allows
@example([-3.0, 5.0], [0.5])  # integer-valued: stored unchanged
@example([1e-300, 2e-300], [0.5])
@example([2.2250738585e-313, 2.2250738585e-313], [])  # subnormal: span / 65535 underflows
@example([0.0, 5e-324], [])
def test_auto_rescale_of_floats(bounds: list[float], fracs: list[float]) -> None:
    low, high = bounds
    data = spread(low, high, fracs)
    rng = scan(data)
    e = choose(rng)
    error = check_encoding(data, e)
    if rng.integral and (low >= -32768 and high <= 65535):
        assert e.identity and error == 0.0
        return
    assert not e.identity and e.stored == "uint16"
    assert e.intercept <= low
    ds_slope_ok(e, low, high)


@PROPERTY
@given(range_pairs, fractions)
@example([0.0, 1e6], [0.25])
@example([-1e-3, 1e-3], [0.3])
@example([-1000.5, 1000.25], [0.1])
@example([-2.5, -0.5], [])
@example([0.0, 0.0], [])
@example([0.0, 1e-310], [0.5])
@example([0.0, 5e-324], [])  # high / 65535 underflows to 0
@example([-5e-324, 5e-324], [])
def test_zero_intercept_rescale(bounds: list[float], fracs: list[float]) -> None:
    low, high = bounds
    data = spread(low, high, fracs)
    rng = scan(data)
    e = choose(rng, zero_intercept=True)
    check_encoding(data, e)
    assert e.intercept == 0.0 and e.intercept_ds == "0"
    if e.identity:
        return
    if low >= 0:
        assert e.stored == "uint16"
        if high > 0:
            assert e.slope <= high / 65535 * (1 + 1e-9) * (1 + 4 * EPS) + 1e-320
    else:
        assert e.stored == "int16"
        need = max(high / 32767, -low / 32768)
        assert e.slope <= need * (1 + 1e-9) * (1 + 4 * EPS) + 1e-320


def test_zero_intercept_large_integers() -> None:
    data = np.array([[0, 50000, 200000]], dtype=np.int32)
    e = choose(scan(data), zero_intercept=True)
    assert e.intercept == 0.0 and e.stored == "uint16" and not e.identity
    check_encoding(data, e)
    data = np.array([[-100000, 50000]], dtype=np.int32)
    e = choose(scan(data), zero_intercept=True)
    assert e.intercept == 0.0 and e.stored == "int16"
    check_encoding(data, e)


def test_constant_float_image_is_exact() -> None:
    data = np.full((2, 3, 4), 2.5)
    e = choose(scan(data))
    assert check_encoding(data, e) == 0.0


def test_range_too_wide_for_float64_is_an_input_error() -> None:
    data = np.array([[-1.5e308, 1.5e308]])
    with pytest.raises(InputError, match="range"):
        choose(scan(data))
    # The same values are fine with a zero intercept: no difference is formed.
    e = choose(scan(data), zero_intercept=True)
    check_encoding(data, e)


def test_encode_empty_plane_and_identity_copy() -> None:
    e = choose(scan(np.array([[0.5, 1.5]])))
    decoded, error = encode(np.zeros((0, 4)), e)
    assert decoded.shape == (0, 4) and error == 0.0
    ints = np.array([[1, 2]], dtype=np.int16)
    e = choose(scan(ints))
    decoded, error = encode(ints, e)
    assert decoded.dtype == np.int16 and error == 0.0


# --------------------------------------------------------------------------- explicit rescale


def test_explicit_rescale_is_honoured() -> None:
    data = np.array([[0.0, 0.25, 100.0]])
    e = choose(scan(data), rescale=(0.25, -10.0))
    assert (e.slope_ds, e.intercept_ds, e.slope, e.intercept) == ("0.25", "-10", 0.25, -10.0)
    assert e.stored == "uint16" and not e.identity
    assert check_encoding(data, e) == 0.0
    # Negative stored values need int16.
    e = choose(scan(np.array([[-5.0, 5.0]])), rescale=(0.5, 0.0))
    assert e.stored == "int16"
    check_encoding(np.array([[-5.0, 5.0]]), e)
    # A slope that needs rounding to 16 characters is rounded before use.
    e = choose(scan(np.array([[0.0, 1.0]])), rescale=(1 / 3, 0))
    assert e.slope_ds == "0.33333333333333" and e.slope == float(e.slope_ds)
    check_encoding(np.array([[0.0, 1.0]]), e)


def test_explicit_identity() -> None:
    ints = np.array([[0, 1000]], dtype=np.int32)
    e = choose(scan(ints), rescale=(1, 0))
    assert e.identity and e.stored == "uint16"
    floats = np.array([[0.5, 1000.0]])
    e = choose(scan(floats), rescale=(1.0, 0.0))
    assert not e.identity
    assert check_encoding(floats, e) == 0.5


def test_explicit_rescale_beyond_16_bits() -> None:
    data = np.array([[0.0, 100000.0]])
    with pytest.raises(InputError) as info:
        choose(scan(data), rescale=(1.0, 0.0))
    message = str(info.value)
    assert "(0028,1053) RescaleSlope" in message and "16 bits" in message
    with pytest.raises(InputError, match=r"\(0028,1053\) RescaleSlope"):
        choose(scan(np.array([[-40000.0, 40000.0]])), rescale=(1.0, 0.0))
    # So small a slope that the stored value overflows a float.
    with pytest.raises(InputError, match=r"\(0028,1053\) RescaleSlope"):
        choose(scan(np.array([[0.0, 1e300]])), rescale=(1e-300, 0.0))


@pytest.mark.parametrize("slope", [0.0, -1.0, math.nan, math.inf, 1e-400])
def test_explicit_slope_must_be_positive(slope: float) -> None:
    with pytest.raises(InputError, match=r"\(0028,1053\) RescaleSlope"):
        choose(scan(np.array([[0.0, 1.0]])), rescale=(slope, 0.0))


def test_explicit_intercept_must_be_finite() -> None:
    with pytest.raises(InputError, match=r"\(0028,1052\) RescaleIntercept"):
        choose(scan(np.array([[0.0, 1.0]])), rescale=(1.0, math.nan))


def test_explicit_rescale_with_zero_intercept() -> None:
    data = np.array([[0.0, 10.0]])
    with pytest.raises(InputError, match=r"\(0028,1052\) RescaleIntercept.*requires 0"):
        choose(scan(data), zero_intercept=True, rescale=(1.0, 5.0))
    e = choose(scan(data), zero_intercept=True, rescale=(0.5, -0.0))
    assert e.intercept_ds == "0"
    check_encoding(data, e)


@pytest.mark.parametrize("bad", ["linear", ("a", "b"), (1.0,), None])
def test_bad_rescale_argument(bad: object) -> None:
    with pytest.raises(InputError, match="rescale"):
        choose(scan(np.array([[0.0, 1.0]])), rescale=bad)  # type: ignore[arg-type]


@PROPERTY
@given(
    finite(1e-6, 1e3),
    finite(-1e4, 1e4),
    st.lists(finite(-1e4, 1e4), min_size=1, max_size=20),
)
def test_explicit_rescale_property(slope: float, intercept: float, values: list[float]) -> None:
    data = np.array(values).reshape(1, -1)
    rng = scan(data)
    try:
        e = choose(rng, rescale=(slope, intercept))
    except InputError as error:
        assert "(0028,1053) RescaleSlope" in str(error)
        s, i = float(format_ds(slope)), float(format_ds(intercept))
        q_low, q_high = round((rng.minimum - i) / s), round((rng.maximum - i) / s)
        assert not (q_low >= 0 and q_high <= 65535)
        assert not (q_low >= -32768 and q_high <= 32767)
        return
    check_encoding(data, e)
