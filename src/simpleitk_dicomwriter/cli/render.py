"""How the command line shows results: text, JSON and progress.

Every command prints through here, so the text and JSON forms of a result
are decided in one place.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, Protocol, TextIO, TypeVar

from pydicom.uid import UID

from ..verify import VerificationReport
from ..write import WrittenSeries

__all__ = ["error_line", "one_line", "print_json", "progress", "report_text", "written_text"]


def print_json(data: dict[str, Any]) -> None:
    """Print ``data`` as indented JSON on stdout."""
    print(json.dumps(data, indent=2))


class Report(Protocol):
    """What a command reports: a verdict and its JSON form."""

    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Report)


def finish(report: R, as_json: bool, text: Callable[[R], str]) -> int:
    """Print ``report`` (JSON or ``text(report)``); exit status 0 when ok, else 1."""
    if as_json:
        print_json(report.to_dict())
    else:
        print(text(report))
    return 0 if report.ok else 1


def one_line(error: BaseException) -> str:
    """An error message folded onto one line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


def error_line(error: BaseException) -> None:
    """Report ``error`` as one ``error: ...`` line on stderr."""
    print(f"error: {one_line(error)}", file=sys.stderr)


def progress(stream: TextIO, verify: bool) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that redraws one line on ``stream``."""

    def report(done: int, total: int) -> None:
        stream.write(f"\rwriting slice {done}/{total}")
        if done == total:
            stream.write(", verifying\n" if verify else "\n")
        stream.flush()

    return report


def written_text(ws: WrittenSeries) -> str:
    """What ``dicomwriter write`` prints for a written series."""
    if ws.report is None:
        verified = "no (--no-verify)"
    else:
        verified = (
            f"yes: {ws.report.files} files re-read, max abs error {ws.report.max_abs_error:.6g}"
            f" <= tolerance {ws.report.tolerance:.6g}"
        )
    lossless = " (lossless)" if ws.max_error == 0 else ""
    rows = [
        ("SOP class", f"{UID(ws.sop_class_uid).name} ({ws.sop_class_uid})"),
        ("series UID", ws.series_instance_uid),
        ("rescale", f"slope {ws.rescale_slope:.10g}, intercept {ws.rescale_intercept:.10g}"),
        ("max error", f"{ws.max_error:.6g}{lossless}"),
        ("verified", verified),
    ]
    lines = [f"wrote {len(ws.files)} files to {ws.directory}"]
    lines += [f"  {name:<11} {value}" for name, value in rows]
    return "\n".join(lines)


def report_text(report: VerificationReport, reference: str) -> str:
    """What ``dicomwriter verify`` prints for a report."""
    if report.ok:
        return (
            f"OK: {report.directory} holds {reference} ({report.files} files, "
            f"max abs error {report.max_abs_error:.6g} <= tolerance {report.tolerance:.6g})"
        )
    lines = [f"FAILED: {report.directory} does not hold {reference}:"]
    lines += [f"  - {problem}" for problem in report.problems]
    return "\n".join(lines)
