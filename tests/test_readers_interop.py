"""Every real reader gets the same values and geometry: thirteen series, each read back
by SimpleITK, pydicom, dcm2niix, dicom2nifti, VTK, dicom-numpy, highdicom, nibabel,
plastimatch, GDCM tools, dcmtk and Orthanc, compared in physical (LPS) space.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
import SimpleITK as sitk
from conftest import (
    assert_same_in_physical_space,
    dciodvfy_errors,
    make_image,
    orthanc_server,
    pydicom_volume,
    require_tool,
    rotation,
    sitk_series,
)
from pydicom.data import get_testdata_file

import simpleitk_dicomwriter as dw

SHAPE = (5, 12, 10)


def _int16(seed: int, shape: tuple[int, ...] = SHAPE) -> npt.NDArray[np.generic]:
    return np.random.default_rng(seed).integers(-1024, 3071, shape).astype(np.int16)


def _float(seed: int, shape: tuple[int, ...] = SHAPE) -> npt.NDArray[np.generic]:
    return np.random.default_rng(seed).uniform(-150.0, 900.0, shape).astype(np.float32)


@dataclass
class Case:
    modality: str
    array: npt.NDArray[np.generic]
    geometry: dict[str, Any]
    template: str | None = None
    metadata: dict[str, Any] | None = None
    axial: bool = True  # identity in-plane directions: what VTK's reader assumes


CASES: dict[str, Case] = {
    "ct_int16": Case("CT", _int16(1), {"spacing": (0.7, 0.8, 2.5), "origin": (-7, 5, -30)}),
    "ct_float": Case("CT", _float(2), {"spacing": (0.5, 0.5, 1.25)}),
    "mr_float": Case("MR", _float(3), {"spacing": (0.9, 0.9, 3.0), "origin": (10, -20, 5)}),
    "pt_float": Case("PT", np.abs(_float(4)), {"spacing": (2.0, 2.0, 3.27)}),
    "ot_uint8": Case("OT", _int16(5).astype(np.uint8), {"spacing": (1.0, 1.0, 1.0)}),
    "ct_sagittal": Case(
        "CT", _int16(6), {"spacing": (0.9, 0.9, 3.0), "direction": (0, 0, -1, 1, 0, 0, 0, -1, 0)},
        axial=False,
    ),
    "mr_oblique": Case(
        "MR", _float(7),
        {"spacing": (0.9, 1.1, 3.0), "origin": (12.5, -40.25, 100.0),
         "direction": tuple(rotation((1, 2, 3), 27).ravel())},
        axial=False,
    ),
    "ct_left_handed": Case(
        "CT", _int16(8), {"spacing": (1.0, 1.0, 2.0), "direction": (1, 0, 0, 0, 1, 0, 0, 0, -1)},
    ),
    "ct_single_slice": Case("CT", _int16(9, (1, 12, 10)), {"spacing": (0.6, 0.6, 1.0)}),
    "ct_template": Case("CT", _int16(10), {"spacing": (0.7, 0.7, 5.0)},
                        template=str(get_testdata_file("CT_small.dcm"))),
    "mr_template": Case("MR", _float(11), {"spacing": (0.9, 0.9, 5.0)},
                        template=str(get_testdata_file("MR_small.dcm"))),
    "ct_series_template": Case("CT", _int16(12),
                               {"spacing": (0.7, 0.8, 2.5), "origin": (-7, 5, -30)},
                               template="series"),
    "mr_non_ascii": Case(
        "MR", _int16(13), {"spacing": (1.0, 1.0, 2.0)},
        metadata={"PatientName": "Müller^Jürgen", "StudyDescription": "Étude 東京",
                  "PatientID": "Ünïcode-1"},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dw.WrittenSeries]:
    root = tmp_path_factory.mktemp("interop")
    series: dict[str, dw.WrittenSeries] = {}
    for name, case in CASES.items():
        template = case.template
        if template == "series":
            template = str(series["ct_int16"].directory)
        series[name] = dw.write_series(
            case.array, root / name, modality=case.modality,  # type: ignore[arg-type]
            template=template, metadata=case.metadata, durable=False, **case.geometry,
        )  # fmt: skip
    return series


def reference(name: str) -> sitk.Image:
    case = CASES[name]
    return make_image(case.array, **case.geometry)


CASES_ARRAY_ABS_MAX = [float(np.max(np.abs(c.array.astype(np.float64)))) for c in CASES.values()]


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, encoding="utf-8", errors="replace",
        timeout=180, check=False, **kwargs,
    )  # fmt: skip


def _nifti(path: Path) -> sitk.Image:
    image = sitk.ReadImage(str(path))  # SimpleITK turns the NIfTI's RAS into LPS
    if image.GetDimension() == 4:
        assert image.GetSize()[3] == 1
        image = image[:, :, :, 0]
    return image


def _affine_image(array_xyz: npt.NDArray[Any], affine: npt.NDArray[Any]) -> sitk.Image:
    """An (x, y, z)-indexed array and its voxel-to-LPS affine as a SimpleITK image."""
    image = sitk.GetImageFromArray(np.ascontiguousarray(np.asarray(array_xyz).transpose(2, 1, 0)))
    columns = np.asarray(affine, dtype=np.float64)[:3, :3]
    spacing = np.linalg.norm(columns, axis=0)
    image.SetSpacing(tuple(float(s) for s in spacing))
    image.SetDirection(tuple((columns / spacing).ravel()))
    image.SetOrigin(tuple(float(v) for v in np.asarray(affine)[:3, 3]))
    return image


# --------------------------------------------------------------------------- the readers


def read_simpleitk(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    return sitk_series(ws.directory)


def read_pydicom(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    return pydicom_volume(ws.directory).image()


def read_dcm2niix(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    tool = require_tool("dcm2niix")
    result = _run([tool, "-z", "n", "-f", "out", "-o", str(tmp), str(ws.directory)])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Patient Position is unknown for an image derived from nothing (README).
    unknown = "Patient Position (0018,5100) not specified"
    if pydicom.dcmread(ws.files[0], stop_before_pixels=True).get("PatientPosition"):
        unknown = "never"  # known from the template: no warning allowed
    warnings = [t for t in output.splitlines() if "Warning" in t and unknown not in t]
    assert warnings == [], output
    (nifti,) = sorted(tmp.glob("*.nii"))
    return _nifti(nifti)


def read_dicom2nifti(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    import dicom2nifti  # the [test] extra

    out = tmp / "d2n.nii"
    dicom2nifti.dicom_series_to_nifti(str(ws.directory), str(out), reorient_nifti=False)
    return _nifti(out)


def read_dicom_numpy(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    import dicom_numpy

    datasets = [pydicom.dcmread(f) for f in ws.files]
    voxels, affine = dicom_numpy.combine_slices(datasets)
    return _affine_image(voxels, affine)


def read_highdicom(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    import highdicom

    volume = highdicom.get_volume_from_series([pydicom.dcmread(f) for f in ws.files])
    image: sitk.Image = volume.to_simpleitk()
    return image


def read_nibabel(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    from nibabel.nicom import dicomwrappers

    wrappers = [dicomwrappers.wrapper_from_file(str(f)) for f in ws.files]
    wrappers.sort(key=lambda w: float(np.dot(w.slice_normal, w.image_position)))
    # nibabel gives each slice as (columns, rows) with an affine from the file's
    # own position; the slice step comes from the positions of the first two.
    data = np.stack([np.asarray(w.get_data())[:, :, 0] if np.asarray(w.get_data()).ndim == 3
                     else np.asarray(w.get_data()) for w in wrappers], axis=-1)  # fmt: skip
    affine = np.array(wrappers[0].affine, dtype=np.float64)
    if len(wrappers) > 1:
        affine[:3, 2] = np.subtract(wrappers[1].image_position, wrappers[0].image_position)
    return _affine_image(data, affine)


def read_plastimatch(ws: dw.WrittenSeries, tmp: Path) -> sitk.Image:
    tool = require_tool("plastimatch")
    out = tmp / "plastimatch.nrrd"
    result = _run([tool, "convert", "--input", str(ws.directory), "--output-img", str(out),
                   "--output-type", "float"])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return sitk.ReadImage(str(out))


READERS: dict[str, Callable[[dw.WrittenSeries, Path], sitk.Image]] = {
    "simpleitk": read_simpleitk,
    "pydicom": read_pydicom,
    "dcm2niix": read_dcm2niix,
    "dicom2nifti": read_dicom2nifti,
    "dicom_numpy": read_dicom_numpy,
    "highdicom": read_highdicom,
    "nibabel": read_nibabel,
    "plastimatch": read_plastimatch,
}
# Readers that refuse a one-slice series by design (they need a slice step); the
# single slice is read by the others.
_NEEDS_SLICES = {"dicom2nifti", "dicom_numpy", "plastimatch"}
# dicom2nifti needs Repetition and Echo Time for MR (float(None) otherwise); an MR
# derived from nothing has them empty (Type 2, unknown). A template brings them.
_NEEDS_MR_TIMING = {"dicom2nifti"}
PAIRS = [
    (name, reader)
    for name, case in CASES.items()
    for reader in READERS
    if not (reader in _NEEDS_SLICES and case.array.shape[0] == 1)
    and not (reader in _NEEDS_MR_TIMING and case.modality == "MR" and case.template is None)
]


@pytest.mark.parametrize(("name", "reader"), PAIRS)
def test_reader_gets_the_same_values_and_geometry(
    written: dict[str, dw.WrittenSeries], tmp_path: Path, name: str, reader: str
) -> None:
    ws = written[name]
    image = READERS[reader](ws, tmp_path)
    expected = reference(name)
    scale = max(1.0, float(np.max(np.abs(CASES[name].array.astype(np.float64)))))
    # plastimatch and friends hand back float32: allow its rounding on top of ours.
    atol = ws.max_error + 1e-6 * scale
    assert_same_in_physical_space(image, expected, atol=atol, position_tol=2e-3)


# --------------------------------------------------------------------------- VTK

_VTK = """
import json, sys
import vtk
reader = vtk.vtkDICOMImageReader()
reader.SetDirectoryName(sys.argv[1])
reader.Update()
image = reader.GetOutput()
from vtk.util.numpy_support import vtk_to_numpy
values = vtk_to_numpy(image.GetPointData().GetScalars())
print(json.dumps({
    "spacing": list(image.GetSpacing()),
    "dimensions": list(image.GetDimensions()),
    "orientation": list(reader.GetImageOrientationPatient()),
    "slope": reader.GetRescaleSlope(),
    "intercept": reader.GetRescaleOffset(),
    "scalar_type": image.GetScalarTypeAsString(),
    "values": values.astype(float).tolist(),
}))
"""


@pytest.mark.parametrize("name", list(CASES))
def test_vtk_dicom_image_reader(written: dict[str, dw.WrittenSeries], name: str) -> None:
    """The reader of the VTK tutorial: spacing, orientation, rescale and values."""
    ws = written[name]
    result = _run([sys.executable, "-c", _VTK, str(ws.directory)])
    assert result.returncode == 0, f"VTK crashed ({result.returncode}): {result.stderr[-2000:]}"
    found = json.loads(result.stdout)
    case = CASES[name]
    spacing = case.geometry.get("spacing", (1.0, 1.0, 1.0))
    np.testing.assert_allclose(found["spacing"][:2], spacing[:2], rtol=1e-6)
    ds = pydicom.dcmread(ws.files[0])
    np.testing.assert_allclose(found["orientation"], [float(v) for v in ds.ImageOrientationPatient],
                               atol=1e-6)  # fmt: skip
    # VTK keeps the rescale in single precision.
    assert found["slope"] == pytest.approx(float(ds.RescaleSlope), rel=1e-6)
    assert found["intercept"] == pytest.approx(float(ds.RescaleIntercept), rel=1e-6, abs=1e-6)
    if case.axial and case.geometry.get("direction") is None:
        # VTK stores rows bottom-up and stacks the files from the last slice down;
        # it applies a non-identity rescale itself (float output), else gives the
        # stored integers.
        z, y, x = case.array.shape
        values = np.array(found["values"]).reshape(z, y, x)[::-1, ::-1, :]
        rescaled = found["scalar_type"] in ("float", "double")
        decoded = values if rescaled else values * found["slope"] + found["intercept"]
        np.testing.assert_allclose(decoded, case.array.astype(np.float64),
                                   atol=ws.max_error + 1e-6 * max(CASES_ARRAY_ABS_MAX))  # fmt: skip


# --------------------------------------------------------------------------- GDCM, dcmtk


@pytest.mark.parametrize("name", list(CASES))
def test_gdcm_and_dcmtk_tools(
    written: dict[str, dw.WrittenSeries], tmp_path: Path, name: str
) -> None:
    ws = written[name]
    gdcminfo, dcmdump, dcm2pnm = (
        require_tool(t, system=True) for t in ("gdcminfo", "dcmdump", "dcm2pnm")
    )
    for path in (ws.files[0], ws.files[-1]):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        info = _run([gdcminfo, "-i", str(path)])
        assert info.returncode == 0, info.stderr
        origin = [float(v) for v in ds.ImagePositionPatient]
        if CASES[name].modality == "OT":
            origin = [0.0, 0.0, 0.0]  # GDCM gives Secondary Capture no Image Plane
        # gdcminfo prints its report on stderr.
        report = (info.stdout + info.stderr).splitlines()
        line = next((t for t in report if t.startswith("Origin")), None)
        assert line is not None, f"{gdcminfo} printed no origin: {report}"
        found = [float(v) for v in line.split("(")[1].rstrip(")").split(",")]
        np.testing.assert_allclose(found, origin, atol=1e-3)  # gdcminfo prints 6 digits
        dump = _run([dcmdump, "-dc", str(path)])
        assert dump.returncode == 0 and dump.stderr.strip() == "", dump.stderr
        assert "W:" not in dump.stdout and "E:" not in dump.stdout
        png = tmp_path / f"{path.stem}.png"
        render = _run([dcm2pnm, "--write-png", str(path), str(png)])
        assert render.returncode == 0 and png.stat().st_size > 0, render.stderr


# --------------------------------------------------------------------------- dciodvfy


# The warnings the README explains (section "What the validators say").
EXPLAINED = (
    "needed to build DICOMDIR - Patient ID",  # no patient given: Type 2, empty
    "should be absent (not empty",  # Laterality of an unknown body part
    "Modality LUT Module (RescaleSlope and RescaleIntercept) not expected",  # MR rescale
    "Attribute is not present in standard DICOM IOD",  # MR rescale, SC geometry
    "Standard Extended SOP Class",
    "Value is zero for value 1 of attribute <Patient's Weight>",  # CT_small.dcm's own
)


@pytest.mark.parametrize("name", list(CASES))
def test_dciodvfy_no_errors_and_only_explained_warnings(
    written: dict[str, dw.WrittenSeries], name: str
) -> None:
    ws = written[name]
    tool = require_tool("dciodvfy")
    assert dciodvfy_errors(ws.files) == []
    result = _run([tool, str(ws.files[0])])
    lines = (result.stderr + result.stdout).splitlines()
    warnings = [line for line in lines if line.startswith("Warning")]
    unexplained = [w for w in warnings if not any(e in w for e in EXPLAINED)]
    assert unexplained == [], unexplained


# --------------------------------------------------------------------------- Orthanc


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Orthanc on loopback; its REST base URL."""
    with orthanc_server(tmp_path_factory.mktemp("orthanc")) as server:
        yield server.base


def _rest(url: str, data: bytes | None = None) -> Any:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        return (
            json.loads(body) if response.headers.get_content_type() == "application/json" else body
        )


@pytest.mark.parametrize("name", list(CASES))
def test_orthanc_stores_one_study_one_series_in_order(
    written: dict[str, dw.WrittenSeries], orthanc: str, name: str
) -> None:
    ws = written[name]
    ids = [_rest(orthanc + "/instances", f.read_bytes())["ID"] for f in ws.files]
    series = _rest(orthanc + f"/instances/{ids[0]}/series")
    assert series["MainDicomTags"]["SeriesInstanceUID"] == ws.series_instance_uid
    assert len(series["Instances"]) == len(ws.files)
    study = _rest(orthanc + f"/studies/{series['ParentStudy']}")
    assert study["MainDicomTags"]["StudyInstanceUID"] == ws.study_instance_uid
    ordered = _rest(orthanc + f"/series/{series['ID']}/ordered-slices")
    order = [path.split("/")[2] for path in ordered["Dicom"]]
    # Orthanc orders along the normal; our slices are numbered in that order or its reverse.
    numbers = [int(_rest(orthanc + f"/instances/{i}/simplified-tags")["InstanceNumber"])
               for i in order]  # fmt: skip
    assert numbers in (sorted(numbers), sorted(numbers, reverse=True)), numbers
    png = _rest(orthanc + f"/instances/{ids[len(ids) // 2]}/preview")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_orthanc_holds_one_series_per_case(
    written: dict[str, dw.WrittenSeries], orthanc: str
) -> None:
    for ws in written.values():
        for f in ws.files:
            _rest(orthanc + "/instances", f.read_bytes())
    found = _rest(orthanc + "/tools/find", json.dumps(
        {"Level": "Series", "Query": {}, "Expand": True}).encode())  # fmt: skip
    uids = [s["MainDicomTags"]["SeriesInstanceUID"] for s in found]
    assert sorted(uids) == sorted(ws.series_instance_uid for ws in written.values())
