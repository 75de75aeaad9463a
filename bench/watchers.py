"""Does watching a run slow it down? The same run with nobody watching and with many SSE watchers.

    .venv/bin/python bench/watchers.py                          # 2,000 keywords, 0 and 300 watchers
    .venv/bin/python bench/watchers.py --keywords 300 --watchers 30
    .venv/bin/python bench/watchers.py --repeat 2               # unwatched, watched, twice over

Each run gets a fresh installation (bench/run_harness.py: Temporal dev server, `igny8 worker`
and `igny8 api` in their own processes, the fake WordPress at --latency seconds a request) and
the same generated keywords, the `local` AI provider, stages overlapping and auto-publish on,
exactly as bench/scale.py runs them. The watched run opens --watchers streams of
`GET /api/v1/runs/{id}/events` (httpx, one process, `Authorization: Bearer` with the account's
key) the moment the run has started; each reads until its `end` event (reconnecting with
Last-Event-ID if a stream drops, a few times at most). Printed per run: wall time, and for the
watched one the delay from the run's end (the workflow's close time) to its final event
reaching the watchers (p50/p95), the events each watcher got, the API's and the worker's peak
RSS and the CPU seconds the API, the worker and the watchers used during the run; then the
ratio watched/unwatched wall time (medians with --repeat) against the 1.1x target. Each
run's data folder is deleted at the end unless --keep-data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from run_harness import Stack, generate_keywords, percentile, wordpress_target  # noqa: E402

TARGET_RATIO = 1.1
RECONNECTS = 5  # per watcher, as a browser's EventSource would, but bounded
END_GRACE_SECONDS = 60.0  # how long after the run's end the watchers may take to hear of it
FIELD = re.compile(rb"(?<=\n)(event|id): ?([^\r\n]*)\r?\n")  # an SSE field line we read
TAIL_BYTES = 256


@dataclass
class Watch:
    events: int = 0
    end_at: float | None = None  # wall clock (time.time()) when the `end` event arrived
    errors: int = 0


async def watch(http: httpx.AsyncClient, run_id: str, headers: dict[str, str]) -> Watch:
    """Follow the run's event stream until its `end` event (or RECONNECTS failures). Only the
    `event:` and `id:` lines are looked at, in the raw bytes, so that the watchers' own CPU
    takes as little as it can from the machine the run shares with them."""
    out, last_id = Watch(), ""
    for _attempt in range(RECONNECTS + 1):
        asked = dict(headers, **({"Last-Event-ID": last_id} if last_id else {}))
        try:
            async with http.stream("GET", f"/api/v1/runs/{run_id}/events", headers=asked) as r:
                if r.status_code != 200:
                    out.errors += 1
                    await asyncio.sleep(1)
                    continue
                tail = b"\n"  # the end of the previous chunk: a field line may straddle chunks
                async for chunk in r.aiter_raw():
                    scan = tail + chunk
                    for field in FIELD.finditer(scan):
                        if field.end() <= len(tail):
                            continue  # seen with the previous chunk
                        if field.group(1) == b"id":
                            last_id = field.group(2).decode()
                            continue
                        out.events += 1
                        if field.group(2) == b"end":
                            out.end_at = time.time()
                            return out
                    tail = scan[-TAIL_BYTES:]
        except httpx.HTTPError:
            out.errors += 1
        await asyncio.sleep(1)
    return out


async def one_run(keywords: list[dict[str, Any]], watchers: int, args: argparse.Namespace) -> float:
    from contracts.run import RunProgress

    with wordpress_target(None, None, args.latency) as wp:
        async with Stack(database_url=args.database_url, keep_data=args.keep_data) as stack:
            tenant = stack.seed_site(keywords, wp)
            limits = httpx.Limits(max_connections=watchers + 10, max_keepalive_connections=None)
            timeout = httpx.Timeout(60.0, read=120.0)  # the stream pings every 15 s
            async with httpx.AsyncClient(
                base_url=stack.api_url, limits=limits, timeout=timeout
            ) as http:
                t0, cpu0, procs0 = time.monotonic(), time.process_time(), stack.cpu()
                run_id = await stack.start_run(tenant)
                tasks = [
                    asyncio.ensure_future(watch(http, run_id, tenant.headers))
                    for _ in range(watchers)
                ]
                handle = stack.client.get_workflow_handle(run_id, result_type=RunProgress)
                try:
                    progress = await asyncio.wait_for(handle.result(), args.timeout)
                    wall = time.monotonic() - t0
                except TimeoutError:
                    await handle.cancel()
                    progress, wall = None, float("nan")
                closed = (await handle.describe()).close_time
                if tasks:
                    await asyncio.wait(tasks, timeout=END_GRACE_SECONDS)
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks, return_exceptions=True)
                cpu = time.process_time() - cpu0
            rss, procs = stack.peak_rss(), stack.cpu()
    done = [t.result() for t in tasks if t.done() and not t.cancelled() and not t.exception()]
    end = closed.timestamp() if closed else None
    delays = [w.end_at - end for w in done if w.end_at is not None and end is not None]
    status = progress.status if progress else "timed out (cancelled)"
    line = f"watchers={watchers} run={run_id} status={status} wall_s={wall:.1f}"
    if watchers:
        events = [w.events for w in done]
        line += (
            f" got_end={len(delays)}/{watchers}"
            f" end_delay_p50_s={percentile(delays, 50):.2f} end_delay_p95_s="
            f"{percentile(delays, 95):.2f} events_per_watcher={min(events, default=0)}.."
            f"{max(events, default=0)} stream_errors={sum(w.errors for w in done)}"
        )
    line += (
        f" api_peak_rss_mb={rss['api']:.0f} worker_peak_rss_mb={rss['worker']:.0f}"
        f" cpu_s: api={procs['api'] - procs0['api']:.1f}"
        f" worker={procs['worker'] - procs0['worker']:.1f} watchers(bench)={cpu:.1f}"
    )
    print(line, flush=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keywords", type=int, default=2000)
    parser.add_argument("--watchers", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.15, help="fake WordPress s/request")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--keep-data", action="store_true", help="keep each run's data folder")
    parser.add_argument("--seed", type=int, default=2026, help="of the generated keywords")
    args = parser.parse_args()
    keywords = generate_keywords(args.keywords, seed=args.seed)
    unwatched: list[float] = []
    watched: list[float] = []
    for _pair in range(max(args.repeat, 1)):
        unwatched.append(asyncio.run(one_run(keywords, 0, args)))
        watched.append(asyncio.run(one_run(keywords, args.watchers, args)))
    ratio = statistics.median(watched) / statistics.median(unwatched)
    verdict = "ok" if ratio <= TARGET_RATIO else "over the target"
    print(
        f"keywords={args.keywords} watchers={args.watchers} "
        f"unwatched_wall_s={statistics.median(unwatched):.1f} "
        f"watched_wall_s={statistics.median(watched):.1f} "
        f"ratio={ratio:.2f} (target <= {TARGET_RATIO:g}x: {verdict})",
        flush=True,
    )


if __name__ == "__main__":
    main()
