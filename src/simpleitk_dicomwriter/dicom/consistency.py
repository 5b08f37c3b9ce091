"""Per-file header checks: does every file describe its slice and hold what was given?

Values read back through SimpleITK prove little about the headers of files
other than the first (a reader takes geometry and pixel description from one
file). These checks read each file's header: its Image Position against the
position of the slice it claims to be, and its orientation, spacing, size,
pixel description and rescale against the series; and every value the user
or the template gave, read back with pydicom, against what was given (so a
GDCM quirk can never pass silently). Every problem line names the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pydicom
from pydicom.multival import MultiValue

from ..pixels.geometry import Geometry
from .elements import Element, element_text, label
from .values import typed_value

__all__ = ["DIRECTION_TOL", "HEADER_KEYWORDS", "POSITION_TOL", "check_files", "check_values"]

POSITION_TOL = 1e-4  # mm: DS rounding of positions is far below this
DIRECTION_TOL = 1e-6
_PIXEL_KEYWORDS = (
    "SamplesPerPixel", "PhotometricInterpretation", "BitsAllocated", "BitsStored", "HighBit",
    "PixelRepresentation",
)  # fmt: skip
_RESCALE_KEYWORDS = ("RescaleSlope", "RescaleIntercept")
#: Elements :func:`check_files` needs from each header.
HEADER_KEYWORDS = (
    "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns",
    *_PIXEL_KEYWORDS, *_RESCALE_KEYWORDS,
)  # fmt: skip


def _floats(header: pydicom.Dataset, keyword: str) -> list[float] | None:
    value = header.get(keyword)
    if value is None or value == "":
        return None
    try:
        return [float(v) for v in (value if isinstance(value, list | tuple) else list(value))]
    except (TypeError, ValueError):
        try:
            return [float(value)]
        except (TypeError, ValueError):
            return None


def _text(header: pydicom.Dataset, keyword: str) -> str:
    value = header.get(keyword)
    return "" if value is None else str(value)


def _check_geometry(
    name: str, header: pydicom.Dataset, geometry: Geometry, used: dict[int, str]
) -> list[str]:
    problems = []
    expected = {
        "ImageOrientationPatient": (list(geometry.direction[:, 0]) + list(geometry.direction[:, 1]),
                                    DIRECTION_TOL),
        "PixelSpacing": ([geometry.spacing[1], geometry.spacing[0]], POSITION_TOL),
        "Rows": ([geometry.size[1]], 0.0),
        "Columns": ([geometry.size[0]], 0.0),
    }  # fmt: skip
    for keyword, (values, tol) in expected.items():
        found = _floats(header, keyword)
        if found is None or len(found) != len(values) or not np.allclose(found, values, atol=tol):
            problems.append(
                f"{name}: {label(keyword)} {_text(header, keyword)!r} differs from the series' "
                f"{'/'.join(f'{v:.10g}' for v in values)}"
            )
    position = _floats(header, "ImagePositionPatient")
    if position is None or len(position) != 3:
        return [*problems, f"{name}: no valid {label('ImagePositionPatient')}"]
    step = geometry.spacing[2] or 0.0
    offset = np.asarray(position) - geometry.origin
    k = round(float(np.dot(offset, geometry.direction[:, 2])) / step) if step else 0
    k = min(max(k, 0), geometry.size[2] - 1)
    slot = geometry.position(k)
    if not np.allclose(position, slot, atol=POSITION_TOL):
        problems.append(
            f"{name}: {label('ImagePositionPatient')} {tuple(position)} is not the position of "
            f"any slice (nearest: slice {k + 1} at {tuple(float(v) for v in slot)})"
        )
    elif k in used:
        problems.append(
            f"{name}: {label('ImagePositionPatient')} repeats slice {k + 1} of {used[k]}"
        )
    else:
        used[k] = name
    return problems


def check_files(
    headers: Mapping[str, pydicom.Dataset],
    geometry: Geometry,
    rescale: tuple[float, float] | None = None,
) -> list[str]:
    """Problems of the headers (file name -> header) against ``geometry``.

    Parameters
    ----------
    headers : mapping
        File name -> header holding at least :data:`HEADER_KEYWORDS`.
    geometry : Geometry
        The geometry of the reference, slice by slice.
    rescale : (slope, intercept), optional
        What every file must carry; by default, what most files carry.

    Returns
    -------
    list of str
        One line per problem, naming the file and the element.
    """
    problems: list[str] = []
    used: dict[int, str] = {}
    for name, header in headers.items():
        problems += _check_geometry(name, header, geometry, used)
    # The pixel description and rescale must be the series' own in every file.
    for keyword in (*_PIXEL_KEYWORDS, *_RESCALE_KEYWORDS):
        found = {name: _text(h, keyword) for name, h in headers.items()}
        if keyword in _RESCALE_KEYWORDS and rescale is not None:
            value = rescale[_RESCALE_KEYWORDS.index(keyword)]
            wrong = [n for n, t in found.items() if _floats(headers[n], keyword) != [value]]
            shown = f"{value:.17g}"
        else:
            if not found:
                continue
            common = Counter(found.values()).most_common(1)[0][0]
            wrong = [n for n, t in found.items() if t != common]
            shown = repr(common)
        problems += [
            f"{n}: {label(keyword)} {found[n]!r} differs from the series' {shown}" for n in wrong
        ]
    return problems


def _normalised(vr: str, value: object) -> list[object]:
    """A value as a list, in the form two equal values of ``vr`` share."""
    if value is None or value == "":
        return []
    items = list(value) if isinstance(value, list | tuple | MultiValue) else [value]
    if vr == "FL":
        return [float(np.float32(v)) for v in items]  # type: ignore[arg-type]
    if vr in ("FD", "DS"):
        return [float(v) for v in items]  # type: ignore[arg-type]
    if vr in ("US", "SS", "UL", "SL", "IS"):
        return [int(v) for v in items]  # type: ignore[arg-type]
    # Trailing spaces pad a value to even length; leading ones count only in free text.
    return [str(v).rstrip(" ") if vr in ("LT", "ST", "UT") else str(v).strip(" ") for v in items]


def check_values(
    headers: Mapping[str, pydicom.Dataset], expected: Mapping[Element, str]
) -> list[str]:
    """Problems where a file does not hold a value the user or the template gave.

    Parameters
    ----------
    headers : mapping
        File name -> header holding at least the ``expected`` elements.
    expected : mapping
        Element -> its validated text (see
        :func:`~simpleitk_dicomwriter.dicom.values.format_value`).
    """
    problems = []
    for element, text in expected.items():
        for name, header in headers.items():
            found = header.get(element.tag)
            if found is None:
                problems.append(f"{name}: {element} is missing; {text!r} was given")
                continue
            try:
                same = _normalised(found.VR, found.value) == _normalised(
                    found.VR, typed_value(found.VR, text)
                )
            except (TypeError, ValueError):
                same = False
            if not same:
                problems.append(
                    f"{name}: {element} reads back as {element_text(found)!r}, not {text!r}"
                )
                break  # one file is enough to name a writer's mistake
    return problems
