"""Run every script in ``examples/`` as a user would, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run_example(
    script: Path, *args: str | Path, tmpdir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_examples_are_there() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"numpy_to_ct.py", "float_series.py", "itk_pipeline.py", "ci_verify.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    result = run_example(script, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert any(tmp_path.rglob("*.dcm")), "the example wrote no DICOM file"


def test_numpy_to_ct_output(tmp_path: Path) -> None:
    import pydicom

    result = run_example(ROOT / "examples" / "numpy_to_ct.py", tmp_path)
    assert "verified: True" in result.stdout
    files = sorted((tmp_path / "ct").iterdir())
    assert len(files) == 40
    header = pydicom.dcmread(files[0], stop_before_pixels=True)
    assert str(header.PatientName) == "Doe^Jane"
    assert header.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"


def test_ci_verify_reports_both_outcomes(tmp_path: Path) -> None:
    result = run_example(ROOT / "examples" / "ci_verify.py", tmp_path)
    assert "untouched series: ok=True" in result.stdout
    assert "tampered series:  ok=False" in result.stdout


def test_example_default_output_is_a_temporary_directory(tmp_path: Path) -> None:
    result = run_example(ROOT / "examples" / "float_series.py", tmpdir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "max error reported" in result.stdout
    assert any(tmp_path.glob("float_series.*/float/*.dcm"))
