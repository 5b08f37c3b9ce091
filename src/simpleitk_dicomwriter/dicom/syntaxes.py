"""Transfer syntaxes the writer offers: names, UIDs and what each one needs.

Only lossless syntaxes are offered: a derived series must hold the values the
writer verified. Lossy syntaxes and unknown names are refused before anything
is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)

from ..errors import InputError

__all__ = ["DEFAULT", "SYNTAXES", "TransferSyntax", "transfer_syntax"]


@dataclass(frozen=True)
class TransferSyntax:
    """One offered transfer syntax.

    Attributes
    ----------
    name : str
        The name ``transfer_syntax=`` and ``--transfer-syntax`` take.
    uid : pydicom.uid.UID
        (0002,0010) TransferSyntaxUID.
    codec : str or None
        The module that encodes its pixel data, None when the data is native.
    """

    name: str
    uid: UID
    codec: str | None

    @property
    def implicit(self) -> bool:
        """Whether the data set is Implicit VR (no VR in the element headers)."""
        return self.uid == ImplicitVRLittleEndian

    @property
    def encapsulated(self) -> bool:
        """Whether pixel data is a sequence of compressed fragments."""
        return self.codec is not None


SYNTAXES: dict[str, TransferSyntax] = {
    s.name: s
    for s in (
        TransferSyntax("implicit", ImplicitVRLittleEndian, None),
        TransferSyntax("explicit", ExplicitVRLittleEndian, None),
        TransferSyntax("jpeg-lossless", JPEGLosslessSV1, "imagecodecs"),
        TransferSyntax("jpeg2000-lossless", JPEG2000Lossless, "imagecodecs"),
        # pydicom encodes RLE itself; pylibjpeg-rle, when installed, does it faster.
        TransferSyntax("rle", RLELossless, "pydicom"),
        TransferSyntax("jpeg-ls-lossless", JPEGLSLossless, "imagecodecs"),
    )
}
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
#: Explicit VR Little Endian: every reader reads it, media profiles require it,
#: and it costs what Implicit VR costs (see the README).
DEFAULT = SYNTAXES["explicit"]


def transfer_syntax(value: object) -> TransferSyntax:
    """The offered syntax named by ``value``: a name of :data:`SYNTAXES` or its UID.

    Raises
    ------
    InputError
        For a lossy, unknown or unsupported syntax, naming the accepted ones.
    """
    if isinstance(value, TransferSyntax):
        return value
    accepted = ", ".join(SYNTAXES)
    if not isinstance(value, str):
        raise InputError(
            f"(0002,0010) TransferSyntaxUID: {value!r} is not a name; give one of {accepted}"
        )
    text = value.strip()
    if text.lower() in SYNTAXES:
        return SYNTAXES[text.lower()]
    for syntax in SYNTAXES.values():
        if text == syntax.uid:
            return syntax
    uid = UID(text) if _UID.fullmatch(text) else UID("")
    if uid.is_transfer_syntax and not uid.is_private:
        lossless = not uid.is_compressed or ("Lossless" in uid.name and "Near" not in uid.name)
        kind = "an unsupported" if lossless else "a lossy"
        reason = (
            "lossy compression changes the values the writer verified"
            if kind == "a lossy"
            else "the writer does not encode it"
        )
        raise InputError(
            f"(0002,0010) TransferSyntaxUID: {text} ({uid.name}) is {kind} transfer syntax; "
            f"{reason}; give one of {accepted}"
        )
    raise InputError(
        f"(0002,0010) TransferSyntaxUID: {text!r} is not a known transfer syntax; "
        f"give one of {accepted}"
    )
