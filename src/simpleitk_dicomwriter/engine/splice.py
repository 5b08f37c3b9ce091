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

import pydicom
from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import data_element_generator
from pydicom.filewriter import write_data_element
from pydicom.uid import ImplicitVRLittleEndian

from ..dicom.elements import label
from ..errors import MetadataError, output_error

__all__ = ["add_elements"]

# Explicit VR elements whose header has a 4-byte length after 2 reserved bytes.
_LONG_HEADER_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def _encode(header: Dataset, element: DataElement) -> bytes:
    """One element in the file's own transfer syntax and character set."""
    out = DicomBytesIO()
    out.is_little_endian = True
    out.is_implicit_VR = header.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    charset = convert_encodings(header.get("SpecificCharacterSet", "ISO_IR 6"))
    write_data_element(out, element, encodings=charset)
    return out.getvalue()


def _element_start(raw: RawDataElement, implicit: bool) -> int:
    """File offset of a raw element's tag, from the offset of its value."""
    long_header = not implicit and raw.VR in _LONG_HEADER_VRS
    return int(raw.value_tell) - (12 if long_header else 8)


def _raw_elements(data: bytes, header: Dataset, implicit: bool) -> dict[int, RawDataElement]:
    """The top-level elements of the data set as read, with their offsets.

    ``dcmread`` converts some elements as it reads them (and drops their
    offsets), so the data set is walked again from its start, after the
    preamble and the file meta group.
    """
    start = 132 + 12 + int(header.file_meta.FileMetaInformationGroupLength)
    stream = BytesIO(data)
    stream.seek(start)
    walker = data_element_generator(
        stream, implicit, True, stop_when=lambda tag, vr, length: tag == 0x7FE00010
    )
    return {int(raw.tag): raw for raw in walker if isinstance(raw, RawDataElement)}


def _rewrite(path: Path, elements: Mapping[int, DataElement]) -> None:
    """Splice encoded elements into the file at their tag positions.

    Only these elements are encoded; an element GDCM already wrote with the
    same tag is replaced. Every other byte, the pixel data included, is kept,
    so the cost is a header parse and one write. The file is rewritten in
    place: overwriting pages still in the page cache avoids the flush ext4
    forces on unlink or rename-over.
    """
    with path.open("r+b") as stream:
        data = stream.read()
        probe = BytesIO(data)
        header = pydicom.dcmread(probe, stop_before_pixels=True)
        end = probe.tell()  # dcmread stops at the Pixel Data tag
        implicit = header.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
        raws = _raw_elements(data, header, implicit)
        starts = {tag: _element_start(raw, implicit) for tag, raw in raws.items()}
        pieces, cursor = [], 0
        for tag in sorted(elements):
            if tag in raws:
                raw = raws[tag]
                if raw.length == 0xFFFFFFFF:
                    raise MetadataError(f"{label(tag)} is already in {path.name}")
                at, after = starts[tag], int(raw.value_tell) + int(raw.length)
            elif tag in header:
                raise MetadataError(f"{label(tag)} is already in {path.name}")
            else:
                at = after = min((offset for t, offset in starts.items() if t > tag), default=end)
            pieces += [data[cursor:at], _encode(header, elements[tag])]
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
