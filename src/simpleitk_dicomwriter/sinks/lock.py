"""One writer at a time per output directory.

The lock is an ``flock`` on a hidden file beside ``output_dir``. The kernel
releases it when its holder dies, so a killed writer never blocks the next
one; the file is removed on release (and by the next writer after a kill).
A second write of the same directory is refused at once, never awaited: the
other writer may be this very process (a write started from a progress
callback), and waiting for oneself is a deadlock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from ..errors import OutputError, output_error

__all__ = ["OutputLock", "lock_path"]

_held: set[str] = set()
_held_guard = threading.Lock()


def lock_path(output_dir: Path) -> Path:
    """The lock file of ``output_dir`` (an absolute, resolved path)."""
    return output_dir.parent / f".{output_dir.name}.dicomwriter-lock"


class OutputLock:
    """Exclusive right to write ``output_dir``; a context manager.

    Raises
    ------
    OutputError
        When another writer (in this or another process) holds it.
    """

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.path = lock_path(output_dir)
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        key = str(self.path)
        with _held_guard:
            if key in _held:
                raise OutputError(
                    f"{self.output_dir} is being written by this process already "
                    "(a write started while another write of it is in progress)"
                )
            _held.add(key)
        try:
            self._acquire()
        except BaseException:
            with _held_guard:
                _held.discard(key)
            raise
        return self

    def _acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                raise output_error("lock", self.output_dir, error) from error
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(
                    f"{self.output_dir} is being written by another writer right now; "
                    "try again when it has finished"
                ) from None
            except OSError as error:
                os.close(fd)
                raise output_error("lock", self.output_dir, error) from error
            # The previous holder may have removed the file between our open and
            # flock: then we hold a lock nobody else can see, so take it again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            # Unlink while holding the lock, so that a waiter re-checks (see _acquire).
            # A parent made read-only meanwhile keeps the file, harmlessly.
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self._fd)
            self._fd = None
        with _held_guard:
            _held.discard(str(self.path))
