"""Reading a DICOM series back as a SimpleITK image.

The series of a folder are found with pydicom, not by GDCM's directory scan,
which raises on objects it cannot parse (an RT Dose beside a CT, pydicom's
test files): files that are not single-frame images are skipped with a note,
and a folder holding several series says which, with their descriptions.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from ..errors import InputError
from ..images import sitk_reason
from .headers import scan_headers

__all__ = ["SeriesFiles", "choose_series", "find_series", "read_series", "skip_reason"]

_log = logging.getLogger(__name__)
_TAGS = [
    "SeriesInstanceUID", "SeriesDescription", "Modality", "Rows", "Columns", "NumberOfFrames",
    "ImagePositionPatient", "ImageOrientationPatient", "InstanceNumber", "SOPClassUID",
]  # fmt: skip


@dataclass
class SeriesFiles:
    """One series of a folder: its files in slice order."""

    uid: str
    description: str
    modality: str
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        what = f"{self.modality} {self.description!r}" if self.description else self.modality
        return f"{self.uid} ({what}, {len(self.files)} files)"


def skip_reason(header: pydicom.Dataset) -> str | None:
    """Why a file is not a slice of an image series (None when it is)."""
    try:
        return _skip_reason(header)
    except (TypeError, ValueError):
        return "an unreadable header"


def _skip_reason(header: pydicom.Dataset) -> str | None:
    if "Rows" not in header or "Columns" not in header or "SeriesInstanceUID" not in header:
        return "not an image"
    frames = header.get("NumberOfFrames")
    if frames not in (None, "") and int(frames) > 1:
        return f"a multi-frame object ({header.get('Modality', '?')}, {frames} frames)"
    return None


def _order(headers: list[tuple[Path, pydicom.Dataset]]) -> list[Path]:
    """Files sorted along the slice normal, as DICOM readers stack them."""

    def key(item: tuple[Path, pydicom.Dataset]) -> tuple[float, int, str]:
        path, header = item
        try:
            orientation = [float(v) for v in header.ImageOrientationPatient]
            position = [float(v) for v in header.ImagePositionPatient]
            along = float(np.dot(np.cross(orientation[:3], orientation[3:]), position))
        except (AttributeError, TypeError, ValueError):
            along = 0.0
        number = header.get("InstanceNumber")
        try:
            instance = int(number) if number not in (None, "") else 0
        except (TypeError, ValueError):
            instance = 0
        return along, instance, path.name

    return [path for path, _ in sorted(headers, key=key)]


def find_series(directory: Path) -> dict[str, SeriesFiles]:
    """The image series in ``directory`` (one level, hidden files ignored), by UID."""
    scan = scan_headers(directory, specific_tags=_TAGS)
    grouped: dict[str, list[tuple[Path, pydicom.Dataset]]] = defaultdict(list)
    for path, header in scan.headers.items():
        reason = skip_reason(header)
        if reason is not None:
            _log.info("skipping %s: %s", path.name, reason)
            continue
        grouped[str(header.SeriesInstanceUID)].append((path, header))
    for name, why in scan.others.items():
        _log.info("skipping %s: not DICOM (%s)", name, why)
    found = {}
    for uid, members in grouped.items():
        first = members[0][1]
        found[uid] = SeriesFiles(
            uid, str(first.get("SeriesDescription", "") or ""), str(first.get("Modality", "?")),
            _order(members),
        )  # fmt: skip
    return found


def choose_series(
    directory: Path, found: dict[str, SeriesFiles], series_instance_uid: str | None
) -> SeriesFiles:
    """The series asked for, or the only one; a clear error otherwise."""
    if series_instance_uid is not None:
        if series_instance_uid not in found:
            known = "; ".join(str(s) for s in found.values()) or "none"
            raise InputError(
                f"{directory} holds no series {series_instance_uid!r} (it holds: {known})"
            )
        return found[series_instance_uid]
    if not found:
        raise InputError(f"{directory} holds no DICOM image series")
    if len(found) > 1:
        listed = "; ".join(str(s) for s in found.values())
        raise InputError(
            f"{directory} holds {len(found)} series: {listed}; choose one with "
            "series_instance_uid= (--series-uid on the command line)"
        )
    return next(iter(found.values()))


def read_series(
    series_dir: str | os.PathLike[str], *, series_instance_uid: str | None = None
) -> sitk.Image:
    """Read one DICOM series from a directory, or the single file of a one-slice series.

    Parameters
    ----------
    series_dir : path
        Directory holding the series' files (other objects beside it are
        skipped), or one DICOM image file.
    series_instance_uid : str, optional
        Which series to read when the directory holds several.

    Returns
    -------
    SimpleITK.Image
        Slices sorted along their normal; float pixels when a fractional
        rescale is present, the stored integer type otherwise. Its metadata
        dictionary holds the first file's elements (``gggg|eeee`` keys), so it
        can be the ``template`` of a derived series.

    Raises
    ------
    InputError
        When the path holds no DICOM series, or several and none was chosen.
    """
    path = Path(series_dir)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = choose_series(path, find_series(path), series_instance_uid).files
    else:
        raise InputError(f"{path}: no such file or directory")
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(f) for f in files])
    # The first file's elements travel with the image, so that it can serve as
    # the template of a series derived from it.
    reader.MetaDataDictionaryArrayUpdateOn()
    try:
        image: sitk.Image = reader.Execute()
        for key in reader.GetMetaDataKeys(0):
            image.SetMetaData(key, reader.GetMetaData(0, key))
    except RuntimeError as error:
        raise InputError(f"{path}: the series cannot be read ({sitk_reason(error)})") from None
    return image
