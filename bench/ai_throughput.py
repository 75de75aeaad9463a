"""How close a run gets to an AI provider's limit, and what faults cost.

    .venv/bin/python bench/ai_throughput.py                       # caps 8 and 32, 1 s a call
    .venv/bin/python bench/ai_throughput.py --caps 32 --keywords 300 --fault-rate 0.2
    .venv/bin/python bench/ai_throughput.py --caps 32 --keywords 1200 --postgres --workers 2

Starts its own OpenAI-compatible server, in a process of its own as a real provider is (a
latency per call, a cap on calls in flight that answers 429 with Retry-After beyond it,
optional random faults), a Temporal dev server and an igny8 worker with
`IGNY8_AI_PROVIDER=openai`, then runs the whole pipeline on generated
keywords and prints, per cap:

    efficiency = (served call seconds / cap) / run wall seconds   (1.0: the provider never idled)
    peak calls in flight, 429s at the cap, faults injected, items failed, credits vs ledger

Each cap runs with the worker's AI concurrency set to the cap (`IGNY8_AI_MAX_IN_FLIGHT`), as
an operator sets it to their plan, and once more with the defaults when `--defaults` is given.
`--postgres --workers 2` is the deployed shape (PostgreSQL, two `igny8 worker` processes sharing
the cap): one Python process pays a whole run's bookkeeping on one interpreter lock, which on a
small machine bounds it below a fast provider's pace. The CPU line says what every process used:
near the machine's cores, the machine is the bound, not the provider.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu_meter import CpuMeter  # noqa: E402
from provider_process import ProviderProcess  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

SAMPLE = ROOT / "data" / "sample_keywords.csv"
PG_ADMIN_URL = os.environ.get(
    "IGNY8_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def temporal_cli() -> str:
    return str(Path(sys.executable).parent / "temporal")


def seed(keywords: int) -> tuple[int, int]:
    """An account with plenty of credits and a site with `keywords` sample-like keywords."""
    from core.db import session_scope
    from models import Account, Keyword, Site
    from services import credits
    from services.keyword_rows import normalize_keyword

    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with session_scope() as s:
        account = Account(name="bench")
        s.add(account)
        s.flush()
        site = Site(account_id=account.id, name="bench site", domain="bench.test")
        s.add(site)
        s.flush()
        for i in range(keywords):
            r = rows[i % len(rows)]
            text = r["keyword"] if i < len(rows) else f"{r['keyword']} {i // len(rows)}"
            s.add(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    text=text,
                    normalized=normalize_keyword(text),
                    volume=int(r["volume"]),
                    difficulty=int(r["difficulty"]),
                    cpc=float(r["cpc"] or 0),
                    intent=r["intent"],
                )
            )
        credits.top_up(s, account.id, 10_000_000, key=f"bench:{account.id}")
        return account.id, site.id  # type: ignore[return-value]


async def one_run(cap: int, args: argparse.Namespace, tuned: bool) -> dict[str, object]:
    from contracts.run import RunProgress
    from core.config import Settings, get_settings
    from core.db import get_engine, session_scope
    from core.schema import upgrade
    from core.search_attributes import SEARCH_ATTRIBUTES
    from services import credits, runs

    data = Path(tempfile.mkdtemp(prefix="igny8-bench-ai-"))
    fake = ProviderProcess(
        latency=args.latency,
        max_in_flight=cap,
        fault_rate=args.fault_rate,
        hang_seconds=args.timeout * 1.5,
    ).start()
    os.environ.update(
        {
            "IGNY8_DATA_DIR": str(data),
            "DATABASE_URL": args.database_url or f"sqlite:///{data / 'igny8.db'}",
            "IGNY8_AI_PROVIDER": "openai",
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": fake.api_key,
            "OPENAI_TIMEOUT_SECONDS": str(args.timeout),
            "IGNY8_SECRET_KEY": "bench-secret-key",
            "IGNY8_RETRY_INITIAL_SECONDS": "0.5",
            "IGNY8_RETRY_MAXIMUM_SECONDS": "5",
        }
    )
    if tuned:
        os.environ["IGNY8_AI_MAX_IN_FLIGHT"] = str(cap)
        os.environ["IGNY8_AI_RUN_CONCURRENCY"] = str(cap)
    else:
        os.environ.pop("IGNY8_AI_MAX_IN_FLIGHT", None)
        os.environ.pop("IGNY8_AI_RUN_CONCURRENCY", None)
    get_settings.cache_clear()
    upgrade(get_engine())
    account_id, site_id = seed(args.keywords)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    settings: Settings = get_settings().model_copy(update={"task_queue": queue})
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        data_converter=pydantic_data_converter,
        ui=False,
        search_attributes=SEARCH_ATTRIBUTES,
    )
    try:
        async with workers(env, settings, queue, cap, args.workers):
            meter = CpuMeter()
            started = time.monotonic()
            run_id = await runs.start_run(
                env.client, settings, account_id=account_id, site_id=site_id, trigger="cli"
            )
            result = await env.client.get_workflow_handle(run_id, result_type=RunProgress).result()
            wall = time.monotonic() - started
            cpu = meter.report(wall)
            await print_activity_latencies(env.client, run_id)
        fake.collect()
    finally:
        await env.shutdown()
        fake.stop()
    with session_scope() as s:
        ledger = credits.credits_used(s, run_id)
    efficiency = (fake.served_seconds / cap) / wall if wall else 0.0
    print_timeline(fake.requests, started)
    print(f"  {cpu}")
    return {
        "cap": cap,
        "tuned": tuned,
        "status": result.status,
        "wall_s": round(wall, 1),
        "efficiency": round(efficiency, 2),
        "peak_in_flight": fake.peak_in_flight,
        "429_at_cap": fake.rejected_at_cap,
        "faults": fake.faults_injected,
        "calls": len(fake.requests),
        "failed_items": result.failed_items,
        "credits_used": result.credits_used,
        "ledger": ledger,
    }


@contextlib.asynccontextmanager
async def workers(env: Any, settings: Any, queue: str, cap: int, count: int) -> AsyncIterator[None]:
    """The igny8 workers of a run: in this process (0), or `count` `igny8 worker` processes as
    deployed (`docker compose up --scale worker=N`), the provider's cap shared between them."""
    if not count:
        from worker import build_worker

        async with build_worker(env.client, settings, queue):
            yield
        return
    environment = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "IGNY8_TASK_QUEUE": queue,
        "IGNY8_AI_MAX_IN_FLIGHT": str(-(-cap // count)),
        "IGNY8_METRICS_PORT": "0",
        "IGNY8_SDK_METRICS_PORT": "0",
    }
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "worker.py"),
            cwd=ROOT,
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    try:
        for proc in procs:  # ready once it logs so: its pollers are on the queues
            assert proc.stderr is not None
            while b"worker ready" not in (line := await proc.stderr.readline()):
                if not line:
                    raise RuntimeError("a worker process ended before it was ready")
            asyncio.ensure_future(proc.stderr.read())  # keep draining its log
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await proc.wait()


async def print_activity_latencies(client: Any, run_id: str) -> None:
    """Per activity type, from the run's histories: how long a scheduled activity waited for a
    worker (schedule to start) and how long it ran (start to close), p50 / p95 in seconds."""
    from collections import Counter

    from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause

    from tests.helpers.histories import chain_events

    failed_tasks: Counter[str] = Counter()
    waits: dict[str, list[float]] = {}
    runs: dict[str, list[float]] = {}
    async for events in chain_events(client, run_id):
        kind: dict[int, str] = {}
        at: dict[int, float] = {}
        for e in events:
            t = e.event_time.ToDatetime().timestamp()
            # The run's own workflow tasks: one at a time, so their sum bounds its pace.
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                kind[e.event_id] = "(workflow task)"
                at[e.event_id] = t
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                sid = e.workflow_task_started_event_attributes.scheduled_event_id
                waits.setdefault(kind[sid], []).append(t - at[sid])
                at[-sid] = t
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                sid = e.workflow_task_completed_event_attributes.scheduled_event_id
                runs.setdefault(kind[sid], []).append(t - at[-sid])
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                cause = e.workflow_task_failed_event_attributes.cause
                failed_tasks[WorkflowTaskFailedCause.Name(cause)] += 1
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                kind[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
                at[e.event_id] = t
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                sid = e.activity_task_started_event_attributes.scheduled_event_id
                waits.setdefault(kind[sid], []).append(t - at[sid])
                at[-sid] = t
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                sid = e.activity_task_completed_event_attributes.scheduled_event_id
                if -sid in at:
                    runs.setdefault(kind[sid], []).append(t - at[-sid])

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    for name in sorted(runs, key=lambda n: -len(runs[n])):
        w, r = waits.get(name, []), runs[name]
        print(
            f"  {name:<18} n={len(r):<5} wait p50={pct(w, 0.5):5.2f}s p95={pct(w, 0.95):5.2f}s"
            f"  run p50={pct(r, 0.5):5.2f}s p95={pct(r, 0.95):5.2f}s  sum={sum(r):7.1f}s"
        )
    for cause, count in failed_tasks.items():  # each one replays the run's whole history
        name = cause.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
        print(f"  workflow tasks failed: {count} x {name}")


def print_timeline(requests: list, started: float) -> None:
    """When each kind of call ran (seconds after the run started): where the wall time went."""
    spans: dict[str, list[float]] = {}
    for r in requests:
        kind = r.schema_name or r.endpoint
        spans.setdefault(kind, []).append(r.at - started)
    for kind, times in sorted(spans.items(), key=lambda kv: min(kv[1])):
        span = f"first={min(times):6.1f}s  last={max(times):6.1f}s"
        print(f"  {kind:<22} calls={len(times):<5} {span}")
    # Calls started per 5 s: with a fixed latency per call, a row below cap x 5 / latency is
    # time the provider idled.
    buckets: dict[int, int] = {}
    for r in requests:
        buckets[int((r.at - started) // 5)] = buckets.get(int((r.at - started) // 5), 0) + 1
    row = " ".join(str(buckets.get(b, 0)) for b in range(max(buckets, default=-1) + 1))
    print(f"  calls started per 5 s: {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", default="8,32", help="calls in flight the provider takes")
    parser.add_argument("--keywords", type=int, default=120)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="the client's timeout")
    parser.add_argument("--defaults", action="store_true", help="also run with the defaults")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="igny8 worker processes, as deployed, sharing the cap (0: one worker in this "
        "process, as the tests run it)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="on a new database of the local PostgreSQL (dropped after), as in production; "
        "else SQLite, whose one writer at a time bounds a worker's calls per second",
    )
    args = parser.parse_args()
    for cap in (int(c) for c in args.caps.split(",")):
        for tuned in (True, False) if args.defaults else (True,):
            with database(args.postgres) as args.database_url:
                figures = asyncio.run(one_run(cap, args, tuned))
            figures["database"] = "postgresql" if args.postgres else "sqlite"
            figures["workers"] = args.workers or "in-process"
            print("  ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


@contextlib.contextmanager
def database(postgres: bool) -> Iterator[str | None]:
    """A new PostgreSQL database for one run (None: SQLite in the run's own folder)."""
    if not postgres:
        yield None
        return
    from sqlalchemy import create_engine, text

    from core.db import get_engine

    name = f"igny8_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
