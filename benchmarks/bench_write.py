"""Benchmark ``simpleitk_dicomwriter.write_series`` against two baselines.

Run from the repository root::

    python benchmarks/bench_write.py                  # W1 + W2 at full size, median of 5
    python benchmarks/bench_write.py --repeat 3 --json timings.json
    python benchmarks/bench_write.py --small          # 128x128x40 smoke run, a few seconds
    python benchmarks/bench_write.py --methods example,raw --no-peak   # baselines only

Workloads (generated deterministically with NumPy, ``(z, y, x)`` order):

* ``W1``: a 512x512x300 ``int16`` CT-like phantom (air -1000 outside a body ellipse, soft
  tissue around 40 HU, lungs, a few bones around 1000 HU, mild noise; values clipped to
  [-1024, 3071]);
* ``W2``: the same volume as ``float32`` with a fractional part (``W1 * 0.997`` plus small
  uniform noise).

Methods, timed in the same run; each repetition runs every method once, in an order rotated
from one repetition to the next so that all methods share the machine's noise.  The reported
time is the median over ``--repeat`` repetitions:

* ``ours_write``: ``write_series(vol, d, modality="CT", verify=False, spacing=(0.7, 0.7, 1.25))``
  on the NumPy array (the array-to-image conversion is inside the timed region);
* ``ours_verified``: the same call with ``verify=True``;
* ``example`` (baseline a): the SimpleITK "Dicom Series From Array" example's slice-by-slice
  writer (``baseline_example.write_like_example``), given a ready ``sitk.Image``;
* ``raw`` (baseline b): the physical limit, the same pixel bytes written as one plain file per
  slice, each a 2 KiB zero header followed by ``slice.tofile(f)``.

Before every timed call the previous output is removed and ``os.sync()`` is called, both
outside the timed region.  Outputs go to a fresh directory created under ``--dir`` (default:
the system temporary directory) and removed at exit.  A tiny warm-up write per method and
workload (not timed) keeps import and first-call costs out of the numbers.

Peak memory: each of ``ours_write`` and ``ours_verified`` is also run once per workload in a
fresh child process (``bench_write.py --child METHOD --workload W``).  The child imports
everything and does a tiny warm-up write, builds the volume slab by slab (so that building
it leaves little high-water mark above the volume itself), records ``ru_maxrss`` (the
baseline, which includes the volume), runs the write, and reports
``ru_maxrss_after - baseline``: the memory the write needed on top of the input volume.  On
Linux the high-water mark is also reset (``/proc/self/clear_refs``) just before the baseline,
so that memory freed earlier cannot hide part of the write's peak; ``--json`` records
whether that worked (``hwm_reset``) and the actual RSS at the baseline.  The children run
before the parent builds any volume: a child's ``ru_maxrss`` starts at the parent's high-water
mark (carried over by fork/vfork + exec), which would otherwise hide the child's own peak.

Ratios reported (with a check mark against the project's target):

* ``example / ours_write`` (target >= 3 for W1, >= 2.5 for W2): how many times faster than
  the example we are;
* ``ours_write / raw`` (target <= 3, W1 only): how far we are from just dumping the bytes;
* ``ours_verified / ours_write`` (target <= 1.5): the cost of verification (re-reading);
* ``ours_durable / ours_write`` (target <= 1.5): the cost of syncing to stable storage;
* ``peak / volume bytes`` (target <= 1.5): extra peak memory of the write, as a multiple of the
  volume's ``nbytes``.

The Markdown table goes to stdout, progress to stderr; ``--json PATH`` writes every raw timing.
This is a benchmark script, not a test: a failed target is reported, not raised.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk

__all__ = [
    "METHODS",
    "SPACING",
    "TARGETS",
    "Workload",
    "main",
    "make_volume",
    "write_raw",
]

HERE = Path(__file__).resolve().parent

SPACING = (0.7, 0.7, 1.25)
FULL_SHAPE = (300, 512, 512)  # (z, y, x)
SMALL_SHAPE = (40, 128, 128)
WARMUP_SHAPE = (3, 16, 16)
WORKLOADS = ("W1", "W2")
METHODS = ("ours_write", "ours_verified", "ours_durable", "ours_template", "example", "raw")
OURS = ("ours_write", "ours_verified", "ours_durable", "ours_template")
RAW_HEADER = b"\0" * 2048
SEED = 20240607
_SLAB = 8  # slices generated at a time; bounds the transient memory of volume generation

WriteSeries = Callable[..., object]
Array = npt.NDArray[Any]

# name -> (label, comparison, target)
TARGETS: dict[str, tuple[str, str, float]] = {
    "example_over_ours": ("example / ours_write", ">=", 3.0),
    "ours_over_raw": ("ours_write / raw", "<=", 3.0),
    "verified_over_write": ("ours_verified / ours_write", "<=", 1.5),
    "durable_over_write": ("ours_durable / ours_write (fsync)", "<=", 1.5),
    "template_over_write": (
        "ours_template / ours_write (Source Image Sequence)",
        "<=",
        float("inf"),
    ),
    "peak_write": ("peak / volume bytes (ours_write)", "<=", 1.5),
    "peak_verified": ("peak / volume bytes (ours_verified)", "<=", 1.5),
}


# --------------------------------------------------------------------------- volumes


def _phantom_fields(ny: int, nx: int) -> dict[str, Array]:
    """2D fields shared by all slices: normalised distances and constant overlays."""
    y = ((np.arange(ny, dtype=np.float32) - (ny - 1) / 2) / ny)[:, None]
    x = ((np.arange(nx, dtype=np.float32) - (nx - 1) / 2) / nx)[None, :]
    body_d = (x / 0.42) ** 2 + (y / 0.32) ** 2
    lung_d = ((np.abs(x) - 0.17) / 0.11) ** 2 + ((y + 0.03) / 0.17) ** 2
    tissue = 40.0 + 15.0 * np.cos(np.pi * x) * np.cos(np.pi * y)
    bone = np.full((ny, nx), np.nan, dtype=np.float32)
    bone[(np.abs(x) - 0.30) ** 2 + (y - 0.08) ** 2 <= 0.022**2] = 1150.0  # two femur-like
    bone[x**2 + (y + 0.27) ** 2 <= 0.015**2] = 900.0  # sternum-like
    bone[x**2 + (y - 0.20) ** 2 <= 0.045**2] = 1000.0  # vertebral body
    bone[x**2 + (y - 0.20) ** 2 <= 0.018**2] = 30.0  # spinal canal
    return {
        "body_d": body_d.astype(np.float32),
        "lung_d": lung_d.astype(np.float32),
        "tissue": tissue.astype(np.float32),
        "bone": bone,
    }


def _phantom_slab(
    z0: int, z1: int, nz: int, fields: dict[str, Array], rng: np.random.Generator
) -> Array:
    """Slices ``z0:z1`` of the int16 phantom, as float32 before rounding (values in HU)."""
    half = max((nz - 1) / 2, 1.0)
    t = ((np.arange(z0, z1, dtype=np.float32) - (nz - 1) / 2) / half)[:, None, None]
    scale2 = (1.0 - 0.15 * t**2) ** 2  # the body narrows towards both ends
    body = fields["body_d"][None] <= scale2
    slab = np.where(body, fields["tissue"][None] + 10.0 * t, np.float32(-1000.0))
    lungs = (fields["lung_d"][None] <= scale2) & (t > -0.3)
    slab[lungs] = -850.0
    bone = fields["bone"]
    is_bone = ~np.isnan(bone)
    slab[:, is_bone] = bone[is_bone]
    slab += 8.0 * rng.standard_normal(slab.shape, dtype=np.float32)
    np.clip(slab, -1024.0, 3071.0, out=slab)
    return slab


def make_volume(workload: str, shape: tuple[int, int, int] = FULL_SHAPE) -> Array:
    """Build workload ``W1`` (int16 phantom) or ``W2`` (float32 variant), deterministically.

    The volume is filled slab by slab into a preallocated array, so building it never needs
    much more memory than the volume itself (this matters for the peak-memory baseline).
    """
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; expected one of {WORKLOADS}")
    nz, ny, nx = shape
    fields = _phantom_fields(ny, nx)
    rng = np.random.default_rng(SEED)
    frac_rng = np.random.default_rng(SEED + 1)
    dtype = np.int16 if workload == "W1" else np.float32
    vol = np.empty(shape, dtype=dtype)
    for z0 in range(0, nz, _SLAB):
        z1 = min(z0 + _SLAB, nz)
        hu = np.rint(_phantom_slab(z0, z1, nz, fields, rng))
        if workload == "W1":
            vol[z0:z1] = hu.astype(np.int16)
        else:
            frac = frac_rng.uniform(-0.5, 0.5, size=hu.shape).astype(np.float32)
            vol[z0:z1] = hu * np.float32(0.997) + frac
    return vol


def to_image(vol: Array) -> sitk.Image:
    """The ``sitk.Image`` handed to the example baseline (built outside the timed region)."""
    image = sitk.GetImageFromArray(vol)
    image.SetSpacing(SPACING)
    return image


# --------------------------------------------------------------------------- methods


def write_raw(vol: Array, out_dir: str) -> None:
    """Baseline (b): each slice as a plain file, a 2 KiB zero header then the pixel bytes."""
    for i in range(vol.shape[0]):
        with open(os.path.join(out_dir, f"{i}.raw"), "wb") as f:
            f.write(RAW_HEADER)
            vol[i].tofile(f)


def load_write_series() -> WriteSeries:
    """Import the installed ``simpleitk_dicomwriter.write_series`` (``pip install .``)."""
    from simpleitk_dicomwriter import write_series

    return cast(WriteSeries, write_series)


def load_write_like_example() -> Callable[[sitk.Image, str], None]:
    """Load ``write_like_example`` from the sibling ``baseline_example.py`` file."""
    spec = importlib.util.spec_from_file_location(
        "_bench_baseline_example", HERE / "baseline_example.py"
    )
    if spec is None or spec.loader is None:  # pragma: no cover - file ships with the script
        raise ImportError("cannot load benchmarks/baseline_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast(Callable[[sitk.Image, str], None], module.write_like_example)


@dataclass
class Workload:
    """One workload's input data, in the forms the methods take."""

    name: str
    vol: Array
    image: sitk.Image | None = None


Runner = Callable[[Workload, str], None]


def _template_dataset() -> Any:
    """A one-instance source study, so every written slice references it."""
    import pydicom
    from pydicom.data import get_testdata_file

    return pydicom.dcmread(str(get_testdata_file("CT_small.dcm")))


def make_runners(methods: Sequence[str]) -> dict[str, Runner]:
    """The callables for the requested methods; each writes one workload into ``out_dir``."""
    runners: dict[str, Runner] = {}
    if any(m in OURS for m in methods):
        write_series = load_write_series()

        # The baselines do not sync, so neither does ours_write; ours_durable does.
        def ours(verify: bool, durable: bool = False) -> Runner:
            def run(w: Workload, out_dir: str) -> None:
                write_series(
                    w.vol, out_dir, modality="CT", verify=verify, spacing=SPACING, durable=durable
                )

            return run

        runners["ours_write"] = ours(False)
        runners["ours_verified"] = ours(True)
        runners["ours_durable"] = ours(False, durable=True)
        template = _template_dataset()

        def ours_template(w: Workload, out_dir: str) -> None:
            # A template adds Source Image Sequence to every file: the sequence pass.
            write_series(
                w.vol,
                out_dir,
                modality="CT",
                verify=False,
                spacing=SPACING,
                template=template,
                durable=False,
            )

        runners["ours_template"] = ours_template
    if "example" in methods:
        write_like_example = load_write_like_example()

        def example(w: Workload, out_dir: str) -> None:
            assert w.image is not None
            write_like_example(w.image, out_dir)

        runners["example"] = example
    runners["raw"] = lambda w, out_dir: write_raw(w.vol, out_dir)
    return {m: runners[m] for m in methods}


# --------------------------------------------------------------------------- timing


def _fresh_dir(path: str) -> str:
    """Remove ``path`` if present and recreate it empty."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def time_once(runner: Runner, workload: Workload, out_dir: str) -> float:
    """One timed call: clean output and ``os.sync()`` first, outside the timed region."""
    _fresh_dir(out_dir)
    os.sync()
    start = time.perf_counter()
    runner(workload, out_dir)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out_dir, ignore_errors=True)
    return elapsed


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class WorkloadResult:
    """Raw timings and peak-memory measurements of one workload."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    timings: dict[str, list[float]] = field(default_factory=dict)
    orders: list[list[str]] = field(default_factory=list)
    peak: dict[str, dict[str, Any]] = field(default_factory=dict)

    def median(self, method: str) -> float | None:
        times = self.timings.get(method)
        return statistics.median(times) if times else None


def bench_workload(
    name: str,
    shape: tuple[int, int, int],
    runners: dict[str, Runner],
    repeat: int,
    work_dir: str,
) -> WorkloadResult:
    """Time every runner on one workload, ``repeat`` interleaved repetitions."""
    _log(f"[{name}] building {shape} volume ...")
    vol = make_volume(name, shape)
    workload = Workload(name, vol, to_image(vol) if "example" in runners else None)
    result = WorkloadResult(name, tuple(vol.shape), str(vol.dtype), int(vol.nbytes))
    out_dir = os.path.join(work_dir, f"out_{name}")

    warm_vol = make_volume(name, WARMUP_SHAPE)
    warm = Workload(name, warm_vol, to_image(warm_vol))
    for method, runner in runners.items():
        time_once(runner, warm, out_dir)
        result.timings[method] = []

    methods = list(runners)
    for rep in range(repeat):
        k = rep % len(methods)
        order = methods[k:] + methods[:k]
        result.orders.append(order)
        for method in order:
            elapsed = time_once(runners[method], workload, out_dir)
            result.timings[method].append(elapsed)
            _log(f"[{name}] rep {rep + 1}/{repeat} {method:<14} {elapsed:8.3f} s")
    del workload, vol
    gc.collect()
    return result


# --------------------------------------------------------------------------- peak memory


def _maxrss_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale


def _current_rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _vmhwm_bytes() -> int | None:
    """The kernel's per-process RSS high-water mark (``VmHWM``), or ``None`` off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_maxrss() -> bool:
    """Best effort: reset the kernel's RSS high-water mark (Linux >= 4.0), so that ``ru_maxrss``
    restarts from the current RSS.  Returns whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def child_peak(method: str, workload: str, shape: tuple[int, int, int], work_dir: str) -> None:
    """Body of ``--child``: measure one write's peak memory, print one JSON line."""
    write_series = load_write_series()
    verify = method == "ours_verified"
    out_dir = tempfile.mkdtemp(prefix=f"child_{method}_{workload}_", dir=work_dir)
    try:
        warm_dir = os.path.join(out_dir, "warm")
        write_series(
            make_volume(workload, WARMUP_SHAPE),
            warm_dir,
            modality="CT",
            verify=verify,
            spacing=SPACING,
        )
        shutil.rmtree(warm_dir)
        vol = make_volume(workload, shape)
        gc.collect()
        hwm_reset = _reset_maxrss()
        baseline = _maxrss_bytes()
        rss_at_baseline = _current_rss_bytes()
        write_series(
            vol, os.path.join(out_dir, "out"), modality="CT", verify=verify, spacing=SPACING
        )
        after = _maxrss_bytes()
        hwm_after = _vmhwm_bytes()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    report = {
        "method": method,
        "workload": workload,
        "volume_nbytes": int(vol.nbytes),
        "baseline_maxrss": baseline,
        "rss_at_baseline": rss_at_baseline,
        "hwm_reset": hwm_reset,
        "after_maxrss": after,
        "peak_extra_bytes": after - baseline,
        "ratio": (after - baseline) / vol.nbytes,
        # Cross-checks: how far the ru_maxrss baseline sits above the real RSS (memory the
        # write could use without raising ru_maxrss), and the VmHWM-based estimate.
        "baseline_inflation_bytes": (
            None if rss_at_baseline is None else baseline - rss_at_baseline
        ),
        "vmhwm_extra_bytes": (
            None
            if not hwm_reset or hwm_after is None or rss_at_baseline is None
            else hwm_after - rss_at_baseline
        ),
    }
    print(json.dumps(report), flush=True)


def measure_peak(
    method: str, workload: str, small: bool, work_dir: str, timeout: float = 3600.0
) -> dict[str, Any]:
    """Run ``--child`` in a fresh interpreter and return its report (or an error entry)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        method,
        "--workload",
        workload,
        "--dir",
        work_dir,
    ]
    if small:
        cmd.append("--small")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"child exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    return cast(dict[str, Any], json.loads(lines[-1]))


# --------------------------------------------------------------------------- report


def compute_ratios(result: WorkloadResult) -> dict[str, float | None]:
    """The ratios the project's targets are stated in (``None`` when not measured)."""

    def div(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b is not None and b > 0 else None

    ours, verified = result.median("ours_write"), result.median("ours_verified")
    return {
        "example_over_ours": div(result.median("example"), ours),
        "ours_over_raw": div(ours, result.median("raw")),
        "verified_over_write": div(verified, ours),
        "durable_over_write": div(result.median("ours_durable"), ours),
        "template_over_write": div(result.median("ours_template"), ours),
        "peak_write": result.peak.get("ours_write", {}).get("ratio"),
        "peak_verified": result.peak.get("ours_verified", {}).get("ratio"),
    }


def _judge(key: str, value: float | None, workload: str) -> str:
    if value is None:
        return "n/a"
    _, op, target = TARGETS[key]
    if key == "example_over_ours" and workload == "W2":
        target = 2.5  # ours <= 0.4 of the example for floats
    if (key == "ours_over_raw" and workload != "W1") or target == float("inf"):
        return f"{value:.2f} (no target)"
    ok = value >= target if op == ">=" else value <= target
    return f"{value:.2f} {'✓' if ok else '✗'}"


def _ratio_text(extra: int | None, nbytes: int) -> str:
    return "n/a" if extra is None else f"{extra / nbytes:.2f} x volume"


def render_markdown(results: Sequence[WorkloadResult], repeat: int, small: bool = False) -> str:
    """Two Markdown tables: median seconds per method, then ratios against targets."""

    def fmt(t: float | None) -> str:
        return "n/a" if t is None else f"{t:.3f}"

    lines = [
        f"Median seconds over {repeat} run(s):",
        "",
        "| workload | shape (z,y,x) | dtype | ours_write | ours_verified | ours_durable "
        "| ours_template | (a) example | (b) raw |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        shape = "x".join(map(str, r.shape))
        cells = " | ".join(fmt(r.median(m)) for m in METHODS)
        lines.append(f"| {r.name} | {shape} | {r.dtype} | {cells} |")
    lines += [
        "",
        "| ratio | target | " + " | ".join(r.name for r in results) + " |",
        "|---|---|" + "---:|" * len(results),
    ]
    ratios = [compute_ratios(r) for r in results]
    for key, (label, op, target) in TARGETS.items():
        tgt = "measured" if target == float("inf") else f"{'≥' if op == '>=' else '≤'} {target:g}"
        if key == "ours_over_raw":
            tgt += " (W1)"
        cells = " | ".join(
            _judge(key, rt[key], r.name) for r, rt in zip(results, ratios, strict=True)
        )
        lines.append(f"| {label} | {tgt} | {cells} |")
    if small:
        lines += [
            "",
            "note: --small smoke run; with volumes this small, fixed costs dominate and the "
            "ratios (peak memory especially) say nothing about the targets.",
        ]
    errors = [(r.name, m, p["error"]) for r in results for m, p in r.peak.items() if "error" in p]
    for name, method, err in errors:
        lines += ["", f"peak memory of {method} on {name} failed: {err}"]
    for r in results:
        for method, p in r.peak.items():
            inflation = p.get("baseline_inflation_bytes")
            if inflation is not None and inflation > 0.05 * r.nbytes:
                lines += [
                    "",
                    f"note: peak of {method} on {r.name} may be underestimated: the ru_maxrss "
                    f"baseline was {inflation / 2**20:.0f} MiB above the actual RSS "
                    f"(VmHWM estimate: {_ratio_text(p.get('vmhwm_extra_bytes'), r.nbytes)}).",
                ]
    return "\n".join(lines)


def to_json(results: Sequence[WorkloadResult], args: argparse.Namespace) -> dict[str, Any]:
    """Everything measured, for ``--json``."""
    return {
        "meta": {
            "repeat": args.repeat,
            "small": args.small,
            "methods": args.methods,
            "spacing": SPACING,
            "python": sys.version,
            "simpleitk": sitk.Version.VersionString(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "workloads": {
            r.name: {
                "shape": list(r.shape),
                "dtype": r.dtype,
                "nbytes": r.nbytes,
                "timings": r.timings,
                "orders": r.orders,
                "medians": {m: r.median(m) for m in r.timings},
                "peak": r.peak,
                "ratios": compute_ratios(r),
            }
            for r in results
        },
    }


# --------------------------------------------------------------------------- CLI


def _csv(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"expected a comma list of {', '.join(choices)}")
        return [c for c in choices if c in items]

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark simpleitk_dicomwriter.write_series against baselines.",
    )
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (median), default 5")
    parser.add_argument("--small", action="store_true", help="128x128x40 smoke-run volumes")
    parser.add_argument("--dir", default=None, help="parent of the scratch output directory")
    parser.add_argument("--json", dest="json_path", default=None, help="write raw timings here")
    parser.add_argument(
        "--workloads",
        type=_csv(WORKLOADS),
        default=list(WORKLOADS),
        help="comma list of W1,W2 (default both)",
    )
    parser.add_argument(
        "--methods",
        type=_csv(METHODS),
        default=list(METHODS),
        help="comma list of " + ",".join(METHODS) + " (default all)",
    )
    parser.add_argument("--no-peak", action="store_true", help="skip the peak-memory children")
    parser.add_argument("--child", choices=OURS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=WORKLOADS, default="W1", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        _log("--repeat must be >= 1")
        return 2
    shape = SMALL_SHAPE if args.small else FULL_SHAPE

    if args.child is not None:
        child_peak(args.child, args.workload, shape, args.dir or tempfile.gettempdir())
        return 0

    try:
        runners = make_runners(args.methods)
    except ImportError as exc:
        _log(
            f"cannot import simpleitk_dicomwriter.write_series ({exc}); install the "
            "package (pip install .) or use --methods example,raw for the baselines only"
        )
        return 2

    if args.dir is not None:
        os.makedirs(args.dir, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="bench_write_", dir=args.dir)
    results: list[WorkloadResult] = []
    try:
        # Peak-memory children first, while this process is still small: a child's
        # ru_maxrss starts from this process's high-water mark (it is carried over by
        # fork/vfork + exec), which would otherwise swallow the child's baseline.
        peaks: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in args.workloads}
        if not args.no_peak:
            for name in args.workloads:
                for method in (m for m in OURS if m in runners):
                    _log(f"[{name}] peak memory of {method} (child process) ...")
                    peaks[name][method] = measure_peak(method, name, args.small, work_dir)
        for name in args.workloads:
            result = bench_workload(name, shape, runners, args.repeat, work_dir)
            result.peak = peaks[name]
            results.append(result)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    print(render_markdown(results, args.repeat, args.small))
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(to_json(results, args), f, indent=2)
        _log(f"raw timings written to {args.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
