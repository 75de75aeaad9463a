"""Every benchmark the README lists still starts: its imports and arguments are sound.

The benchmarks run for minutes to hours, so the suite does not run them; this catches the rot
a refactor leaves behind (a moved helper, a renamed option) before someone needs the figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Modules the benchmarks import, not scripts of their own.
LIBRARIES = {"cpu_meter.py", "provider_process.py"}
SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py") if p.name not in LIBRARIES)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_starts(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_the_readme_lists_every_benchmark() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in SCRIPTS if f"bench/{p.name}" not in readme]
    assert not missing, f"not in the README: {missing}"
