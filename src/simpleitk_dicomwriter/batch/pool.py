"""Local worker processes: forked once per batch, one job at a time each.

Forked rather than spawned: a child starts in milliseconds with everything
imported (spawn or forkserver pools cost more to start than a small job takes).
The parent knows which job each worker holds, so a worker that dies (killed,
out of memory, a crashing library) fails exactly that row; a new worker takes
its place and the others go on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from .jobs import Result, run_job, worker_died
from .manifest import Job

__all__ = ["run_local"]


def _serve(connection: Connection, overwrite: bool) -> None:
    # The batch is parallel across series: one thread per worker for the slices.
    from ..engine import slices

    slices.WORKERS = 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # The CLI turns these into exceptions in the parent; a worker just dies, and
    # the parent reports its row (its output is never half-published).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    while True:
        job = connection.recv()
        if job is None:
            return
        connection.send(run_job(job, overwrite))


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext, overwrite: bool) -> None:
        self.connection, child = multiprocessing.Pipe()
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child, overwrite), daemon=True
        )
        self.process.start()
        child.close()
        self.job: Job | None = None


def _death(process: BaseProcess) -> str:
    process.join(timeout=5)
    code = process.exitcode
    if code is not None and code < 0:
        return f"the worker process was killed by {signal.Signals(-code).name}"
    return f"the worker process exited with status {code}"


def run_local(
    jobs: Sequence[Job], workers: int, overwrite: bool, on_result: Callable[[Result], None]
) -> None:
    """Run ``jobs`` in ``workers`` forked processes; ``on_result`` for each as it ends."""
    context = multiprocessing.get_context("fork")
    pending = deque(jobs)
    pool = [_Worker(context, overwrite) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while pending or any(w.job is not None for w in pool):
            for worker in pool:
                if worker.job is None and pending:
                    worker.job = pending.popleft()
                    worker.connection.send(worker.job)
            busy = {w.connection: w for w in pool if w.job is not None}
            for ready in wait(list(busy)):
                worker = busy[ready]  # type: ignore[index]
                job = worker.job
                assert job is not None
                try:
                    result = worker.connection.recv()
                except (EOFError, OSError):
                    result = worker_died(job, _death(worker.process))
                    worker.connection.close()
                    pool[pool.index(worker)] = _Worker(context, overwrite)
                worker.job = None
                on_result(result)
    finally:
        for worker in pool:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):  # already gone: joined below
                    worker.connection.send(None)
        for worker in pool:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
