"""Derived series that join their template's study (template=)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.data import get_testdata_file

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter import MetadataError

PATIENT_AND_STUDY = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
    "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber",
    "ReferringPhysicianName",
)  # fmt: skip


def _volume(shape: tuple[int, int, int] = (4, 8, 9)) -> np.ndarray:
    return np.random.default_rng(1).normal(100, 30, shape).astype(np.float32)


@pytest.fixture
def template_series(tmp_path: Path) -> Path:
    """A three-slice CT series of its own study, written by the package itself."""
    source = tmp_path / "source"
    dw.write_series(
        np.arange(3 * 8 * 9, dtype=np.int16).reshape(3, 8, 9),
        source,
        spacing=(1.0, 1.0, 2.0),
        origin=(-4.0, -3.0, 10.0),
        metadata={
            "PatientName": "Doe^Jane",
            "PatientID": "P-001",
            "PatientBirthDate": "19700101",
            "PatientSex": "F",
            "StudyID": "S7",
            "AccessionNumber": "ACC42",
            "StudyDescription": "Source study",
            "SeriesNumber": 3,
        },
    )
    return source


def test_private_tags_of_the_template_stay_behind(tmp_path: Path) -> None:
    """MR_small.dcm has no private tags, so give it a private block of its own."""
    source = pydicom.dcmread(str(get_testdata_file("MR_small.dcm")))
    block = source.private_block(0x0029, "ACME RECON", create=True)
    block.add_new(0x10, "LO", "vendor secret")
    block.add_new(0x11, "DS", "1.5")
    path = tmp_path / "mr_private.dcm"
    source.save_as(path)
    assert [e.tag for e in pydicom.dcmread(path) if e.tag.is_private]  # the premise
    ws = dw.write_series(_volume(), tmp_path / "out", modality="MR", template=path)
    for f in ws.files:
        ds = pydicom.dcmread(f)
        assert not [e.tag for e in ds if e.tag.is_private]
        assert b"vendor secret" not in f.read_bytes()


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm"])
def test_real_file_template(tmp_path: Path, name: str) -> None:
    path = str(get_testdata_file(name))
    source = pydicom.dcmread(path)
    ws = dw.write_series(
        _volume(), tmp_path / "out", modality=name[:2], template=path,  # type: ignore[arg-type]
        metadata={"DerivationDescription": "Gaussian smoothing, sigma 1 mm"},
    )  # fmt: skip
    for f in ws.files:
        ds = pydicom.dcmread(f)
        for keyword in PATIENT_AND_STUDY:
            if keyword in source:
                assert str(ds.get(keyword)) == str(source.get(keyword)), keyword
        assert ds.SeriesInstanceUID != source.SeriesInstanceUID
        assert ds.SOPInstanceUID != source.SOPInstanceUID
        assert ds.FrameOfReferenceUID == source.FrameOfReferenceUID
        assert int(ds.SeriesNumber) != int(source.SeriesNumber)
        assert list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"]
        assert ds.DerivationDescription == "Gaussian smoothing, sigma 1 mm"
        (item,) = ds.SourceImageSequence
        assert item.ReferencedSOPInstanceUID == source.SOPInstanceUID
        assert item.ReferencedSOPClassUID == source.SOPClassUID
        assert not [e.tag for e in ds if e.tag.is_private]  # the template's stay behind
    assert ws.study_instance_uid == source.StudyInstanceUID


def test_directory_template_references_nearest_instances(
    tmp_path: Path, template_series: Path
) -> None:
    sources = {
        pydicom.dcmread(f).SOPInstanceUID: pydicom.dcmread(f) for f in template_series.iterdir()
    }
    # Six slices at 1 mm over the template's three slices at 2 mm.
    ws = dw.write_series(
        _volume((6, 8, 9)), tmp_path / "out", template=template_series,
        spacing=(1.0, 1.0, 1.0), origin=(-4.0, -3.0, 10.0),
    )  # fmt: skip
    first = next(iter(sources.values()))
    for f in ws.files:
        ds = pydicom.dcmread(f)
        assert ds.StudyInstanceUID == first.StudyInstanceUID
        assert ds.PatientName == "Doe^Jane" and ds.AccessionNumber == "ACC42"
        assert ds.FrameOfReferenceUID == first.FrameOfReferenceUID
        assert int(ds.SeriesNumber) == 1003
        uid = ds.SourceImageSequence[0].ReferencedSOPInstanceUID
        referenced = sources[uid]
        z = float(ds.ImagePositionPatient[2])
        nearest = min(sources.values(), key=lambda s: abs(float(s.ImagePositionPatient[2]) - z))
        assert abs(float(referenced.ImagePositionPatient[2]) - z) == pytest.approx(
            abs(float(nearest.ImagePositionPatient[2]) - z)
        )


def test_metadata_overrides_template(tmp_path: Path, template_series: Path) -> None:
    ws = dw.write_series(
        _volume(), tmp_path / "out", template=template_series,
        metadata={"PatientName": "Override^Name", "SeriesNumber": 77},
    )  # fmt: skip
    ds = pydicom.dcmread(ws.files[0])
    assert ds.PatientName == "Override^Name"
    assert int(ds.SeriesNumber) == 77
    assert ds.PatientID == "P-001"


def test_new_frame_of_reference_on_request(tmp_path: Path, template_series: Path) -> None:
    template_frame = pydicom.dcmread(next(template_series.iterdir())).FrameOfReferenceUID
    ws = dw.write_series(
        _volume(), tmp_path / "out", template=template_series, same_frame_of_reference=False
    )
    assert ws.frame_of_reference_uid != template_frame
    assert pydicom.dcmread(ws.files[0]).FrameOfReferenceUID == ws.frame_of_reference_uid


def test_dataset_and_sitk_image_templates(tmp_path: Path, template_series: Path) -> None:
    first = sorted(template_series.iterdir())[0]
    dataset = pydicom.dcmread(first)
    ws = dw.write_series(_volume(), tmp_path / "a", template=dataset)
    assert ws.study_instance_uid == dataset.StudyInstanceUID

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(first))
    reader.LoadPrivateTagsOn()
    image = reader.Execute()
    ws = dw.write_series(_volume(), tmp_path / "b", template=image)
    ds = pydicom.dcmread(ws.files[0])
    assert ds.StudyInstanceUID == dataset.StudyInstanceUID
    assert ds.PatientName == "Doe^Jane"
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == dataset.SOPInstanceUID


def test_template_with_non_ascii_patient_name(tmp_path: Path) -> None:
    source = tmp_path / "source"
    dw.write_series(
        np.zeros((2, 4, 4), np.int16), source, metadata={"PatientName": "Müller^Jürgen"}
    )
    ws = dw.write_series(_volume((2, 4, 4)), tmp_path / "out", template=source)
    ds = pydicom.dcmread(ws.files[0])
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.PatientName == "Müller^Jürgen"


def _assert_nothing_written(tmp_path: Path, out: Path, before: set[str]) -> None:
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == before


def test_text_file_template_is_metadata_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("this is not DICOM\n")
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(MetadataError, match="not a readable DICOM file"):
        dw.write_series(_volume(), tmp_path / "out", template=text)
    _assert_nothing_written(tmp_path, tmp_path / "out", before)


@pytest.mark.parametrize("keep", [0.5, 0.05, 0.01])
def test_truncated_template_is_metadata_error(tmp_path: Path, keep: float) -> None:
    data = Path(str(get_testdata_file("CT_small.dcm"))).read_bytes()
    truncated = tmp_path / "cut.dcm"
    truncated.write_bytes(data[: int(len(data) * keep)])
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(MetadataError, match=r"truncated|not a readable"):
        dw.write_series(_volume(), tmp_path / "out", template=truncated)
    _assert_nothing_written(tmp_path, tmp_path / "out", before)


def test_directory_with_two_series_is_metadata_error(tmp_path: Path, template_series: Path) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(template_series, mixed)
    other = dw.write_series(np.zeros((1, 4, 4), np.int16), tmp_path / "other")
    shutil.copy(other.files[0], mixed / "zz_other.dcm")
    with pytest.raises(MetadataError, match="holds 2 series") as info:
        dw.write_series(_volume(), tmp_path / "out", template=mixed)
    assert other.series_instance_uid in str(info.value)
    assert not (tmp_path / "out").exists()


def test_missing_template_and_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="no such file"):
        dw.write_series(_volume(), tmp_path / "out", template=tmp_path / "absent.dcm")
    with pytest.raises(MetadataError, match="template must be"):
        dw.write_series(_volume(), tmp_path / "out", template=42)  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="no DICOM metadata"):
        dw.write_series(_volume(), tmp_path / "out", template=sitk.Image(4, 4, sitk.sitkUInt8))


def test_same_modality_template_carries_the_acquisition(tmp_path: Path) -> None:
    path = str(get_testdata_file("MR_small.dcm"))
    source = pydicom.dcmread(path)
    ws = dw.write_series(_volume(), tmp_path / "mr", modality="MR", template=path, durable=False)
    ds = pydicom.dcmread(ws.files[0])
    for keyword in ("RepetitionTime", "EchoTime", "PatientPosition", "ScanningSequence",
                    "SequenceVariant"):  # fmt: skip
        assert keyword in source  # the premise
        assert str(ds[keyword].value) == str(source[keyword].value), keyword
    other = dw.write_series(_volume(), tmp_path / "ot", modality="OT", template=path, durable=False)
    ds = pydicom.dcmread(other.files[0])
    assert "RepetitionTime" not in ds and "PatientPosition" not in ds  # an OT says nothing of MR


def test_pet_template_carries_radiopharmaceutical_without_private_tags(tmp_path: Path) -> None:
    source = pydicom.dcmread(str(get_testdata_file("CT_small.dcm")))
    source.Modality = "PT"
    item = pydicom.Dataset()
    item.Radiopharmaceutical = "Fluorodeoxyglucose"
    item.RadionuclideTotalDose = "370000000"
    item.RadionuclideHalfLife = "6586.2"
    item.private_block(0x0011, "VENDOR", create=True).add_new(0x01, "LO", "secret")
    source.RadiopharmaceuticalInformationSequence = pydicom.Sequence([item])
    source.DecayCorrection = "START"
    ws = dw.write_series(np.abs(_volume()).astype(np.float32), tmp_path / "pt", modality="PT",
                         template=source, durable=False)  # fmt: skip
    ds = pydicom.dcmread(ws.files[0])
    (carried,) = ds.RadiopharmaceuticalInformationSequence
    assert carried.Radiopharmaceutical == "Fluorodeoxyglucose"
    assert float(carried.RadionuclideHalfLife) == 6586.2
    assert not [e for e in carried if e.tag.is_private]
    assert "RadionuclideCodeSequence" in carried  # Type 2, completed
    assert ds.DecayCorrection == "START"
