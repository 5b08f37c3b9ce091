"""SimpleITK images as the writer sees them: validated voxels and their geometry.

DICOM patient space (LPS) is SimpleITK's physical space, so a slice's Image
Position (Patient) is the physical point of its first voxel and Image
Orientation (Patient) the first two columns of the direction matrix. This is
the one place that turns an image or an ndarray with its geometry into
(z, y, x) voxels and a :class:`~simpleitk_dicomwriter.pixels.geometry.Geometry`,
and the one place that turns a SimpleITK exception into a message.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk

from .errors import InputError
from .pixels.geometry import Geometry, check_array, check_geometry_values, floats

__all__ = ["as_image", "geometry_of", "sitk_reason"]


def sitk_reason(error: BaseException) -> str:
    """The useful last line of a SimpleITK/ITK exception message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


_LABEL_MAPS = {
    sitk.sitkLabelUInt8,
    sitk.sitkLabelUInt16,
    sitk.sitkLabelUInt32,
    sitk.sitkLabelUInt64,
}
_COMPLEX = {sitk.sitkComplexFloat32, sitk.sitkComplexFloat64}


def _scalar_pixels(image: sitk.Image) -> sitk.Image:
    """A label map as its label image; complex pixels refused.

    Asking a label map for its pixels aborts the process (SIGABRT in ITK), so
    the pixel type is looked at before anything else.
    """
    pixel = image.GetPixelID()
    if pixel in _LABEL_MAPS:
        try:
            label: sitk.Image = sitk.LabelMapToLabel(image)
            return label
        except RuntimeError as error:
            raise InputError(f"the label map cannot be converted ({sitk_reason(error)})") from None
    if pixel in _COMPLEX or pixel == sitk.sitkUnknown:
        raise InputError(
            f"pixel type {image.GetPixelIDTypeAsString()} (a complex dtype) cannot be written; "
            "DICOM images are real-valued (take the magnitude or the real part first)"
        )
    return image


def geometry_of(image: sitk.Image) -> Geometry:
    """The geometry of a validated 2-D or 3-D SimpleITK image."""
    return Geometry.from_parts(
        image.GetSize(), image.GetSpacing(), image.GetOrigin(), image.GetDirection()
    )


def as_image(
    image: sitk.Image | npt.NDArray[np.generic],
    spacing: Sequence[float] | None = None,
    origin: Sequence[float] | None = None,
    direction: Sequence[float] | None = None,
) -> tuple[npt.NDArray[np.generic], Geometry]:
    """Validate the input and return its voxels (z, y, x) and its geometry.

    Parameters
    ----------
    image : SimpleITK.Image or ndarray
        A 2-D or 3-D scalar image, or an array shaped (z, y, x) or (y, x).
    spacing, origin, direction : sequence of float, optional
        Only with an ndarray, in SimpleITK's (x, y, z) order; the defaults are
        spacing 1, origin 0 and the identity.

    Returns
    -------
    voxels : ndarray
        A view of the voxels (no copy for a SimpleITK image or a C-ordered array).
    geometry : Geometry

    Raises
    ------
    InputError
        For anything DICOM or this package cannot write.
    """
    if isinstance(image, sitk.Image):
        original = image
        image = _scalar_pixels(image)
        if spacing is not None or origin is not None or direction is not None:
            raise InputError(
                "spacing, origin and direction are given only with an ndarray; a "
                "SimpleITK.Image carries its own (use image.SetSpacing() etc.)"
            )
        if image.GetNumberOfComponentsPerPixel() != 1:
            raise InputError(
                f"the image has {image.GetNumberOfComponentsPerPixel()} components per pixel; "
                "only scalar images can be written"
            )
        if image.GetDimension() not in (2, 3):
            raise InputError(f"the image is {image.GetDimension()}-D; expected 2-D or 3-D")
        # A view keeps no reference to its image: copy from a converted one, which
        # nothing else keeps alive.
        view = image is original
        voxels = sitk.GetArrayViewFromImage(image) if view else sitk.GetArrayFromImage(image)
        check_array(voxels)
        check_geometry_values(image.GetSpacing(), image.GetDirection(), image.GetDimension())
        if not all(np.isfinite(image.GetOrigin())):
            raise InputError(f"origin {image.GetOrigin()} is not finite")
        return voxels, geometry_of(image)
    if not isinstance(image, np.ndarray):
        raise InputError(
            f"image must be a SimpleITK.Image or a numpy.ndarray, not {type(image).__name__}"
        )
    check_array(image)
    dim = image.ndim
    spacing_v = floats("spacing", spacing) if spacing is not None else (1.0,) * dim
    origin_v = floats("origin", origin) if origin is not None else (0.0,) * dim
    direction_v = (
        floats("direction", direction)
        if direction is not None
        else tuple(np.eye(dim).ravel().tolist())
    )
    for name, given in (("spacing", spacing_v), ("origin", origin_v)):
        if len(given) != dim:
            raise InputError(f"{name} has {len(given)} values; a {dim}-D array needs {dim}")
    if not all(np.isfinite(origin_v)):
        raise InputError(f"origin {origin_v} is not finite")
    check_geometry_values(spacing_v, direction_v, dim)
    # A throw-away header image lets SimpleITK own the geometry conventions.
    header = sitk.Image([1] * dim, sitk.sitkUInt8)
    header.SetSpacing(spacing_v)
    header.SetOrigin(origin_v)
    header.SetDirection(direction_v)
    geometry = geometry_of(header)
    size = image.shape[::-1]
    geometry = Geometry(
        (size[0], size[1], size[2] if dim == 3 else 1),
        geometry.spacing,
        geometry.origin,
        geometry.direction,
    )
    # Native byte order for the encoder and SimpleITK (no copy when it already is).
    return np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("=")), geometry
