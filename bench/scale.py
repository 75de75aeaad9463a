"""A whole run at campaign scale: generated keywords to published posts, and what it costs.

    .venv/bin/python bench/scale.py --sizes 2000,10000,100000
    .venv/bin/python bench/scale.py --sizes 300 --latency 0.15
    .venv/bin/python bench/scale.py --sizes 200 --wordpress http://127.0.0.1:8089 \\
        --wp-credentials .data/wordpress/credentials.env

Each size gets a fresh installation (bench/run_harness.py): a SQLite database (or
--database-url), a Temporal dev server, `igny8 worker` and `igny8 api` in their own processes,
a site with that many generated keywords (ten industries, head terms x modifiers), the `local`
AI provider, stages overlapping (strict_order off, the default) and auto-publish on, with status
`publish`, to a WordPress: by default a fake one answering the REST API after --latency seconds
per request, or a real one with --wordpress (loopback only; its posts and media are deleted
afterwards unless --keep-posts). While the run goes, `GET /api/v1/runs/{id}` is polled every
--poll seconds with the account's API key (and a progress line printed every --every seconds).
Printed per size:

    wall time; time to the first article (first Content row) and first published post
    items per second per stage (completed items / the stage's active seconds, from the polls)
    events of the longest history in the run's continue-as-new chain; the largest payload in
    those histories; worker and API peak RSS (VmHWM); GET /runs/{id} p50 and p99

A run that outlives --timeout is cancelled and reported as such. Publishing runs at the
product's default concurrency unless --publish-concurrency sets the site's (stage 8). Each
size's data folder (database, images, logs) is deleted at the end unless --keep-data, or kept
with its path printed when something failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from run_harness import (  # noqa: E402
    Stack,
    StageClock,
    content_timeline,
    delete_published,
    generate_keywords,
    percentile,
    wordpress_target,
)

from tests.helpers.histories import chain_histories  # noqa: E402

RESULT_GRACE_SECONDS = 120.0  # for a cancelled run to close


async def watch_run(
    stack: Stack, run_id: str, headers: dict[str, str], args: argparse.Namespace, t0: float
) -> tuple[Any, float, list[float], StageClock, bool]:
    """Poll GET /runs/{id} until the run closes (or --timeout); the final progress, the wall
    seconds, the poll latencies, the stage clock and whether the run timed out."""
    from contracts.run import RunProgress

    handle = stack.client.get_workflow_handle(run_id, result_type=RunProgress)
    result = asyncio.ensure_future(handle.result())
    closed: list[float] = []
    result.add_done_callback(lambda _f: closed.append(time.monotonic()))
    latencies: list[float] = []
    failures: list[str] = []
    clock = StageClock()
    deadline = t0 + args.timeout
    shown = t0
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=60) as http:
        while not result.done() and time.monotonic() < deadline:
            asked = time.monotonic()
            try:
                response = await http.get(f"/api/v1/runs/{run_id}")
            except httpx.HTTPError as exc:  # counted in the latencies, as a user would wait
                response = httpx.Response(599, text=repr(exc))
            latencies.append(time.monotonic() - asked)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:120]}")
            else:
                clock.observe(time.monotonic() - t0, response.json())
                if args.every and asked - shown >= args.every:
                    shown = asked
                    print(f"  ... {asked - t0:.0f} s: {brief(response.json())}", flush=True)
            await asyncio.wait({result}, timeout=max(args.poll - (time.monotonic() - asked), 0))
    timed_out = not result.done()
    if timed_out:
        await handle.cancel()
    try:
        progress = await asyncio.wait_for(result, RESULT_GRACE_SECONDS)
    except Exception as exc:  # a cancelled run raises; its record still has the figures
        print(f"  the run ended with {type(exc).__name__}: {exc}", flush=True)
        progress = None
    wall = (deadline if timed_out else closed[0] if closed else time.monotonic()) - t0
    if failures:
        print(f"  GET /runs/{{id}} failed {len(failures)} time(s), first: {failures[0]}")
    return progress, wall, latencies, clock, timed_out


def brief(progress: dict[str, Any]) -> str:
    """One line of a progress snapshot: each stage's completed/total."""
    parts = [
        f"{st['stage']}:{st['completed']}/{st['items_total']}"
        for st in [*progress.get("stages", []), progress.get("publish")]
        if st
    ]
    return f"{progress.get('status')} {progress.get('percentage')}%  " + " ".join(parts)


async def one_size(size: int, args: argparse.Namespace) -> None:

    keywords = generate_keywords(size, seed=args.seed)
    with wordpress_target(args.wordpress, args.wp_credentials, args.latency) as wp:
        where = f"fake, {args.latency:g} s a request" if wp.fake else "real"
        print(f"size={size}: {len(keywords):,} keywords, WordPress at {wp.url} ({where})")
        async with Stack(database_url=args.database_url, keep_data=args.keep_data) as stack:
            concurrency = {8: args.publish_concurrency} if args.publish_concurrency else None
            tenant = stack.seed_site(keywords, wp, concurrency)
            since = datetime.now(UTC)
            t0 = time.monotonic()
            run_id = await stack.start_run(tenant)
            progress, wall, latencies, clock, timed_out = await watch_run(
                stack, run_id, tenant.headers, args, t0
            )
            rss, cpu = stack.peak_rss(), stack.cpu()  # before the processes stop
            history = await chain_histories(stack.client, run_id)
            timeline = content_timeline(tenant.site_id, since)
            wp_stats = wp.stats()
            if not wp.fake and not args.keep_posts:
                delete_published(wp, tenant.site_id)
    report(size, run_id, progress, wall, latencies, clock, timed_out, rss, history, timeline)
    print(f"  cpu_s: worker={cpu['worker']:.0f} api={cpu['api']:.0f}", flush=True)
    if wp_stats:
        print(
            f"  wordpress: posts={wp_stats['posts']} "
            f"published={wp_stats['published']} media={wp_stats['media']} "
            f"requests={wp_stats['requests']} "
            f"markers_with_several_posts={wp_stats['markers_with_several_posts']}",
            flush=True,
        )


def report(
    size: int,
    run_id: str,
    progress: Any,
    wall: float,
    latencies: list[float],
    clock: StageClock,
    timed_out: bool,
    rss: dict[str, float],
    history: Any,
    timeline: dict[str, Any],
) -> None:
    status = "timed out (cancelled)" if timed_out else (progress.status if progress else "?")
    print(
        f"size={size} run={run_id} status={status} wall_s={wall:.1f} "
        f"first_article_s={timeline['first_article_s']} first_post_s={timeline['first_post_s']} "
        f"articles={timeline['articles']} published={timeline['published']} "
        f"failed_items={progress.failed_items if progress else '?'}",
        flush=True,
    )
    final: dict[int, int] = {}
    if progress is not None:
        for st in [*progress.stages, *([progress.publish] if progress.publish else [])]:
            final[st.stage] = st.completed
    rates = "  ".join(
        f"{n}.{name}={done}/{secs:g}s={rate:.1f}/s"
        for n, name, done, secs, rate in clock.rates(final)
    )
    print(f"  items/s: {rates}", flush=True)
    print(
        f"  history: {history.runs} run(s) in the chain, longest {history.longest:,} events "
        f"({history.total:,} in all); largest payload {history.largest_payload / 1024:.1f} KB "
        f"({history.largest_where})",
        flush=True,
    )
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in history.longest_kinds.most_common(5))
    print(f"  longest history's events: {kinds}", flush=True)
    print(
        f"  peak_rss_mb: worker={rss['worker']:.0f} api={rss['api']:.0f}   "
        f"GET /runs/{{id}}: n={len(latencies)} p50_ms={percentile(latencies, 50) * 1000:.1f} "
        f"p99_ms={percentile(latencies, 99) * 1000:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000,100000", help="keywords per run")
    parser.add_argument("--latency", type=float, default=0.15, help="fake WordPress s/request")
    parser.add_argument("--wordpress", default=None, help="a real WordPress URL (loopback)")
    parser.add_argument(
        "--wp-credentials",
        type=Path,
        default=ROOT / ".data" / "wordpress" / "credentials.env",
        help="WP_USERNAME and WP_APP_PASSWORD for --wordpress",
    )
    parser.add_argument("--keep-posts", action="store_true", help="leave them on --wordpress")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between GET /runs")
    parser.add_argument("--every", type=float, default=60, help="progress line (0: none)")
    parser.add_argument("--timeout", type=float, default=24 * 3600, help="seconds per run")
    parser.add_argument("--publish-concurrency", type=int, default=0, help="0: the default")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--keep-data", action="store_true", help="keep each run's data folder")
    parser.add_argument("--seed", type=int, default=2026, help="of the generated keywords")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes takes positive numbers, e.g. 2000,10000,100000")
    for size in sizes:
        asyncio.run(one_size(size, args))


if __name__ == "__main__":
    main()
