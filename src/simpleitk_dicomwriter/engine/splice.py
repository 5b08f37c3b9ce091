"""The sequence pass: splice sequence elements into files GDCM has written.

GDCM writes every file; this pass then adds sequence elements (PET's code
sequences, Source Image Sequence, user-given sequences) with pydicom, before
the series is verified and published. Only the header is parsed and
rewritten: the pixel data bytes are copied as they are, so the pass costs a
header parse and a file write, not a decode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import pydicom
from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ImplicitVRLittleEndian

from ..dicom.elements import label
from ..errors import MetadataError, output_error

__all__ = ["add_sequences"]

# Explicit VR elements whose header has a 4-byte length after 2 reserved bytes.
_LONG_HEADER_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def _encode(header: Dataset, tag: int, sequence: DicomSequence) -> bytes:
    """One sequence element in the file's own transfer syntax and character set."""
    out = DicomBytesIO()
    out.is_little_endian = True
    out.is_implicit_VR = header.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    charset = convert_encodings(header.get("SpecificCharacterSet", "ISO_IR 6"))
    write_data_element(out, DataElement(tag, "SQ", sequence), encodings=charset)
    return out.getvalue()


def _element_start(raw: RawDataElement, implicit: bool) -> int:
    """File offset of a raw element's tag, from the offset of its value."""
    long_header = not implicit and raw.VR in _LONG_HEADER_VRS
    return int(raw.value_tell) - (12 if long_header else 8)


def _rewrite(path: Path, elements: Mapping[int, DicomSequence]) -> None:
    """Splice encoded sequences into the file at their tag positions.

    Only the new elements are encoded; every other byte, the pixel data
    included, is kept, so the cost is a header parse and one write. The file
    is rewritten in place: it only grows, and overwriting pages still in the
    page cache avoids the flush ext4 forces on unlink or rename-over.
    """
    with path.open("r+b") as stream:
        data = stream.read()
        probe = BytesIO(data)
        header = pydicom.dcmread(probe, stop_before_pixels=True)
        end = probe.tell()  # dcmread stops at the Pixel Data tag
        implicit = header.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
        starts = {
            int(raw.tag): _element_start(raw, implicit)
            for raw in header.elements()
            if isinstance(raw, RawDataElement)
        }
        pieces, cursor = [], 0
        for tag in sorted(elements):
            if tag in header:
                raise MetadataError(f"{label(tag)} is already in {path.name}")
            at = min((offset for t, offset in starts.items() if t > tag), default=end)
            pieces += [data[cursor:at], _encode(header, tag, elements[tag])]
            cursor = at
        pieces.append(data[cursor:])
        stream.seek(0)
        stream.write(b"".join(pieces))


def add_sequences(
    files: Sequence[Path],
    common: Mapping[int, DicomSequence],
    per_file: Sequence[Mapping[int, DicomSequence]] | None = None,
    on_final: Callable[[Path], None] | None = None,
) -> None:
    """Insert sequence elements into written files, keeping their pixel bytes.

    Parameters
    ----------
    files : sequence of Path
        The written files, in slice order.
    common : mapping tag -> Sequence
        Elements every file receives.
    per_file : sequence of mappings, optional
        Elements for each file, aligned with ``files``.
    on_final : callable, optional
        Called with each file once it is final.
    """
    for index, path in enumerate(files):
        elements: dict[int, Any] = dict(common)
        if per_file is not None:
            elements.update(per_file[index])
        if elements:
            try:
                _rewrite(path, elements)
            except OSError as error:
                raise output_error("add the sequences to", path, error) from error
        if on_final is not None:
            on_final(path)
