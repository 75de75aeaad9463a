"""Stage 1 end to end on a database: load the site's keywords, cluster them all together, save.

    .venv/bin/python bench/cluster_stage.py [--sizes 10000,100000] [--method lexical|semantic]

Each size runs in a child process with its own SQLite database (or DATABASE_URL's server when
--database-url is given), seeded with the labelled set's keywords and their generated variants
(bench/cluster_quality.py), so the figures include the queries and the writes, not only the
algorithm. Prints wall and CPU seconds per step and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def run_one(n: int, method: str) -> dict[str, object]:
    """Seed n keywords, then time the stage's steps in this process."""
    from cluster_quality import keyword_set
    from sqlalchemy import insert
    from sqlmodel import select

    from contracts.stages import Stage
    from core.config import get_settings
    from core.db import init_db, session_scope
    from models import Account, Cluster, Keyword, Site
    from services.ai.local import LocalProvider
    from services.keyword_clusters import save_clusters
    from services.stage_clustering import cluster_stage
    from services.stages.base import StageContext
    from services.stages.planning import load_scope

    init_db()
    with session_scope() as s:
        account = Account(name="bench")
        s.add(account)
        s.flush()
        site = Site(account_id=account.id, name="bench", domain="bench.test")
        s.add(site)
        s.flush()
        account_id, site_id = int(account.id or 0), int(site.id or 0)
        now = datetime.now(UTC)
        rows = [
            {
                "account_id": account_id,
                "site_id": site_id,
                "text": t,
                "normalized": t,
                "created_at": now,
            }
            for t, _ in keyword_set(n)
        ]
        s.execute(insert(Keyword), rows)
    ctx = StageContext(
        run_id="bench",
        account_id=account_id,
        site_id=site_id,
        stage=Stage.CLUSTER_KEYWORDS,
        settings=get_settings().model_copy(update={"clustering": method}),
        provider=LocalProvider(),
    )
    steps: dict[str, tuple[float, float]] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = (time.perf_counter() - start, time.process_time() - cpu)
        return out

    with session_scope() as s:
        ids = [int(i or 0) for i in s.exec(select(Keyword.id).where(Keyword.site_id == site_id))]
    with session_scope() as s:
        keywords = timed("load", lambda: load_scope(s, ctx, ids))
    result = timed("cluster", lambda: cluster_stage(ctx, keywords))
    with session_scope() as s:
        mapped, clusters = timed(
            "save",
            lambda: save_clusters(
                s, account_id, site_id, result.value, set(ids), "local", "igny8-local-v1"
            ),
        )
    with session_scope() as s:
        assert len(s.exec(select(Cluster.id).where(Cluster.site_id == site_id)).all()) == clusters
    assert len(mapped) == n, "every keyword must be mapped"
    return {
        "keywords": n,
        "clusters": clusters,
        **{f"{k}_s": round(v[0], 2) for k, v in steps.items()},
        **{f"{k}_cpu_s": round(v[1], 2) for k, v in steps.items()},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run every size in a child process with a fresh database and print a table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--method", default="lexical", choices=["lexical", "semantic"])
    parser.add_argument("--database-url", help="a server database instead of a fresh SQLite")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.method)))
        return
    print(
        f"{'keywords':>9} {'clusters':>9} {'load s':>7} {'cluster s':>10} {'(CPU)':>7} "
        f"{'save s':>7} {'(CPU)':>7} {'peak RSS MiB':>13}"
    )
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        with tempfile.TemporaryDirectory() as data:
            env = {**os.environ, "IGNY8_DATA_DIR": data}
            env["DATABASE_URL"] = args.database_url or f"sqlite:///{data}/bench.db"
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--method", args.method],
                capture_output=True,
                text=True,
                env=env,
            )
        if child.returncode != 0:
            print(f"{size:>9,} failed: {child.stderr.strip()[-400:]}", flush=True)
            continue
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{r['keywords']:>9,} {r['clusters']:>9,} {r['load_s']:>7} {r['cluster_s']:>10} "
            f"{r['cluster_cpu_s']:>7} {r['save_s']:>7} {r['save_cpu_s']:>7} "
            f"{r['peak_rss_mib']:>13}",
            flush=True,
        )


if __name__ == "__main__":
    main()
