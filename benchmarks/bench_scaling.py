"""How the cost of a write grows with the number of slices and the slice size.

Run from the repository root::

    python benchmarks/bench_scaling.py            # medians of 3
    python benchmarks/bench_scaling.py --repeat 5

Two sweeps of int16 CT phantom volumes (``bench_write.make_volume``), written
with ``write_series(..., verify=False, durable=False)`` and, for comparison,
the SimpleITK example's writer (``baseline_example.write_like_example``), in
the same run:

* slices 1, 10, 100, 300, 1000 at 512x512: time per slice must stay flat;
* slice sizes 64², 256², 512², 1024² at 100 slices: time per megapixel.

And the fixed cost of a call: one 64x64 slice, written *and verified*, against
the example writing the same slice. A Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_write import load_write_like_example, make_volume

import simpleitk_dicomwriter as dw


def _median(run: Callable[[str], None], root: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        out = root / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        os.sync()
        start = time.perf_counter()
        run(str(out))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pair(volume: np.ndarray, root: Path, repeat: int, verify: bool = False) -> tuple[float, float]:
    example = load_write_like_example()
    image = sitk.GetImageFromArray(volume)

    def ours(out: str) -> None:
        dw.write_series(volume, out, overwrite=True, verify=verify, durable=False)

    return _median(ours, root, repeat), _median(lambda out: example(image, out), root, repeat)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    lines = [
        "| volume | ours | ours per slice | example | example per slice | ours / example |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as scratch:
        root = Path(scratch)
        cases = [(n, 512) for n in (1, 10, 100, 300, 1000)] + [(100, s) for s in (64, 256, 1024)]
        for slices, side in cases:
            volume = make_volume("W1", (slices, side, side))
            ours, example = _pair(volume, root, args.repeat)
            print(f"{slices}x{side}x{side}: {ours:.3f} s vs {example:.3f} s", file=sys.stderr)
            lines.append(
                f"| {slices} x {side}² | {ours:.3f} s | {ours / slices * 1000:.2f} ms | "
                f"{example:.3f} s | {example / slices * 1000:.2f} ms | {ours / example:.2f} |"
            )
        tiny = make_volume("W1", (1, 64, 64))
        ours, example = _pair(tiny, root, max(args.repeat, 5), verify=True)
    lines += [
        "",
        f"Fixed cost of a call (one 64x64 slice): ours, verified, {ours * 1000:.1f} ms; "
        f"the example, unverified, {example * 1000:.1f} ms ({ours / example:.2f}x).",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
