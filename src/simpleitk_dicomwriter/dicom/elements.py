"""DICOM elements: keyword <-> tag <-> VR, and how an element is named in messages.

The data dictionary is pydicom's. :func:`resolve` is the one way a key given by
a user (keyword, ``gggg|eeee``, ``gggg,eeee`` or an int) becomes an
:class:`Element`; :func:`label` is the one ``(gggg,eeee) Keyword`` formatter.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from pydicom import datadict
from pydicom.dataelem import DataElement
from pydicom.multival import MultiValue

from ..errors import MetadataError

__all__ = ["SINGLE_VALUED_VRS", "Element", "element_text", "label", "resolve"]

_TAG_RE = re.compile(r"^\s*\(?\s*([0-9A-Fa-f]{4})\s*[|,]\s*([0-9A-Fa-f]{4})\s*\)?\s*$")
# VRs that hold one free-text value in which a backslash is an ordinary character.
SINGLE_VALUED_VRS = frozenset({"LT", "ST", "UT", "UR"})
_BINARY_UNSUPPORTED = {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "SV", "UV", "AT"}


@functools.cache
def _keywords() -> dict[str, str]:
    """Lower-case keyword -> keyword, for every public dictionary element."""
    return {k.lower(): k for k in datadict.keyword_dict if k}


def _suggest(key: str) -> str:
    """ "; did you mean ...?" with the closest real keywords, or nothing."""
    keywords = _keywords()
    exact = keywords.get(key.lower())
    if exact is not None:
        return f"; did you mean {exact!r}? (keywords are case-sensitive)"
    close = difflib.get_close_matches(key.lower(), keywords, n=3, cutoff=0.8)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(keywords[c]) for c in close) + "?"


def label(tag: int | str) -> str:
    """``(gggg,eeee) Keyword`` for a tag or a dictionary keyword.

    The tag alone, ``(gggg,eeee)``, when the dictionary has no keyword for it.
    """
    if isinstance(tag, str):
        found = datadict.tag_for_keyword(tag)
        if found is None:
            return tag
        tag = found
    keyword = datadict.keyword_for_tag(tag) if datadict.dictionary_has_tag(tag) else ""
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text


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
        return label(self.tag)


def element_text(element: DataElement) -> str:
    """The value of a pydicom element as DICOM text: several values joined by ``\\``."""
    value = element.value
    if value is None:
        return ""
    if isinstance(value, list | tuple | MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value)


def resolve(key: str | int, *, allow_sequence: bool = False) -> Element:
    """Look up a keyword, a ``gggg|eeee`` / ``gggg,eeee`` string or an int tag.

    Parameters
    ----------
    key : str or int
        The element to look up.
    allow_sequence : bool
        Accept SQ elements (written by a pydicom pass, not by SimpleITK).

    Returns
    -------
    Element

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
                raise MetadataError(
                    f"{key!r} is not a DICOM keyword or a 'gggg|eeee' tag{_suggest(key.strip())}"
                )
            tag = found
    if (tag >> 16) % 2 == 1:
        raise MetadataError(f"{label(tag)}: private tags are not supported (odd group number)")
    if not datadict.dictionary_has_tag(tag):
        raise MetadataError(f"{label(tag)} is not in the DICOM data dictionary")
    vr = datadict.dictionary_VR(tag).split(" or ")[0]
    element = Element(tag, datadict.keyword_for_tag(tag), vr, datadict.dictionary_VM(tag))
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
