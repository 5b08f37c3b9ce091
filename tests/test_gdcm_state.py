"""GDCM keeps process-global state that the first DICOM read sets: the output
must be the same whether or not a DICOM file was read earlier in the process.

Each variant runs in a fresh interpreter, since the state cannot be reset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

REPO = Path(__file__).resolve().parents[1]
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
SC_STORAGE = "1.2.840.10008.5.1.4.1.1.7"

METADATA = {
    "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.10",
    "SeriesInstanceUID": "1.2.826.0.1.3680043.8.498.11",
    "FrameOfReferenceUID": "1.2.826.0.1.3680043.8.498.12",
    "StudyDate": "20240102",
    "StudyTime": "030405",
    "SeriesDate": "20240102",
    "SeriesTime": "030406",
    "ContentDate": "20240102",
    "ContentTime": "030407",
    "InstanceCreationDate": "20240102",
    "InstanceCreationTime": "030408",
    "PatientName": "State^Test",
    "PatientID": "GDCM-1",
}

# One series per fresh interpreter, written with verify=False: verifying reads
# DICOM, which would itself change GDCM's state before a second write.
SCRIPT = r"""
import json, sys
import numpy as np
import SimpleITK as sitk
import simpleitk_dicomwriter as dw

mode, series, out, metadata = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
if mode == "read-first":
    import pydicom.data
    image = sitk.ReadImage(pydicom.data.get_testdata_file("CT_small.dcm"))
    assert image.GetSize()[0] > 0

rng = np.random.default_rng(2024)
if series == "mr":
    array, modality = rng.uniform(-3.5, 1250.25, (4, 12, 10)).astype(np.float32), "MR"
else:
    array, modality = rng.integers(0, 4000, (3, 12, 10)).astype(np.uint16), "OT"
geometry = dict(spacing=(0.9, 1.1, 2.5), origin=(-20.5, 31.0, 7.25),
                direction=(1, 0, 0, 0, 0.6, -0.8, 0, 0.8, 0.6))
ws = dw.write_series(array, out, modality=modality, metadata=metadata, verify=False, **geometry)
print(json.dumps({"files": len(ws.files), "slope": ws.rescale_slope}))
"""

IGNORED = {"SOPInstanceUID", "MediaStorageSOPInstanceUID"}


def run_variant(mode: str, series: str, out: Path) -> dict[str, object]:
    number = {"mr": 1, "ot": 2}[series]
    metadata = dict(METADATA, SeriesInstanceUID=f"{METADATA['SeriesInstanceUID']}.{number}")
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, series, str(out), json.dumps(metadata)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def elements(ds: pydicom.Dataset) -> dict[str, object]:
    found: dict[str, object] = {}
    meta = list(getattr(ds, "file_meta", None) or [])
    for elem in [*meta, *ds]:
        if elem.keyword in IGNORED:
            continue
        value = elem.value
        if elem.keyword == "FileMetaInformationGroupLength":
            # it counts the (random-length) instance UID; compare what remains
            uid = str(ds.file_meta.MediaStorageSOPInstanceUID)
            value = int(value) - (len(uid) + 1) // 2 * 2  # the UID padded to even length
        if isinstance(value, bytes | bytearray):
            value = bytes(value)
        elif elem.VR == "SQ":
            value = [elements(item) for item in value]
        else:
            value = str(value)
        found[f"{elem.tag} {elem.keyword}"] = (elem.VR, value)
    return found


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("gdcm_state")
    outs = {}
    for mode in ("fresh", "read-first"):
        for series in ("mr", "ot"):
            run_variant(mode, series, base / mode / series)
        outs[mode] = base / mode
    return outs


@pytest.mark.parametrize("series", ["mr", "ot"])
def test_output_does_not_depend_on_an_earlier_read(variants: dict[str, Path], series: str) -> None:
    fresh = sorted((variants["fresh"] / series).iterdir())
    primed = sorted((variants["read-first"] / series).iterdir())
    assert [p.name for p in fresh] == [p.name for p in primed]
    assert fresh
    for a, b in zip(fresh, primed, strict=True):
        ea, eb = elements(pydicom.dcmread(a)), elements(pydicom.dcmread(b))
        assert ea.keys() == eb.keys(), (
            f"{a.name}: only fresh {sorted(ea.keys() - eb.keys())}, "
            f"only after a read {sorted(eb.keys() - ea.keys())}"
        )
        differing = {k: (ea[k], eb[k]) for k in ea if ea[k] != eb[k]}
        assert not differing, f"{a.name}: {differing}"


@pytest.mark.parametrize("mode", ["fresh", "read-first"])
def test_mr_float_stays_legacy_mr_with_rescale(variants: dict[str, Path], mode: str) -> None:
    files = sorted((variants[mode] / "mr").iterdir())
    assert len(files) == 4
    for f in files:
        ds = pydicom.dcmread(f)
        assert ds.SOPClassUID == MR_STORAGE
        assert ds.file_meta.MediaStorageSOPClassUID == MR_STORAGE
        assert "NumberOfFrames" not in ds
        assert "SharedFunctionalGroupsSequence" not in ds
        assert "RescaleSlope" in ds and "RescaleIntercept" in ds
        assert 0 < float(ds.RescaleSlope) < 1  # fractional: the float data was rescaled
        assert [float(v) for v in ds.PixelSpacing] == [1.1, 0.9]
        assert ds.StudyInstanceUID == METADATA["StudyInstanceUID"]


@pytest.mark.parametrize("mode", ["fresh", "read-first"])
def test_secondary_capture_keeps_its_geometry(variants: dict[str, Path], mode: str) -> None:
    files = sorted((variants[mode] / "ot").iterdir())
    assert len(files) == 3
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        assert ds.SOPClassUID == SC_STORAGE
        assert ds.Modality == "OT"
        assert [float(v) for v in ds.PixelSpacing] == [1.1, 0.9]
        assert [float(v) for v in ds.ImageOrientationPatient] == pytest.approx(
            [1, 0, 0, 0, 0.6, 0.8], abs=1e-9
        )
        expected = [-20.5, 31.0 + k * 2.5 * -0.8, 7.25 + k * 2.5 * 0.6]
        assert [float(v) for v in ds.ImagePositionPatient] == pytest.approx(expected, abs=1e-4)
        assert ds.FrameOfReferenceUID == METADATA["FrameOfReferenceUID"]
