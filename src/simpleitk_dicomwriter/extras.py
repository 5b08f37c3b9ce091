"""Optional dependencies: imported only where used, with an error naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import DicomWriterError

__all__ = ["require"]


def require(
    module: str, extra: str, error: type[DicomWriterError] = DicomWriterError
) -> ModuleType:
    """Import ``module``, or raise ``error`` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise error(
            f"{module} is needed for this; install it with "
            f"pip install 'simpleitk_dicomwriter[{extra}]'"
        ) from None
