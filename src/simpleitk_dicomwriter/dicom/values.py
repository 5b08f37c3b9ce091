"""DICOM values: the rules of each value representation and their text form.

Everything the package writes passes through :func:`format_value`. The VR rules
(length, character repertoire, format; PS3.5 section 6.2) are pydicom's
validators; on top of them this module keeps only the project's stricter
rules: calendar dates, times without leap seconds, integer ranges,
multiplicity, no control characters, ASCII outside the text VRs.
Decimal Strings come from :func:`~simpleitk_dicomwriter.pixels.ds.format_ds`.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence

from pydicom.valuerep import MAX_VALUE_LEN, VALIDATORS

from ..errors import MetadataError
from ..pixels.ds import format_ds
from .elements import SINGLE_VALUED_VRS, Element

__all__ = ["Scalar", "Value", "format_value", "is_ascii", "typed_value", "validate_uid"]

Scalar = str | int | float
Value = Scalar | Sequence[Scalar] | _dt.date | _dt.time

_TM_RE = re.compile(r"^([01][0-9]|2[0-3])([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?$")
# YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX] (PS3.5 table 6.2-1).
_DT_RE = re.compile(
    r"^[0-9]{4}((0[1-9]|1[0-2])((0[1-9]|[12][0-9]|3[01])(([01][0-9]|2[0-3])"
    r"([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?)?)?)?([+-]([01][0-9])[0-5][0-9])?$"
)
# What each VR's pydicom validator enforces, in words for the error message.
_RULES = {
    "AE": "at most 16 printable ASCII characters",
    "AS": "nnnD, nnnW, nnnM or nnnY",
    "CS": "at most 16 upper-case letters, digits, space or '_'",
    "DS": "a decimal number of at most 16 characters",
    "IS": "an integer of at most 12 characters",
    "LO": "at most 64 characters",
    "LT": "at most 10240 characters",
    "SH": "at most 16 characters",
    "ST": "at most 1024 characters",
    "UI": "digits and dots, components without leading zeros, at most 64 characters",
    "PN": "at most 3 '='-separated groups of at most 64 characters",
    "DA": "YYYYMMDD",
    "TM": "HHMMSS.FFFFFF",
    "DT": "YYYYMMDDHHMMSS.FFFFFF&ZZXX",
}
# VRs whose text may use the Specific Character Set; all others are ASCII only.
_TEXT_VRS = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}
_INT_RANGES = {"US": (0, 2**16 - 1), "SS": (-(2**15), 2**15 - 1),
               "UL": (0, 2**32 - 1), "SL": (-(2**31), 2**31 - 1),
               "IS": (-(2**31), 2**31 - 1)}  # fmt: skip
_INT_RE = re.compile(r"^[ ]*[+-]?[0-9]+[ ]*$")
# The control characters free text (LT, ST, UT) may hold (PS3.5 6.1.3); ESC is the
# character set's, not the user's.
_TEXT_CONTROLS = "\t\n\f\r"
_BINARY_NUMBERS = {"US": int, "SS": int, "UL": int, "SL": int, "FL": float, "FD": float}


def _pydicom_accepts(vr: str, text: str) -> bool:
    """Whether pydicom's validator for ``vr`` accepts the string ``text``."""
    validator = VALIDATORS.get(vr)
    return validator is None or vr not in _RULES or bool(validator(vr, text)[0])


def is_ascii(text: str) -> bool:
    """Whether ``text`` needs no Specific Character Set beyond the default."""
    return text.isascii()


def validate_uid(uid: str, element: Element | str = "UID") -> str:
    """Return ``uid`` if it is a valid DICOM UID, else raise :class:`MetadataError`."""
    if not isinstance(uid, str) or not uid or not _pydicom_accepts("UI", uid):
        raise MetadataError(f"{element}: {uid!r} is not a valid UI ({_RULES['UI']})")
    components = uid.split(".")
    if int(components[0]) > 2 or all(c == "0" for c in components):
        # An ISO OID (PS3.5 9.1) starts with arc 0, 1 or 2 and is never all zeros.
        raise MetadataError(
            f"{element}: {uid!r} is not a valid UI (the first component is 0, 1 or 2, and not "
            "every component is 0)"
        )
    return uid


def _check_date(text: str, element: Element) -> None:
    try:
        ok = len(text) == 8 and text.isdigit()
        _dt.datetime.strptime(text, "%Y%m%d")
    except ValueError:
        ok = False
    if not ok:
        raise MetadataError(f"{element}: {text!r} is not a valid DA (YYYYMMDD)")


def _check_one(text: str, element: Element) -> None:
    """Validate one value (no backslashes) against the element's VR."""
    if text == "":
        return  # an empty value is how a Type 2 element says "unknown"
    vr = element.vr
    if vr not in _TEXT_VRS and not text.isascii():
        raise MetadataError(f"{element}: {text!r} has non-ASCII characters, not allowed in {vr}")
    allowed = _TEXT_CONTROLS if vr in ("LT", "ST", "UT") else ""
    if any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
        rule = "only TAB, LF, FF and CR are" if allowed else "none is"
        raise MetadataError(f"{element}: {text!r} has control characters; {rule} allowed in {vr}")
    if vr == "UI":
        validate_uid(text, element)
        return
    limit = MAX_VALUE_LEN.get(vr)
    if limit is not None and len(text) > limit:
        raise MetadataError(
            f"{element}: {text!r} is {len(text)} characters; {vr} allows at most {limit}"
        )
    if not _pydicom_accepts(vr, text):
        raise MetadataError(f"{element}: {text!r} is not a valid {vr} ({_RULES[vr]})")
    if vr == "PN" and any(g.count("^") > 4 for g in text.split("=")):
        raise MetadataError(f"{element}: {text!r} has more than 5 '^'-separated components")
    if vr in _INT_RANGES:
        if not _INT_RE.match(text):
            raise MetadataError(f"{element}: {text!r} is not a valid {vr} (an integer)")
        low, high = _INT_RANGES[vr]
        if not low <= int(text) <= high:
            raise MetadataError(f"{element}: {text} is outside the {vr} range [{low}, {high}]")
    elif vr in ("FL", "FD"):
        try:
            float(text)
        except ValueError:
            raise MetadataError(f"{element}: {text!r} is not a valid {vr} (a number)") from None
    elif vr == "DA":
        _check_date(text, element)
    elif vr == "TM" and not _TM_RE.match(text):
        # Stricter than pydicom: no leap second (60), no trailing space.
        raise MetadataError(f"{element}: {text!r} is not a valid TM ({_RULES['TM']})")
    elif vr == "DT":
        # Checking only the year let '2020-01-01T10:00' through.
        valid = bool(_DT_RE.match(text))
        if valid and len(text) >= 8 and text[:8].isdigit():
            try:
                _dt.datetime.strptime(text[:8], "%Y%m%d")
            except ValueError:
                valid = False
        if not valid:
            raise MetadataError(f"{element}: {text!r} is not a valid DT ({_RULES['DT']})")


def _date_text(value: _dt.date) -> str:
    # Not strftime("%Y"): it does not zero-pad years before 1000 on every platform.
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _to_text(value: Scalar | _dt.date | _dt.time, element: Element) -> str:
    vr = element.vr
    if isinstance(value, bool):
        raise MetadataError(f"{element}: {value!r} is a bool, not a valid {vr} value")
    # NumPy scalars (np.int64, np.float32) are numbers too.
    if isinstance(value, numbers.Integral) and not isinstance(value, int):
        value = int(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, int | float):
        value = float(value)
    if isinstance(value, _dt.datetime):
        text = None
        if vr == "DT":
            # An aware datetime keeps its UTC offset (&ZZXX); dropping it shifts the instant.
            text = _date_text(value) + value.strftime("%H%M%S.%f%z")
        elif vr == "DA":
            text = _date_text(value)
        elif vr == "TM":
            text = value.strftime("%H%M%S.%f")
    elif isinstance(value, _dt.date):
        text = _date_text(value) if vr in ("DA", "DT") else None
    elif isinstance(value, _dt.time):
        text = value.strftime("%H%M%S.%f") if vr == "TM" else None
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise MetadataError(
                f"{element}: {value!r} is not valid Unicode text ({error.reason} at "
                f"position {error.start}); it cannot be encoded in any character set"
            ) from None
        text = value
    elif vr == "UI":
        raise MetadataError(
            f"{element}: {value!r} is a {type(value).__name__}; a UID is given as a str "
            "(digits and dots)"
        )
    elif isinstance(value, int | float):
        if vr == "DS":
            try:
                number = float(value)
            except OverflowError:  # an int beyond the float range
                number = math.inf
            if not math.isfinite(number):
                raise MetadataError(f"{element}: {value!r} is not a finite number, as DS needs")
            text = format_ds(number)
        elif vr in _INT_RANGES:
            if isinstance(value, float) and not value.is_integer():
                raise MetadataError(f"{element}: {value!r} is not an integer, as {vr} needs")
            text = str(int(value))
        elif vr in ("FL", "FD"):
            text = repr(float(value))
        else:
            text = str(value)
    else:
        raise MetadataError(
            f"{element}: {value!r} has the unsupported type {type(value).__name__}; give a "
            "str, int, float, date or time"
        )
    if text is None:
        raise MetadataError(
            f"{element}: {value!r} is a {type(value).__name__}, not a valid {vr} value"
        )
    return text


def _multiplicity(vm: str) -> tuple[int, int | None]:
    """(minimum, maximum or None) number of values ``vm`` allows."""
    first, _, last = vm.partition("-")
    if not last:
        return int(first), int(first)
    low = int(first)
    return low, None if last.endswith("n") else int(last)


def format_value(element: Element, value: Value) -> str:
    """Validate ``value`` for ``element`` and return the string to write.

    Parameters
    ----------
    element : Element
        The target element (see :func:`resolve`).
    value : str, int, float, date, time or a sequence of them
        One value, or a list/tuple for a multi-valued element. A string is one
        value: a backslash in it is rejected for single-valued elements.

    Returns
    -------
    str
        The values joined by backslashes, ready for SimpleITK's dictionary.

    Raises
    ------
    MetadataError
        Naming the element, the value and the rule it breaks.
    """
    values: list[Scalar | _dt.date | _dt.time]
    if isinstance(value, str | int | float | _dt.date | _dt.time | numbers.Number):
        values = [value]
    else:
        # None, bytes, a dict or any non-iterable raised TypeError or was silently
        # turned into its items (bytes -> ints) before.
        try:
            if isinstance(value, bytes | bytearray | Mapping) or not isinstance(value, Iterable):
                raise TypeError
            values = list(value)
        except TypeError:
            raise MetadataError(
                f"{element}: {value!r} has the unsupported type {type(value).__name__}; give "
                "a str, int, float, date or time, or a list of them"
            ) from None
    texts = [_to_text(v, element) for v in values]
    if element.vr in SINGLE_VALUED_VRS:
        if len(texts) != 1:
            raise MetadataError(f"{element}: {value!r}: {element.vr} holds exactly one value")
        _check_one(texts[0], element)
        return texts[0]
    low, high = _multiplicity(element.vm)
    for text in texts:
        if "\\" in text:
            raise MetadataError(
                f"{element}: {text!r} contains a backslash, the DICOM value separator; "
                "give several values as a list"
            )
        _check_one(text, element)
    count = len(texts)
    empty = count == 1 and texts[0] == ""
    if not empty and (count < low or (high is not None and count > high)):
        allowed = element.vm.replace("-n", " or more").replace("-", " to ")
        raise MetadataError(f"{element}: {value!r}: {count} value(s) given; VM {allowed} required")
    step = element.vm.rpartition("-")[2][:-1]
    if element.vm.endswith("n") and step.isdigit() and count % int(step) and not empty:
        raise MetadataError(
            f"{element}: {value!r}: the number of values must be a multiple of {step}"
        )
    return "\\".join(texts)


def typed_value(vr: str, text: str) -> object:
    """A validated text value (see :func:`format_value`) as pydicom holds it for ``vr``.

    Binary numbers become ints or floats, several values a list; text stays text.
    """
    if text == "":
        return None
    values = [text] if vr in SINGLE_VALUED_VRS else text.split("\\")
    convert = _BINARY_NUMBERS.get(vr)
    if convert is not None:
        numbers_ = [convert(v) for v in values]
        return numbers_[0] if len(numbers_) == 1 else numbers_
    return values[0] if len(values) == 1 else values
