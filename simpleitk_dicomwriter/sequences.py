"""Sequences: the elements SimpleITK's metadata dictionary cannot carry.

GDCM writes every file; this pass then adds sequence elements (PET's code
sequences, Source Image Sequence, user-given sequences) with pydicom, before
the series is verified and published. Only the header is parsed and
rewritten: the pixel data bytes are copied as they are, so the pass costs a
header parse and a file copy, not a decode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from .errors import MetadataError
from .tags import Element, format_value, resolve

__all__ = ["add_sequences", "build_sequence"]


def build_sequence(element: Element, items: object) -> DicomSequence:
    """Validate a user-given sequence: a list of mappings keyword -> value.

    Nested sequences are lists of mappings too. Every value is checked against
    its VR exactly like top-level metadata.

    Raises
    ------
    MetadataError
        When ``items`` is not a list of mappings or an item value is invalid.
    """
    if isinstance(items, Mapping):
        items = [items]
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise MetadataError(f"{element}: a sequence is given as a list of dicts, not {items!r}")
    sequence = DicomSequence()
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise MetadataError(f"{element}: item {number} is {item!r}, not a dict")
        dataset = Dataset()
        for key, value in item.items():
            child = resolve(key, allow_sequence=True)
            if child.vr == "SQ":
                dataset.add_new(child.tag, "SQ", build_sequence(child, value))
            else:
                text = format_value(child, value)
                dataset.add_new(child.tag, child.vr, text.split("\\") if "\\" in text else text)
        sequence.append(dataset)
    return sequence


def _rewrite(path: Path, elements: Mapping[int, DicomSequence]) -> None:
    with path.open("rb") as stream:
        header = pydicom.dcmread(stream, stop_before_pixels=True)
        pixel_offset = stream.tell()
        for tag, sequence in elements.items():
            header.add_new(tag, "SQ", sequence)
        buffer = BytesIO()
        header.save_as(buffer, enforce_file_format=True)
        stream.seek(pixel_offset)
        tail = stream.read()
    staged = path.with_name(path.name + ".seq")
    with staged.open("wb") as out:
        out.write(buffer.getvalue())
        out.write(tail)
    os.replace(staged, path)


def add_sequences(
    files: Sequence[Path],
    common: Mapping[int, DicomSequence],
    per_file: Sequence[Mapping[int, DicomSequence]] | None = None,
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
    """
    for index, path in enumerate(files):
        elements: dict[int, Any] = dict(common)
        if per_file is not None:
            elements.update(per_file[index])
        if elements:
            _rewrite(path, elements)
