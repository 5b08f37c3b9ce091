"""The tests run against the installed package, and the package holds every module."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import simpleitk_dicomwriter

SOURCE = Path(__file__).resolve().parents[1] / "src" / "simpleitk_dicomwriter"


def _module_names() -> list[str]:
    names = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":  # importing it runs the command line (tested below)
            names.append(".".join(parts))
    return names


def test_the_suite_imports_the_installed_package_not_the_source_tree() -> None:
    installed = Path(simpleitk_dicomwriter.__file__).resolve().parent
    assert installed != SOURCE, (
        f"simpleitk_dicomwriter was imported from the source tree {SOURCE}; "
        "install the wheel (see .ci/run) so that a file left out of the package fails"
    )


@pytest.mark.parametrize("name", _module_names())
def test_every_source_module_is_in_the_installed_package(name: str) -> None:
    module = importlib.import_module(name)
    installed = Path(simpleitk_dicomwriter.__file__).resolve().parent
    assert module.__file__ is not None
    relative = Path(module.__file__).resolve().relative_to(installed)
    assert (SOURCE / relative).read_bytes() == Path(module.__file__).read_bytes(), (
        f"the installed {name} differs from {SOURCE / relative}; reinstall the package"
    )


def test_type_information_ships() -> None:
    installed = Path(simpleitk_dicomwriter.__file__).resolve().parent
    assert (installed / "py.typed").is_file()


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simpleitk_dicomwriter", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dicomwriter {simpleitk_dicomwriter.__version__}"
