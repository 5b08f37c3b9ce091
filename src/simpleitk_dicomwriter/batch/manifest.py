"""The manifest of a batch: one job per row, every row validated before any runs."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dicom.elements import resolve
from ..dicom.header import validate_metadata
from ..dicom.iods import IODS
from ..errors import DicomWriterError, InputError, MetadataError

__all__ = ["Job", "read_manifest"]

_RESERVED = ("input", "output", "modality", "template")


@dataclass(frozen=True)
class Job:
    """One row: what to write where. Paths only, so a job is small to ship.

    Attributes
    ----------
    row : int
        1-based row number (the CSV's header is row 0).
    input, output : str
        As the row gave them.
    source, target : str
        Absolute paths of the input and of the output folder.
    modality : str
    template : str or None
        Absolute path of the template, when the row names one.
    metadata : dict
        DICOM keyword -> value from the row's other columns (empty cells left out).
    """

    row: int
    input: str
    output: str
    source: str
    target: str
    modality: str = "CT"
    template: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def _rows(
    manifest: str | os.PathLike[str] | Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, str]], Path]:
    """The rows as dicts of text, and the folder relative paths start from."""
    if isinstance(manifest, str | os.PathLike):
        path = Path(manifest)
        try:
            with path.open(newline="", encoding="utf-8-sig") as stream:
                rows = [dict(row) for row in csv.DictReader(stream)]
        except OSError as error:
            raise InputError(f"manifest {path}: {error.strerror}") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputError(f"manifest {path}: not a readable CSV file ({error})") from None
        return rows, path.absolute().parent
    if isinstance(manifest, Mapping) or not isinstance(manifest, Sequence):
        raise InputError("manifest must be a CSV path or a list of dicts (one per row)")
    rows = []
    for number, row in enumerate(manifest, start=1):
        if not isinstance(row, Mapping):
            raise InputError(f"manifest row {number}: {row!r} is not a dict")
        rows.append({str(k): "" if v is None else str(v) for k, v in row.items()})
    return rows, Path.cwd()


def _job(number: int, row: dict[str, str], base: Path, root: Path) -> Job:
    where = f"manifest row {number}"
    if None in row or any(v is None for v in row.values()):
        raise InputError(f"{where}: the number of cells differs from the header's")
    given_input, given_output = row["input"].strip(), row["output"].strip()
    if not given_input:
        raise InputError(f"{where}: the input cell is empty")
    if not given_output:
        raise InputError(f"{where}: the output cell is empty")
    output = Path(given_output)
    if output.is_absolute() or ".." in output.parts:
        raise InputError(
            f"{where}: output {given_output!r} must be a folder inside the output root "
            "(relative, without '..')"
        )
    modality = (row.get("modality") or "CT").strip().upper()
    if modality not in IODS:
        raise InputError(f"{where}: modality {modality!r} is not one of {', '.join(IODS)}")
    template = (row.get("template") or "").strip()
    metadata = {k: v for k, v in row.items() if k not in _RESERVED and v.strip() != ""}
    try:
        validate_metadata(metadata, IODS[modality])
    except MetadataError as error:
        raise MetadataError(f"{where}: {error}") from None
    return Job(
        row=number,
        input=given_input,
        output=given_output,
        source=str(base / given_input),
        target=str(root / output),
        modality=modality,
        template=str(base / template) if template else None,
        metadata=metadata,
    )


def read_manifest(
    manifest: str | os.PathLike[str] | Sequence[Mapping[str, Any]],
    output_root: str | os.PathLike[str],
) -> list[Job]:
    """Read and validate every row of a manifest.

    Parameters
    ----------
    manifest : path or list of dicts
        A CSV file with a header row, or rows as dicts. Columns ``input`` and
        ``output`` are required; ``modality`` and ``template`` optional; any
        other column is a DICOM keyword, its cells the row's metadata.
    output_root : path
        The folder every ``output`` is relative to.

    Raises
    ------
    InputError, MetadataError
        Naming the row: a missing column, an empty input or output, an output
        outside ``output_root`` or named twice, an unknown keyword column or a
        value its VR refuses. Nothing has been written.
    """
    rows, base = _rows(manifest)
    root = Path(output_root).absolute()
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c is not None and c not in columns]
    for required in ("input", "output"):
        if rows and required not in columns:
            raise InputError(f"the manifest has no {required!r} column (columns: {columns})")
    for column in columns:
        if column not in _RESERVED:
            try:
                resolve(column, allow_sequence=False)
            except DicomWriterError as error:
                raise MetadataError(f"manifest column {column!r}: {error}") from None
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        for required in ("input", "output"):
            row.setdefault(required, "")
        job = _job(number, row, base, root)
        key = os.path.normpath(job.target)
        if key in seen:
            raise InputError(
                f"manifest row {number}: output {job.output!r} is also row {seen[key]}'s; "
                "every row needs a folder of its own"
            )
        seen[key] = number
        jobs.append(job)
    return jobs
