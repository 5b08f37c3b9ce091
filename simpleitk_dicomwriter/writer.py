"""The series writer: the only caller of ``SimpleITK.ImageFileWriter``.

A series is written into a hidden temporary directory beside ``output_dir``,
verified there, and published with one rename, so a reader sees the complete
series or nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID

from . import encoding as enc
from .errors import InputError, OutputError, VerificationError
from .geometry import Geometry, as_image
from .iods import IOD, IODS
from .metadata import SeriesHeader, UserMetadata, series_header, slice_tags, validate_metadata
from .sequences import add_sequences
from .tags import Element, Value, format_value, resolve
from .template import Template, load_template
from .verify import VerificationReport, compare

__all__ = ["WrittenSeries", "write_series"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class WrittenSeries:
    """What :func:`write_series` wrote.

    Attributes
    ----------
    directory : pathlib.Path
        The published series directory.
    files : tuple of pathlib.Path
        One file per slice, in slice order.
    study_instance_uid, series_instance_uid, frame_of_reference_uid : str
        The identifiers shared by every file.
    sop_class_uid : str
        The storage SOP class of every file.
    rescale_slope, rescale_intercept : float
        Exactly the values written to (0028,1053) and (0028,1052).
    max_error : float
        Largest absolute difference between input and decoded stored values;
        0.0 when lossless, never more than half the slope.
    report : VerificationReport or None
        The verification, or None when ``verify=False``.
    """

    directory: Path
    files: tuple[Path, ...]
    study_instance_uid: str
    series_instance_uid: str
    frame_of_reference_uid: str
    sop_class_uid: str
    rescale_slope: float
    rescale_intercept: float
    max_error: float
    report: VerificationReport | None


_primed = False


def _prime_gdcm() -> None:
    """Put GDCM's process-global flags in the state a DICOM read leaves them.

    ITK's DICOM reader switches on GDCM's ForceRescaleInterceptSlope (and the
    image plane for Secondary Capture) for the rest of the process. Before
    that, GDCM writes MR with a rescale as Enhanced MR and drops Secondary
    Capture geometry. Reading one tiny file first makes every write the same,
    whatever the process did before.
    """
    global _primed
    if _primed:
        return
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = UID("2.25.1")
    ds.Modality = "OT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = b"\0\0"
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "prime.dcm")
        ds.save_as(path, enforce_file_format=True)
        reader = sitk.ImageFileReader()
        reader.SetImageIO("GDCMImageIO")
        reader.SetFileName(path)
        reader.ReadImageInformation()
    _primed = True


def _prepare_output(output_dir: Path, overwrite: bool) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"{output_dir} exists and is not a directory")
    if output_dir.is_dir() and any(output_dir.iterdir()) and not overwrite:
        raise OutputError(f"{output_dir} is not empty; pass overwrite=True to replace it")
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {output_dir.parent}: {error.strerror}") from error


def _publish(staging: Path, output_dir: Path) -> None:
    """Move the finished series into place, replacing any old one whole."""
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    if not output_dir.exists():
        staging.rename(output_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".old",
                                    dir=output_dir.parent))  # fmt: skip
    retired.rmdir()
    output_dir.rename(retired)
    try:
        staging.rename(output_dir)
    except OSError:
        retired.rename(output_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _inherited(template: Template | None, same_frame: bool) -> dict[Element, str]:
    """Template elements the series takes, with a Series Number of its own."""
    if template is None:
        return {}
    inherited = dict(template.study)
    if same_frame:
        inherited.update(template.frame)
    if template.series_number is not None:
        number = resolve("SeriesNumber")
        # Scanners number derived series 1000 above their source; keep within IS.
        inherited[number] = format_value(number, (template.series_number + 1000) % 2**31)
    return inherited


def _sequence_elements(
    iod: IOD,
    user: UserMetadata,
    template: Template | None,
    geometry: Geometry,
    same_frame: bool,
) -> tuple[dict[int, DicomSequence], list[dict[int, DicomSequence]] | None]:
    """Sequences for every file, and Source Image Sequence for each slice."""
    common = {resolve(k, allow_sequence=True).tag: DicomSequence() for k in iod.sequences}
    common.update({element.tag: items for element, items in user.sequences.items()})
    if template is None or not template.sources:
        return common, None
    source_tag = resolve("SourceImageSequence", allow_sequence=True).tag
    per_file = []
    count = geometry.size[2]
    for k in range(count):
        if same_frame:
            source = template.nearest(geometry.position(k))
        else:
            source = template.sources[round(k * (len(template.sources) - 1) / max(count - 1, 1))]
        assert source is not None  # template.sources is not empty
        item = Dataset()
        item.ReferencedSOPClassUID = source.sop_class_uid
        item.ReferencedSOPInstanceUID = source.sop_instance_uid
        per_file.append({source_tag: DicomSequence([item])})
    return common, per_file


def _write_slices(
    staging: Path,
    voxels: npt.NDArray[np.generic],
    geometry: Geometry,
    header: SeriesHeader,
    encoding: enc.Encoding,
    iod: IOD,
    progress: Progress | None,
) -> tuple[list[Path], float]:
    _prime_gdcm()
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    writer.SetImageIO("GDCMImageIO")
    planes = voxels.reshape(-1, *voxels.shape[-2:])
    count = planes.shape[0]
    width = max(4, len(str(count)))
    # GDCM writes Pixel Spacing and Spacing Between Slices from the image spacing;
    # handing it the Decimal String values keeps the file equal to what is verified.
    # Each slice is a one-slice volume so that GDCM takes the slice spacing, not 1.
    column, row, step = geometry.written_spacing
    spacing = (column, row, step if step is not None else 1.0)
    files, worst = [], 0.0
    for k in range(count):
        pixels, error = enc.encode(planes[k], encoding)
        worst = max(worst, error)
        plane = sitk.GetImageFromArray(pixels[np.newaxis])
        plane.SetSpacing(spacing)
        for key, value in header.tags.items():
            plane.SetMetaData(key, value)
        for key, value in slice_tags(iod, geometry, k).items():
            plane.SetMetaData(key, value)
        path = staging / f"{k + 1:0{width}d}.dcm"
        writer.SetFileName(str(path))
        try:
            writer.Execute(plane)
        except RuntimeError as error:
            raise OutputError(f"writing {path.name} failed: {error}") from error
        files.append(path)
        if progress is not None:
            progress(k + 1, count)
    return files, worst


def write_series(
    image: sitk.Image | npt.NDArray[np.generic],
    output_dir: str | os.PathLike[str],
    *,
    modality: str = "CT",
    metadata: Mapping[str, Value | object] | None = None,
    template: object | None = None,
    same_frame_of_reference: bool = True,
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
    rescale: str | tuple[float, float] = "auto",
    overwrite: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
) -> WrittenSeries:
    """Write an image as a DICOM series, one file per slice.

    Parameters
    ----------
    image : SimpleITK.Image or numpy.ndarray
        2-D or 3-D scalar image; an array is shaped (z, y, x) or (y, x).
    output_dir : path
        Directory to create; must be absent or empty unless ``overwrite``.
    modality : {"CT", "MR", "PT", "OT"}
        Selects the storage SOP class: CT Image, MR Image, PET Image or
        Secondary Capture Image.
    metadata : mapping, optional
        DICOM keyword or ``gggg|eeee`` -> value (a list for several values,
        a list of dicts for a sequence). Wins over the template.
    template : path, pydicom.Dataset or SimpleITK.Image, optional
        The source this series derives from: a DICOM file, a directory of one
        series, a dataset, or an image read from DICOM. The output joins its
        study (patient and study attributes), and each slice references the
        nearest template instance in Source Image Sequence.
    same_frame_of_reference : bool
        With a template, share its Frame of Reference UID (the output lies in
        the same patient space). False gives the series a new one.
    spacing, origin, direction : sequence of float, optional
        Geometry of an ndarray in SimpleITK's (x, y, z) order.
    rescale : "auto" or (slope, intercept)
        How values are stored; see :func:`simpleitk_dicomwriter.encoding.choose`.
    overwrite : bool
        Replace a non-empty ``output_dir`` (the old files are all removed).
    verify : bool
        Re-read the series and compare it with the input before publishing.
    progress : callable, optional
        Called as ``progress(slices_written, total)`` after each slice.

    Returns
    -------
    WrittenSeries

    Raises
    ------
    InputError, MetadataError, OutputError, VerificationError
        Nothing is left on disk when any of them is raised.
    """
    iod = IODS.get(str(modality).upper())
    if iod is None:
        raise InputError(f"modality {modality!r} is not one of {', '.join(IODS)}")
    voxels, geometry = as_image(image, spacing, origin, direction)
    user = validate_metadata(metadata)
    source = load_template(template) if template is not None else None
    value_range = enc.scan(voxels)
    encoding = enc.choose(
        value_range, allow_8bit=iod.allow_8bit, zero_intercept=iod.zero_intercept, rescale=rescale
    )
    header = series_header(
        iod, geometry, encoding, value_range, user.values,
        _inherited(source, same_frame_of_reference),
    )  # fmt: skip
    common, per_file = _sequence_elements(iod, user, source, geometry, same_frame_of_reference)
    output_dir = Path(output_dir).absolute()
    _prepare_output(output_dir, overwrite)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".partial",
                                        dir=output_dir.parent))  # fmt: skip
    except OSError as error:
        raise OutputError(f"cannot write in {output_dir.parent}: {error.strerror}") from error
    try:
        files, max_error = _write_slices(staging, voxels, geometry, header, encoding, iod, progress)
        add_sequences(files, common, per_file)
        report = None
        if verify:
            report = compare(staging, voxels, geometry, encoding.bound,
                             (encoding.slope, encoding.intercept))  # fmt: skip
            report.directory = str(output_dir)
            if not report.ok:
                raise VerificationError(
                    "the written series does not round-trip: " + "; ".join(report.problems),
                    report,
                )
        _publish(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WrittenSeries(
        directory=output_dir,
        files=tuple(output_dir / f.name for f in files),
        study_instance_uid=header.study_instance_uid,
        series_instance_uid=header.series_instance_uid,
        frame_of_reference_uid=header.frame_of_reference_uid,
        sop_class_uid=iod.sop_class_uid,
        rescale_slope=encoding.slope,
        rescale_intercept=encoding.intercept,
        max_error=max_error,
        report=report,
    )
