"""The splice pass: put into files GDCM has written what GDCM cannot write right.

GDCM writes every file; this pass then adds, with pydicom, the elements
SimpleITK's string dictionary cannot carry or GDCM writes wrongly: sequences
(PET's code sequences, Source Image Sequence, the user's) and every value the
user gave (GDCM garbles binary numbers of several values, clamps out-of-range
ones and refuses elements its dictionary lacks), before the series is
verified and published. Only the header is parsed and
rewritten: the pixel data bytes are copied as they are, so the pass costs a
header parse and a file write, not a decode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import data_element_generator
from pydicom.filewriter import write_data_element
from pydicom.uid import ImplicitVRLittleEndian

from ..dicom.elements import label
from ..errors import MetadataError, OutputError, output_error

__all__ = ["add_elements"]

# Explicit VR elements whose header has a 4-byte length after 2 reserved bytes.
_LONG_HEADER_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def _encode(element: DataElement, implicit: bool, encodings: list[str]) -> bytes:
    """One element in the file's own transfer syntax and character set."""
    out = DicomBytesIO()
    out.is_little_endian = True
    out.is_implicit_VR = implicit
    write_data_element(out, element, encodings=encodings)
    return out.getvalue()


def _element_start(raw: RawDataElement, implicit: bool) -> int:
    """File offset of a raw element's tag, from the offset of its value."""
    long_header = not implicit and raw.VR in _LONG_HEADER_VRS
    return int(raw.value_tell) - (12 if long_header else 8)


def _walk(stream: BytesIO, implicit: bool, until: Callable[[int], bool]) -> tuple[list[Any], int]:
    """The elements from the stream's position up to the first tag ``until`` accepts,
    and the offset where that element starts."""
    walker = data_element_generator(
        stream, implicit, True, stop_when=lambda tag, vr, length: until(int(tag))
    )
    found = list(walker)
    return found, stream.tell()


def _layout(data: bytes) -> tuple[bool, dict[int, Any], int]:
    """(implicit VR?, tag -> element as read, offset of Pixel Data) of a GDCM file.

    Walked with pydicom's element generator rather than ``dcmread``, which
    converts some elements as it reads (losing their offsets) and costs twice
    as much: this pass runs for every file of most series.
    """
    if data[128:132] != b"DICM":
        raise OutputError("the file written has no DICOM preamble")
    stream = BytesIO(data)
    stream.seek(132)
    # The file meta group is Explicit VR; the walk stops where the data set begins.
    meta, meta_end = _walk(stream, implicit=False, until=lambda tag: tag >> 16 != 0x0002)
    syntax = next((e.value for e in meta if int(e.tag) == 0x00020010), b"")
    implicit = bytes(syntax).decode("ascii").rstrip("\0 ") == ImplicitVRLittleEndian
    stream.seek(meta_end)
    elements, end = _walk(stream, implicit, until=lambda tag: tag == 0x7FE00010)
    return implicit, {int(e.tag): e for e in elements}, end


def _encodings(found: dict[int, Any]) -> list[str]:
    charset = found.get(0x00080005)
    value = bytes(charset.value).decode("ascii").strip() if charset is not None else ""
    return list(convert_encodings(value.split("\\") if value else "ISO_IR 6"))


def _rewrite(path: Path, elements: Mapping[int, DataElement]) -> None:
    """Splice encoded elements into the file at their tag positions.

    Only these elements are encoded; an element GDCM already wrote with the
    same tag is replaced. Every other byte, the pixel data included, is kept,
    so the cost is a header walk and one write. The file is rewritten in
    place: overwriting pages still in the page cache avoids the flush ext4
    forces on unlink or rename-over.
    """
    with path.open("r+b") as stream:
        data = stream.read()
        implicit, found, end = _layout(data)
        raws = {t: e for t, e in found.items() if isinstance(e, RawDataElement)}
        starts = {tag: _element_start(raw, implicit) for tag, raw in raws.items()}
        encodings = _encodings(raws)
        pieces, cursor = [], 0
        for tag in sorted(elements):
            if tag in raws:
                raw = raws[tag]
                if raw.length == 0xFFFFFFFF:
                    raise MetadataError(f"{label(tag)} is already in {path.name}")
                at, after = starts[tag], int(raw.value_tell) + int(raw.length)
            elif tag in found:
                raise MetadataError(f"{label(tag)} is already in {path.name}")
            else:
                at = after = min((offset for t, offset in starts.items() if t > tag), default=end)
            pieces += [data[cursor:at], _encode(elements[tag], implicit, encodings)]
            cursor = after
        pieces.append(data[cursor:])
        stream.seek(0)
        stream.write(b"".join(pieces))
        stream.truncate()


def add_elements(
    files: Sequence[Path],
    common: Mapping[int, DataElement],
    per_file: Sequence[Mapping[int, DataElement]] | None = None,
    on_final: Callable[[Path], None] | None = None,
) -> None:
    """Put elements into written files, keeping their pixel bytes.

    Parameters
    ----------
    files : sequence of Path
        The written files, in slice order.
    common : mapping tag -> DataElement
        Elements every file receives.
    per_file : sequence of mappings, optional
        Elements for each file, aligned with ``files``.
    on_final : callable, optional
        Called with each file once it is final.
    """
    for index, path in enumerate(files):
        elements: dict[int, DataElement] = dict(common)
        if per_file is not None:
            elements.update(per_file[index])
        if elements:
            try:
                _rewrite(path, elements)
            except OSError as error:
                raise output_error("add the elements to", path, error) from error
        if on_final is not None:
            on_final(path)
