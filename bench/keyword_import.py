"""Measure keyword CSV imports: wall time and memory for 20,000 and 100,000 rows.

    .venv/bin/python bench/keyword_import.py                 # service, SQLite, 20k and 100k
    .venv/bin/python bench/keyword_import.py --via http      # through uvicorn + multipart
    DATABASE_URL=postgresql://postgres@127.0.0.1/igny8_bench .venv/bin/python \
        bench/keyword_import.py                               # on PostgreSQL (database exists)

Each size runs in a fresh process so its peak RSS is its own. The CSV has a header in an
unusual column order, a BOM, 2% duplicate rows and 1% invalid rows, like a real export.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Current resident set size (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    words = "trail running shoes best cheap waterproof women men ultra marathon road hiking "
    words += "vest socks poles gps watch hydration pack lightweight beginner review guide"
    vocab = words.split()
    intents = ["informational", "commercial", "transactional", "navigational", ""]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write("Intent,Volume,Keyword,Difficulty,CPC,Country\r\n")
        previous: list[str] = []
        for i in range(rows):
            roll = rnd.random()
            if roll < 0.02 and previous:
                keyword = rnd.choice(previous).upper()  # a duplicate, differently cased
            else:
                keyword = " ".join(rnd.sample(vocab, 3)) + f" {i}"
                previous.append(keyword)
                previous = previous[-50:]
            volume = "lots" if 0.02 <= roll < 0.03 else str(rnd.randint(10, 90_000))
            fh.write(
                f"{rnd.choice(intents)},{volume},{keyword},{rnd.randint(0, 100)},"
                f"{rnd.random() * 5:.2f},US\r\n"
            )


def prepare(rows: int, workdir: Path) -> tuple[Path, int]:
    os.environ.setdefault("IGNY8_DATA_DIR", str(workdir / "data"))
    from core.db import init_db, session_scope
    from models import Site
    from services.accounts import create_account

    init_db()
    with session_scope() as session:
        account, _ = create_account(session, "bench", 0)
        site = Site(account_id=account.id, name=f"bench {rows}")  # type: ignore[arg-type]
        session.add(site)
        session.flush()
        site_id = site.id
    path = workdir / f"keywords-{rows}.csv"
    write_csv(path, rows)
    assert site_id is not None
    return path, site_id


def via_service(path: Path, site_id: int) -> dict[str, object]:
    from sqlmodel import Session

    from core.db import get_engine
    from models import Site
    from services.keyword_import import import_csv

    with Session(get_engine()) as session, open(path, "rb") as fh:
        site = session.get(Site, site_id)
        assert site is not None
        return import_csv(session, site, fh).model_dump(exclude={"rejected"})


def via_http(path: Path, site_id: int) -> dict[str, object]:
    import httpx
    import uvicorn

    from api.main import create_app
    from core.db import session_scope
    from models import Site
    from services.accounts import create_api_key

    with session_scope() as session:
        site = session.get(Site, site_id)
        assert site is not None
        _, key = create_api_key(session, site.account_id, "bench")
    server = uvicorn.Server(uvicorn.Config(create_app(), port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    with open(path, "rb") as fh:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/sites/{site_id}/keywords/import",
            headers={"Authorization": f"Bearer {key}"},
            files={"file": (path.name, fh, "text/csv")},
            timeout=600,
        )
    server.should_exit = True
    thread.join()
    response.raise_for_status()
    body = response.json()
    body.pop("rejected")
    return body  # type: ignore[no-any-return]


def one(rows: int, via: str) -> None:
    """Run one measurement in this process and print it as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
        path, site_id = prepare(rows, workdir)
        size_mb = path.stat().st_size / 2**20
        baseline = rss_mb()
        started = time.perf_counter()
        result = via_service(path, site_id) if via == "service" else via_http(path, site_id)
        seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "rows": rows,
                    "via": via,
                    "file_mb": round(size_mb, 1),
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(rows / seconds),
                    "rss_before_mb": round(baseline, 1),
                    "peak_rss_mb": round(peak_rss_mb(), 1),
                    "peak_growth_mb": round(peak_rss_mb() - baseline, 1),
                    "result": result,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--via", choices=["service", "http"], default="service")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.via)
        return
    db = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
    print(f"keyword import via {args.via} on {db}")
    for rows in args.rows:
        out = (
            subprocess.run(
                [sys.executable, __file__, "--one", str(rows), "--via", args.via],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        m = json.loads(out)
        r = m["result"]
        print(
            f"{rows:>7,} rows ({m['file_mb']} MB): {m['seconds']:6.2f} s, "
            f"{m['rows_per_second']:>7,} rows/s, peak RSS {m['peak_rss_mb']} MB "
            f"(+{m['peak_growth_mb']} MB over {m['rss_before_mb']} MB) | created "
            f"{r['created']:,}, duplicates {r['duplicates_in_file']:,}, "
            f"rejected {r['rejected_total']:,}"
        )


if __name__ == "__main__":
    main()
