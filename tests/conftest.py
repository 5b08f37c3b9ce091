"""Shared helpers of the end-to-end, output, GDCM-state and interop tests.

The helpers here deliberately do not use the package: ``pydicom_volume`` is an
independent DICOM reader, and the geometry helpers compare images voxel by
voxel in physical (LPS) space with plain NumPy.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.dataelem import RawDataElement
from pydicom.pixels.processing import apply_rescale

UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")

SOP_CLASS = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "OT": "1.2.840.10008.5.1.4.1.1.7",
}


# --------------------------------------------------------------------------- tools


def require_tool(name: str, *, system: bool = False) -> str:
    """Path of an external tool; a missing tool fails in CI and skips elsewhere.

    ``system``: the Debian package's, not a same-named script a pip package put in
    the virtual environment (python-gdcm installs a ``gdcminfo`` that prints nothing).
    """
    search = os.environ.get("PATH", "")
    if system:
        # Debian installs its tools here; look nowhere inside this environment.
        prefix = os.path.realpath(sys.prefix)
        entries = ["/usr/bin", "/usr/sbin", *search.split(os.pathsep)]
        search = os.pathsep.join(
            p for p in entries if p and not os.path.realpath(p).startswith(prefix)
        )
    path = shutil.which(name, path=search)
    if path is None:
        message = f"external tool {name!r} is not on PATH"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    return path


def require_root() -> None:
    """Mounting a tmpfs needs root: a failure in CI (which runs as root), a skip elsewhere."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        message = "this test mounts a tmpfs and needs root"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI runs as root)")
        pytest.skip(message)


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, errors="replace", timeout=120, check=False
    )


def dciodvfy_errors(files: Iterable[str | os.PathLike[str]]) -> list[str]:
    """``dciodvfy`` error lines (it reports on stderr), each prefixed by the file name."""
    tool = require_tool("dciodvfy")
    errors = []
    for path in files:
        result = _run([tool, str(path)])
        output = result.stderr + result.stdout
        if "Abort" in output:
            errors.append(f"{Path(path).name}: {output.strip()}")
        errors += [
            f"{Path(path).name}: {line}" for line in output.splitlines() if line.startswith("Error")
        ]
    return errors


def dcentvfy_errors(files: Iterable[str | os.PathLike[str]]) -> list[str]:
    """``dcentvfy`` lines containing "Error" for all files of a series at once."""
    tool = require_tool("dcentvfy")
    result = _run([tool, *(str(p) for p in files)])
    output = result.stderr + result.stdout
    return [line for line in output.splitlines() if "Error" in line or "Abort" in line]


# --------------------------------------------------------------------------- reading


@dataclass
class PydicomVolume:
    """A series as read by pydicom alone, slices sorted along the normal."""

    volume: npt.NDArray[np.float64]  # (z, y, x), rescaled, float64
    origin: npt.NDArray[np.float64]  # IPP of the first slice
    row: npt.NDArray[np.float64]  # direction of increasing column index (x)
    col: npt.NDArray[np.float64]  # direction of increasing row index (y)
    pixel_spacing: tuple[float, float]  # (between rows, between columns), as in the file
    slice_spacing: float | None  # from the positions; None for one slice
    files: list[Path]  # in the sorted order
    datasets: list[pydicom.Dataset]

    @property
    def normal(self) -> npt.NDArray[np.float64]:
        return np.cross(self.row, self.col)

    def image(self) -> sitk.Image:
        """The volume as a 3-D SimpleITK image with the geometry read from the files."""
        image = sitk.GetImageFromArray(self.volume)
        image.SetOrigin(tuple(self.origin))
        image.SetSpacing((self.pixel_spacing[1], self.pixel_spacing[0], self.slice_spacing or 1.0))
        direction = np.column_stack([self.row, self.col, self.normal])
        image.SetDirection(tuple(direction.ravel()))
        return image


def pydicom_volume(directory: str | os.PathLike[str]) -> PydicomVolume:
    """Read every file of ``directory`` with pydicom, independently of SimpleITK."""
    files = sorted(p for p in Path(directory).iterdir() if p.is_file())
    assert files, f"{directory} holds no file"
    datasets: list[pydicom.Dataset] = [pydicom.dcmread(p) for p in files]
    first = datasets[0]
    iop = np.array([float(v) for v in first.ImageOrientationPatient])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    for ds in datasets:
        other = np.array([float(v) for v in ds.ImageOrientationPatient])
        assert np.allclose(other, iop, atol=1e-6), "IOP differs between files"
    positions = [np.array([float(v) for v in ds.ImagePositionPatient]) for ds in datasets]
    order = np.argsort([float(np.dot(p, normal)) for p in positions], kind="stable")
    datasets = [datasets[i] for i in order]
    files = [files[i] for i in order]
    positions = [positions[i] for i in order]
    planes = []
    for ds in datasets:
        stored = ds.pixel_array
        slope = float(ds.get("RescaleSlope", 1) or 1)
        intercept = float(ds.get("RescaleIntercept", 0) or 0)
        if "RescaleSlope" in ds or "RescaleIntercept" in ds:
            planes.append(np.asarray(apply_rescale(stored, ds), dtype=np.float64))
            # apply_rescale must agree with the plain formula in float64
            manual = stored.astype(np.float64) * slope + intercept
            np.testing.assert_allclose(planes[-1], manual, rtol=1e-12, atol=1e-9)
        else:
            planes.append(stored.astype(np.float64))
    volume = np.stack(planes)
    slice_spacing = None
    if len(positions) > 1:
        steps = np.diff([float(np.dot(p, normal)) for p in positions])
        slice_spacing = float(np.mean(steps))
        assert np.allclose(steps, slice_spacing, atol=1e-4), f"uneven slice steps {steps}"
    spacing = tuple(float(v) for v in first.PixelSpacing)
    return PydicomVolume(
        volume,
        positions[0],
        row,
        col,
        (spacing[0], spacing[1]),
        slice_spacing,
        files,
        datasets,
    )


def sitk_series(directory: str | os.PathLike[str]) -> sitk.Image:
    """Read a series the way SimpleITK users do: GDCM's file order, ImageSeriesReader."""
    ids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(directory))
    assert len(ids) == 1, f"expected one series in {directory}, found {ids}"
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(directory), ids[0]))
    image: sitk.Image = reader.Execute()
    return image


# --------------------------------------------------------------------------- geometry


def rotation(axis: Sequence[float], degrees: float) -> npt.NDArray[np.float64]:
    """Rotation matrix about ``axis`` (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    theta = np.deg2rad(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    matrix: npt.NDArray[np.float64] = (
        np.eye(3) + np.sin(theta) * cross + (1 - np.cos(theta)) * cross @ cross
    )
    return matrix


def make_image(
    array: npt.NDArray[np.generic],
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
) -> sitk.Image:
    """The reference SimpleITK image of an array and its (x, y, z) geometry."""
    image = sitk.GetImageFromArray(array)
    if spacing is not None:
        image.SetSpacing(tuple(float(v) for v in spacing))
    if origin is not None:
        image.SetOrigin(tuple(float(v) for v in origin))
    if direction is not None:
        image.SetDirection(tuple(float(v) for v in direction))
    return image


def geometry3(image: sitk.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(size, spacing, origin, direction 3x3) of a 2-D or 3-D image, embedded in 3-D."""
    dim = image.GetDimension()
    size = np.ones(3, dtype=np.int64)
    size[:dim] = image.GetSize()
    spacing = np.ones(3)
    spacing[:dim] = image.GetSpacing()
    origin = np.zeros(3)
    origin[:dim] = image.GetOrigin()
    direction = np.eye(3)
    direction[:dim, :dim] = np.array(image.GetDirection()).reshape(dim, dim)
    return size, spacing, origin, direction


def voxel_points(image: sitk.Image) -> npt.NDArray[np.float64]:
    """Physical point of every voxel, shape (z, y, x, 3), for a 2-D or 3-D image."""
    size, spacing, origin, direction = geometry3(image)
    k, j, i = np.meshgrid(*(np.arange(n) for n in size[::-1]), indexing="ij")
    index = np.stack([i, j, k], axis=-1).astype(np.float64)
    points: npt.NDArray[np.float64] = origin + (index * spacing) @ direction.T
    return points


def corner_points(image: sitk.Image) -> npt.NDArray[np.float64]:
    """Physical points of the (up to 8) corner voxels, sorted, via SimpleITK itself."""
    size = image.GetSize()
    corners = {
        tuple(c)
        for c in np.array(np.meshgrid(*[[0, n - 1] for n in size], indexing="ij"))
        .reshape(len(size), -1)
        .T.tolist()
    }
    points = [image.TransformIndexToPhysicalPoint([int(v) for v in c]) for c in corners]
    points3 = [tuple(p) + (0.0,) * (3 - len(p)) for p in points]
    return np.array(sorted(np.round(points3, 3).tolist()))


def assert_corners_match(actual: sitk.Image, expected: sitk.Image, atol: float = 1e-3) -> None:
    a, e = corner_points(actual), corner_points(expected)
    assert a.shape == e.shape, f"corner sets differ:\n{a}\n{e}"
    np.testing.assert_allclose(a, e, atol=atol, rtol=0)


def assert_same_in_physical_space(
    actual: sitk.Image, expected: sitk.Image, atol: float, position_tol: float = 1e-3
) -> float:
    """Every voxel of ``expected`` is a voxel of ``actual`` holding the same value.

    Both images must cover the same voxels (same count); axes may be permuted or
    flipped. Returns the largest absolute value difference.
    """
    a_size, a_spacing, a_origin, a_direction = geometry3(actual)
    assert int(np.prod(a_size)) == int(np.prod(geometry3(expected)[0])), (
        f"voxel counts differ: {actual.GetSize()} vs {expected.GetSize()}"
    )
    points = voxel_points(expected).reshape(-1, 3)
    continuous = ((points - a_origin) @ a_direction) / a_spacing
    index = np.rint(continuous)
    # positions in mm, so compare the index offset scaled by the spacing
    offset = np.max(np.abs(continuous - index) * a_spacing) if points.size else 0.0
    assert offset < position_tol, f"voxels are {offset} mm off the read-back grid"
    assert np.all(index >= 0) and np.all(index < a_size), "voxels outside the read-back image"
    i, j, k = index.astype(np.int64).T
    a_values = sitk.GetArrayViewFromImage(actual).reshape(a_size[::-1])[k, j, i]
    e_values = sitk.GetArrayViewFromImage(expected).reshape(-1)
    diff = np.abs(a_values.astype(np.float64) - e_values.astype(np.float64))
    worst = float(diff.max()) if diff.size else 0.0
    assert worst <= atol, f"values differ by up to {worst} > {atol}"
    return worst


def canonical_geometry(
    image: sitk.Image,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(spacing, origin, direction 3x3) a DICOM reader gives back for ``image``.

    DICOM readers stack slices along row x column: a left-handed volume comes
    back with its slice axis negated and the origin at its last slice.
    """
    size, spacing, origin, direction = geometry3(image)
    if np.linalg.det(direction) < 0:
        origin = origin + (size[2] - 1) * spacing[2] * direction[:, 2]
        direction = direction.copy()
        direction[:, 2] *= -1
    return spacing, origin, direction


# --------------------------------------------------------------------------- headers


def raw_ds_values(ds: pydicom.Dataset) -> list[tuple[str, str]]:
    """(element, raw text) of every single DS value, nested sequences included.

    Must be called on a freshly read dataset: raw values are taken before
    pydicom converts them.
    """
    found: list[tuple[str, str]] = []
    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value:
                found += raw_ds_values(item)
            continue
        if elem.VR != "DS":
            continue
        data = raw.value if isinstance(raw, RawDataElement) else None
        if data is None:
            text = "\\".join(
                getattr(v, "original_string", str(v))
                for v in (elem.value if elem.VM > 1 else [elem.value])
            )
        else:
            text = bytes(data).decode("ascii").rstrip("\x00 ")
        found += [(f"{elem.tag} {elem.keyword}", value) for value in text.split("\\")]
    return found


# --------------------------------------------------------------------------- Interfile

_NUMBER_FORMAT = {"f": "float", "i": "signed integer", "u": "unsigned integer"}


def write_interfile(
    directory: Path,
    array: npt.NDArray[np.generic],
    *,
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    offset: int = 0,
    byte_order: str | None = "LITTLEENDIAN",
    header_name: str = "image.hv",
    data_name: str | None = None,
    extra: str = "",
) -> Path:
    """Write ``array`` (z, y, x or y, x) as an Interfile header + raw data file.

    The data are stored in the byte order named by ``byte_order`` (big endian
    when ``None``, which is the 3.3 default and so omits the key), preceded by
    ``offset`` junk bytes.
    """
    data_name = data_name or Path(header_name).stem + ".v"
    data_path = Path(data_name) if Path(data_name).is_absolute() else directory / data_name
    data_path.parent.mkdir(parents=True, exist_ok=True)
    stored = array.dtype.newbyteorder("<" if byte_order == "LITTLEENDIAN" else ">")
    junk = bytes((7 * i + 3) % 256 for i in range(offset))
    data_path.write_bytes(junk + array.astype(stored).tobytes())

    size = array.shape[::-1]
    lines = [
        "!INTERFILE  :=",
        f"!name of data file := {data_name}",
        "!GENERAL DATA :=",
        f"!number format := {_NUMBER_FORMAT[array.dtype.kind]}",
        f"!number of bytes per pixel := {array.dtype.itemsize}",
        f"number of dimensions := {array.ndim}",
    ]
    if byte_order is not None:
        lines.append(f"imagedata byte order := {byte_order}")
    for axis, n in enumerate(size, start=1):
        lines.append(f"!matrix size [{axis}] := {n}")
        if spacing is not None:
            lines.append(f"scaling factor (mm/pixel) [{axis}] := {spacing[axis - 1]!r}")
        if origin is not None:
            lines.append(f"first pixel offset (mm) [{axis}] := {origin[axis - 1]!r}")
    lines.append(f"data offset in bytes[1] := {offset}")
    lines.append(extra)
    lines.append("!END OF INTERFILE :=")
    header_path = directory / header_name
    header_path.write_text("\n".join(lines) + "\n")
    return header_path


# --------------------------------------------------------------------------- Orthanc


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Orthanc:
    """A running Orthanc: its REST base URL, DICOM port and AE title."""

    base: str
    dicom_port: int
    aet: str = "ORTHANC"

    @property
    def dicomweb(self) -> str:
        return self.base + "/dicom-web"


@contextlib.contextmanager
def orthanc_server(root: Path) -> Iterator[Orthanc]:
    """Start a real Orthanc on loopback with a private storage folder (and DICOMweb)."""
    binary = require_tool("Orthanc", system=True)
    plugins = [
        Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
        # Orthanc's own decoder lacks JPEG 2000; its GDCM plugin renders those previews.
        Path("/usr/share/orthanc/plugins/libOrthancGdcm.so"),
    ]
    for plugin in plugins:
        if not plugin.exists():
            message = f"the Orthanc plugin {plugin.name} is not installed"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message + " (required in CI)")
            pytest.skip(message)
    http, dicom = free_port(), free_port()
    config = {
        "Name": "dicomwriter-test", "HttpPort": http, "DicomPort": dicom, "DicomAet": "ORTHANC",
        "StorageDirectory": str(root / "db"), "IndexDirectory": str(root / "db"),
        "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
        "HttpBindAddress": "127.0.0.1", "DicomBindAddress": "127.0.0.1",
        "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True,
        "Plugins": [str(p) for p in plugins], "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }  # fmt: skip
    (root / "orthanc.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("w")
    process = subprocess.Popen([binary, str(root / "orthanc.json")], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{http}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/system", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"Orthanc did not start: {(root / 'orthanc.log').read_text()[-2000:]}")
            time.sleep(0.2)
    try:
        yield Orthanc(base, dicom)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
