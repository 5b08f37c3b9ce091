"""One job of a batch, run wherever a worker is: a local process or a Dask worker."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..readers.images import load_image
from ..sinks.directory import check_output
from ..write import write_series
from .manifest import Job

__all__ = ["Result", "run_job", "worker_died"]


@dataclass(frozen=True)
class Result:
    """What became of one row."""

    row: int
    input: str
    output: str
    status: str  # "written" | "skipped" | "failed"
    error: str | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The row's entry of :attr:`BatchReport.results`."""
        return {
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }


def _holds_series(target: Path) -> bool:
    """Whether a finished series is there (written by an earlier run): what
    ``overwrite`` would replace. Anything else is left to the writer to refuse."""
    try:
        return bool(check_output(target, overwrite=True))
    except OutputError:
        return False


def run_job(job: Job, overwrite: bool = False) -> Result:
    """Write one row's series; every failure is the row's ``failed``, never raised."""
    start = time.perf_counter()

    def result(status: str, error: str | None = None) -> Result:
        return Result(job.row, job.input, job.output, status, error,
                      time.perf_counter() - start)  # fmt: skip

    target = Path(job.target)
    if not overwrite and _holds_series(target):
        return result("skipped")
    try:
        image = load_image(job.source)
        write_series(
            image,
            target,
            modality=job.modality,  # type: ignore[arg-type]
            metadata=job.metadata,
            template=job.template,
            overwrite=overwrite,
        )
    except Exception as error:  # ours, or a reader's or codec's own kind: this row's only
        return result("failed", f"{type(error).__name__}: {error}")
    return result("written")


def worker_died(job: Job, why: str) -> Result:
    """The result of a job whose worker process died under it."""
    return Result(job.row, job.input, job.output, "failed", f"WorkerDied: {why}", 0.0)
