"""Tests for ``dicomwriter info`` / ``preview`` (simpleitk_dicomwriter.info, .preview)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.uid import generate_uid

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.cli import main
from simpleitk_dicomwriter.info import describe_series, format_info, list_elements
from simpleitk_dicomwriter.preview import preview_image, series_window, write_preview


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in 64 x 64 x 32 CT phantom, spacing 0.8 x 0.8 x 2.5 mm."""
    out = tmp_path_factory.mktemp("example") / "ct"
    assert main(["write", "example:ct", str(out)]) == 0
    return out


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """A fresh 5-slice MR series the test may damage."""
    values = np.arange(5 * 4 * 3, dtype=np.int16).reshape(5, 4, 3)
    return dw.write_series(values, tmp_path / "mr", modality="MR", spacing=(1, 1, 2)).directory


def edit(path: Path, **changes: object) -> None:
    dataset = pydicom.dcmread(path)
    for keyword, value in changes.items():
        setattr(dataset, keyword, value)
    dataset.save_as(path)


# --- info ---------------------------------------------------------------------------------


def test_info_text(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", str(example)]) == 0
    text = capsys.readouterr().out
    assert "modality     CT" in text
    assert "CT Image Storage (1.2.840.10008.5.1.4.1.1.2)" in text
    assert "32 DICOM file(s), 32 slice(s)" in text
    assert "64 x 64 x 32" in text
    assert "0.8 x 0.8 x 2.5 mm" in text
    assert "-1000 to 700" in text
    assert "Phantom^Example" in text
    assert "consistency  ok" in text


def test_info_json(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", str(example), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["problems"] == []
    assert data["files"] == data["slices"] == 32
    assert data["modality"] == "CT"
    assert data["sop_class_name"] == "CT Image Storage"
    assert data["size"] == [64, 64, 32]
    assert data["spacing"] == pytest.approx([0.8, 0.8, 2.5])
    assert data["direction"] == pytest.approx(np.eye(3).ravel().tolist())
    assert (data["rescale_slope"], data["rescale_intercept"]) == (1.0, 0.0)
    assert data["value_range"] == [-1000.0, 700.0]
    assert data["patient_id"] == "EXAMPLE-CT"
    assert len(data["series_instance_uids"]) == 1


def test_info_oblique_geometry(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(np.ones((3, 4, 5), np.int16))
    image.SetDirection(sitk.VersorTransform((0.2, 1.0, 0.3), 0.7).GetMatrix())
    image.SetOrigin((3, -2, 8))
    out = dw.write_series(image, tmp_path / "s").directory
    info = describe_series(out)
    assert info.ok, info.problems
    assert np.allclose(info.direction or (), image.GetDirection(), atol=1e-6)
    assert np.allclose(info.origin or (), image.GetOrigin(), atol=1e-4)


def test_info_tags(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", str(example), "--tags"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "(0010,0010) PatientName PN Phantom^Example" in lines
    assert "(0008,0060) Modality CS CT" in lines
    assert "(0008,0008) ImageType CS DERIVED\\SECONDARY\\AXIAL" in lines
    assert "(0002,0010) TransferSyntaxUID UI 1.2.840.10008.1.2.1" in lines
    assert f"(7FE0,0010) PixelData OW <{64 * 64 * 2} bytes>" in lines


def test_list_elements_truncates_and_nests(tmp_path: Path, series: Path) -> None:
    path = sorted(series.iterdir())[0]
    dataset = pydicom.dcmread(path)
    dataset.ImageComments = "x" * 500
    item = pydicom.Dataset()
    item.CodeValue = "113076"
    dataset.DerivationCodeSequence = [item]
    dataset.save_as(path)
    elements = {e.keyword: e for e in list_elements(path)}
    assert len(elements["ImageComments"].value) <= 64
    assert elements["ImageComments"].value.endswith("...")
    assert elements["DerivationCodeSequence"].value == "<1 item(s)>"
    assert elements["CodeValue"].depth == 1
    assert str(elements["CodeValue"]).startswith("  (0008,0100) CodeValue SH 113076")


def test_info_several_series(series: Path) -> None:
    extra = series / "extra.dcm"
    shutil.copy(sorted(series.iterdir())[0], extra)
    edit(extra, SeriesInstanceUID=generate_uid(), SOPInstanceUID=generate_uid())
    info = describe_series(series)
    assert info.files == 6
    assert len(info.series_instance_uids) == 2
    assert any("2 (0020,000E) SeriesInstanceUID values" in p for p in info.problems)
    assert info.slices == 5  # the larger series is the one described


def test_info_duplicate_position(series: Path) -> None:
    copy = series / "0003b.dcm"
    shutil.copy(series / "0003.dcm", copy)
    edit(copy, SOPInstanceUID=generate_uid())
    problems = describe_series(series).problems
    assert any("duplicate slice position" in p and "(0020,0032)" in p for p in problems)


def test_info_gap(series: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (series / "0003.dcm").unlink()
    assert main(["info", str(series)]) == 0
    captured = capfd.readouterr()
    text = captured.out
    assert "uneven slice spacing along the normal: 2 to 4 mm" in text
    assert "0002.dcm and 0004.dcm" in text
    # Reported once, by info, without ITK's own warning on stderr as well.
    assert captured.err == ""


def test_info_differing_rows_and_orientation(series: Path) -> None:
    edit(series / "0002.dcm", Rows=8)
    edit(series / "0004.dcm", ImageOrientationPatient=[0, 1, 0, 1, 0, 0])
    problems = describe_series(series).problems
    assert any("(0028,0010) Rows differ" in p for p in problems)
    assert any("(0020,0037) ImageOrientationPatient differs" in p for p in problems)


def test_info_non_dicom_file(series: Path) -> None:
    (series / "notes.txt").write_text("not an image")
    info = describe_series(series)
    assert info.files == 5
    assert "1 non-DICOM file(s): notes.txt" in info.problems
    assert "problems     1" in format_info(info)


def test_info_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["info", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: {tmp_path / 'nowhere'} is not a directory",
        f"error: {tmp_path / 'empty'} holds no DICOM file",
    ]


# --- preview ------------------------------------------------------------------------------


def test_preview_png(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "preview.png"
    capsys.readouterr()
    assert main(["preview", str(example), str(png)]) == 0
    out = capsys.readouterr().out
    image = sitk.ReadImage(str(png))
    assert image.GetDimension() == 2
    assert image.GetPixelID() == sitk.sitkUInt8
    width, height = image.GetSize()
    assert f"{width} x {height} pixels" in out
    # Four views of 320 pixels with their margins: a picture a person can read.
    assert width >= 2 * 320 and height >= 2 * 320
    pixels = sitk.GetArrayFromImage(image)
    assert pixels.std() > 0


def _ink(pixels: np.ndarray, box: tuple[int, int, int, int]) -> int:
    top, bottom, left, right = box
    return int(np.count_nonzero(pixels[top:bottom, left:right] > 200))


def test_preview_labels_are_drawn(example: Path, tmp_path: Path) -> None:
    """Titles, edge letters and the footer put ink where the picture has none."""
    png = tmp_path / "p.png"
    assert main(["preview", str(example), str(png), "--size", "200"]) == 0
    pixels = sitk.GetArrayFromImage(sitk.ReadImage(str(png)))
    assert _ink(pixels, (0, 20, 0, 200)) > 20  # "axial, slice 17 of 32"
    assert _ink(pixels, (20, 42, 100, 150)) > 5  # "A" above the axial view
    assert _ink(pixels, (110, 150, 0, 22)) > 5  # "R" left of it
    assert _ink(pixels, (pixels.shape[0] - 48, pixels.shape[0], 0, 300)) > 40  # footer
    other = tmp_path / "q.png"
    assert main(["preview", str(example), str(other), "--slice", "3", "--window", "40", "400",
                 "--size", "200"]) == 0  # fmt: skip
    assert not np.array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(other))), pixels)
    assert main(["preview", str(example), str(other), "--slice", "99"]) == 2


def test_preview_of_a_2d_image(tmp_path: Path) -> None:
    ws = dw.write_series(np.random.default_rng(1).integers(0, 255, (40, 60)).astype(np.uint8),
                         tmp_path / "two", modality="OT", durable=False)  # fmt: skip
    png = tmp_path / "two.png"
    assert main(["preview", str(ws.directory), str(png)]) == 0
    width, height = sitk.ReadImage(str(png)).GetSize()
    assert width >= 320 and height >= 320


def test_preview_uses_series_window(example: Path) -> None:
    center, width = series_window(example) or (0.0, 0.0)
    assert center - width / 2 <= -1000 and center + width / 2 >= 700


def test_preview_patient_orientation() -> None:
    """The same anatomy in another voxel order gives the same picture."""
    values = np.zeros((6, 8, 10), np.float32)
    values[4, 1, 2] = 100  # superior, anterior, patient right in LPS index order
    lps = sitk.GetImageFromArray(values)
    lps.SetSpacing((1.0, 1.0, 1.0))
    # Flip x and y: stored in RAS voxel order, the same physical image.
    ras = sitk.GetImageFromArray(values[:, ::-1, ::-1].copy())
    ras.SetDirection((-1, 0, 0, 0, -1, 0, 0, 0, 1))
    ras.SetOrigin((9.0, 7.0, 0.0))
    window = (50.0, 100.0)
    expected = preview_image(lps, window)
    assert np.array_equal(preview_image(ras, window), expected)
    # In the MIP (bottom right) the head is at the top and patient right on the left.
    # Rows: max(axial 8, coronal 6) + 2; columns: max(axial 10, sagittal 8) + 2.
    mip = expected[10:, 12:]
    row, column = np.unravel_index(np.argmax(mip), mip.shape)
    assert (int(row), int(column)) == (6 - 1 - 4, 2)


def test_preview_anisotropic_pixels() -> None:
    image = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=(4, 10, 20)))
    image.SetSpacing((0.5, 1.0, 3.0))
    pixels = preview_image(image)
    # Square 0.5 mm pixels: axial 20 x 20, the others 20 wide and 4 x 3 / 0.5 = 24 high;
    # each row of the grid is as high as its highest panel.
    assert pixels.shape == (24 + 2 + 24, 20 + 2 + 20)


def test_preview_bad_output(example: Path, tmp_path: Path) -> None:
    with pytest.raises(dw.InputError, match="PNG"):
        write_preview(example, tmp_path / "x.jpg")
    assert main(["preview", str(example), str(tmp_path / "no" / "dir" / "x.png")]) == 2
    assert main(["preview", str(tmp_path), str(tmp_path / "x.png")]) == 2
