"""Jobs on an existing Dask distributed cluster (the ``[dask]`` extra).

Only the jobs travel (paths and options, a few hundred bytes each); every
worker reads its input and writes its output itself, so the workers need the
package installed and the paths to mean the same on every machine (a shared
file system). A worker that dies mid-job has its job re-run elsewhere by the
scheduler, up to its ``allowed-failures``; past that the row is failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import InputError
from ..extras import require
from .jobs import Result, run_job, worker_died
from .manifest import Job

__all__ = ["run_on_dask"]


def run_on_dask(
    jobs: Sequence[Job], scheduler: Any, overwrite: bool, on_result: Callable[[Result], None]
) -> None:
    """Run ``jobs`` on the cluster at ``scheduler`` (an address or a ``distributed.Client``)."""
    distributed: Any = require("distributed", "dask", InputError)
    own = not isinstance(scheduler, distributed.Client)
    try:
        client = distributed.Client(scheduler, timeout=30) if own else scheduler
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {error}") from None
    try:
        batch = uuid.uuid4().hex[:8]
        futures = {
            client.submit(run_job, job, overwrite, key=f"dicomwriter-{batch}-row-{job.row}",
                          pure=False): job
            for job in jobs
        }  # fmt: skip
        for future in distributed.as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # KilledWorker and its kin: this row only
                result = worker_died(job, f"{type(error).__name__}: {error}")
            on_result(result)
    finally:
        if own:
            client.close()
