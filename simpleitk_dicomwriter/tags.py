"""DICOM elements: keyword <-> tag <-> VR, value checks and string formatting.

Everything the package writes passes through :func:`format_value`, so the rules
of each value representation (PS3.5 section 6.2) live here and nowhere else.
The data dictionary is pydicom's; nothing is hard-coded but the VR rules.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from pydicom import datadict

from .errors import MetadataError

__all__ = [
    "Element",
    "Scalar",
    "Value",
    "format_ds",
    "format_value",
    "is_ascii",
    "resolve",
    "validate_uid",
]

Scalar = str | int | float
Value = Scalar | Sequence[Scalar] | _dt.date | _dt.time

_TAG_RE = re.compile(r"^\s*\(?\s*([0-9A-Fa-f]{4})\s*[|,]\s*([0-9A-Fa-f]{4})\s*\)?\s*$")
_UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_CS_RE = re.compile(r"^[A-Z0-9 _]*$")
_DS_RE = re.compile(r"^[ ]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ ]*$")
_IS_RE = re.compile(r"^[ ]*[+-]?[0-9]+[ ]*$")
_AS_RE = re.compile(r"^[0-9]{3}[DWMY]$")
_TM_RE = re.compile(r"^([01][0-9]|2[0-3])([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?$")
# YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX] (PS3.5 table 6.2-1).
_DT_RE = re.compile(
    r"^[0-9]{4}((0[1-9]|1[0-2])((0[1-9]|[12][0-9]|3[01])(([01][0-9]|2[0-3])"
    r"([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?)?)?)?([+-]([01][0-9])[0-5][0-9])?$"
)

# Maximum length in characters of one value, per VR (PS3.5 table 6.2-1).
_MAX_LEN = {
    "AE": 16, "AS": 4, "CS": 16, "DA": 8, "DS": 16, "DT": 26, "IS": 12, "LO": 64,
    "LT": 10240, "PN": 64, "SH": 16, "ST": 1024, "TM": 14, "UC": 2**32 - 2,
    "UI": 64, "UR": 2**32 - 2, "UT": 2**32 - 2,
}  # fmt: skip
# VRs whose text may use the Specific Character Set; all others are ASCII only.
_TEXT_VRS = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}
# VRs that hold one free-text value in which a backslash is an ordinary character.
_NO_MULTI_VRS = {"LT", "ST", "UT", "UR"}
_INT_RANGES = {"US": (0, 2**16 - 1), "SS": (-(2**15), 2**15 - 1),
               "UL": (0, 2**32 - 1), "SL": (-(2**31), 2**31 - 1),
               "IS": (-(2**31), 2**31 - 1)}  # fmt: skip
_BINARY_UNSUPPORTED = {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "SV", "UV", "AT"}


@dataclass(frozen=True)
class Element:
    """One public DICOM data element from pydicom's dictionary.

    Attributes
    ----------
    tag : int
        The tag as ``0xGGGGEEEE``.
    keyword : str
        The DICOM keyword, e.g. ``"PatientName"``.
    vr : str
        The value representation; for US-or-SS elements, ``"US"``.
    vm : str
        The value multiplicity, e.g. ``"1"`` or ``"2-n"``.
    """

    tag: int
    keyword: str
    vr: str
    vm: str

    @property
    def key(self) -> str:
        """The ``gggg|eeee`` key SimpleITK's metadata dictionary uses."""
        return f"{self.tag >> 16:04x}|{self.tag & 0xFFFF:04x}"

    def __str__(self) -> str:
        return f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X}) {self.keyword}"


def resolve(key: str | int, *, allow_sequence: bool = False) -> Element:
    """Look up a keyword, a ``gggg|eeee`` / ``gggg,eeee`` string or an int tag.

    Parameters
    ----------
    key : str or int
        The element to look up.
    allow_sequence : bool
        Accept SQ elements (written by a pydicom pass, not by SimpleITK).

    Raises
    ------
    MetadataError
        For an unknown keyword or tag, a private tag, a binary VR, or a
        sequence unless ``allow_sequence``.
    """
    if isinstance(key, int):
        tag = key
    else:
        match = _TAG_RE.match(key)
        if match:
            tag = int(match.group(1) + match.group(2), 16)
        else:
            # pydicom maps "" to an element without a keyword; "" is no keyword.
            found = datadict.tag_for_keyword(key.strip()) if key.strip() else None
            if found is None:
                raise MetadataError(f"{key!r} is not a DICOM keyword or a 'gggg|eeee' tag")
            tag = found
    label = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    if (tag >> 16) % 2 == 1:
        raise MetadataError(f"{label}: private tags are not supported (odd group number)")
    if not datadict.dictionary_has_tag(tag):
        raise MetadataError(f"{label} is not in the DICOM data dictionary")
    keyword = datadict.keyword_for_tag(tag)
    vr = datadict.dictionary_VR(tag).split(" or ")[0]
    element = Element(tag, keyword, vr, datadict.dictionary_VM(tag))
    if vr == "SQ" and not allow_sequence:
        raise MetadataError(f"{element}: sequences cannot be given as metadata")
    if vr in _BINARY_UNSUPPORTED:
        raise MetadataError(f"{element}: binary VR {vr} cannot be given as metadata")
    if (tag >> 16) in (0x0002, 0x7FE0) or tag == 0x00080005:
        raise MetadataError(f"{element} is set by the writer and cannot be given")
    if vr == "NONE" or (tag >> 16) == 0x0000:
        # Item delimiters (FFFE,xxxx) and command elements (0000,xxxx) never belong in a
        # data set; written as text they would corrupt the file.
        raise MetadataError(f"{element} is not a data set element and cannot be given")
    return element


def is_ascii(text: str) -> bool:
    """Whether ``text`` needs no Specific Character Set beyond the default."""
    return text.isascii()


def validate_uid(uid: str, element: Element | str = "UID") -> str:
    """Return ``uid`` if it is a valid DICOM UID, else raise :class:`MetadataError`."""
    if not isinstance(uid, str) or not uid or len(uid) > 64 or not _UID_RE.match(uid):
        raise MetadataError(
            f"{element}: {uid!r} is not a valid UI (digits and dots, components "
            "without leading zeros, at most 64 characters)"
        )
    return uid


def _decimal_to_ds(value: Decimal) -> str:
    """Shortest of the fixed and exponent notations of ``value``."""
    fixed = format(value, "f")
    if "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    if fixed in ("-0", ""):
        fixed = "0"
    if fixed.startswith("0."):
        fixed = fixed[1:]
    elif fixed.startswith("-0."):
        fixed = "-" + fixed[2:]
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
        return _decimal_to_ds(Decimal(shortest)) if len(shortest) > 1 else shortest
    exact = Decimal(float(value))
    for digits in range(17, 0, -1):
        quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
        text = _decimal_to_ds(exact.quantize(quantum, rounding=mode))
        if len(text) <= 16:
            return text
    raise MetadataError(f"DS cannot represent {value!r} in 16 characters")  # pragma: no cover


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
    limit = _MAX_LEN.get(vr)
    if vr == "PN":
        groups = text.split("=")
        if len(groups) > 3 or any(len(g) > 64 for g in groups):
            raise MetadataError(
                f"{element}: {text!r} is not a valid PN (at most 3 '='-separated groups of "
                "at most 64 characters)"
            )
        if any(g.count("^") > 4 for g in groups):
            raise MetadataError(f"{element}: {text!r} has more than 5 '^'-separated components")
    elif limit is not None and len(text) > limit and vr not in ("DA", "TM"):
        raise MetadataError(
            f"{element}: {text!r} is {len(text)} characters; {vr} allows at most {limit}"
        )
    if vr not in _TEXT_VRS and not text.isascii():
        raise MetadataError(f"{element}: {text!r} has non-ASCII characters, not allowed in {vr}")
    if any(ord(c) < 32 for c in text) and vr not in ("LT", "ST", "UT"):
        raise MetadataError(f"{element}: {text!r} has control characters, not allowed in {vr}")
    if vr == "CS" and not _CS_RE.match(text):
        raise MetadataError(
            f"{element}: {text!r} is not a valid CS (upper-case letters, digits, space, '_')"
        )
    elif vr == "DS" and not _DS_RE.match(text):
        raise MetadataError(f"{element}: {text!r} is not a valid DS (a decimal number)")
    elif vr in _INT_RANGES:
        if not _IS_RE.match(text):
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
        raise MetadataError(f"{element}: {text!r} is not a valid TM (HHMMSS.FFFFFF)")
    elif vr == "DT":
        # Checking only the year let '2020-01-01T10:00' through.
        valid = bool(_DT_RE.match(text))
        if valid and len(text) >= 8 and text[:8].isdigit():
            try:
                _dt.datetime.strptime(text[:8], "%Y%m%d")
            except ValueError:
                valid = False
        if not valid:
            raise MetadataError(
                f"{element}: {text!r} is not a valid DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX)"
            )
    elif vr == "AS" and not _AS_RE.match(text):
        raise MetadataError(f"{element}: {text!r} is not a valid AS (nnnD, nnnW, nnnM or nnnY)")
    elif vr == "UI":
        validate_uid(text, element)


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
        text = value
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
    if element.vr in _NO_MULTI_VRS:
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
