"""Tests for the ``dicomwriter`` command line (simpleitk_dicomwriter.cli)."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.cli import main
from simpleitk_dicomwriter.cli import write as write_command

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def command() -> list[str]:
    """The console script installed beside this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("dicomwriter")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simpleitk_dicomwriter"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [*command(), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """One ``error: ...`` line on stderr, the expected status, no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def volume() -> np.ndarray:
    return np.arange(3 * 6 * 5, dtype=np.int16).reshape(3, 6, 5) - 40


@pytest.fixture
def npy(tmp_path: Path, volume: np.ndarray) -> Path:
    path = tmp_path / "volume.npy"
    np.save(path, volume)
    return path


@pytest.fixture
def oblique_nifti(tmp_path: Path) -> Path:
    values = np.random.default_rng(1).normal(50, 20, size=(4, 7, 6)).astype(np.float32)
    image = sitk.GetImageFromArray(values)
    image.SetSpacing((0.7, 0.9, 2.2))
    image.SetOrigin((12.5, -30.0, 7.25))
    rotation = sitk.VersorTransform((1.0, 1.0, 0.5), 0.4)
    image.SetDirection(rotation.GetMatrix())
    path = tmp_path / "oblique.nii.gz"
    sitk.WriteImage(image, str(path))
    return path


@pytest.fixture(scope="module")
def example_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "ct"
    assert main(["write", "example:ct", str(out)]) == 0
    return out


# --- write ------------------------------------------------------------------------------


def test_write_example_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ct"
    assert main(["write", "example:ct", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"wrote 32 files to {out}" in text
    assert "CT Image Storage" in text
    assert "verified    yes" in text
    assert len(list(out.glob("*.dcm"))) == 32
    header = pydicom.dcmread(sorted(out.iterdir())[0], stop_before_pixels=True)
    assert str(header.PatientName) == "Phantom^Example"


def test_write_json_matches_report(
    tmp_path: Path, npy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert main(["write", str(npy), str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["directory"] == str(out.absolute())
    assert data["files"] == 3
    assert data["sop_class_uid"] == CT_STORAGE
    assert (data["rescale_slope"], data["rescale_intercept"]) == (1.0, 0.0)
    assert data["max_error"] == 0.0
    report = dw.verify_series(out, np.load(npy)).to_dict()
    assert data["report"]["ok"] is True
    for key in ("problems", "files", "series_instance_uid", "max_abs_error"):
        assert data["report"][key] == report[key]
    assert data["series_instance_uid"] == report["series_instance_uid"]
    for key in ("study_instance_uid", "frame_of_reference_uid"):
        assert data[key].startswith("2.25.")


def test_write_no_verify_json_report_is_null(
    tmp_path: Path, npy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["write", str(npy), str(tmp_path / "s"), "--json", "--no-verify"]) == 0
    assert json.loads(capsys.readouterr().out)["report"] is None


def test_npy_with_geometry(tmp_path: Path, npy: Path) -> None:
    out = tmp_path / "s"
    args = ["--spacing", "0.5", "0.75", "3", "--origin", "1", "2", "3"]
    args += ["--direction", "0", "1", "0", "1", "0", "0", "0", "0", "-1"]
    assert main(["write", str(npy), str(out), *args]) == 0
    image = dw.read_series(out)
    # A left-handed direction comes back right-handed with the slices reversed.
    reference = sitk.GetImageFromArray(np.load(npy))
    reference.SetSpacing((0.5, 0.75, 3))
    reference.SetOrigin((1, 2, 3))
    reference.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, -1))
    assert dw.verify_series(out, reference).ok
    assert np.allclose(image.GetSpacing(), (0.5, 0.75, 3))


def test_nifti_oblique_geometry_round_trips(tmp_path: Path, oblique_nifti: Path) -> None:
    out = tmp_path / "s"
    assert main(["write", str(oblique_nifti), str(out), "--modality", "mr"]) == 0
    source = sitk.ReadImage(str(oblique_nifti))  # SimpleITK converts NIfTI's RAS to LPS
    back = dw.read_series(out)
    assert back.GetSize() == source.GetSize()
    assert np.allclose(back.GetSpacing(), source.GetSpacing(), atol=1e-5)
    assert np.allclose(back.GetOrigin(), source.GetOrigin(), atol=1e-4)
    assert np.allclose(back.GetDirection(), source.GetDirection(), atol=1e-6)
    error = np.abs(sitk.GetArrayFromImage(back) - sitk.GetArrayFromImage(source)).max()
    header = pydicom.dcmread(sorted(out.iterdir())[0], stop_before_pixels=True)
    assert header.Modality == "MR"
    assert error <= float(header.RescaleSlope) / 2 + 1e-9


def test_dicom_series_directory_input(tmp_path: Path, example_series: Path) -> None:
    out = tmp_path / "copy"
    assert main(["write", str(example_series), str(out), "--modality", "OT"]) == 0
    assert dw.verify_series(out, dw.read_series(example_series)).ok


def test_set_multi_valued_and_tag_keys(
    tmp_path: Path, npy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    args = ["--set", "ImageType=DERIVED\\SECONDARY\\MPR", "--set", "0008|103e=Reformatted"]
    args += ["--set", "PatientName=Doe^Jane", "--set", "ImageComments=a\\b is one text"]
    assert main(["write", str(npy), str(out), *args]) == 0
    header = pydicom.dcmread(sorted(out.iterdir())[0], stop_before_pixels=True)
    assert list(header.ImageType) == ["DERIVED", "SECONDARY", "MPR"]
    assert header.SeriesDescription == "Reformatted"
    assert str(header.PatientName) == "Doe^Jane"
    assert header.ImageComments == "a\\b is one text"  # LT: a backslash is just a character


def test_explicit_rescale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "f.npy"
    np.save(path, np.linspace(-5, 5, 2 * 3 * 4).reshape(2, 3, 4))
    out = tmp_path / "s"
    assert main(["write", str(path), str(out), "--rescale", "0.5", "-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["rescale_slope"], data["rescale_intercept"]) == (0.5, -10.0)
    assert data["max_error"] <= 0.25


def test_template_joins_the_study(tmp_path: Path, npy: Path, example_series: Path) -> None:
    out = tmp_path / "derived"
    assert main(["write", str(npy), str(out), "--template", str(example_series)]) == 0
    new = pydicom.dcmread(sorted(out.iterdir())[0], stop_before_pixels=True)
    old = pydicom.dcmread(sorted(example_series.iterdir())[0], stop_before_pixels=True)
    assert new.StudyInstanceUID == old.StudyInstanceUID
    assert new.SeriesInstanceUID != old.SeriesInstanceUID
    assert str(new.PatientName) == str(old.PatientName)


def test_modality_pt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pet.npy"
    np.save(path, np.random.default_rng(2).uniform(0, 5000, (2, 4, 4)))
    assert main(["write", str(path), str(tmp_path / "s"), "--modality", "PT", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sop_class_uid"] == "1.2.840.10008.5.1.4.1.1.128"


def test_progress_only_on_a_terminal(
    tmp_path: Path, npy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["write", str(npy), str(tmp_path / "a")]) == 0
    assert "writing slice" not in capsys.readouterr().err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["write", str(npy), str(tmp_path / "b")]) == 0
    assert "writing slice 3/3" in terminal.getvalue()
    terminal.truncate(0)
    assert main(["write", str(npy), str(tmp_path / "c"), "--json"]) == 0
    assert "writing slice" not in terminal.getvalue()


def test_verification_failure_exits_1(
    tmp_path: Path, npy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = dw.VerificationReport(ok=False, problems=["values differ by up to 3"])

    def failing(*args: object, **kwargs: object) -> dw.WrittenSeries:
        raise dw.VerificationError("the written series does not round-trip", report)

    monkeypatch.setattr(write_command, "write_series", failing)
    assert main(["write", str(npy), str(tmp_path / "s")]) == 1
    assert capsys.readouterr().err.startswith("error: the written series does not round-trip")
    assert main(["write", str(npy), str(tmp_path / "s"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["report"]["problems"] == ["values differ by up to 3"]


# --- bad input: exit 2, one line, no traceback -------------------------------------------


def test_nan_array(tmp_path: Path) -> None:
    path = tmp_path / "nan.npy"
    np.save(path, np.array([[[1.0, math.nan], [0.0, 2.0]]]))
    line = assert_clean_error(run("write", path, tmp_path / "out"))
    assert "nan" in line
    assert not (tmp_path / "out").exists()


def test_missing_input(tmp_path: Path) -> None:
    line = assert_clean_error(run("write", tmp_path / "missing.nii.gz", tmp_path / "out"))
    assert "missing.nii.gz" in line


def test_invalid_set_value(tmp_path: Path, npy: Path) -> None:
    result = run("write", npy, tmp_path / "out", "--set", "StudyDate=2020-01-01")
    line = assert_clean_error(result)
    assert line == "error: (0008,0020) StudyDate: '2020-01-01' is not a valid DA (YYYYMMDD)"


def test_unknown_keyword(tmp_path: Path, npy: Path) -> None:
    line = assert_clean_error(run("write", npy, tmp_path / "out", "--set", "NoSuchThing=1"))
    assert "NoSuchThing" in line


def test_non_empty_output(tmp_path: Path, npy: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    line = assert_clean_error(run("write", npy, out))
    assert "--overwrite" in line
    assert (out / "keep.txt").read_text() == "precious"
    # --overwrite replaces a DICOM series only: a note beside it is not ours to delete.
    line = assert_clean_error(run("write", npy, out, "--overwrite"))
    assert "keep.txt" in line and "not" in line
    assert sorted(os.listdir(out)) == ["keep.txt"]
    (out / "keep.txt").unlink()
    assert run("write", npy, out).returncode == 0
    first = sorted(os.listdir(out))
    assert run("write", npy, out, "--overwrite").returncode == 0
    assert sorted(os.listdir(out)) == first


def test_geometry_options_need_npy(tmp_path: Path, oblique_nifti: Path) -> None:
    line = assert_clean_error(run("write", oblique_nifti, tmp_path / "o", "--spacing", "1", "1"))
    assert "--spacing" in line and ".npy" in line


def test_bad_direction_count(tmp_path: Path, npy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["write", str(npy), str(tmp_path / "o"), "--direction", "1", "0", "0"]) == 2
    assert "--direction takes 9 numbers" in capsys.readouterr().err


def test_unknown_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["write", "example:nope", str(tmp_path / "o")]) == 2
    assert "example:ct" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    path = tmp_path / "nan.npy"
    np.save(path, np.full((1, 2, 2), math.nan))
    result = run("--debug", "write", path, tmp_path / "out")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "InputError" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["write", "only-input"],
        ["write", "in.npy", "out", "--set", "NoEqualsSign"],
        ["write", "in.npy", "out", "--modality", "US"],
        ["verify", "dir"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2


def test_console_script_write_and_version(tmp_path: Path) -> None:
    result = run("write", "example:ct", tmp_path / "ct", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"] == 32
    assert result.stderr == ""  # not a terminal: no progress
    version = run("--version")
    assert version.returncode == 0
    assert dw.__version__ in version.stdout


# --- verify -------------------------------------------------------------------------------


@pytest.fixture
def written(tmp_path: Path, npy: Path) -> Path:
    out = tmp_path / "series"
    assert main(["write", str(npy), str(out)]) == 0
    return out


def test_verify_ok(written: Path, npy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["verify", str(written), "--reference", str(npy)]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {written} holds {npy}")


def test_verify_json(written: Path, npy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["verify", str(written), "--reference", str(npy), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = dw.verify_series(written, npy).to_dict()
    assert data == expected


def test_verify_tampered_pixel(written: Path, npy: Path) -> None:
    path = sorted(written.iterdir())[1]
    dataset = pydicom.dcmread(path)
    pixels = dataset.pixel_array.copy()
    pixels[2, 3] += 7
    dataset.PixelData = pixels.tobytes()
    dataset.save_as(path)
    result = run("verify", written, "--reference", npy)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED")
    assert "values differ by up to 7" in result.stdout
    data = json.loads(run("verify", written, "--reference", npy, "--json").stdout)
    assert data["ok"] is False and any("values differ" in p for p in data["problems"])


def test_verify_deleted_file(written: Path, npy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sorted(written.iterdir())[1].unlink()
    capsys.readouterr()
    assert main(["verify", str(written), "--reference", str(npy)]) == 1
    assert "2 files for 3 slices" in capsys.readouterr().out


def test_verify_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = np.linspace(0, 1, 2 * 3 * 3).reshape(2, 3, 3)
    path = tmp_path / "f.npy"
    np.save(path, values)
    out = tmp_path / "s"
    assert main(["write", str(path), str(out)]) == 0
    assert main(["verify", str(out), "--reference", str(path), "--tolerance", "0"]) == 1
    assert main(["verify", str(out), "--reference", str(path), "--tolerance", "-1"]) == 2


def test_verify_npy_reference_geometry(
    tmp_path: Path, npy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert main(["write", str(npy), str(out), "--spacing", "2", "2", "4"]) == 0
    assert main(["verify", str(out), "--reference", str(npy)]) == 1
    assert main(["verify", str(out), "--reference", str(npy), "--spacing", "2", "2", "4"]) == 0


def test_verify_bad_input_exits_2(tmp_path: Path, written: Path, npy: Path) -> None:
    assert_clean_error(run("verify", tmp_path / "nowhere", "--reference", npy))
    assert_clean_error(run("verify", written, "--reference", tmp_path / "missing.nrrd"))
