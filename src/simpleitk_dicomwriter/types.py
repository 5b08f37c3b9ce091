"""Type aliases shared by the public functions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pydicom
import SimpleITK as sitk

__all__ = ["ImageInput", "MetadataInput", "Modality", "PathInput", "TemplateInput"]

#: A file system path as the public functions accept it.
PathInput: TypeAlias = str | os.PathLike[str]
#: A 2-D or 3-D scalar image: a SimpleITK image, or an array shaped (z, y, x) or (y, x).
ImageInput: TypeAlias = sitk.Image | npt.NDArray[np.generic]
#: DICOM keyword or ``gggg|eeee`` tag -> value, a list of values, or a list of dicts
#: for a sequence.
MetadataInput: TypeAlias = Mapping[str, object]
#: What a derived series takes its study from.
TemplateInput: TypeAlias = str | os.PathLike[str] | pydicom.Dataset | sitk.Image
#: The storage SOP classes the writer writes (case-insensitive at run time).
Modality: TypeAlias = Literal["CT", "MR", "PT", "OT"]
