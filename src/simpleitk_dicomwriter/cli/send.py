"""``dicomwriter send``: a series folder to a PACS (C-STORE) or a DICOMweb service."""

from __future__ import annotations

import argparse
from typing import Any

from ..send import SendReport, send_series
from . import render

__all__ = ["add_parser", "add_send_options", "run", "send_and_report"]


def send_and_report(args: argparse.Namespace, series_dir: str) -> int:
    """Send, print the report; 0 when every file was stored, 1 when some were refused."""
    report = send_series(
        series_dir,
        args.destination,
        calling_ae_title=args.calling_aet,
        timeout=args.timeout,
        confirm=args.confirm,
    )
    return render.finish(report, args.json, send_text)


def send_text(report: SendReport) -> str:
    """What ``dicomwriter send`` prints."""
    lines = [
        f"sent {report.sent} file(s) to {report.destination} in {report.seconds:.2f} s"
        f" ({report.associations or 1} association(s))"
    ]
    if report.confirmed is not None:
        lines.append(f"  the peer holds {report.confirmed} instance(s) of the series")
    lines += [f"  refused: {f['file']}: {f['status']} {f['reason']}" for f in report.failed]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Send ``args.series_dir``; 0 all stored, 1 some refused, 2 unreachable or bad usage."""
    return send_and_report(args, args.series_dir)


def add_send_options(parser: argparse.ArgumentParser) -> None:
    """--calling-aet, --timeout and --confirm."""
    parser.add_argument(
        "--calling-aet", default="DICOMWRITER", metavar="AET", help="our AE title (C-STORE)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="seconds to wait (default 30)"
    )
    parser.add_argument(
        "--confirm", action="store_true", help="ask the peer afterwards how many instances it holds"
    )


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``send`` command to the sub-parsers ``sub``."""
    send = sub.add_parser(
        "send",
        parents=parents,
        help="send a series to a PACS or a DICOMweb service",
        description="Send SERIES_DIR to DESTINATION: AE_TITLE@HOST:PORT (C-STORE) or a "
        "DICOMweb base URL such as http://host:8042/dicom-web (STOW-RS). Exit 0 when every "
        "file was stored, 1 when some were refused, 2 when the destination cannot be reached.",
    )
    send.add_argument("series_dir", metavar="SERIES_DIR")
    send.add_argument("destination", metavar="DESTINATION")
    send.add_argument("--json", action="store_true", help="print the report as JSON")
    add_send_options(send)
    send.set_defaults(run=run)
