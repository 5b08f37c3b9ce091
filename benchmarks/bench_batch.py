"""Benchmark ``write_batch``: 48 small series on 1 and 2 local workers and 2 Dask workers.

Run from the repository root::

    python benchmarks/bench_batch.py            # 48 series of 128x128x40 int16
    python benchmarks/bench_batch.py --count 12

Every configuration writes the same manifest into a fresh output root, in
the same run; reported: seconds, series per second, the speed-up over one
local worker, Dask over the local pool at 2 workers, and the per-job overhead
(wall time per series minus the time the jobs themselves report, per worker).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import simpleitk_dicomwriter as dw


def _run(rows: list[dict[str, str]], root: Path, **options: Any) -> tuple[float, float]:
    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    report = dw.write_batch(rows, root, **options)
    wall = time.perf_counter() - start
    assert report.written == len(rows), report.to_dict()
    return wall, sum(r["seconds"] for r in report.results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    args = parser.parse_args(argv)
    import distributed

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        folder = Path(scratch)
        rows = []
        for i in range(args.count):
            data = np.random.default_rng(i).integers(-1000, 2000, (40, 128, 128))
            np.save(folder / f"in{i}.npy", data.astype(np.int16))
            rows.append({"input": str(folder / f"in{i}.npy"), "output": f"s{i}",
                         "PatientID": f"P{i}"})  # fmt: skip
        _run(rows[:2], folder / "warm", workers=1)
        results = {}
        for name, options in (("local, 1 worker", {"workers": 1}),
                              ("local, 2 workers", {"workers": 2})):  # fmt: skip
            results[name] = (_run(rows, folder / "out", **options), 1)
            print(name, f"{results[name][0][0]:.2f} s", file=sys.stderr)
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        )  # fmt: skip
        with cluster, distributed.Client(cluster) as client:
            _run(rows[:2], folder / "warm", scheduler=client)
            results["Dask, 2 workers"] = (_run(rows, folder / "out", scheduler=client), 2)
        results["local, 2 workers"] = (results["local, 2 workers"][0], 2)
    one = results["local, 1 worker"][0][0]
    local2 = results["local, 2 workers"][0][0]
    print("| configuration | seconds | series/s | vs 1 local worker | per-job overhead |")
    print("|---|---:|---:|---:|---:|")
    for name, ((wall, busy), workers) in results.items():
        overhead = (wall * workers - busy) / len(rows)
        print(f"| {name} | {wall:.2f} | {len(rows) / wall:.1f} | {one / wall:.2f}x | "
              f"{overhead * 1000:.0f} ms |")  # fmt: skip
    dask = results["Dask, 2 workers"][0][0]
    print(
        f"\nDask / local at 2 workers: {dask / local2:.2f} (target <= 1.3); "
        f"2 local workers / 1: {one / local2:.2f}x (target >= 1.7)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
