"""The built-in example images that every command taking an IMAGE accepts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import SimpleITK as sitk

from ..errors import InputError

__all__ = ["EXAMPLE_PREFIX", "example_image"]

#: ``example:NAME`` on the command line names a built-in image.
EXAMPLE_PREFIX = "example:"


def _ct_phantom() -> sitk.Image:
    """A 64 x 64 x 32 int16 CT of an elliptical body with lungs, spine and a lesion."""
    z, y, x = np.mgrid[0:32, 0:64, 0:64].astype(np.float64)
    y, x = (y - 31.5) / 32, (x - 31.5) / 32
    # The body narrows towards both ends, so coronal and sagittal views show a shape.
    taper = 1 - 0.35 * ((z - 15.5) / 16) ** 2
    hu = np.full((32, 64, 64), -1000, np.int16)  # air
    hu[(x / (0.9 * taper)) ** 2 + (y / (0.7 * taper)) ** 2 < 1] = 40  # soft tissue
    for side in (-1, 1):
        lung = ((x - side * 0.4) / 0.28) ** 2 + ((y + 0.05) / 0.45) ** 2 + ((z - 18) / 14) ** 2
        hu[lung < 1] = -850  # lungs
    hu[(x**2 + (y - 0.5) ** 2) < 0.1**2] = 700  # spine
    hu[(x + 0.4) ** 2 + (y + 0.1) ** 2 + ((z - 16) / 32) ** 2 < 0.08**2] = 60  # lesion
    image = sitk.GetImageFromArray(hu)
    image.SetSpacing((0.8, 0.8, 2.5))
    image.SetOrigin((-25.2, -25.2, -38.75))  # centred on the origin of patient space
    return image


_EXAMPLES: dict[str, tuple[Callable[[], sitk.Image], dict[str, str]]] = {
    "ct": (
        _ct_phantom,
        {
            "PatientName": "Phantom^Example",
            "PatientID": "EXAMPLE-CT",
            "SeriesDescription": "dicomwriter example CT phantom",
            "StudyDescription": "dicomwriter example",
        },
    ),
}


def example_image(name: str) -> tuple[sitk.Image, dict[str, str]]:
    """A built-in example image and the metadata written with it.

    Parameters
    ----------
    name : str
        ``"ct"``: a 64 x 64 x 32 synthetic CT phantom in Hounsfield units.

    Returns
    -------
    image : SimpleITK.Image
    metadata : dict
        Keyword -> value that describe the example (patient, descriptions).

    Raises
    ------
    InputError
        For an unknown name.
    """
    if name not in _EXAMPLES:
        known = ", ".join(EXAMPLE_PREFIX + n for n in _EXAMPLES)
        raise InputError(f"{EXAMPLE_PREFIX}{name}: no such example image (known: {known})")
    make, metadata = _EXAMPLES[name]
    return make(), dict(metadata)
