"""Benchmark the transfer syntaxes: size, write time and read-back time.

Run from the repository root::

    python benchmarks/bench_syntaxes.py              # W1 + W2 at full size, median of 3
    python benchmarks/bench_syntaxes.py --small      # 128x128x40, a few seconds

For each workload (``bench_write.make_volume``: W1, the 512x512x300 int16 CT
phantom; W2, the same as float32) and each offered syntax, in one run:

* ``bytes``: the total size of the files, as a ratio of the ``explicit`` series;
* ``write``: ``write_series(..., transfer_syntax=name, verify=False, durable=False)``;
* ``read``: ``SimpleITK.ImageSeriesReader`` reading the series back (what
  verification costs: decoding included).

Times are medians over ``--repeat`` runs, each run rotating the order of the
syntaxes, and reported as ratios of the ``explicit`` write of the same
workload in the same run (the machines are noisy). A Markdown table goes to
stdout; ``--json PATH`` keeps the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_write import make_volume

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.dicom.syntaxes import SYNTAXES

SMALL = (40, 128, 128)
FULL = (300, 512, 512)


def _read(directory: Path) -> float:
    start = time.perf_counter()
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(directory)))
    reader.Execute()
    return time.perf_counter() - start


def bench(workload: str, shape: tuple[int, int, int], repeat: int, root: Path) -> dict[str, Any]:
    volume = make_volume(workload, shape)
    names = list(SYNTAXES)
    writes: dict[str, list[float]] = {n: [] for n in names}
    reads: dict[str, list[float]] = {n: [] for n in names}
    sizes: dict[str, int] = {}
    for run in range(repeat):
        order = names[run % len(names) :] + names[: run % len(names)]
        for name in order:
            out = root / f"{workload}-{name}"
            shutil.rmtree(out, ignore_errors=True)
            os.sync()
            start = time.perf_counter()
            ws = dw.write_series(
                volume, out, modality="CT", spacing=(0.7, 0.7, 1.25), transfer_syntax=name,
                verify=False, durable=False,
            )  # fmt: skip
            writes[name].append(time.perf_counter() - start)
            sizes[name] = sum(p.stat().st_size for p in ws.files)
            reads[name].append(_read(out))
            print(f"{workload} {name} run {run + 1}: {writes[name][-1]:.3f} s", file=sys.stderr)
    base = statistics.median(writes["explicit"])
    return {
        "workload": workload,
        "shape": shape,
        "explicit_write_s": base,
        "rows": {
            name: {
                "bytes": sizes[name],
                "bytes_ratio": sizes[name] / sizes["explicit"],
                "write_s": statistics.median(writes[name]),
                "read_s": statistics.median(reads[name]),
                "write_ratio": statistics.median(writes[name]) / base,
                "read_ratio": statistics.median(reads[name]) / base,
            }
            for name in names
        },
    }


def markdown(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| workload | syntax | bytes / explicit | write / explicit write | "
        "read-back / explicit write |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for name, row in result["rows"].items():
            lines.append(
                f"| {result['workload']} | {name} | {row['bytes_ratio']:.2f} | "
                f"{row['write_ratio']:.2f} | {row['read_ratio']:.2f} |"
            )
    bases = ", ".join(f"{r['workload']} {r['explicit_write_s']:.3f} s" for r in results)
    lines.append("")
    lines.append(f"explicit write (the 1.00): {bases}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    shape = SMALL if args.small else FULL
    with tempfile.TemporaryDirectory(prefix="bench-syntaxes-") as scratch:
        results = [bench(w, shape, args.repeat, Path(scratch)) for w in ("W1", "W2")]
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
