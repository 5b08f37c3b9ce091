"""Writing slices on several threads writes the same files as writing them one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

import simpleitk_dicomwriter as dw
import simpleitk_dicomwriter.engine.slices as slices_module

# Differ between two writes by design: identifiers and creation times.
_VARYING = {
    "SOPInstanceUID", "MediaStorageSOPInstanceUID", "FileMetaInformationGroupLength",
    "StudyInstanceUID", "SeriesInstanceUID",
    "FrameOfReferenceUID", "StudyDate", "SeriesDate", "ContentDate", "InstanceCreationDate",
    "StudyTime", "SeriesTime", "ContentTime", "InstanceCreationTime", "AcquisitionDate",
    "AcquisitionTime",
}  # fmt: skip


def _content(path: Path) -> list[tuple[str, object]]:
    ds = pydicom.dcmread(path)
    items = [*ds.file_meta, *ds]
    return [(e.keyword, e.value) for e in items if e.keyword not in _VARYING]


@pytest.mark.parametrize("modality", ["CT", "PT"])
@pytest.mark.parametrize("syntax", ["explicit", "jpeg-ls-lossless"])
def test_threads_write_what_one_thread_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, modality: str, syntax: str
) -> None:
    data = (np.random.default_rng(5).random((9, 21, 17)) * 900 - 100).astype(np.float32)
    monkeypatch.setattr(slices_module, "WORKERS", 1)
    one = dw.write_series(data, tmp_path / "one", modality=modality, transfer_syntax=syntax)  # type: ignore[arg-type]
    monkeypatch.setattr(slices_module, "WORKERS", 4)
    many = dw.write_series(data, tmp_path / "many", modality=modality, transfer_syntax=syntax)  # type: ignore[arg-type]
    assert [p.name for p in one.files] == [p.name for p in many.files]
    assert one.max_error == many.max_error
    for a, b in zip(one.files, many.files, strict=True):
        assert _content(a) == _content(b)
        assert np.array_equal(pydicom.dcmread(a).pixel_array, pydicom.dcmread(b).pixel_array)


def test_the_stored_integers_are_the_quantised_input(tmp_path: Path) -> None:
    """The float path stores rint((v - b) / a), clipped, and the header says a and b."""
    data = (np.random.default_rng(6).random((4, 8, 8)) * 50 - 20).astype(np.float32)
    ws = dw.write_series(data, tmp_path / "out")
    for k, path in enumerate(ws.files):
        ds = pydicom.dcmread(path)
        assert float(ds.RescaleSlope) == ws.rescale_slope
        assert float(ds.RescaleIntercept) == ws.rescale_intercept
        expected = np.rint((data[k].astype(np.float64) - ws.rescale_intercept) / ws.rescale_slope)
        assert np.array_equal(ds.pixel_array, expected.astype(ds.pixel_array.dtype))
