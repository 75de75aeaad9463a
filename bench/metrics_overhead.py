"""What observing costs: an AI call wrapped by services.ai.observed, an item counted, a log line
formatted as JSON, a metrics scrape. Prints microseconds per operation.

    .venv/bin/python bench/metrics_overhead.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import io
import logging
import time

from core import metrics
from core.config import Settings
from core.logging import configure_logging, log_context
from services.ai.observed import observed
from services.ai.schemas import AIResult, Usage


class _Instant:
    name = "bench"

    def generate_ideas(self, cluster: object) -> AIResult[str]:
        return AIResult(
            value="", usage=Usage(provider="bench", model="m", tokens_in=10, tokens_out=5)
        )


def per_op(fn, n: int = 20_000) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="operations timed per figure")
    n = parser.parse_args().calls
    raw, wrapped = _Instant(), observed(_Instant())  # type: ignore[arg-type]
    print(f"AI call, bare:     {per_op(lambda: raw.generate_ideas(None), n):7.2f} µs")
    print(f"AI call, observed: {per_op(lambda: wrapped.generate_ideas(None), n):7.2f} µs")
    print(f"item counted:      {per_op(lambda: metrics.item_finished(4, 'bench', 1), n):7.2f} µs")
    handler = configure_logging(Settings(IGNY8_LOG_FORMAT="json"), stream=io.StringIO())  # type: ignore[call-arg]
    log = logging.getLogger("igny8.bench")
    with log_context(run_id="run-1", stage="generate_content", item=1):
        line = per_op(lambda: log.info("item %s", 1), max(1, n // 4))
        print(f"JSON log line:     {line:7.2f} µs")
    logging.getLogger().removeHandler(handler)
    print(f"exposition:        {per_op(metrics.exposition, max(1, n // 100)):7.0f} µs per scrape")


if __name__ == "__main__":
    main()
