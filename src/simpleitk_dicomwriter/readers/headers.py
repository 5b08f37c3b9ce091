"""The one directory scanner: the DICOM headers of the files in a folder.

Every reader of a series directory (verification, ``info``, templates) lists
it the same way: regular files only, sorted by name, hidden files (staging
debris, ``.DS_Store``) and subfolders ignored; what pydicom cannot parse is
reported as "not DICOM" with the reason, never raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.fileset import FileSet

__all__ = ["DirectoryScan", "scan_headers", "series_files"]


@dataclass
class DirectoryScan:
    """What :func:`scan_headers` found.

    Attributes
    ----------
    headers : dict
        Path -> header (pixel data not read) of each DICOM file, in name order.
    others : dict
        File name -> why it is not readable DICOM.
    """

    headers: dict[Path, pydicom.Dataset] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of files looked at."""
        return len(self.headers) + len(self.others)


#: The name of the directory file at the top of a DICOM file-set (PS3.10).
DICOMDIR = "DICOMDIR"


def fileset_files(root: Path) -> list[Path] | None:
    """The files a ``DICOMDIR`` at the top of ``root`` lists, sorted; None without one."""
    path = root / DICOMDIR
    if not path.is_file():
        return None
    try:
        fileset = FileSet(pydicom.dcmread(path))
    except Exception:  # pydicom raises many kinds for a damaged DICOMDIR: not a file-set
        return None
    return sorted(Path(instance.path) for instance in fileset)


def series_files(directory: Path) -> list[Path]:
    """The files of ``directory``, sorted by name: its regular, non-hidden files,
    or those its ``DICOMDIR`` lists when it is a file-set."""
    listed = fileset_files(directory)
    if listed is not None:
        return listed
    return sorted(p for p in directory.iterdir() if not p.name.startswith(".") and p.is_file())


def scan_headers(directory: Path, *, specific_tags: Sequence[str] | None = None) -> DirectoryScan:
    """Read the header of every file of ``directory`` (see :func:`series_files`).

    Parameters
    ----------
    directory : Path
        An existing directory.
    specific_tags : sequence of str, optional
        Read only these elements (faster when only identifiers are needed).
    """
    scan = DirectoryScan()
    for path in series_files(directory):
        try:
            scan.headers[path] = pydicom.dcmread(
                path, stop_before_pixels=True, specific_tags=list(specific_tags or []) or None
            )
        except Exception as error:  # pydicom raises many types for a file that is not DICOM
            scan.others[path.name] = str(error) or type(error).__name__
    return scan
