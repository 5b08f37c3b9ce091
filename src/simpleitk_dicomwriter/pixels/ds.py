"""Decimal Strings: a number as at most 16 characters, rounded the way asked.

Pure arithmetic, used by the rescale (the slope is rounded to its DS form
before quantising) and by every DS value the writer computes. It measured
more exact than pydicom's ``format_number_as_ds`` (1/3 and
123456789012345.67 keep 16 significant characters).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from ..errors import MetadataError

__all__ = ["format_ds"]


def _decimal_to_ds(value: Decimal) -> str:
    """Shortest of the fixed and exponent notations of ``value``."""
    fixed = format(value, "f")
    if "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    if fixed in ("-0", ""):
        fixed = "0"
    # The leading zero stays ("0.8", not ".8"): VTK's vtkDICOMImageReader reads ".8"
    # as 0 and crashes on a Rescale Slope that starts with ".". When it costs a
    # digit, format_ds rounds to the 16-character form first.
    mantissa, _, exponent = format(value.normalize(), "e").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sci = f"{mantissa}e{int(exponent)}"
    # Plain notation reads better and suits naive parsers; use it whenever it fits.
    return fixed if len(fixed) <= 16 or len(fixed) <= len(sci) else sci


def format_ds(value: float, rounding: str = "nearest") -> str:
    """Format ``value`` as a Decimal String of at most 16 characters.

    Parameters
    ----------
    value : float
        A finite number.
    rounding : {"nearest", "up", "down"}
        How to round when 16 characters cannot hold ``value`` exactly:
        ``"up"`` gives a string whose value is >= ``value``, ``"down"`` <=.

    Returns
    -------
    str
        The shortest string with the most significant digits that fits.
    """
    if not math.isfinite(value):
        raise MetadataError(f"DS cannot hold the non-finite value {value!r}")
    mode = {"nearest": ROUND_HALF_EVEN, "up": ROUND_CEILING, "down": ROUND_FLOOR}[rounding]
    shortest = repr(float(value)).replace("e+", "e").replace("e0", "e").replace("e-0", "e-")
    if shortest.endswith(".0"):
        shortest = shortest[:-2]
    if len(shortest) <= 16 and "inf" not in shortest:
        text = _decimal_to_ds(Decimal(shortest)) if len(shortest) > 1 else shortest
        if len(text) <= 16:
            return text
    exact = Decimal(float(value))
    for digits in range(17, 0, -1):
        quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
        text = _decimal_to_ds(exact.quantize(quantum, rounding=mode))
        if len(text) <= 16:
            return text
    raise MetadataError(f"DS cannot represent {value!r} in 16 characters")  # pragma: no cover
