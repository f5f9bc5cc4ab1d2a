"""The public API's type hints hold: ``mypy --strict`` on the package (``py.typed`` ships
in the wheel, so users' type checkers read these hints) and on the Python example, which
uses the API the way a typed application would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent
EXAMPLE = PACKAGE_DIR.parent.parent / "examples" / "python" / "quickstart.py"


def test_package_and_example_pass_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy; bindings/run-tests.sh installs it)")
    assert (PACKAGE_DIR / "lumen" / "py.typed").is_file()
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "lumen", str(EXAMPLE)]
    run = subprocess.run(command, cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, f"mypy --strict found problems:\n{run.stdout}{run.stderr}"
    assert "Success: no issues found" in run.stdout, run.stdout
