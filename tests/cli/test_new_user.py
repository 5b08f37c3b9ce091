"""The command line as a new user meets it: mixed folders, DICOM inputs as templates,
several series, misspelled keywords, JSON failures, quiet stderr, JSON metadata."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import simpleitk_dicomwriter as dw


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("dicomwriter")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "simpleitk_dicomwriter"]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=180,
        check=False,
    )  # fmt: skip


def clean_failure(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def ct_series(tmp_path: Path) -> Path:
    array = np.random.default_rng(0).integers(-1000, 2000, (4, 16, 16)).astype(np.int16)
    dw.write_series(array, tmp_path / "ct", spacing=(0.7, 0.7, 2.0), durable=False,
                    metadata={"PatientID": "P-42", "SeriesDescription": "source CT"})  # fmt: skip
    return tmp_path / "ct"


def test_an_rt_dose_beside_a_ct_series_is_skipped(tmp_path: Path, ct_series: Path) -> None:
    shutil.copy(str(get_testdata_file("rtdose.dcm")), ct_series / "dose.dcm")
    info = run("info", ct_series)
    assert info.returncode == 0, info.stderr
    assert "Traceback" not in info.stderr
    written = run("write", ct_series, tmp_path / "out")
    assert written.returncode == 0, written.stderr
    assert len(list((tmp_path / "out").iterdir())) == 4
    preview = run("preview", ct_series, tmp_path / "p.png")
    assert preview.returncode == 0, preview.stderr


def test_pydicoms_test_file_folder_is_one_line(tmp_path: Path) -> None:
    folder = Path(str(get_testdata_file("CT_small.dcm"))).parent
    for command in (("info", folder), ("write", folder, tmp_path / "o"),
                    ("preview", folder, tmp_path / "p.png")):  # fmt: skip
        result = run(*command)
        assert result.returncode in (0, 2), result.stderr
        assert "Traceback" not in result.stderr
        if result.returncode == 2:
            assert "series" in clean_failure(result)


def test_a_dicom_input_is_also_the_template(tmp_path: Path, ct_series: Path) -> None:
    source = pydicom.dcmread(next(ct_series.iterdir()))
    assert run("write", ct_series, tmp_path / "derived").returncode == 0
    derived = pydicom.dcmread(next((tmp_path / "derived").iterdir()))
    assert derived.StudyInstanceUID == source.StudyInstanceUID
    assert derived.PatientID == "P-42"
    assert derived.SeriesInstanceUID != source.SeriesInstanceUID
    assert run("write", ct_series, tmp_path / "new", "--no-template").returncode == 0
    new = pydicom.dcmread(next((tmp_path / "new").iterdir()))
    assert new.StudyInstanceUID != source.StudyInstanceUID


def test_writing_over_the_input_or_template_is_refused(tmp_path: Path, ct_series: Path) -> None:
    before = {p.name: p.read_bytes() for p in ct_series.iterdir()}
    line = clean_failure(run("write", ct_series, ct_series, "--overwrite", "--template", ct_series))
    assert "source" in line
    line = clean_failure(run("write", "example:ct", ct_series, "--overwrite",
                             "--template", ct_series))  # fmt: skip
    assert {p.name: p.read_bytes() for p in ct_series.iterdir()} == before


def test_example_names_yield_to_the_template(tmp_path: Path) -> None:
    template = str(get_testdata_file("CT_small.dcm"))
    assert run("write", "example:ct", tmp_path / "out", "--template", template).returncode == 0
    ds = pydicom.dcmread(next((tmp_path / "out").iterdir()))
    source = pydicom.dcmread(template)
    assert ds.PatientID == source.PatientID and ds.PatientName == source.PatientName
    assert ds.StudyInstanceUID == source.StudyInstanceUID


def test_a_folder_of_several_series_takes_series_uid(tmp_path: Path, ct_series: Path) -> None:
    other = dw.write_series(np.zeros((2, 16, 16), np.int16), tmp_path / "other", durable=False,
                            metadata={"SeriesDescription": "other one"})  # fmt: skip
    mixed = tmp_path / "mixed"
    shutil.copytree(ct_series, mixed)
    for f in other.files:
        shutil.copy(f, mixed / f"x{f.name}")
    line = clean_failure(run("write", mixed, tmp_path / "out"))
    assert other.series_instance_uid in line and "other one" in line and "2 files" in line
    uid = other.series_instance_uid
    assert run("write", mixed, tmp_path / "out", "--series-uid", uid).returncode == 0
    assert len(list((tmp_path / "out").iterdir())) == 2
    info = run("info", mixed, "--series-uid", uid, "--json")
    assert json.loads(info.stdout)["series_instance_uids"][0] == uid
    assert run("preview", mixed, tmp_path / "p.png", "--series-uid", uid).returncode == 0
    verify = run("verify", tmp_path / "out", "--reference", mixed, "--series-uid", uid)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_verify_takes_an_example_and_read_series_a_file(tmp_path: Path) -> None:
    assert run("write", "example:ct", tmp_path / "ex").returncode == 0
    result = run("verify", tmp_path / "ex", "--reference", "example:ct")
    assert result.returncode == 0, result.stdout + result.stderr
    single = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "one", durable=False)
    assert dw.read_series(single.files[0]).GetSize()[:2] == (4, 4)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("PatientNmae", "PatientName"), ("SeriesDescripton", "SeriesDescription"),
     ("patientid", "PatientID")],
)  # fmt: skip
def test_misspelled_keywords_get_a_suggestion(tmp_path: Path, typo: str, suggestion: str) -> None:
    line = clean_failure(run("write", "example:ct", tmp_path / "o", "--set", f"{typo}=x"))
    assert f"did you mean '{suggestion}'" in line
    assert not (tmp_path / "o").exists()


def test_json_failures_are_json_on_stdout(tmp_path: Path) -> None:
    result = run("write", "example:ct", tmp_path / "o", "--set", "StudyDate=2020-01-01", "--json")
    clean_failure(result)
    report = json.loads(result.stdout)
    assert report["ok"] is False and "StudyDate" in report["error"]


def test_library_warnings_stay_off_stderr_unless_verbose(tmp_path: Path) -> None:
    ws = dw.write_series(np.zeros((5, 8, 8), np.int16), tmp_path / "gap", durable=False)
    ws.files[2].unlink()  # a missing slice: ITK warns about non-uniform sampling
    quiet = run("info", tmp_path / "gap")
    assert quiet.stderr == "", quiet.stderr
    assert "uneven slice spacing" in quiet.stdout  # our own note says it
    loud = run("info", tmp_path / "gap", "-v")
    assert "WARNING" in loud.stderr or loud.stderr == ""  # ITK may word it its own way


def test_metadata_from_json_and_sequences_on_the_command_line(tmp_path: Path) -> None:
    metadata = tmp_path / "meta.json"
    metadata.write_text(json.dumps({
        "PatientID": "J-1",
        "ReferencedImageSequence": [{"ReferencedSOPClassUID": "1.2.840.10008.5.1.4.1.1.2",
                                     "ReferencedSOPInstanceUID": "1.2.3.4"}],
    }))  # fmt: skip
    sequence = json.dumps([{"CodeValue": "T-D0050", "CodingSchemeDesignator": "SRT",
                            "CodeMeaning": "Tissue"}])  # fmt: skip
    result = run("write", "example:ct", tmp_path / "o", "--metadata", metadata, "--set",
                 f"AnatomicRegionSequence={sequence}", "--set", "PatientID=J-2")  # fmt: skip
    assert result.returncode == 0, result.stderr
    ds = pydicom.dcmread(next((tmp_path / "o").iterdir()))
    assert ds.PatientID == "J-2"  # --set wins
    assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"
    assert ds.AnatomicRegionSequence[0].CodeMeaning == "Tissue"
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert "not valid JSON" in clean_failure(run("write", "example:ct", tmp_path / "b",
                                                 "--metadata", bad))  # fmt: skip
