"""CPU seconds spent by each process a benchmark run involves, read from /proc (Linux).

    meter = CpuMeter()            # at the start of the run
    ...
    print(meter.report(wall))     # "cpu s: worker 98.1, temporal 30.2, ... = 1.9 of 2 cores"

On a machine of few cores the provider-bound ideal needs CPU too: the igny8 worker, the Temporal
server, PostgreSQL and the fake provider all share it. When their sum reaches the machine's
cores, the run is bound by the machine, not by the provider or by igny8's scheduling.
Processes that ended during the run (a database connection closed) are not counted.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, cpu seconds) of every process we may read."""
    out: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(entry.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return out


def _group(pid: int, procs: dict[int, tuple[str, int, float]]) -> str | None:
    me = os.getpid()
    name = procs[pid][0]
    if pid == me:
        return "bench"
    if name.startswith("postgres"):
        return "postgres"
    parent, seen = procs[pid][1], 0
    while parent and parent in procs and seen < 10:
        if parent == me:
            return _child_group(pid, name)
        parent, seen = procs[parent][1], seen + 1
    return None


def _child_group(pid: int, name: str) -> str:
    """A process the benchmark started: the Temporal server, a worker or the provider."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        command = name
    if "temporal" in name or "temporal" in command.split("\0")[0]:
        return "temporal"
    return "workers" if "worker.py" in command else "provider"


class CpuMeter:
    def __init__(self) -> None:
        self.start = self._by_pid()

    def _by_pid(self) -> dict[int, tuple[str, float]]:
        if not Path("/proc/self/stat").exists():
            return {}
        procs = _processes()
        out: dict[int, tuple[str, float]] = {}
        for pid, (_, _, cpu) in procs.items():
            group = _group(pid, procs)
            if group:
                out[pid] = (group, cpu)
        return out

    def seconds(self) -> dict[str, float]:
        """CPU seconds per group since the meter started."""
        totals: dict[str, float] = {}
        for pid, (group, cpu) in self._by_pid().items():
            before = self.start.get(pid, (group, 0.0))[1]
            totals[group] = totals.get(group, 0.0) + cpu - before
        return totals

    def report(self, wall: float) -> str:
        totals = self.seconds()
        if not totals or not wall:
            return "cpu: not measured (no /proc)"
        parts = ", ".join(f"{g} {s:.1f}" for g, s in sorted(totals.items(), key=lambda kv: -kv[1]))
        cores = sum(totals.values()) / wall
        return f"cpu s: {parts} = {cores:.2f} of {os.cpu_count()} cores"
