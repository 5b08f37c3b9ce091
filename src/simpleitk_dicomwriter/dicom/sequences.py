"""Sequences given as metadata.

A user gives a sequence as a list of dicts; :func:`build_sequence` validates
every item value like top-level metadata and builds the pydicom sequence that
:mod:`simpleitk_dicomwriter.engine.slices` encodes into every file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from ..errors import MetadataError
from .elements import Element, resolve
from .values import format_value, typed_value

__all__ = ["build_sequence"]


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
                dataset.add_new(
                    child.tag, child.vr, typed_value(child.vr, format_value(child, value))
                )
        sequence.append(dataset)
    return sequence
