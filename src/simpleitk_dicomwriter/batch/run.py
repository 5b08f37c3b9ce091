"""``write_batch``: many series at once, on this machine's cores or a Dask cluster."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..engine.slices import CORES
from ..errors import InputError, output_error
from .jobs import Result
from .manifest import read_manifest

__all__ = ["BatchReport", "write_batch"]

_log = logging.getLogger(__name__)

#: Called as ``progress(done, total, failed)`` after each job.
BatchProgress = Callable[[int, int, int], None]


@dataclass
class BatchReport:
    """What :func:`write_batch` did.

    Attributes
    ----------
    ok : bool
        True when every row was written or skipped.
    results : list of dict
        One per row, in manifest order: ``input``, ``output`` (as the row gave
        them), ``status`` (``"written"``, ``"skipped"`` or ``"failed"``),
        ``error`` (``"ClassName: message"`` or None) and ``seconds``.
    written, skipped, failed : int
        How many rows ended so.
    seconds : float
        Wall time of the batch.
    """

    ok: bool = True
    results: list[dict[str, Any]] = field(default_factory=list)
    written: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "ok": self.ok,
            "written": self.written,
            "skipped": self.skipped,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "results": list(self.results),
        }


def write_batch(
    manifest: str | os.PathLike[str] | Sequence[Mapping[str, Any]],
    output_root: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: Any = None,
    overwrite: bool = False,
    progress: BatchProgress | None = None,
    log: str | os.PathLike[str] | None = None,
) -> BatchReport:
    """Write one series per manifest row, in parallel.

    Parameters
    ----------
    manifest : path or list of dicts
        A CSV file with a header row, or its rows as dicts: ``input`` and
        ``output`` (a folder relative to ``output_root``) are required,
        ``modality`` (default CT) and ``template`` optional, and any other
        column is a DICOM keyword whose cells are that row's metadata (an empty
        cell sets nothing). Relative paths are relative to the CSV's folder
        (to the current directory for dicts).
    output_root : path
        Where the output folders go.
    workers : int, optional
        Local worker processes; one per core by default.
    scheduler : str or distributed.Client, optional
        Run on this Dask cluster instead (``"tcp://host:port"``; the ``[dask]``
        extra). The workers must see the same paths.
    overwrite : bool
        Rewrite rows whose output already holds a series; without it they are
        ``skipped``, so running an interrupted batch again resumes it.
    progress : callable, optional
        Called as ``progress(done, total, failed)`` after each row.
    log : path, optional
        A JSON-lines file that gets each row's result as it ends (appended), so
        that a killed batch leaves a record.

    Returns
    -------
    BatchReport

    Raises
    ------
    InputError, MetadataError
        For an invalid manifest (the message names the row); nothing is written.
        A row's own failure never raises: it is that row's ``failed``.
    """
    jobs = read_manifest(manifest, output_root)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):  # fmt: skip
        raise InputError(f"workers must be a positive integer, not {workers!r}")
    started = time.perf_counter()
    by_row: dict[int, Result] = {}
    with contextlib.ExitStack() as stack:
        stream: IO[str] | None = None
        if log is not None:
            try:
                stream = stack.enter_context(Path(log).open("a", encoding="utf-8"))
            except OSError as error:
                raise output_error("open the log", Path(log), error) from error

        def finished(result: Result) -> None:
            by_row[result.row] = result
            if result.status == "failed":
                _log.warning("row %d (%s) failed: %s", result.row, result.input, result.error)
            if stream is not None:
                stream.write(json.dumps({"row": result.row, **result.to_dict()}) + "\n")
                stream.flush()
            if progress is not None:
                failed = sum(r.status == "failed" for r in by_row.values())
                progress(len(by_row), len(jobs), failed)

        if scheduler is not None:
            from .cluster import run_on_dask

            run_on_dask(jobs, scheduler, overwrite, finished)
        else:
            from .pool import run_local

            run_local(jobs, workers or CORES, overwrite, finished)
    report = BatchReport(seconds=time.perf_counter() - started)
    for job in jobs:
        result = by_row[job.row]
        report.results.append(result.to_dict())
        setattr(report, result.status, getattr(report, result.status) + 1)
    report.ok = report.failed == 0
    return report
