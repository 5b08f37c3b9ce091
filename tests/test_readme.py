"""The README's Python blocks run as pasted, in order, in an empty folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_every_python_block_runs_as_pasted(tmp_path: Path) -> None:
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    for number, code in enumerate(blocks, 1):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"README block {number} failed:\n{code}\n{result.stderr}"
    assert (tmp_path / "study" / "ct-smoothed").is_dir()
    assert (tmp_path / "out" / "pet").is_dir()
