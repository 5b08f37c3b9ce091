"""What users see of the output directory and of errors: atomic output, error
classes and messages, verify_series / read_series on good and tampered series."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

import simpleitk_dicomwriter as dw
import simpleitk_dicomwriter.engine.slices as slices_module
import simpleitk_dicomwriter.write as writer_module
from simpleitk_dicomwriter import (
    DicomWriterError,
    InputError,
    MetadataError,
    OutputError,
    VerificationError,
    VerificationReport,
)

SHAPE = (6, 16, 20)


def volume(dtype: str = "int16", shape: tuple[int, ...] = SHAPE) -> np.ndarray:
    rng = np.random.default_rng(11)
    if dtype.startswith("float"):
        return rng.uniform(-100, 400, shape).astype(dtype)
    return rng.integers(-1000, 3000, shape).astype(dtype)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Relative path -> content of every file below ``directory`` (dirs as b'<dir>')."""
    found: dict[str, bytes] = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), directory)] = b"<dir>"
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, directory)] = Path(path).read_bytes()
    return found


def fill_old(directory: Path, count: int = 10) -> dict[str, bytes]:
    """An old DICOM series of ``count`` files, named unlike the writer's, in ``directory``."""
    scratch = directory.with_name(directory.name + "-scratch")
    old = dw.write_series(volume(shape=(count, 4, 5)), scratch, durable=False)
    directory.mkdir(parents=True)
    for i, path in enumerate(old.files):
        path.rename(directory / f"old_{i:02d}.dcm")
    scratch.rmdir()
    return snapshot(directory)


def fail_slice(
    monkeypatch: pytest.MonkeyPatch, on_call: int, exception: type[BaseException]
) -> list[int]:
    """Make the engine's encoding of a slice raise ``exception`` on its ``on_call``-th
    slice (as a codec would); the calls made."""
    original = slices_module._pixel_data
    calls: list[int] = []

    def pixel_data(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == on_call:
            raise exception("simulated failure")
        return original(*args)

    monkeypatch.setattr(slices_module, "_pixel_data", pixel_data)
    return calls


def failing_report(*_: object, **__: object) -> VerificationReport:
    return VerificationReport(ok=False, problems=["injected mismatch"], max_abs_error=5.0)


# --------------------------------------------------------------------------- atomic output


def test_non_empty_directory_without_overwrite_is_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = fill_old(out)
    parent_before = sorted(os.listdir(tmp_path))
    with pytest.raises(OutputError) as info:
        dw.write_series(volume(), out)
    assert str(out.name) in str(info.value)
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == parent_before


def test_existing_empty_directory_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    ws = dw.write_series(volume(), out)
    assert sorted(os.listdir(out)) == [f.name for f in ws.files]
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_overwrite_leaves_no_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fill_old(out, count=10)
    ws = dw.write_series(volume(shape=(3, 16, 20)), out, overwrite=True)
    assert len(os.listdir(out)) == 3
    assert sorted(os.listdir(out)) == sorted(f.name for f in ws.files)
    for f in ws.files:
        assert pydicom.dcmread(f).SeriesInstanceUID == ws.series_instance_uid
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_overwrite_replaces_an_earlier_series(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = dw.write_series(volume(shape=(8, 16, 20)), out)
    second = dw.write_series(volume(shape=(2, 16, 20)), out, overwrite=True)
    assert first.series_instance_uid != second.series_instance_uid
    assert len(os.listdir(out)) == 2
    ids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(out))
    assert list(ids) == [second.series_instance_uid]


def test_output_path_that_is_a_file_is_an_output_error(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_bytes(b"not a directory")
    with pytest.raises(OutputError):
        dw.write_series(volume(), target)
    assert target.read_bytes() == b"not a directory"
    assert sorted(os.listdir(tmp_path)) == ["out"]


FAILURES: dict[str, tuple[type[Exception], Callable[[Path], object]]] = {
    "nan": (InputError, lambda out: dw.write_series(np.full(SHAPE, np.nan, np.float32), out)),
    "bad_metadata": (
        MetadataError,
        lambda out: dw.write_series(volume(), out, metadata={"StudyDate": "2020-01-01"}),
    ),
    "unknown_keyword": (
        MetadataError,
        lambda out: dw.write_series(volume(), out, metadata={"PatientNmae": "x"}),
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failure_leaves_nothing(tmp_path: Path, case: str) -> None:
    error, call = FAILURES[case]
    out = tmp_path / "sub" / "out"
    (tmp_path / "sub").mkdir()
    with pytest.raises(error):
        call(out)
    assert not out.exists()
    assert os.listdir(tmp_path / "sub") == []


def test_verification_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "compare", failing_report)
    out = tmp_path / "out"
    with pytest.raises(VerificationError) as info:
        dw.write_series(volume("float32"), out, modality="MR")
    assert isinstance(info.value.report, VerificationReport)
    assert not info.value.report.ok
    assert "injected mismatch" in info.value.report.problems
    assert "injected mismatch" in str(info.value)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_verification_failure_with_overwrite_keeps_the_old_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    dw.write_series(volume(shape=(4, 16, 20)), out)
    before = snapshot(out)
    monkeypatch.setattr(writer_module, "compare", failing_report)
    with pytest.raises(VerificationError):
        dw.write_series(volume(shape=(2, 16, 20)), out, overwrite=True)
    assert snapshot(out) == before
    assert os.listdir(tmp_path) == ["out"]


def test_verify_false_skips_verification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "compare", failing_report)
    ws = dw.write_series(volume(), tmp_path / "out", verify=False)
    assert ws.report is None
    assert len(os.listdir(tmp_path / "out")) == SHAPE[0]


def test_existing_directory_failure_leaves_nothing_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine fails half-way through an overwrite: the old series stays, nothing beside."""
    out = tmp_path / "out"
    before = fill_old(out, count=2)
    calls = fail_slice(monkeypatch, on_call=2, exception=RuntimeError)
    with pytest.raises(OutputError, match="simulated failure"):
        dw.write_series(volume(), out, modality="MR", overwrite=True)
    assert len(calls) >= 2  # threads may have started the next slices
    assert os.listdir(tmp_path) == ["out"]
    assert snapshot(out) == before


@pytest.mark.parametrize("exception", [RuntimeError, KeyboardInterrupt])
def test_failure_in_the_middle_of_writing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exception: type[BaseException]
) -> None:
    """The engine fails (or the user interrupts) after two of six slices."""
    calls = fail_slice(monkeypatch, on_call=3, exception=exception)
    out = tmp_path / "out"
    expected = OutputError if exception is RuntimeError else KeyboardInterrupt
    with pytest.raises(expected):
        dw.write_series(volume(), out)
    assert len(calls) >= 3  # threads may have started the next slices
    assert not out.exists()
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- error classes


def test_error_hierarchy() -> None:
    for cls in (InputError, MetadataError, OutputError, VerificationError):
        assert issubclass(cls, DicomWriterError)
    assert issubclass(InputError, ValueError)
    assert issubclass(MetadataError, ValueError)
    assert issubclass(OutputError, OSError)
    report = VerificationReport(ok=False, problems=["x"])
    assert VerificationError("message", report).report is report


@pytest.mark.parametrize(
    ("metadata", "element", "value"),
    [
        ({"StudyDate": "2020-01-01"}, "(0008,0020) StudyDate", "'2020-01-01'"),
        ({"0008|0020": "20201301"}, "(0008,0020) StudyDate", "'20201301'"),
        ({"StudyTime": "25:00"}, "(0008,0030) StudyTime", "'25:00'"),
        ({"PatientSex": "female"}, "(0010,0040) PatientSex", "'female'"),
        ({"StudyInstanceUID": "1.02.3"}, "(0020,000D) StudyInstanceUID", "'1.02.3'"),
        ({"SeriesInstanceUID": "1." * 40}, "(0020,000E) SeriesInstanceUID", "'1.1.1."),
        ({"StudyID": "X" * 17}, "(0020,0010) StudyID", "'" + "X" * 17 + "'"),
        ({"SeriesNumber": "one"}, "(0020,0011) SeriesNumber", "'one'"),
        ({"SliceThickness": "thin"}, "(0018,0050) SliceThickness", "'thin'"),
        ({"PatientID": "A\\B"}, "(0010,0020) PatientID", "'A\\\\B'"),
    ],
)
def test_metadata_error_names_element_and_value(
    tmp_path: Path, metadata: dict[str, str], element: str, value: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(MetadataError) as info:
        dw.write_series(volume(), out, metadata=metadata)
    message = str(info.value)
    assert element.lower() in message.lower(), message
    assert value in message, message
    assert not out.exists()


def test_unknown_keyword_is_named(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="PatientNmae"):
        dw.write_series(volume(), tmp_path / "out", metadata={"PatientNmae": "x"})


def two_component_image() -> sitk.Image:
    return sitk.Image([20, 16, 6], sitk.sitkVectorFloat32, 2)


INPUT_ERRORS: dict[str, Callable[[Path], object]] = {
    "nan": lambda out: dw.write_series(np.where(volume("float32") > 0, np.nan, 1.0), out),
    "inf": lambda out: dw.write_series(np.full(SHAPE, -np.inf), out),
    "one_nan": lambda out: dw.write_series(
        np.pad(np.array([[[np.nan]]], np.float32), ((2, 3), (4, 11), (5, 14))), out
    ),
    "empty": lambda out: dw.write_series(np.zeros((0, 16, 20), np.int16), out),
    "empty_2d": lambda out: dw.write_series(np.zeros((16, 0), np.int16), out),
    "four_d": lambda out: dw.write_series(np.zeros((2, 6, 16, 20), np.int16), out),
    "one_d": lambda out: dw.write_series(np.zeros(20, np.int16), out),
    "complex": lambda out: dw.write_series(np.zeros(SHAPE, np.complex64), out),
    "object": lambda out: dw.write_series(np.zeros(SHAPE, object), out),
    "two_components": lambda out: dw.write_series(two_component_image(), out),
    "zero_spacing": lambda out: dw.write_series(volume(), out, spacing=(1, 0, 1)),
    "negative_spacing": lambda out: dw.write_series(volume(), out, spacing=(1, 1, -2)),
    "non_orthonormal": lambda out: dw.write_series(
        volume(), out, direction=(1, 0, 0, 0.1, 1, 0, 0, 0, 1)
    ),
    "scaled_direction": lambda out: dw.write_series(
        volume(), out, direction=(2, 0, 0, 0, 2, 0, 0, 0, 2)
    ),
    "geometry_with_image": lambda out: dw.write_series(
        sitk.GetImageFromArray(volume()), out, spacing=(1, 1, 1)
    ),
    "origin_with_image": lambda out: dw.write_series(
        sitk.GetImageFromArray(volume()), out, origin=(0, 0, 0)
    ),
    "unknown_modality": lambda out: dw.write_series(volume(), out, modality="XX"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", list(INPUT_ERRORS))
def test_input_errors(tmp_path: Path, case: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        INPUT_ERRORS[case](out)
    assert isinstance(info.value, ValueError)
    assert str(info.value)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_nan_message_gives_its_index(tmp_path: Path) -> None:
    array = np.zeros(SHAPE, np.float32)
    array[2, 5, 7] = np.nan
    with pytest.raises(InputError, match=r"\(2, 5, 7\)"):
        dw.write_series(array, tmp_path / "out")


# --------------------------------------------------------------------------- verify_series


def test_verify_series_accepts_the_written_series(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(volume("float32"))
    image.SetSpacing((0.7, 0.8, 2.0))
    image.SetOrigin((10, -20, 30))
    ws = dw.write_series(image, tmp_path / "out", modality="MR")
    report = dw.verify_series(ws.directory, image)
    assert report.ok, report.problems
    assert report.problems == []
    assert report.max_abs_error <= ws.rescale_slope / 2 + 1e-9
    assert report.max_abs_error == pytest.approx(ws.max_error, abs=1e-9)


def test_verify_series_ndarray_reference(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out")
    assert dw.verify_series(ws.directory, array).ok
    assert not dw.verify_series(ws.directory, array + 1).ok


def test_verify_series_two_d(tmp_path: Path) -> None:
    array = volume(shape=(16, 20))
    ws = dw.write_series(array, tmp_path / "out", spacing=(0.5, 0.6), verify=False)
    reference = sitk.GetImageFromArray(array)
    reference.SetSpacing((0.5, 0.6))
    report = dw.verify_series(ws.directory, reference)
    assert report.ok, report.problems
    assert not dw.verify_series(ws.directory, array + 1).ok


def test_verify_series_detects_geometry_mismatch(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out", spacing=(1, 1, 2))
    reference = sitk.GetImageFromArray(array)
    reference.SetSpacing((1, 1, 3))
    report = dw.verify_series(ws.directory, reference)
    assert not report.ok
    assert any("spacing" in p or "origin" in p for p in report.problems), report.problems


def test_verify_series_detects_a_changed_pixel(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out")
    target = ws.files[3]
    ds = pydicom.dcmread(target)
    pixels = ds.pixel_array.copy()
    pixels[4, 9] += 777
    ds.PixelData = pixels.tobytes()
    ds.save_as(target)
    report = dw.verify_series(ws.directory, array)
    assert not report.ok
    assert report.problems
    assert report.max_abs_error == pytest.approx(777)
    assert any("777" in p for p in report.problems), report.problems


def test_verify_series_detects_a_deleted_file(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out")
    ws.files[2].unlink()
    report = dw.verify_series(ws.directory, array)
    assert not report.ok
    assert report.files == SHAPE[0] - 1
    assert any(str(SHAPE[0] - 1) in p and str(SHAPE[0]) in p for p in report.problems), (
        report.problems
    )


def test_verify_series_detects_a_moved_slice(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out")
    target = ws.files[0]
    ds = pydicom.dcmread(target)
    ds.ImagePositionPatient = [0.0, 0.0, -0.5]
    ds.save_as(target)
    report = dw.verify_series(ws.directory, array)
    assert not report.ok


def test_verify_series_detects_a_foreign_series_uid(tmp_path: Path) -> None:
    array = volume()
    ws = dw.write_series(array, tmp_path / "out")
    ds = pydicom.dcmread(ws.files[1])
    ds.SeriesInstanceUID = "1.2.3.4"
    ds.save_as(ws.files[1])
    report = dw.verify_series(ws.directory, array)
    assert not report.ok
    assert any("Series" in p for p in report.problems), report.problems


def test_report_to_dict_is_json(tmp_path: Path) -> None:
    array = volume("float32")
    ws = dw.write_series(array, tmp_path / "out", modality="MR")
    assert ws.report is not None
    data = json.loads(json.dumps(ws.report.to_dict()))
    assert data["ok"] is True
    assert data["problems"] == []
    assert data["max_abs_error"] == pytest.approx(ws.max_error)
    ws.files[0].unlink()
    bad = dw.verify_series(ws.directory, array)
    data = json.loads(json.dumps(bad.to_dict(), allow_nan=False))
    assert data["ok"] is False
    assert data["problems"] == bad.problems and data["problems"]


# --------------------------------------------------------------------------- read_series


def test_read_series_float_for_fractional_rescale(tmp_path: Path) -> None:
    array = volume("float32")
    ws = dw.write_series(array, tmp_path / "out", modality="MR")
    assert not float(ws.rescale_slope).is_integer() or ws.rescale_intercept % 1
    image = dw.read_series(ws.directory)
    assert image.GetPixelID() in (sitk.sitkFloat32, sitk.sitkFloat64)
    values = sitk.GetArrayFromImage(image)
    assert float(np.max(np.abs(values - array))) <= ws.rescale_slope / 2 + 1e-9


@pytest.mark.parametrize(("dtype", "pixel"), [("int16", sitk.sitkInt16), ("uint16", None)])
def test_read_series_integer_pixels_otherwise(tmp_path: Path, dtype: str, pixel: int) -> None:
    array = np.abs(volume()).astype(dtype)
    array.flat[0] = 60000 if dtype == "uint16" else -1000
    ws = dw.write_series(array, tmp_path / "out")
    image = dw.read_series(ws.directory)
    assert image.GetPixelID() in (
        (pixel,) if pixel is not None else (sitk.sitkUInt16, sitk.sitkInt32, sitk.sitkUInt32)
    )
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), array)


def test_read_series_several_series_needs_a_choice(tmp_path: Path) -> None:
    first = dw.write_series(volume(shape=(2, 16, 20)), tmp_path / "a")
    second = dw.write_series(volume(shape=(3, 16, 20)), tmp_path / "b")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for f in (*first.files, *second.files):
        (mixed / f"{f.parent.name}_{f.name}").write_bytes(f.read_bytes())
    with pytest.raises(InputError):
        dw.read_series(mixed)
    image = dw.read_series(mixed, series_instance_uid=second.series_instance_uid)
    assert image.GetSize()[2] == 3


def test_read_series_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        dw.read_series(tmp_path)


def _raise_in_worker(kind: str) -> None:
    report = VerificationReport(ok=False, problems=["0002.dcm: moved"], max_abs_error=1.5)
    errors: dict[str, DicomWriterError] = {
        "verification": VerificationError("does not round-trip", report),
        "input": InputError("bad input"),
        "metadata": MetadataError("(0010,0010) PatientName: bad"),
        "output": OutputError("disk full"),
    }
    raise errors[kind]


@pytest.mark.parametrize("kind", ["verification", "input", "metadata", "output"])
def test_errors_come_back_from_a_worker_process_intact(kind: str) -> None:
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        error = pool.submit(_raise_in_worker, kind).exception(timeout=120)
    assert isinstance(error, DicomWriterError)
    assert type(error).__name__.lower().startswith(kind)
    if isinstance(error, VerificationError):
        assert str(error) == "does not round-trip"
        assert error.report.problems == ["0002.dcm: moved"]
        assert error.report.max_abs_error == 1.5


def test_written_series_has_a_short_repr(tmp_path: Path) -> None:
    ws = dw.write_series(volume(shape=(40, 4, 4)), tmp_path / "out", durable=False)
    text = repr(ws)
    assert len(text) < 400, text
    assert "files=40" in text and ws.series_instance_uid in text
