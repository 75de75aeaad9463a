"""The benchmarks' OpenAI-compatible provider in a process of its own, as a real provider is.

In the worker's process its request threads would share the worker's interpreter (and GIL):
the benchmark would measure the fake provider's Python as much as igny8's. This module runs
tests/helpers/fake_openai.FakeOpenAI in a child process and reads its counters back over a
pipe; `ProviderProcess` offers the attributes the benchmarks read from a FakeOpenAI.

    with ProviderProcess(latency=1.0, max_in_flight=32) as fake:
        ... fake.base_url, fake.api_key ...
        fake.collect()  # the counters and the recorded requests, once the run is over
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CallRecord:
    """One request the provider saw (what the benchmarks' timelines need)."""

    endpoint: str
    schema_name: str
    at: float  # time.monotonic() in the provider's process: the same clock on one machine


@dataclass
class ProviderProcess:
    latency: float = 0.0
    max_in_flight: int | None = None
    fault_rate: float = 0.0
    hang_seconds: float = 3.0
    base_url: str = ""
    api_key: str = ""
    served_seconds: float = 0.0
    peak_in_flight: int = 0
    rejected_at_cap: int = 0
    faults_injected: int = 0
    requests: list[CallRecord] = field(default_factory=list)
    _proc: subprocess.Popen[str] | None = None

    def start(self) -> ProviderProcess:
        config = {
            "latency": self.latency,
            "max_in_flight": self.max_in_flight,
            "fault_rate": self.fault_rate,
            "hang_seconds": self.hang_seconds,
        }
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), json.dumps(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = json.loads(self._ask(None))
        self.base_url, self.api_key = hello["base_url"], hello["api_key"]
        return self

    def collect(self) -> None:
        """Read the provider's counters and requests (call once the run is over)."""
        stats = json.loads(self._ask("stats"))
        for key in ("served_seconds", "peak_in_flight", "rejected_at_cap", "faults_injected"):
            setattr(self, key, stats[key])
        self.requests = [CallRecord(*r) for r in stats["requests"]]

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.stdin:
            self._proc.stdin.close()  # end of input: the child stops its server and exits
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._proc = None

    def __enter__(self) -> ProviderProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ask(self, command: str | None) -> str:
        assert self._proc and self._proc.stdin and self._proc.stdout
        if command is not None:
            self._proc.stdin.write(command + "\n")
            self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the provider process ended early")
        return line


def _serve(config: dict[str, Any]) -> None:
    """The child: serve until stdin closes; answer "stats" with one line of JSON."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers.fake_openai import FakeOpenAI

    fake = FakeOpenAI(**config).start()
    print(json.dumps({"base_url": fake.base_url, "api_key": fake.api_key}), flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "stats":
                with fake._lock:
                    requests = [(r.endpoint, r.schema_name, r.at) for r in fake.requests]
                    stats = {
                        "served_seconds": fake.served_seconds,
                        "peak_in_flight": fake.peak_in_flight,
                        "rejected_at_cap": fake.rejected_at_cap,
                        "faults_injected": fake.faults_injected,
                        "requests": requests,
                    }
                print(json.dumps(stats), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
