"""The ``dicomwriter`` command line: write, verify, info and preview.

One module per command; :mod:`.render` decides how results look. Exit status:
0 success, 1 the series does not verify, 2 bad usage or bad input. Errors the
package anticipates (every :class:`DicomWriterError`, and ``OSError`` for
unreadable or unwritable files) are reported as one ``error: ...`` line on
stderr; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from types import FrameType

import SimpleITK as sitk

from .._version import __version__
from ..errors import DicomWriterError, VerificationError
from . import batch, info, preview, render, send, verify, write

__all__ = ["main"]

_COMMANDS = (write, verify, info, preview, send, batch)
_handler: logging.Handler | None = None


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: staging is removed, the old series kept."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """What ``timeout``, ``docker stop``, Slurm (SIGTERM) and a closed terminal (SIGHUP) send."""
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous[signum] = signal.signal(signum, _terminate)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log what is done on stderr (twice for debugging detail)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="log errors only"
    )
    parser = argparse.ArgumentParser(
        prog="dicomwriter",
        description="Write images as DICOM series that every reader reads back correctly, "
        "verified by re-reading them.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(sub, [common])
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    verbose = getattr(args, "verbose", 0)
    level = logging.WARNING
    if getattr(args, "quiet", False):
        level = logging.ERROR
    elif verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    global _handler
    package = logging.getLogger("simpleitk_dicomwriter")
    package.setLevel(level)
    # One handler, on the stderr of this call (main() may run several times in a process).
    if _handler is not None:
        package.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    package.addHandler(_handler)


def _report_failure(
    args: argparse.Namespace, error: BaseException, extra: dict[str, object] | None = None
) -> None:
    """One line on stderr; with --json, the failure as JSON on stdout as well."""
    render.error_line(error)
    if getattr(args, "json", False):
        render.print_json({"ok": False, "error": render.one_line(error), **(extra or {})})


@contextlib.contextmanager
def _library_warnings(verbose: int) -> Iterator[None]:
    """Keep SimpleITK/ITK/GDCM and pydicom warnings off stderr unless -v."""
    if verbose:
        yield
        return
    shown = sitk.ProcessObject.GetGlobalWarningDisplay()
    sitk.ProcessObject.SetGlobalWarningDisplay(False)
    pydicom_logger = logging.getLogger("pydicom")
    level = pydicom_logger.level
    pydicom_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sitk.ProcessObject.SetGlobalWarningDisplay(shown)
        pydicom_logger.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 success, 1 the series does not verify, 2 bad usage or bad input.
    """
    args = _parser().parse_args(argv)
    _configure_logging(args)
    debug = getattr(args, "debug", False)
    try:
        with _signals_as_interrupts(), _library_warnings(getattr(args, "verbose", 0)):
            status: int = args.run(args)
        return status
    except BrokenPipeError:
        # The reader of stdout went away (``| head``): stop quietly, as Python's docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except VerificationError as error:
        if debug:
            raise
        _report_failure(args, error, {"report": error.report.to_dict()})
        return 1
    except (DicomWriterError, OSError) as error:
        if debug:
            raise
        _report_failure(args, error)
        return 2
    except KeyboardInterrupt as interrupt:
        signum = interrupt.signum if isinstance(interrupt, Terminated) else signal.SIGINT
        print(f"interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
