"""write_batch and ``dicomwriter batch``: the local pool and a real Dask LocalCluster."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

import simpleitk_dicomwriter as dw
import simpleitk_dicomwriter.batch.jobs as jobs_module
from simpleitk_dicomwriter.cli import main

FIELDS = ["input", "output", "modality", "template", "PatientID", "SeriesDescription"]


def _volume(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-100, 900, (6, 16, 12)).astype(np.int16)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Mixed inputs: .npy, .nii.gz, .mha, a DICOM series, a corrupt file."""
    folder = tmp_path / "in"
    folder.mkdir()
    np.save(folder / "a.npy", _volume(1))
    image = sitk.GetImageFromArray(_volume(2).astype(np.float32) * 0.5)
    image.SetSpacing((0.8, 0.8, 2.0))
    sitk.WriteImage(image, str(folder / "b.nii.gz"))
    sitk.WriteImage(sitk.GetImageFromArray(_volume(3)), str(folder / "c.mha"))
    dw.write_series(_volume(4), folder / "dicom", metadata={"PatientID": "SRC"})
    (folder / "broken.nii.gz").write_bytes(b"not an image at all")
    return folder


def _manifest(folder: Path, rows: list[dict[str, str]]) -> Path:
    path = folder / "manifest.csv"
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


ROWS = [
    {"input": "a.npy", "output": "a", "PatientID": "PA", "SeriesDescription": "from npy"},
    {"input": "b.nii.gz", "output": "b", "modality": "MR", "PatientID": "PB"},
    {"input": "broken.nii.gz", "output": "broken", "PatientID": "PX"},
    {"input": "c.mha", "output": "sub/c", "modality": "PT", "PatientID": "PC"},
    {"input": "dicom", "output": "d", "template": "dicom", "SeriesDescription": "derived"},
]


def _check_written(root: Path) -> None:
    expected = {"a": ("PA", _volume(1)), "sub/c": ("PC", _volume(3)), "d": ("SRC", _volume(4))}
    for output, (patient, data) in expected.items():
        report = dw.verify_series(root / output, data)
        assert report.ok, report.problems
        files = sorted((root / output).iterdir())
        assert pydicom.dcmread(files[0]).PatientID == patient
    assert pydicom.dcmread(sorted((root / "a").iterdir())[0]).SeriesDescription == "from npy"
    mr = pydicom.dcmread(sorted((root / "b").iterdir())[0])
    assert mr.Modality == "MR" and mr.PatientID == "PB"


def _statuses(report: dw.BatchReport) -> list[str]:
    return [r["status"] for r in report.results]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_pool_writes_every_row_in_manifest_order(inputs: Path, workers: int) -> None:
    root = inputs.parent / "out"
    report = dw.write_batch(_manifest(inputs, ROWS), root, workers=workers)
    assert _statuses(report) == ["written", "written", "failed", "written", "written"]
    assert [r["input"] for r in report.results] == [r["input"] for r in ROWS]
    assert report.results[2]["error"].startswith("InputError:")
    assert (report.written, report.skipped, report.failed, report.ok) == (4, 0, 1, False)
    assert not (root / "broken").exists()
    _check_written(root)
    json.dumps(report.to_dict())


def test_a_second_run_resumes_and_overwrite_rewrites(inputs: Path) -> None:
    root = inputs.parent / "out"
    manifest = _manifest(inputs, ROWS)
    dw.write_batch(manifest, root, workers=2)
    before = pydicom.dcmread(sorted((root / "a").iterdir())[0]).SeriesInstanceUID
    again = dw.write_batch(manifest, root, workers=2)
    assert _statuses(again) == ["skipped", "skipped", "failed", "skipped", "skipped"]
    assert pydicom.dcmread(sorted((root / "a").iterdir())[0]).SeriesInstanceUID == before
    forced = dw.write_batch(manifest, root, workers=2, overwrite=True)
    assert _statuses(forced) == ["written", "written", "failed", "written", "written"]
    assert pydicom.dcmread(sorted((root / "a").iterdir())[0]).SeriesInstanceUID != before
    _check_written(root)


def test_a_worker_killed_mid_job_fails_that_row_only(
    inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL inside a write (after 3 slices): that row fails, nothing partial, others go on."""
    real = jobs_module.write_series  # type: ignore[attr-defined]

    def write_then_die(image: Any, target: Path, **options: Any) -> Any:
        if Path(target).name == "b":
            options["progress"] = lambda done, total: (
                os.kill(os.getpid(), signal.SIGKILL) if done == 3 else None
            )
        return real(image, target, **options)

    monkeypatch.setattr(jobs_module, "write_series", write_then_die)  # inherited by the fork
    root = inputs.parent / "out"
    log = inputs.parent / "log.jsonl"
    report = dw.write_batch(_manifest(inputs, ROWS), root, workers=2, log=log)
    assert _statuses(report) == ["written", "failed", "failed", "written", "written"]
    assert "SIGKILL" in report.results[1]["error"]
    assert not (root / "b").exists()
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == sorted(
        ["a", "d", "sub"]
    ) or sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["a", "d", "sub"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(line["row"] for line in lines) == [1, 2, 3, 4, 5]
    monkeypatch.setattr(jobs_module, "write_series", real)
    rerun = dw.write_batch(_manifest(inputs, ROWS), root, workers=2)
    assert _statuses(rerun) == ["skipped", "written", "failed", "skipped", "skipped"]
    assert not [p for p in root.iterdir() if p.name.startswith(".b.")]  # debris removed


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"input": "a.npy"}], "no 'output' column"),
        ([{"output": "x"}], "no 'input' column"),
        ([{"input": "a.npy", "output": "x"}, {"input": "c.mha", "output": "x"}], "row 2.*row 1"),
        ([{"input": "a.npy", "output": "../escape"}], "row 1.*inside the output root"),
        ([{"input": "a.npy", "output": "/abs"}], "row 1.*inside the output root"),
        ([{"input": "a.npy", "output": "x", "PatientNam": "A"}], "PatientNam"),
        ([{"input": "a.npy", "output": "x", "StudyDate": "2024-13-45"}], "row 1.*StudyDate"),
        ([{"input": "a.npy", "output": "x", "modality": "XX"}], "row 1.*modality"),
        ([{"input": "", "output": "x"}], "row 1.*input cell is empty"),
    ],
)
def test_an_invalid_manifest_is_refused_with_nothing_written(
    inputs: Path, rows: list[dict[str, str]], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = inputs.parent / "out"
    monkeypatch.chdir(inputs)  # dict rows are relative to the current directory
    with pytest.raises((dw.InputError, dw.MetadataError), match=message):
        dw.write_batch(rows, root)
    assert not root.exists()


def test_cli_batch_exit_codes_json_and_log(
    inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _manifest(inputs, ROWS)
    root, log = inputs.parent / "out", inputs.parent / "log.jsonl"
    code = main(["batch", str(manifest), str(root), "--workers", "2", "--json", "--log", str(log)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["failed"] == 1 and out["written"] == 4
    assert len(log.read_text().splitlines()) == 5
    good = _manifest(inputs, [r for r in ROWS if r["input"] != "broken.nii.gz"])
    assert main(["batch", str(good), str(root)]) == 0
    assert "0 written, 4 skipped, 0 failed" in capsys.readouterr().out
    bad = inputs / "bad.csv"
    bad.write_text("input\na.npy\n")
    assert main(["batch", str(bad), str(root)]) == 2
    err = capsys.readouterr().err
    assert "no 'output' column" in err and "Traceback" not in err
    assert main(["batch", str(inputs / "missing.csv"), str(root)]) == 2


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    import distributed  # the [test] extra has it, CI included

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as local:  # fmt: skip
        yield local


def test_dask_cluster_writes_resumes_and_overwrites(inputs: Path, cluster: Any) -> None:
    root = inputs.parent / "out"
    manifest = _manifest(inputs, ROWS)
    report = dw.write_batch(manifest, root, scheduler=cluster.scheduler_address)
    assert _statuses(report) == ["written", "written", "failed", "written", "written"]
    _check_written(root)
    again = dw.write_batch(manifest, root, scheduler=cluster.scheduler_address)
    assert _statuses(again) == ["skipped", "skipped", "failed", "skipped", "skipped"]
    import distributed

    with distributed.Client(cluster.scheduler_address) as client:
        forced = dw.write_batch(manifest, root, scheduler=client, overwrite=True)
    assert _statuses(forced) == ["written", "written", "failed", "written", "written"]


def test_dask_worker_killed_mid_batch_leaves_no_partial_output(inputs: Path, cluster: Any) -> None:
    """A Dask worker killed while jobs run: its job is re-run elsewhere or failed."""
    import distributed

    rows = [
        {"input": str(inputs / "a.npy"), "output": f"many/{i}", "PatientID": f"P{i}"}
        for i in range(24)
    ]
    root = inputs.parent / "out"
    with distributed.Client(cluster.scheduler_address) as client:
        victim = next(iter(client.scheduler_info()["workers"]))

        def kill_soon() -> None:
            time.sleep(0.3)
            # The worker dies before it can answer: the call itself fails.
            with contextlib.suppress(Exception):
                client.run(os._exit, 1, workers=[victim])

        import threading

        killer = threading.Thread(target=kill_soon)
        killer.start()
        report = dw.write_batch(rows, root, scheduler=client)
        killer.join()
        deadline = time.monotonic() + 20  # the scheduler notices a dead worker soon
        while victim in client.scheduler_info()["workers"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert victim not in client.scheduler_info()["workers"]  # it did die
    # A job whose worker died after publishing is re-run elsewhere and finds its
    # series there: skipped (seen in CI), as a resumed batch would.
    assert report.written + report.skipped + report.failed == 24
    assert report.written >= 20
    for i, result in enumerate(report.results):
        target = root / "many" / str(i)
        if result["status"] in ("written", "skipped"):
            assert dw.verify_series(target, _volume(1)).ok
        else:
            assert not target.exists()
    cluster.scale(2)


def test_an_unreachable_scheduler_is_an_input_error(inputs: Path) -> None:
    from conftest import free_port

    with pytest.raises(dw.InputError, match="Dask scheduler"):
        dw.write_batch(
            [{"input": str(inputs / "a.npy"), "output": "x"}], inputs.parent / "out",
            scheduler=f"tcp://127.0.0.1:{free_port()}",
        )  # fmt: skip


def test_sigterm_to_the_batch_command_stops_it_cleanly(inputs: Path) -> None:
    """SIGTERM to ``dicomwriter batch``: exit 128+15, no traceback, no half-written series."""
    rows = [{"input": "a.npy", "output": f"many/{i}", "PatientID": f"P{i}"} for i in range(200)]
    manifest = _manifest(inputs, rows)
    root = inputs.parent / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "simpleitk_dicomwriter", "batch", str(manifest), str(root),
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while not (root / "many").is_dir() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    for target in (root / "many").iterdir():
        if not target.name.startswith("."):
            assert dw.verify_series(target, _volume(1)).ok, target
