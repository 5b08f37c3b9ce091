"""The directory sink: a series appears in ``output_dir`` complete, or not at all.

A series is written into a hidden staging directory, verified there, and
published in one step:

- a new ``output_dir``: the staging directory is renamed to it (never over
  something that appeared meanwhile);
- an existing directory: the two are exchanged atomically
  (``renameat2(RENAME_EXCHANGE)``) after the staging directory took the old
  one's mode and owner, so readers see the old series or the new one, never a
  mix, a partial series or no directory; the old series is removed after;
- a mount point (or a file system without exchange): staging lives inside it
  and the verified files are renamed in one by one, replacing the old ones;
  meanwhile a reader can see old and new files side by side.

Writers of one ``output_dir`` are serialised by :class:`~.lock.OutputLock`;
whoever holds the lock removes the staging debris that killed writers left.
With ``durable``, every file and directory entry is on stable storage before
the publish step, and an old series is removed only after the new one is.
Nothing outside ``output_dir`` is removed but the package's own debris, and
inside it only the files of the DICOM series being replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from pydicom.misc import is_dicom

from ..errors import OutputError, output_error
from ..readers.headers import DICOMDIR
from .durable import Syncer, fsync_path
from .lock import OutputLock, lock_path

__all__ = ["OutputTarget", "check_output", "resolve_output"]

_log = logging.getLogger(__name__)
_TAG = "dicomwriter-"
_STAGING_INSIDE = re.compile(rf"^\.{_TAG}[a-z0-9_]{{8}}\.partial$")
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100
# What renameat2 says where a file system or kernel cannot exchange or refuse-replace.
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


def _debris(name: str) -> re.Pattern[str]:
    """Staging left beside ``name`` by killed writers (also by versions before the lock)."""
    stem = re.escape(name)
    return re.compile(rf"^\.{stem}\.({_TAG})?[a-z0-9_]{{8}}\.(partial|old)$")


def resolve_output(output_dir: object) -> Path:
    """The absolute directory a series for ``output_dir`` goes into.

    A symbolic link is followed: the series goes into its target and the link
    stays.

    Raises
    ------
    OutputError
        For an empty path, a path that is not a ``str``/``os.PathLike``, a NUL in
        it, a dangling link or a link loop.
    """
    if isinstance(output_dir, bytes) or not isinstance(output_dir, str | os.PathLike):
        raise OutputError(
            f"output_dir must be a str or os.PathLike path, not {type(output_dir).__name__}"
        )
    text = os.fspath(output_dir)
    if not isinstance(text, str) or not text.strip():
        raise OutputError(f"output_dir {text!r} is empty; name the directory to write")
    if "\0" in text:
        raise OutputError(f"output_dir {text!r} contains a NUL character")
    path = Path(text).absolute()
    try:
        return _follow(path)
    except OSError as error:
        raise output_error("use", path, error) from error


def _follow(path: Path) -> Path:
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise OutputError(
                f"{path} is a symbolic link to {os.readlink(path)!r}, which does not exist"
            ) from None
        except (RuntimeError, OSError) as error:  # RuntimeError: a loop, before Python 3.13
            raise OutputError(f"{path}: too many levels of symbolic links ({error})") from None
        return target
    if path.name in ("", ".", ".."):
        path = path.resolve()
    if path == Path(path.anchor):
        raise OutputError(f"{path} is the root of the file system; name a directory in it")
    return path


def _only_dicom(directory: str) -> bool:
    """Whether a folder of a file-set holds DICOM files and such folders only."""
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            if not _only_dicom(entry.path):
                return False
        elif not (entry.is_file(follow_symlinks=False) and is_dicom(entry.path)):
            return False
    return True


def _dicom_series_files(output_dir: Path) -> list[Path]:
    """The entries of the DICOM series in ``output_dir``, refusing anything else in it.

    A file-set (a DICOMDIR at the top) may hold folders of DICOM files.
    """
    files, others = [], []
    fileset = (output_dir / DICOMDIR).is_file()
    for entry in sorted(os.scandir(output_dir), key=lambda e: e.name):
        if _STAGING_INSIDE.match(entry.name) and entry.is_dir(follow_symlinks=False):
            continue  # debris of a killed writer into this mount point
        folder = entry.is_dir(follow_symlinks=False)
        if (not folder and entry.is_file(follow_symlinks=False) and is_dicom(entry.path)) or (
            fileset and folder and _only_dicom(entry.path)
        ):
            files.append(Path(entry.path))
        else:
            others.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        what = (
            "an entry that is not a DICOM file"
            if len(others) == 1
            else (f"{len(others)} entries that are not DICOM files")
        )
        raise OutputError(
            f"{output_dir} holds {what} ({shown}); overwrite replaces a DICOM series "
            "only, so nothing was changed"
        )
    return files


def check_output(output_dir: Path, overwrite: bool, hint: str = "overwrite=True") -> list[Path]:
    """Refuse an ``output_dir`` that cannot receive a series.

    ``hint`` names the option that allows replacing a series, in the message.

    Returns
    -------
    list of Path
        The files of the DICOM series that ``overwrite`` will replace.

    Raises
    ------
    OutputError
        When it exists and is not a directory, is not empty without
        ``overwrite``, or holds anything but a DICOM series.
    """
    try:
        if output_dir.exists() and not output_dir.is_dir():
            raise OutputError(f"{output_dir} exists and is not a directory")
        if not output_dir.is_dir():
            return []
        entries = [e for e in os.listdir(output_dir) if not _STAGING_INSIDE.match(e)]
        if not entries:
            return []
        if not overwrite:
            raise OutputError(f"{output_dir} is not empty; pass {hint} to replace it")
        return _dicom_series_files(output_dir)
    except OutputError:
        raise
    except OSError as error:
        raise output_error("use", output_dir, error) from error


def _renameat2(source: Path, target: Path, flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    function = getattr(libc, "renameat2", None)
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    result = function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


class OutputTarget:
    """Exclusive, staged access to ``output_dir``; a context manager.

    Entering it takes the lock, checks ``output_dir``, clears old debris and
    creates :attr:`staging`; :meth:`publish` makes the staged series the
    content of ``output_dir``. Leaving by an exception removes the staging
    directory and leaves ``output_dir`` as it was.

    Parameters
    ----------
    output_dir : Path
        From :func:`resolve_output`.
    overwrite : bool
        Whether an existing DICOM series in ``output_dir`` may be replaced.
    durable : bool
        Sync files and directory entries to stable storage before publishing.
    """

    def __init__(self, output_dir: Path, overwrite: bool, durable: bool) -> None:
        self.output_dir = output_dir
        self.overwrite = overwrite
        self.syncer = Syncer(durable)
        self.staging = Path()
        self._lock = OutputLock(output_dir)
        self._inside = False  # staging inside output_dir (a mount point)
        self._replaced: list[Path] = []

    # ------------------------------------------------------------------ entering

    def __enter__(self) -> OutputTarget:
        parent = self.output_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise output_error("create", parent, error) from error
        self._lock.__enter__()
        try:
            self._replaced = check_output(self.output_dir, self.overwrite)
            self._inside = self.output_dir.is_dir() and os.path.ismount(self.output_dir)
            self._remove_debris()
            where = self.output_dir if self._inside else parent
            prefix = "." + _TAG if self._inside else f".{self.output_dir.name}.{_TAG}"
            try:
                self.staging = Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=where))
            except OSError as error:
                raise output_error("write in", where, error) from error
        except BaseException:
            # A signal can land inside mkdtemp, after the directory exists but
            # before its name is ours to remove: remove every staging beside
            # output_dir (we hold the lock, so none is another live writer's).
            with contextlib.suppress(OSError):
                self._remove_debris()
            self._lock.__exit__()
            self.syncer.__exit__()
            raise
        return self

    def _remove_debris(self) -> None:
        """Staging of killed writers: ours to remove, since we hold the lock."""
        pattern = _debris(self.output_dir.name)
        places = [(self.output_dir.parent, pattern)]
        if self._inside:
            places.append((self.output_dir, _STAGING_INSIDE))
        for directory, match in places:
            for entry in os.scandir(directory):
                if match.match(entry.name) and entry.is_dir(follow_symlinks=False):
                    _log.info("removing staging debris %s of a killed writer", entry.path)
                    shutil.rmtree(entry.path, ignore_errors=True)

    # ------------------------------------------------------------------ leaving

    def __exit__(self, *exc: object) -> None:
        try:
            self.syncer.__exit__()
        finally:
            try:
                if self.staging != Path() and self.staging.exists():
                    shutil.rmtree(self.staging, ignore_errors=True)
            finally:
                self._lock.__exit__()

    # ------------------------------------------------------------------ publishing

    def publish(self) -> None:
        """Make the staged series the content of ``output_dir``, durably if asked."""
        self.syncer.wait()
        durable = self.syncer.enabled
        if durable:
            fsync_path(self.staging)
        try:
            if self._inside:
                self._move_files_in()
            elif not self.output_dir.exists():
                self._rename_new()
            else:
                self._exchange()
        except OSError as error:
            raise output_error("publish the series in", self.output_dir, error) from error

    def _rename_new(self) -> None:
        umask = os.umask(0)
        os.umask(umask)
        self.staging.chmod(0o777 & ~umask)
        try:
            _renameat2(self.staging, self.output_dir, _RENAME_NOREPLACE)
        except OSError as error:
            if error.errno not in _UNSUPPORTED:
                raise
            # No renameat2: a plain rename, which the lock keeps from racing our writers.
            self.staging.rename(self.output_dir)
        self.make_durable(self.output_dir.parent)

    def _exchange(self) -> None:
        status = os.stat(self.output_dir)
        os.chmod(self.staging, status.st_mode & 0o7777)
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(self.staging, status.st_uid, status.st_gid)
            except PermissionError:
                _log.warning("cannot give %s the owner of %s", self.staging, self.output_dir)
        try:
            _renameat2(self.staging, self.output_dir, _RENAME_EXCHANGE)
        except OSError as error:
            if error.errno not in _UNSUPPORTED and error.errno != errno.EBUSY:
                raise
            _log.info("cannot exchange directories (%s); moving files in", error.strerror)
            self._move_files_in()
            return
        # The old series now sits at the staging path, whose removal below needs no sync.
        self.make_durable(self.output_dir.parent)

    def _move_files_in(self) -> None:
        """Rename the verified files into ``output_dir``, then drop the old ones."""
        new = sorted(p.name for p in self.staging.iterdir())
        for name in new:
            target = self.output_dir / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # a folder of the file-set replaced
            os.replace(self.staging / name, target)
        self.make_durable(self.output_dir)
        kept = set(new)
        for old in self._replaced:
            if old.name not in kept:
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                else:
                    old.unlink(missing_ok=True)
        self.make_durable(self.output_dir)

    def make_durable(self, path: Path) -> None:
        """Sync one file or directory now, when writing is durable."""
        if self.syncer.enabled:
            fsync_path(path)


def debris_names(output_dir: Path) -> list[str]:
    """Names beside ``output_dir`` that are this package's staging or lock (for tests)."""
    pattern = _debris(output_dir.name)
    lock = lock_path(output_dir).name
    return sorted(
        entry for entry in os.listdir(output_dir.parent) if pattern.match(entry) or entry == lock
    )
