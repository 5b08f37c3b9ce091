"""A series written as a DICOM file-set for a CD or USB stick (``dicomdir=True``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from conftest import dciodvfy_errors, require_tool
from pydicom.fileset import FileSet, is_conformant_file_id

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.cli import main

PATIENT = {"PatientID": "P0042", "PatientName": "Media^Test"}


def _volume() -> np.ndarray:
    return np.random.default_rng(3).integers(-1000, 2000, (5, 12, 9)).astype(np.int16)


@pytest.fixture(scope="module")
def fileset(tmp_path_factory: pytest.TempPathFactory) -> dw.WrittenSeries:
    out = tmp_path_factory.mktemp("media") / "cd"
    return dw.write_series(_volume(), out, metadata=PATIENT, dicomdir=True, spacing=(0.8, 0.8, 2.0))


def test_layout_is_a_dicomdir_over_conformant_file_ids(fileset: dw.WrittenSeries) -> None:
    root = fileset.directory
    assert (root / "DICOMDIR").is_file()
    assert fileset.report is not None and fileset.report.ok
    listed = FileSet(pydicom.dcmread(root / "DICOMDIR"))
    paths = sorted(Path(i.path) for i in listed)
    assert paths == sorted(fileset.files)
    for path in fileset.files:
        assert path.is_file()
        relative = path.relative_to(root)
        assert is_conformant_file_id(relative), relative
        assert all(len(c) <= 8 and c == c.upper() for c in relative.parts)
    every_file = sorted(Path(d, f) for d, _, fs in os.walk(root) for f in fs)
    assert every_file == sorted([*fileset.files, root / "DICOMDIR"])


def test_files_are_explicit_vr_with_study_id_and_in_slice_order(
    fileset: dw.WrittenSeries,
) -> None:
    numbers = []
    for path in fileset.files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert ds.StudyID and ds.PatientID == "P0042"
        numbers.append(int(ds.InstanceNumber))
    assert numbers == list(range(1, len(fileset.files) + 1))


def test_dcmmkdir_accepts_the_files_for_the_general_purpose_profile(
    fileset: dw.WrittenSeries, tmp_path: Path
) -> None:
    tool = require_tool("dcmmkdir", system=True)
    made = tmp_path / "DICOMDIR"
    result = subprocess.run(
        [tool, "--general-purpose", "+r", "+D", str(made), "+id", str(fileset.directory),
         "PT000000"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0 and made.is_file(), output
    assert "E:" not in output, output


def test_dciodvfy_finds_no_error_in_dicomdir_or_files(fileset: dw.WrittenSeries) -> None:
    require_tool("dciodvfy")
    assert dciodvfy_errors([fileset.directory / "DICOMDIR", *fileset.files]) == []


def test_read_series_and_verify_series_read_the_folder(fileset: dw.WrittenSeries) -> None:
    image = dw.read_series(fileset.directory)
    assert np.array_equal(sitk.GetArrayFromImage(image), _volume())
    assert image.GetSpacing() == pytest.approx((0.8, 0.8, 2.0))
    report = dw.verify_series(fileset.directory, _volume(), spacing=(0.8, 0.8, 2.0))
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("syntax", "profile"),
    [("jpeg-lossless", "--general-dvd-jpeg"), ("jpeg2000-lossless", "--general-dvd-j2k")],
)
def test_compressed_file_sets_pass_their_dvd_profile(
    tmp_path: Path, syntax: str, profile: str
) -> None:
    tool = require_tool("dcmmkdir", system=True)
    ws = dw.write_series(
        _volume(), tmp_path / "dvd", metadata=PATIENT, dicomdir=True, transfer_syntax=syntax
    )
    made = tmp_path / "DICOMDIR"
    result = subprocess.run(
        [tool, profile, "+r", "+D", str(made), "+id", str(ws.directory), "PT000000"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and made.is_file(), result.stdout + result.stderr


def test_without_patient_id_it_is_a_metadata_error(tmp_path: Path) -> None:
    with pytest.raises(dw.MetadataError, match=r"\(0010,0020\) PatientID"):
        dw.write_series(_volume(), tmp_path / "cd", dicomdir=True)
    assert list(tmp_path.iterdir()) == []


def test_implicit_vr_on_media_is_refused(tmp_path: Path) -> None:
    with pytest.raises(dw.InputError, match="Explicit VR"):
        dw.write_series(
            _volume(), tmp_path / "cd", metadata=PATIENT, dicomdir=True, transfer_syntax="implicit"
        )
    assert list(tmp_path.iterdir()) == []


def test_patient_id_from_a_template_is_enough(tmp_path: Path) -> None:
    source = dw.write_series(_volume(), tmp_path / "source", metadata=PATIENT)
    ws = dw.write_series(_volume(), tmp_path / "cd", template=source.directory, dicomdir=True)
    assert pydicom.dcmread(ws.files[0]).PatientID == "P0042"


def test_overwrite_replaces_a_file_set_and_refuses_foreign_content(tmp_path: Path) -> None:
    out = tmp_path / "cd"
    first = dw.write_series(_volume(), out, metadata=PATIENT, dicomdir=True)
    second = dw.write_series(_volume(), out, metadata=PATIENT, dicomdir=True, overwrite=True)
    assert first.series_instance_uid != second.series_instance_uid
    assert sorted(p.name for p in out.iterdir()) == ["DICOMDIR", "PT000000"]
    assert dw.read_series(out).GetSize() == (9, 12, 5)
    (out / "PT000000" / "notes.txt").write_text("mine")
    with pytest.raises(dw.OutputError, match=r"not a DICOM file \(PT000000/\)"):
        dw.write_series(_volume(), out, metadata=PATIENT, dicomdir=True, overwrite=True)
    assert (out / "PT000000" / "notes.txt").read_text() == "mine"


def test_cli_writes_a_file_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "in.npy", _volume())
    code = main(["write", str(tmp_path / "in.npy"), str(tmp_path / "cd"), "--dicomdir",
                 "--set", "PatientID=X9", "--transfer-syntax", "jpeg-ls-lossless"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    files = sorted((tmp_path / "cd").rglob("IM*"))
    assert len(files) == 5
    ds = pydicom.dcmread(files[0])
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.JPEGLSLossless
    assert main(["verify", str(tmp_path / "cd"), "--reference", str(tmp_path / "in.npy")]) == 0


def test_cli_refuses_a_lossy_syntax_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "in.npy", _volume())
    code = main(["write", str(tmp_path / "in.npy"), str(tmp_path / "out"),
                 "--transfer-syntax", "1.2.840.10008.1.2.4.50"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "lossy" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_info_describes_a_compressed_file_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dw.write_series(_volume(), tmp_path / "cd", metadata=PATIENT, dicomdir=True,
                    transfer_syntax="jpeg-ls-lossless")  # fmt: skip
    assert main(["info", str(tmp_path / "cd")]) == 0
    text = capsys.readouterr().out
    assert "JPEG-LS Lossless Image Compression (1.2.840.10008.1.2.4.80)" in text
    assert "5 DICOM file(s), 5 slice(s)" in text and "consistency  ok" in text
    assert main(["info", str(tmp_path / "cd"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["transfer_syntax_uid"] == "1.2.840.10008.1.2.4.80" and data["ok"]
