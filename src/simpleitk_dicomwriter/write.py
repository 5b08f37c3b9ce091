"""Writing a series: validate everything, write, verify, publish.

:func:`write_series` decides the whole header before the first byte is
written, has the engine write the slices into a staging directory, verifies
them there and only then lets the directory sink publish them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.uid import UID

from .dicom.derived import inherited, typed_elements
from .dicom.header import series_header, validate_metadata
from .dicom.iods import IODS
from .dicom.syntaxes import DEFAULT, TransferSyntax
from .dicom.syntaxes import transfer_syntax as resolve_syntax
from .engine.codecs import frame_encoder
from .engine.slices import Progress, write_slices
from .errors import InputError, MetadataError, VerificationError
from .images import as_image
from .pixels import rescale as enc
from .readers.template import load_template
from .sinks.directory import OutputTarget, resolve_output
from .sinks.fileset import make_fileset
from .types import ImageInput, MetadataInput, Modality, PathInput, TemplateInput
from .verify import VerificationReport, compare

__all__ = ["WrittenSeries", "write_series"]

_log = logging.getLogger(__name__)
_PATIENT_ID = "0010|0020"


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

    def __repr__(self) -> str:
        # The default repr lists every file: 20,000 characters for 400 slices.
        verified = "not verified" if self.report is None else f"verified ok={self.report.ok}"
        return (
            f"WrittenSeries(directory={str(self.directory)!r}, files={len(self.files)}, "
            f"series_instance_uid={self.series_instance_uid!r}, "
            f"study_instance_uid={self.study_instance_uid!r}, "
            f"rescale=({self.rescale_slope:.10g}, {self.rescale_intercept:.10g}), "
            f"max_error={self.max_error:.6g}, {verified})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: paths as strings, ``files`` as a count."""
        return {
            "directory": str(self.directory),
            "files": len(self.files),
            "study_instance_uid": self.study_instance_uid,
            "series_instance_uid": self.series_instance_uid,
            "frame_of_reference_uid": self.frame_of_reference_uid,
            "sop_class_uid": self.sop_class_uid,
            "sop_class_name": UID(self.sop_class_uid).name,
            "rescale_slope": self.rescale_slope,
            "rescale_intercept": self.rescale_intercept,
            "max_error": self.max_error if math.isfinite(self.max_error) else None,
            "report": self.report.to_dict() if self.report is not None else None,
        }


def write_series(
    image: ImageInput,
    output_dir: PathInput,
    *,
    modality: Modality = "CT",
    metadata: MetadataInput | None = None,
    template: TemplateInput | None = None,
    same_frame_of_reference: bool = True,
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
    rescale: str | tuple[float, float] = "auto",
    transfer_syntax: str | TransferSyntax = DEFAULT,
    dicomdir: bool = False,
    overwrite: bool = False,
    verify: bool = True,
    durable: bool = True,
    progress: Progress | None = None,
) -> WrittenSeries:
    """Write an image as a DICOM series, one file per slice.

    Parameters
    ----------
    image : SimpleITK.Image or numpy.ndarray
        2-D or 3-D scalar image; an array is shaped (z, y, x) or (y, x).
    output_dir : path
        Directory to create; must be absent or empty unless ``overwrite``. A
        symbolic link is followed; an existing directory keeps its mode and owner.
        Writers of one directory are serialised: a second one gets ``OutputError``.
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
        How values are stored; see :func:`simpleitk_dicomwriter.pixels.rescale.choose`.
    transfer_syntax : str
        How the files are encoded, all lossless: ``"explicit"`` (the default,
        Explicit VR Little Endian), ``"implicit"``, ``"jpeg-lossless"``
        (Process 14 SV1), ``"jpeg2000-lossless"``, ``"rle"``,
        ``"jpeg-ls-lossless"``, or the transfer syntax UID. The compressed
        ones need the ``[codecs]`` extra.
    dicomdir : bool
        Write a DICOM file-set for removable media: a ``DICOMDIR`` at the top
        of ``output_dir`` and the files below it under media file IDs. Needs a
        (0010,0020) PatientID from ``metadata`` or the template.
    overwrite : bool
        Replace the DICOM series in a non-empty ``output_dir``. A directory that
        holds anything else (a non-DICOM file, a subfolder) is refused untouched.
    verify : bool
        Re-read the series and compare it with the input before publishing.
    durable : bool
        When the call returns, the files and directory entries are on stable
        storage, and an overwritten series was removed only after that. False
        skips the syncing (scratch output).
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
    syntax = resolve_syntax(transfer_syntax)
    frame_encoder(syntax)  # a missing codec is an InputError before anything is written
    if dicomdir and syntax.implicit:
        raise InputError(
            "(0002,0010) TransferSyntaxUID: implicit cannot be used with dicomdir; every "
            "media profile (PS3.11) requires Explicit VR"
        )
    voxels, geometry = as_image(image, spacing, origin, direction)
    user = validate_metadata(metadata, iod)
    source = load_template(template) if template is not None else None
    value_range = enc.scan(voxels)
    encoding = enc.choose(
        value_range, allow_8bit=iod.allow_8bit, zero_intercept=iod.zero_intercept, rescale=rescale
    )
    carried = inherited(source, same_frame_of_reference, iod)
    header = series_header(iod, geometry, encoding, value_range, user.values, carried)
    common, per_file = typed_elements(
        iod, user, source, geometry, same_frame_of_reference, encoding.signed
    )
    given = {element.key: text for element, text in user.values.items()}
    if dicomdir and not given.get(_PATIENT_ID, header.tags.get(_PATIENT_ID, "")).strip():
        raise MetadataError(
            "(0010,0020) PatientID: a DICOM file-set (dicomdir) needs one; give it in "
            "metadata or take it from a template"
        )
    target = resolve_output(output_dir)
    # Reported as given (a symbolic link stays the user's name for the directory).
    shown = Path(output_dir).absolute()
    with OutputTarget(target, overwrite, durable) as out:
        files, max_error = write_slices(
            out.staging, voxels, geometry, header, encoding, iod, progress,
            syntax=syntax, common=common, per_file=per_file, on_final=out.syncer.submit,
        )  # fmt: skip
        if dicomdir:
            out.syncer.wait()  # the files are moved next: synced where they are
            files = make_fileset(out.staging, files, sync=out.make_durable)
        staging = out.staging
        report = None
        if verify:
            report = compare(out.staging, voxels, geometry, encoding.bound,
                             (encoding.slope, encoding.intercept),
                             {**carried, **user.values})  # fmt: skip
            report.directory = str(shown)
            if not report.ok:
                raise VerificationError(
                    "the written series does not round-trip: " + "; ".join(report.problems),
                    report,
                )
        out.publish()
    _log.info("wrote %d files to %s", len(files), shown)
    return WrittenSeries(
        directory=shown,
        files=tuple(shown / f.relative_to(staging) for f in files),
        study_instance_uid=header.study_instance_uid,
        series_instance_uid=header.series_instance_uid,
        frame_of_reference_uid=header.frame_of_reference_uid,
        sop_class_uid=iod.sop_class_uid,
        rescale_slope=encoding.slope,
        rescale_intercept=encoding.intercept,
        max_error=max_error,
        report=report,
    )
