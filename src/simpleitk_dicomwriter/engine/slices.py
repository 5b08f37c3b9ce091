"""The slice loop: every file of a series, encoded once and written once.

The series' elements are encoded once, in the output's transfer syntax and
character set, by pydicom's element writer; each slice adds its own few
(position, number, instance UID, source image) and its pixel data, native or
compressed. A file is the concatenation of those bytes in tag order, written
in one go: nothing rewrites it afterwards. SimpleITK's GDCM is left the job it
does best, reading the series back for verification.
"""

from __future__ import annotations

import functools
import os
import struct
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom import datadict
from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.uid import UID

from .._version import __version__
from ..dicom.elements import resolve
from ..dicom.header import SeriesHeader, slice_tags
from ..dicom.iods import IOD
from ..dicom.syntaxes import TransferSyntax
from ..dicom.values import typed_value
from ..errors import OutputError, output_error
from ..pixels import rescale
from ..pixels.geometry import Geometry
from .codecs import FrameEncoder, frame_encoder

__all__ = [
    "CORES", "IMPLEMENTATION_CLASS_UID", "WORKERS", "Progress", "slice_names", "write_slices",
]  # fmt: skip

#: Called as ``progress(slices_written, total)`` after each slice.
Progress = Callable[[int, int], None]

#: (0002,0012) ImplementationClassUID: a 2.25 UID derived from the package name,
#: the same for every release (the version is in ImplementationVersionName).
IMPLEMENTATION_CLASS_UID = UID(
    f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, 'simpleitk_dicomwriter').int}"
)
_VERSION_NAME = f"SITKDW_{__version__}"[:16]
_PREAMBLE = b"\0" * 128 + b"DICM"
_PIXEL_DATA = 0x7FE00010
_SEQUENCE_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
_CHARSET = "0008|0005"  # (0008,0005) SpecificCharacterSet
_SOP_INSTANCE_UID = "0008|0018"
#: The cores this process may run on.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
#: Threads writing slices: one per core (module-level so that tests and batch workers set 1).
WORKERS = CORES


def slice_names(count: int) -> list[str]:
    """File names that sort in slice order: ``0001.dcm`` ... (wider past 9999)."""
    width = max(4, len(str(count)))
    return [f"{k + 1:0{width}d}.dcm" for k in range(count)]


@functools.cache
def _tag_vr(key: str, signed: bool) -> tuple[int, str]:
    """The tag of a ``gggg|eeee`` key and its dictionary VR ("US or SS" elements
    follow the pixels' signedness); cached, as the same keys come every slice."""
    tag = int(key.replace("|", ""), 16)
    vr = datadict.dictionary_VR(tag)
    if " or " in vr:
        choices = vr.split(" or ")
        if "SS" in choices:
            return tag, "SS" if signed else "US"
        return tag, "OW" if "OW" in choices else choices[0]
    return tag, vr


class _Encoder:
    """Encodes elements in one transfer syntax and character set."""

    def __init__(self, syntax: TransferSyntax, charset: str) -> None:
        self.implicit = syntax.implicit
        self.encodings = list(convert_encodings(charset.split("\\") if charset else "ISO_IR 6"))

    def element(self, element: DataElement) -> bytes:
        out = DicomBytesIO()
        out.is_little_endian = True
        out.is_implicit_VR = self.implicit
        write_data_element(out, element, encodings=self.encodings)
        return out.getvalue()

    def texts(self, tags: Mapping[str, str], signed: bool) -> dict[int, bytes]:
        """Encode ``gggg|eeee`` -> validated text elements."""
        encoded = {}
        for key, text in tags.items():
            tag, vr = _tag_vr(key, signed)
            encoded[tag] = self.element(DataElement(tag, vr, typed_value(vr, text)))
        return encoded

    def elements(self, elements: Mapping[int, DataElement]) -> dict[int, bytes]:
        return {tag: self.element(element) for tag, element in elements.items()}


def _short(tag: int, vr: str, value: bytes, implicit: bool) -> bytes:
    """An element of a short-header VR (text, US): the few written per slice."""
    if implicit:
        return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def _text(tag: int, vr: str, text: str, implicit: bool) -> bytes:
    """An ASCII text element, padded to even length as its VR requires."""
    value = text.encode("ascii")
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    return _short(tag, vr, value, implicit)


def _file_meta(iod: IOD, syntax: TransferSyntax) -> Callable[[str], bytes]:
    """Group 0002, Explicit VR, with its group length (PS3.10 7.1), for an instance
    UID: all but (0002,0003) MediaStorageSOPInstanceUID is encoded once per series."""
    before = struct.pack("<HH2sHI", 0x0002, 0x0001, b"OB", 0, 2) + b"\0\1"
    before += _text(0x00020002, "UI", iod.sop_class_uid, False)
    after = b"".join(
        (
            _text(0x00020010, "UI", syntax.uid, False),
            _text(0x00020012, "UI", IMPLEMENTATION_CLASS_UID, False),
            _text(0x00020013, "SH", _VERSION_NAME, False),
        )
    )

    def meta(instance_uid: str) -> bytes:
        body = before + _text(0x00020003, "UI", instance_uid, False) + after
        return _PREAMBLE + _short(0x00020000, "UL", struct.pack("<I", len(body)), False) + body

    return meta


def _pixel_data(
    stored: npt.NDArray[np.generic], syntax: TransferSyntax, encoder: FrameEncoder | None
) -> tuple[bytes, bytes | memoryview]:
    """(element header, value) of (7FE0,7FE0) PixelData."""
    if encoder is not None:
        value = encapsulate([encoder(stored)]) + _SEQUENCE_END
        return struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF), value
    data: bytes | memoryview = np.ascontiguousarray(stored).data.cast("B")
    if len(data) % 2:
        data = bytes(data) + b"\0"
    if syntax.implicit:
        return struct.pack("<HHI", 0x7FE0, 0x0010, len(data)), data
    vr = b"OB" if stored.dtype.itemsize == 1 else b"OW"
    return struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, len(data)), data


def write_slices(
    staging: Path,
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    header: SeriesHeader,
    encoding: rescale.Encoding,
    iod: IOD,
    progress: Progress | None,
    *,
    syntax: TransferSyntax,
    common: Mapping[int, DataElement],
    per_file: Sequence[Mapping[int, DataElement]] | None = None,
    on_final: Callable[[Path], None] | None = None,
) -> tuple[list[Path], float]:
    """Write one file per slice into ``staging``.

    Parameters
    ----------
    header : SeriesHeader
        The series' text elements; ``common`` (the user's values, sequences)
        wins over them, ``per_file`` over both.
    syntax : TransferSyntax
        How the data set and the pixel data are encoded.
    on_final : callable, optional
        Called with each file as soon as it is written (to start syncing it
        while the next slices are written).

    Returns
    -------
    files : list of Path
        In slice order.
    max_error : float
        Largest quantisation error over all slices.
    """
    encoder = frame_encoder(syntax)
    signed, implicit = encoding.signed, syntax.implicit
    planes = voxels.reshape(-1, *voxels.shape[-2:])
    count, rows, columns = planes.shape
    encode = _Encoder(syntax, header.tags.get(_CHARSET, ""))
    series = encode.texts(header.tags, signed)
    series.update(encode.texts({resolve("Rows").key: str(rows)}, signed))
    series.update(encode.texts({resolve("Columns").key: str(columns)}, signed))
    series.update(encode.elements(common))
    names = slice_names(count)
    file_meta = _file_meta(iod, syntax)

    def write_one(k: int) -> tuple[Path, float]:
        stored, quantisation = rescale.encode(planes[k], encoding)
        own = slice_tags(iod, geometry, k)
        elements = dict(series)
        for key, text in own.items():
            tag, vr = _tag_vr(key, signed)
            elements[tag] = (
                _short(tag, vr, struct.pack("<H", int(text)), implicit)
                if vr == "US"
                else _text(tag, vr, text, implicit)
            )
        if per_file is not None:
            elements.update(encode.elements(per_file[k]))
        try:
            head, value = _pixel_data(stored, syntax, encoder)
        except Exception as error:
            # A codec refusing a plane (each raises its own kind): the write stops
            # and nothing is published.
            raise OutputError(f"encoding slice {k + 1} as {syntax.name} failed: {error}") from error
        meta = file_meta(own[_SOP_INSTANCE_UID])
        body = b"".join(elements[tag] for tag in sorted(elements) if tag < _PIXEL_DATA)
        path = staging / names[k]
        try:
            with path.open("xb") as stream:
                stream.write(meta + body + head)
                stream.write(value)
        except OSError as error:
            raise output_error("write", path, error) from error
        return path, quantisation

    files, worst = [], 0.0
    # NumPy's arithmetic, the codecs and the file writes release the GIL: threads
    # use every core for what costs (quantising floats, compressing) without
    # copying the volume into worker processes. Results arrive in slice order.
    with ThreadPoolExecutor(max(1, min(WORKERS, count))) as pool:
        try:
            for k, (path, error) in enumerate(pool.map(write_one, range(count))):
                worst = max(worst, error)
                files.append(path)
                if on_final is not None:
                    on_final(path)
                if progress is not None:
                    progress(k + 1, count)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return files, worst
