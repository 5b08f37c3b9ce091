"""``dicomwriter batch``: every row of a CSV manifest as a series, in parallel."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..batch import BatchReport, write_batch
from . import render

__all__ = ["add_parser", "run"]

_HELP = "write every row of a CSV manifest as a series, on all cores or a Dask cluster"
_DESCRIPTION = (
    "Write one series per row of MANIFEST.csv (columns: input, output, optional modality and "
    "template, and DICOM keywords as metadata) into OUTPUT_ROOT. Rows already written are "
    "skipped unless --overwrite, so running a batch again resumes it."
)


def _live_line(stream: TextIO) -> Callable[[int, int, int], None]:
    """One redrawn line: done/total, failures, rate and time left."""
    start = time.monotonic()

    def show(done: int, total: int, failed: int) -> None:
        elapsed = max(time.monotonic() - start, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate > 0 else 0.0
        stream.write(
            f"\r{done}/{total} done, {failed} failed, {rate:.2f} series/s, "
            f"{int(left) // 60}:{int(left) % 60:02d} left "
        )
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def batch_text(report: BatchReport) -> str:
    """What ``dicomwriter batch`` prints when it is done."""
    lines = [
        f"{report.written} written, {report.skipped} skipped, {report.failed} failed "
        f"in {report.seconds:.1f} s"
    ]
    lines += [
        f"  failed: {r['input']} -> {r['output']}: {r['error']}"
        for r in report.results
        if r["status"] == "failed"
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the batch; 0 when every row was written or skipped, 1 when any failed."""
    show = not args.json and sys.stderr.isatty()
    report = write_batch(
        args.manifest,
        args.output_root,
        workers=args.workers,
        scheduler=args.scheduler,
        overwrite=args.overwrite,
        progress=_live_line(sys.stderr) if show else None,
        log=args.log,
    )
    return render.finish(report, args.json, batch_text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} workers: at least 1 is needed")
    return value


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``batch`` command to the sub-parsers ``sub``."""
    batch = sub.add_parser("batch", parents=parents, help=_HELP, description=_DESCRIPTION)
    batch.add_argument("manifest", metavar="MANIFEST.csv")
    batch.add_argument("output_root", metavar="OUTPUT_ROOT")
    batch.add_argument(
        "--workers", type=_positive, metavar="N", help="local worker processes (default: cores)"
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this Dask cluster (tcp://host:port; needs the [dask] extra)",
    )
    batch.add_argument(
        "--overwrite", action="store_true", help="rewrite rows whose output holds a series"
    )
    batch.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    batch.add_argument(
        "--log", metavar="FILE", help="append each row's result to FILE as a JSON line"
    )
    batch.set_defaults(run=run)
