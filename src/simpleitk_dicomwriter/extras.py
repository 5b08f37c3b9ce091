"""Optional dependencies: imported only where used, with an error naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import DicomWriterError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise a :class:`DicomWriterError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DicomWriterError(
            f"{module} is needed for this; install it with "
            f"pip install 'simpleitk_dicomwriter[{extra}]'"
        ) from None
