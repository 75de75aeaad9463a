"""igny8's own processes in tests: free ports, `igny8 worker` / `igny8 api` subprocesses and
reading their logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_METRICS_PORTS = {"IGNY8_METRICS_PORT": "0", "IGNY8_SDK_METRICS_PORT": "0"}
IGNY8 = str(Path(sys.executable).parent / "igny8")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A child process whose combined output is collected line by line in the background."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            # No fixed metrics ports unless the test asks: two processes here would collide.
            env={**os.environ, **NO_METRICS_PORTS, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def flat_output(self) -> str:
        """The output with line breaks and runs of spaces as one space (rich wraps at 80)."""
        return " ".join(self.output.split())

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        """The first output line containing `text` (AssertionError with the output if none)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None:
                self._reader.join(timeout=2)
                if any(text in line for line in self.lines):
                    continue
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} in output:\n{self.output}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then SIGKILL if it will not go; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


def igny8(*args: str, env: dict[str, str] | None = None) -> Process:
    """`igny8 ARGS...` as a child process."""
    return Process([IGNY8, *args], env or {})
