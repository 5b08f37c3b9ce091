"""The directory sink: a series appears in ``output_dir`` complete or not at all.

A series is written into a hidden staging directory beside ``output_dir``,
verified there, and published with a rename, so a reader sees the complete
series or nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ..errors import OutputError

__all__ = ["Staging", "check_output"]


def check_output(output_dir: Path, overwrite: bool, hint: str = "overwrite=True") -> None:
    """Refuse an ``output_dir`` that cannot receive a series.

    ``hint`` names the option that allows replacing a series, in the message.

    Raises
    ------
    OutputError
        When it exists and is not a directory, or is not empty without ``overwrite``.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"{output_dir} exists and is not a directory")
    if output_dir.is_dir() and any(output_dir.iterdir()) and not overwrite:
        raise OutputError(f"{output_dir} is not empty; pass {hint} to replace it")


class Staging:
    """A hidden directory beside ``output_dir`` that becomes it on :meth:`publish`.

    Used as a context manager: leaving it by an exception removes the staging
    directory and leaves ``output_dir`` as it was.

    Parameters
    ----------
    output_dir : Path
        An absolute path.
    overwrite : bool
        Whether an existing series in ``output_dir`` may be replaced.
    """

    def __init__(self, output_dir: Path, overwrite: bool) -> None:
        check_output(output_dir, overwrite)
        self.output_dir = output_dir
        try:
            output_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create {output_dir.parent}: {error.strerror}") from error
        try:
            self.directory = Path(
                tempfile.mkdtemp(
                    prefix=f".{output_dir.name}.", suffix=".partial", dir=output_dir.parent
                )
            )
        except OSError as error:
            raise OutputError(f"cannot write in {output_dir.parent}: {error.strerror}") from error

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def publish(self) -> None:
        """Move the finished series into place, replacing any old one whole."""
        umask = os.umask(0)
        os.umask(umask)
        self.directory.chmod(0o777 & ~umask)
        output_dir = self.output_dir
        if not output_dir.exists():
            self.directory.rename(output_dir)
            return
        retired = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".old",
                                        dir=output_dir.parent))  # fmt: skip
        retired.rmdir()
        output_dir.rename(retired)
        try:
            self.directory.rename(output_dir)
        except OSError:
            retired.rename(output_dir)
            raise
        shutil.rmtree(retired, ignore_errors=True)
