"""A series as a DICOM File-set (PS3.10) for removable media: DICOMDIR and file IDs.

pydicom's :class:`~pydicom.fileset.FileSet` decides the directory records and
the file IDs (``PT000000/ST000000/SE000000/IM000000``: components of at most
eight upper-case letters and digits, no extension, as the media profiles of
PS3.11 require). It is handed headers only; the written files themselves are
then moved to their file IDs unchanged, so a file-set costs a header read
and a rename per file, not a second write of the pixel data.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pydicom
from pydicom.fileset import FileSet

from ..errors import MetadataError, OutputError, output_error
from ..readers.headers import DICOMDIR

__all__ = ["make_fileset"]


def make_fileset(
    root: Path, files: Sequence[Path], sync: Callable[[Path], None] | None = None
) -> list[Path]:
    """Turn the files of ``root`` into a file-set with a ``DICOMDIR`` at the top.

    Parameters
    ----------
    root : Path
        The staging directory that holds ``files``.
    files : sequence of Path
        The series' files in slice order.
    sync : callable, optional
        Called with each new directory and with the DICOMDIR, to make them durable.

    Returns
    -------
    list of Path
        The files at their file IDs, in slice order.
    """
    with tempfile.TemporaryDirectory(dir=root, prefix=".fileset.") as scratch:
        fileset = FileSet()
        fileset.ID = "SITKDW"
        by_uid: dict[str, Path] = {}
        try:
            for path in files:
                header = pydicom.dcmread(path, stop_before_pixels=True)
                by_uid[str(header.SOPInstanceUID)] = path
                fileset.add(header)
            fileset.write(Path(scratch))
        except ValueError as error:
            raise MetadataError(f"the series cannot be a DICOM file-set: {error}") from error
        except OSError as error:
            raise output_error("write the DICOMDIR in", root, error) from error
        placed: dict[str, Path] = {}
        try:
            for instance in fileset:
                target = root / instance.FileID
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(by_uid[str(instance.SOPInstanceUID)], target)
                placed[str(instance.SOPInstanceUID)] = target
            os.replace(Path(scratch) / DICOMDIR, root / DICOMDIR)
        except OSError as error:
            raise output_error("lay out the file-set in", root, error) from error
    if sync is not None:
        for directory in sorted({p.parent for p in placed.values()}, key=lambda p: -len(p.parts)):
            for level in (directory, *directory.parents):
                if level == root:
                    break
                sync(level)
        sync(root / DICOMDIR)
    if placed.keys() != by_uid.keys():
        raise OutputError(f"the file-set in {root} lists {len(placed)} of {len(files)} files")
    return [placed[uid] for uid in by_uid]
