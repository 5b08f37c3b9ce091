"""Every offered transfer syntax, for every kind of image, read back by real readers.

For each syntax and CT int16 / CT float32 / OT uint8 / PT float32 (odd width,
sides under 32 pixels): the file meta says the syntax asked for, pydicom and
SimpleITK decode the values and geometry written, dciodvfy finds no error,
dcm2niix stacks one volume of the same values, and Orthanc stores every file
and renders a preview.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
import SimpleITK as sitk
from conftest import (
    Orthanc,
    assert_same_in_physical_space,
    dciodvfy_errors,
    orthanc_server,
    pydicom_volume,
    require_tool,
)

import simpleitk_dicomwriter as dw
from simpleitk_dicomwriter.dicom.syntaxes import SYNTAXES
from simpleitk_dicomwriter.types import Modality

NAMES = list(SYNTAXES)
SPACING, ORIGIN = (0.7, 0.9, 2.5), (-10.0, 5.5, 30.0)


def _image(kind: str, shape: tuple[int, ...] = (3, 13, 7)) -> npt.NDArray[Any]:
    rng = np.random.default_rng(sum(map(ord, kind)))
    if kind == "ct-int16":
        return rng.integers(-1024, 3000, shape).astype(np.int16)
    if kind == "ot-uint8":
        return rng.integers(0, 256, shape).astype(np.uint8)
    scale = 1000.0 if kind == "ct-float32" else 7.5
    return (rng.random(shape) * scale).astype(np.float32)


KINDS = {"ct-int16": "CT", "ct-float32": "CT", "ot-uint8": "OT", "pt-float32": "PT"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dw.WrittenSeries]:
    root = tmp_path_factory.mktemp("syntaxes")
    out = {}
    for name in NAMES:
        for kind, modality in KINDS.items():
            out[name, kind] = dw.write_series(
                _image(kind), root / f"{name}-{kind}", modality=modality,  # type: ignore[arg-type]
                spacing=SPACING, origin=ORIGIN, transfer_syntax=name, durable=False,
            )  # fmt: skip
    return out


CASES = [(name, kind) for name in NAMES for kind in KINDS]


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_file_meta_names_the_syntax_asked_for(
    written: dict[tuple[str, str], dw.WrittenSeries], name: str, kind: str
) -> None:
    ws = written[name, kind]
    assert ws.report is not None and ws.report.ok, ws.report
    for path in ws.files:
        meta = pydicom.dcmread(path, stop_before_pixels=True).file_meta
        assert meta.TransferSyntaxUID == SYNTAXES[name].uid


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_pydicom_decodes_the_values(
    written: dict[tuple[str, str], dw.WrittenSeries], name: str, kind: str
) -> None:
    ws = written[name, kind]
    volume = pydicom_volume(ws.directory)
    expected = _image(kind).astype(np.float64)
    assert np.max(np.abs(volume.volume - expected)) <= ws.max_error + 1e-9
    assert np.allclose(volume.origin, ORIGIN)
    assert volume.pixel_spacing == pytest.approx((SPACING[1], SPACING[0]))


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_simpleitk_reads_values_and_geometry(
    written: dict[tuple[str, str], dw.WrittenSeries], name: str, kind: str
) -> None:
    ws = written[name, kind]
    image = dw.read_series(ws.directory)
    values = sitk.GetArrayFromImage(image).astype(np.float64)
    assert np.max(np.abs(values - _image(kind))) <= ws.max_error + 1e-6
    assert image.GetSpacing() == pytest.approx(SPACING)
    assert image.GetOrigin() == pytest.approx(ORIGIN)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_dciodvfy_finds_no_error(
    written: dict[tuple[str, str], dw.WrittenSeries], name: str, kind: str
) -> None:
    require_tool("dciodvfy")
    assert dciodvfy_errors(written[name, kind].files) == []


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_dcm2niix_stacks_one_volume_of_the_values(
    written: dict[tuple[str, str], dw.WrittenSeries], name: str, kind: str, tmp_path: Path
) -> None:
    tool = require_tool("dcm2niix")
    ws = written[name, kind]
    result = subprocess.run(
        [tool, "-z", "n", "-f", "out", "-o", str(tmp_path), str(ws.directory)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (nifti,) = sorted(tmp_path.glob("*.nii"))
    image = sitk.ReadImage(str(nifti))  # SimpleITK turns the NIfTI's RAS into LPS
    expected = sitk.GetImageFromArray(_image(kind).astype(np.float64))
    expected.SetSpacing(SPACING)
    expected.SetOrigin(ORIGIN)
    # dcm2niix keeps the stored integers and scl_slope/scl_inter, in float32.
    assert_same_in_physical_space(image, expected, atol=ws.max_error + 1e-3)


@pytest.fixture(scope="module")
def orthanc_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    with orthanc_server(tmp_path_factory.mktemp("orthanc")) as server:
        yield server


@pytest.fixture(scope="module")
def orthanc(orthanc_node: Orthanc) -> str:
    return orthanc_node.base


def _rest(url: str, data: bytes | None = None) -> Any:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        return json.loads(body) if response.headers.get_content_type().endswith("json") else body


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_orthanc_stores_and_renders_a_preview(
    written: dict[tuple[str, str], dw.WrittenSeries], orthanc: str, name: str, kind: str
) -> None:
    ws = written[name, kind]
    ids = [_rest(orthanc + "/instances", path.read_bytes())["ID"] for path in ws.files]
    syntax = _rest(orthanc + f"/instances/{ids[0]}/metadata/TransferSyntax")
    assert syntax.decode() == SYNTAXES[name].uid
    png = _rest(orthanc + f"/instances/{ids[1]}/preview")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # Orthanc's own decoder: the raw frame equals the stored integers of the file.
    raw = _rest(orthanc + f"/instances/{ids[1]}/frames/0/raw")
    stored = pydicom.dcmread(ws.files[1]).pixel_array
    decoded = np.frombuffer(raw[: stored.nbytes], dtype=stored.dtype.newbyteorder("<"))
    assert np.array_equal(decoded.reshape(stored.shape), stored) or SYNTAXES[name].encapsulated


@pytest.mark.parametrize("how", ["cstore", "stow"])
@pytest.mark.parametrize("name", ["jpeg-lossless", "jpeg2000-lossless", "rle", "jpeg-ls-lossless"])
def test_send_series_stores_compressed_files_as_they_are(
    written: dict[tuple[str, str], dw.WrittenSeries], orthanc_node: Orthanc, name: str, how: str
) -> None:
    """C-STORE proposes each file's own syntax; Orthanc keeps it (no transcoding)."""
    ws = written[name, "ct-int16"]
    node = orthanc_node
    target = f"{node.aet}@127.0.0.1:{node.dicom_port}" if how == "cstore" else node.dicomweb
    report = dw.send_series(ws.directory, target, confirm=True)
    assert report.ok and report.sent == len(ws.files), report.to_dict()
    uid = pydicom.dcmread(ws.files[0], stop_before_pixels=True).SOPInstanceUID
    (found,) = _rest(node.base + "/tools/find", json.dumps(
        {"Level": "Instance", "Query": {"SOPInstanceUID": str(uid)}}).encode())  # fmt: skip
    stored = _rest(node.base + f"/instances/{found}/metadata/TransferSyntax")
    assert stored.decode() == SYNTAXES[name].uid


def test_send_series_sends_the_images_of_a_file_set(tmp_path: Path, orthanc_node: Orthanc) -> None:
    ws = dw.write_series(
        _image("ct-int16"), tmp_path / "cd", metadata={"PatientID": "CD1"}, dicomdir=True
    )
    target = f"{orthanc_node.aet}@127.0.0.1:{orthanc_node.dicom_port}"
    report = dw.send_series(ws.directory, target, confirm=True)
    assert report.ok and report.sent == len(ws.files) == 3  # not the DICOMDIR


# --------------------------------------------------------------------------- edge images


# Measured: GDCM 3.2 (inside SimpleITK) fails to decode these RLE frames ("Failed
# to change to Implicit Transfer Syntax"), though its own RLE encoder writes the
# same bytes and pydicom decodes them. The writer's verification catches it.
GDCM_CANNOT_DECODE_RLE = {(1, 1, 1), (1, 3, 3), (2, 5, 7)}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (1, 3, 3), (2, 5, 7), (1, 31, 33), (1, 2, 40)], ids=str
)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16])
def test_every_size_and_type_round_trips(
    tmp_path: Path, name: str, shape: tuple[int, int, int], dtype: type[np.integer[Any]]
) -> None:
    info = np.iinfo(dtype)
    data = np.random.default_rng(1).integers(info.min, info.max, shape, endpoint=True)
    data = data.astype(dtype)
    modality: Modality = "OT" if dtype == np.uint8 else "MR"
    unreadable = name == "rle" and shape in GDCM_CANNOT_DECODE_RLE
    if unreadable:
        with pytest.raises(dw.VerificationError, match="SimpleITK cannot read the series back"):
            dw.write_series(data, tmp_path / "out", modality=modality, transfer_syntax=name)
        assert list(tmp_path.iterdir()) == []
    ws = dw.write_series(
        data, tmp_path / "out", modality=modality, transfer_syntax=name, durable=False,
        verify=not unreadable,
    )  # fmt: skip
    assert unreadable or (ws.report is not None and ws.report.ok)
    assert ws.max_error == 0.0
    decoded = np.stack([pydicom.dcmread(p).pixel_array for p in ws.files])
    slope = float(pydicom.dcmread(ws.files[0]).get("RescaleSlope", 1))
    intercept = float(pydicom.dcmread(ws.files[0]).get("RescaleIntercept", 0))
    assert np.array_equal(decoded.reshape(shape) * slope + intercept, data)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "value",
    [
        "1.2.840.10008.1.2.4.50",  # JPEG Baseline: lossy
        "1.2.840.10008.1.2.4.91",  # JPEG 2000 (lossy allowed)
        "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
        "1.2.840.10008.1.2.2",  # Explicit VR Big Endian: retired, not offered
        "zip",
        "",
        3,
    ],
)
def test_lossy_or_unknown_syntax_is_refused_with_nothing_written(
    tmp_path: Path, value: object
) -> None:
    with pytest.raises(dw.InputError, match=r"\(0002,0010\) TransferSyntaxUID.*give one of"):
        dw.write_series(np.zeros((2, 4, 4), np.int16), tmp_path / "out", transfer_syntax=value)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["jpeg-lossless", "jpeg2000-lossless", "jpeg-ls-lossless"])
def test_a_missing_codec_names_the_extra(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imagecodecs", None)  # import fails
    with pytest.raises(dw.InputError, match=r"simpleitk_dicomwriter\[codecs\]"):
        dw.write_series(np.zeros((2, 4, 4), np.int16), tmp_path / "out", transfer_syntax=name)
    assert list(tmp_path.iterdir()) == []


def test_uncompressed_and_rle_need_no_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imagecodecs", None)
    for name in ("implicit", "explicit", "rle"):
        ws = dw.write_series(np.ones((2, 9, 9), np.int16), tmp_path / name, transfer_syntax=name)
        assert ws.report is not None and ws.report.ok


def test_the_uid_is_accepted_too(tmp_path: Path) -> None:
    ws = dw.write_series(
        np.ones((2, 9, 9), np.int16), tmp_path / "out", transfer_syntax="1.2.840.10008.1.2.4.70"
    )
    assert pydicom.dcmread(ws.files[0]).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"


def test_the_default_is_explicit_vr_little_endian(tmp_path: Path) -> None:
    ws = dw.write_series(np.ones((2, 9, 9), np.int16), tmp_path / "out")
    assert pydicom.dcmread(ws.files[0]).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"


def test_a_codec_failure_is_an_output_error_with_nothing_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import imagecodecs

    def broken(*_: object, **__: object) -> bytes:
        raise imagecodecs.JpeglsError("simulated codec failure")

    monkeypatch.setattr(imagecodecs, "jpegls_encode", broken)
    with pytest.raises(dw.OutputError, match="slice 1 as jpeg-ls-lossless failed"):
        dw.write_series(
            np.ones((2, 9, 9), np.int16), tmp_path / "out", transfer_syntax="jpeg-ls-lossless"
        )
    assert list(tmp_path.iterdir()) == []


def test_a_codec_that_writes_garbage_is_a_verification_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A codec bug reaches no published series: SimpleITK's decode is the check."""
    import imagecodecs

    real = imagecodecs.jpegls_encode

    def wrong(data: npt.NDArray[Any], *args: Any, **kwargs: Any) -> bytes:
        return bytes(real(data + 1, *args, **kwargs))  # lossless, but of other values

    monkeypatch.setattr(imagecodecs, "jpegls_encode", wrong)
    with pytest.raises(dw.VerificationError, match="values differ"):
        dw.write_series(
            np.full((2, 9, 9), 7, np.int16), tmp_path / "out", transfer_syntax="jpeg-ls-lossless"
        )
    assert list(tmp_path.iterdir()) == []
