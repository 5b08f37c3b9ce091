"""A derived series: what it inherits from its template, and which source each slice names.

The series joins the template's study (patient and study attributes, and by
default its frame of reference) with a Series Number 1000 above the
template's, and each slice references the template instance it derives from
in (0008,2112) SourceImageSequence.
"""

from __future__ import annotations

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from ..pixels.geometry import Geometry
from .elements import Element, resolve
from .header import UserMetadata
from .iods import IOD
from .template import Template
from .values import format_value

__all__ = ["inherited", "typed_elements"]


def inherited(template: Template | None, same_frame: bool, iod: IOD) -> dict[Element, str]:
    """Template elements the series takes, with a Series Number of its own.

    The acquisition attributes come along only when the template has the
    series' modality: what a CT was acquired with says nothing of an OT.
    """
    if template is None:
        return {}
    inherited = dict(template.study)
    if same_frame:
        inherited.update(template.frame)
    if template.modality == iod.modality:
        inherited.update(template.acquisition)
    if template.series_number is not None:
        number = resolve("SeriesNumber")
        # Scanners number derived series 1000 above their source; keep within IS.
        inherited[number] = format_value(number, (template.series_number + 1000) % 2**31)
    return inherited


def typed_elements(
    iod: IOD,
    user: UserMetadata,
    template: Template | None,
    geometry: Geometry,
    same_frame: bool,
    signed: bool,
) -> tuple[dict[int, DataElement], list[dict[int, DataElement]] | None]:
    """The elements written as typed pydicom elements: the IOD's empty sequences
    and the user's elements in every file, and Source Image Sequence for each slice."""
    common = {
        tag: DataElement(tag, "SQ", DicomSequence())
        for tag in (resolve(k, allow_sequence=True).tag for k in iod.sequences)
    }
    if template is not None and template.modality == iod.modality:
        common.update(
            {
                tag: DataElement(tag, "SQ", items)
                for tag, items in template.acquisition_sequences.items()
            }
        )
    common.update(user.elements(signed))
    _complete_type2(common)
    if template is None or not template.sources:
        return common, None
    source_tag = resolve("SourceImageSequence", allow_sequence=True).tag
    per_file = []
    count = geometry.size[2]
    for k in range(count):
        if same_frame:
            source = template.nearest(geometry.position(k))
        else:
            source = template.sources[round(k * (len(template.sources) - 1) / max(count - 1, 1))]
        assert source is not None  # template.sources is not empty
        item = Dataset()
        item.ReferencedSOPClassUID = source.sop_class_uid
        item.ReferencedSOPInstanceUID = source.sop_instance_uid
        per_file.append({source_tag: DataElement(source_tag, "SQ", DicomSequence([item]))})
    return common, per_file


# Type 2 attributes of sequence items that a user-given item may leave out
# (PS3.3 C.8.9.2, PET Isotope: Radionuclide Code Sequence).
_ITEM_TYPE2 = {
    "RadiopharmaceuticalInformationSequence": ("RadionuclideCodeSequence",),
}


def _complete_type2(elements: dict[int, DataElement]) -> None:
    """Add the Type 2 attributes (empty) that the items of a known sequence lack."""
    for keyword, required in _ITEM_TYPE2.items():
        element = elements.get(resolve(keyword, allow_sequence=True).tag)
        if element is None:
            continue
        for item in element.value:
            for child in required:
                if child not in item:
                    tag = resolve(child, allow_sequence=True).tag
                    item.add_new(tag, "SQ", DicomSequence())
