"""Frame encoders of the compressed transfer syntaxes.

Chosen by what was measured to be exact for every image the writer accepts
(odd widths, 8-bit, sides under 32 pixels, one pixel) and unable to abort
the process: imagecodecs for JPEG Lossless SV1 (libjpeg-turbo), JPEG 2000
(OpenJPEG, reversible 5/3 wavelet) and JPEG-LS (CharLS); pydicom's own RLE
encoder, through pylibjpeg-rle when it is installed. GDCM's encoders are
never used: they abort on 8-bit RLE of odd width and corrupt memory on tiny
JPEG 2000 images. Signed pixels are handed to the JPEG family as their
two's-complement bit pattern, the form DICOM readers expect for Pixel
Representation 1; JPEG 2000 carries the sign itself.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..dicom.syntaxes import TransferSyntax
from ..errors import InputError
from ..extras import require

__all__ = ["FrameEncoder", "frame_encoder"]

#: Encodes one 2-D plane of stored integers into one compressed frame.
FrameEncoder = Callable[[npt.NDArray[np.generic]], bytes]


def _unsigned(plane: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    return plane.view(np.uint16) if plane.dtype == np.int16 else plane


def _imagecodecs(syntax: TransferSyntax) -> FrameEncoder:
    codecs: Any = require("imagecodecs", "codecs", InputError)
    if syntax.name == "jpeg-lossless":
        return lambda plane: bytes(
            codecs.jpeg8_encode(
                _unsigned(plane), lossless=True, predictor=1, bitspersample=plane.itemsize * 8
            )
        )
    if syntax.name == "jpeg2000-lossless":
        return lambda plane: bytes(
            codecs.jpeg2k_encode(plane, level=0, codecformat="j2k", reversible=True, mct=False)
        )
    return lambda plane: bytes(codecs.jpegls_encode(_unsigned(plane), level=0))


def _rle() -> FrameEncoder:
    from pydicom.pixels.encoders.base import RLELosslessEncoder

    fast = importlib.util.find_spec("rle") is not None and importlib.util.find_spec("pylibjpeg")
    plugin = "pylibjpeg" if fast else "pydicom"

    def encode(plane: npt.NDArray[np.generic]) -> bytes:
        return RLELosslessEncoder.encode(
            np.ascontiguousarray(plane),
            encoding_plugin=plugin,
            rows=plane.shape[0],
            columns=plane.shape[1],
            samples_per_pixel=1,
            bits_allocated=plane.itemsize * 8,
            bits_stored=plane.itemsize * 8,
            pixel_representation=int(plane.dtype.kind == "i"),
            photometric_interpretation="MONOCHROME2",
            number_of_frames=1,
        )

    return encode


def frame_encoder(syntax: TransferSyntax) -> FrameEncoder | None:
    """The encoder of ``syntax``; None for the native (uncompressed) syntaxes.

    Raises
    ------
    InputError
        When the codec package is not installed; the message names the extra.
    """
    if syntax.codec is None:
        return None
    if syntax.codec == "pydicom":
        return _rle()
    return _imagecodecs(syntax)
