"""What bench/scale.py and bench/watchers.py share: generated keywords, a fake WordPress, and a
whole igny8 stack (Temporal dev server, `igny8 worker` and `igny8 api` in their own processes)
on loopback addresses, torn down when the benchmark ends.

    .venv/bin/python bench/run_harness.py wordpress [--latency 0.15]    # the fake WordPress alone
    .venv/bin/python bench/run_harness.py keywords 20                   # a sample of the keywords

The fake WordPress answers the REST routes igny8's client uses (posts, media, categories, tags,
users/me, the index) after `--latency` seconds per request, keeps everything in memory, and
answers `GET /bench/stats` (posts made, posts per marker, requests) without delay. It runs in a
process of its own, so the benchmark's own work never slows WordPress's answers down.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 90.0  # the most a process of the stack may take to answer
STOP_SECONDS = 30.0  # the most a process may take to stop after SIGTERM (then SIGKILL)


def temporal_cli() -> str:
    return str(Path(sys.executable).parent / "temporal")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 when there is nothing to rank)."""
    if not values:
        return 0.0
    ranked = sorted(values)
    return ranked[max(math.ceil(pct / 100 * len(ranked)) - 1, 0)]


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"{url}: the benchmarks only talk to loopback addresses")


# --- keywords -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    heads: tuple[str, ...]
    attributes: tuple[str, ...]
    audiences: tuple[str, ...]
    questions: tuple[str, ...]  # "how to choose" + head
    cpc: float  # typical cost per click


def _split(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|") if w.strip())


INDUSTRIES: dict[str, Industry] = {
    "outdoor": Industry(
        _split(
            "trail running shoes|hiking boots|camping tent|sleeping bag|backpacking stove|"
            "rain jacket|trekking poles|headlamp|hydration pack|climbing harness|kayak paddle|"
            "mountain bike|fly fishing rod|ski goggles|down jacket"
        ),
        _split("waterproof|lightweight|ultralight|insulated|budget|durable|packable"),
        _split("for women|for men|for kids|for beginners|for wide feet|for winter"),
        _split("how to choose|how to clean|how to store|how to repair"),
        1.4,
    ),
    "home": Industry(
        _split(
            "robot vacuum|air purifier|standing desk|office chair|memory foam mattress|"
            "weighted blanket|raised garden bed|lawn mower|pressure washer|cordless drill|"
            "smart thermostat|dehumidifier|water filter|ceiling fan|patio heater"
        ),
        _split("quiet|cordless|smart|energy efficient|compact|heavy duty|budget"),
        _split("for pet hair|for small apartments|for large rooms|for allergies|for renters"),
        _split("how to choose|how to install|how to clean|how to maintain"),
        1.9,
    ),
    "finance": Industry(
        _split(
            "credit card|savings account|mortgage refinance|personal loan|roth ira|index fund|"
            "term life insurance|car insurance|budgeting app|tax software|home equity loan|"
            "student loan refinance|high yield savings account|travel credit card|"
            "small business loan"
        ),
        _split("no fee|low interest|cash back|online|fixed rate|top rated|instant approval"),
        _split("for students|for bad credit|for retirees|for freelancers|for families"),
        _split("how to apply for|how to compare|how to cancel|how to qualify for"),
        7.8,
    ),
    "pets": Industry(
        _split(
            "dog food|cat litter|dog bed|cat tree|dog harness|puppy training pads|"
            "aquarium filter|bird cage|dog crate|flea treatment|wet cat food|chew toys|"
            "pet insurance|dog shampoo|hamster cage"
        ),
        _split("grain free|organic|hypoallergenic|large breed|indestructible|natural|vet approved"),
        _split("for puppies|for senior dogs|for kittens|for small dogs|for sensitive stomachs"),
        _split("how to choose|how to clean|how to introduce|how to switch"),
        1.2,
    ),
    "cooking": Industry(
        _split(
            "air fryer|cast iron skillet|chef knife|stand mixer|espresso machine|pressure cooker|"
            "blender|sourdough starter|meal prep containers|rice cooker|dutch oven|"
            "food processor|coffee grinder|nonstick pan|slow cooker"
        ),
        _split("stainless steel|dishwasher safe|large|compact|commercial|induction|ceramic"),
        _split("for beginners|for two people|for large families|for small kitchens|for baking"),
        _split("how to use|how to clean|how to season|how to choose"),
        0.9,
    ),
    "software": Industry(
        _split(
            "crm software|project management tool|email marketing platform|password manager|"
            "vpn|accounting software|website builder|video editing software|antivirus|"
            "note taking app|time tracking app|help desk software|cloud storage|"
            "invoicing software|seo tool"
        ),
        _split("free|open source|cloud based|self hosted|enterprise|lightweight|ai powered"),
        _split("for small business|for startups|for agencies|for teams|for mac|for windows"),
        _split("how to set up|how to migrate to|how to choose|how to integrate"),
        9.5,
    ),
    "travel": Industry(
        _split(
            "travel backpack|carry on luggage|travel insurance|hostel|all inclusive resort|"
            "rental car|travel adapter|noise cancelling headphones|packing cubes|neck pillow|"
            "road trip planner|river cruise|airport lounge|rail pass|camper van rental"
        ),
        _split("cheap|luxury|family friendly|last minute|eco friendly|pet friendly|carry on"),
        _split("for europe|for japan|for solo travelers|for couples|for backpackers"),
        _split("how to book|how to pack|how to choose|how to save on"),
        2.3,
    ),
    "fitness": Industry(
        _split(
            "running shoes|yoga mat|adjustable dumbbells|resistance bands|protein powder|"
            "rowing machine|treadmill|kettlebell|foam roller|fitness tracker|exercise bike|"
            "pull up bar|creatine|pre workout|jump rope"
        ),
        _split("vegan|home gym|beginner friendly|compact|smart|heavy duty|foldable"),
        _split("for women|for men|for seniors|for weight loss|for marathon training"),
        _split("how to use|how to choose|how to clean|how often to replace"),
        1.6,
    ),
    "beauty": Industry(
        _split(
            "moisturizer|sunscreen|retinol serum|vitamin c serum|shampoo|hair dryer|"
            "electric toothbrush|face wash|eye cream|lip balm|beard oil|perfume|nail polish|"
            "hair straightener|makeup brushes"
        ),
        _split("fragrance free|organic|anti aging|cruelty free|oil free|drugstore|luxury"),
        _split("for sensitive skin|for oily skin|for dry skin|for curly hair|for acne"),
        _split("how to apply|how to choose|how to use|how long does"),
        1.8,
    ),
    "auto": Industry(
        _split(
            "car battery|dash cam|tire inflator|convertible car seat|floor mats|"
            "synthetic motor oil|jump starter|roof rack|car wax|wiper blades|ev charger|"
            "tow hitch|car vacuum|brake pads|all season tires"
        ),
        _split("portable|heavy duty|universal|premium|budget|wireless|long lasting"),
        _split("for suvs|for trucks|for tesla|for cold weather|for older cars"),
        _split("how to install|how to choose|how to replace|how to test"),
        2.1,
    ),
}
PLACES = _split(
    "near me|online|uk|canada|australia|in texas|in california|in london|in toronto|in sydney"
)
YEARS = ("2025", "2026")
# (template, intent, weight): short head terms are rarer than long tails, as in a real export.
TEMPLATES: tuple[tuple[str, str, float], ...] = (
    ("{head}", "commercial", 3),
    ("best {head}", "commercial", 3),
    ("best {head} {year}", "commercial", 2),
    ("{attr} {head}", "commercial", 4),
    ("best {attr} {head}", "commercial", 4),
    ("{head} {aud}", "commercial", 4),
    ("best {head} {aud}", "commercial", 5),
    ("{attr} {head} {aud}", "commercial", 6),
    ("best {attr} {head} {aud} {year}", "commercial", 6),
    ("{head} review", "commercial", 2),
    ("{head} vs {other}", "commercial", 3),
    ("{attr} {head} vs {other}", "commercial", 3),
    ("{ask} {head}", "informational", 4),
    ("{ask} {attr} {head}", "informational", 4),
    ("{ask} {head} {aud}", "informational", 4),
    ("is a {head} worth it", "informational", 1),
    ("{head} pros and cons", "informational", 1),
    ("what is the best {head} {aud}", "informational", 3),
    ("{head} price", "transactional", 2),
    ("cheap {head}", "transactional", 2),
    ("{head} {place}", "transactional", 4),
    ("buy {attr} {head} {place}", "transactional", 5),
    ("{attr} {head} {aud} {place}", "transactional", 8),
    ("{head} deals {year}", "transactional", 2),
    ("{head} brands", "commercial", 1),
)


def _candidates() -> Iterator[tuple[str, str, str, str, float]]:
    """(industry, head, keyword, intent, weight) for every combination the templates make."""
    for name, ind in INDUSTRIES.items():
        for head, (template, intent, weight) in itertools.product(ind.heads, TEMPLATES):
            fields = {
                "attr": ind.attributes,
                "aud": ind.audiences,
                "ask": ind.questions,
                "place": PLACES,
                "year": YEARS,
                "other": tuple(h for h in ind.heads if h != head),
            }
            used = [f for f in fields if "{" + f + "}" in template]
            combos = list(itertools.product(*(fields[f] for f in used)))
            for combo in combos:
                text = template.format(head=head, **dict(zip(used, combo, strict=True)))
                # The template's weight is shared by its combinations: a template's share of a
                # sample follows its weight, not how many combinations it has.
                yield name, head, text, intent, weight / len(combos)


def generate_keywords(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    """n distinct keywords over ten industries (head terms x attributes, audiences, places,
    questions, comparisons), a weighted random sample without replacement: the same for the
    same n and seed. Each has a plausible volume, difficulty, CPC and intent."""
    rng = random.Random(seed)
    keyed: dict[str, tuple[float, str, str, str]] = {}
    for name, head, text, intent, weight in _candidates():
        if text not in keyed:
            # Efraimidis-Spirakis (in logs): the n largest log(u)/w are a weighted sample
            # without replacement.
            keyed[text] = (math.log(1.0 - rng.random()) / weight, name, head, intent)
    if n > len(keyed):
        raise SystemExit(f"Only {len(keyed):,} distinct keywords can be generated; asked {n:,}")
    chosen = sorted(keyed.items(), key=lambda kv: kv[1][0], reverse=True)[:n]
    out = []
    for text, (_key, name, head, intent) in chosen:
        extra_words = max(len(text.split()) - len(head.split()), 0)
        volume = max(10, int(10 ** rng.uniform(3.0, 5.0) / 1.8**extra_words))
        out.append(
            {
                "text": text,
                "volume": volume // 10 * 10,
                "difficulty": min(100, max(1, int(rng.gauss(60 - 4 * extra_words, 15)))),
                "cpc": round(INDUSTRIES[name].cpc * rng.uniform(0.4, 1.8), 2),
                "intent": intent,
            }
        )
    return out


# --- a fake WordPress (tests/helpers/fake_wordpress.py), in a process of its own ---------------

from tests.helpers.fake_wordpress import FakeWordPress, make_handler  # noqa: E402
from tests.helpers.tenants import Tenant  # noqa: E402


def serve_fake_wordpress(latency: float, username: str, password: str, port: int = 0) -> None:
    """Serve until SIGTERM or SIGINT; the first line on stdout is `{"url": ...}`."""
    server = ThreadingHTTPServer((LOOPBACK, port), BaseHTTPRequestHandler)
    server.daemon_threads = True
    server.request_queue_size = 256
    url = f"http://{LOOPBACK}:{server.server_address[1]}"
    server.RequestHandlerClass = make_handler(FakeWordPress(url, username, password), latency)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(json.dumps({"url": url}), flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()


@dataclass
class WordPressTarget:
    """Where the bench site publishes: a real WordPress, or the fake one in its own process."""

    url: str
    username: str
    password: str
    process: subprocess.Popen[str] | None = None

    @property
    def fake(self) -> bool:
        return self.process is not None

    def stats(self) -> dict[str, Any]:
        """The fake WordPress's counters ({} for a real one)."""
        if self.process is None:
            return {}
        import httpx

        return dict(httpx.get(f"{self.url}/bench/stats", timeout=30).json())


def read_credentials(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (scripts/wordpress_setup.sh's credentials.env)."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@contextlib.contextmanager
def wordpress_target(
    url: str | None, credentials: Path | None, latency: float
) -> Iterator[WordPressTarget]:
    """A real WordPress when `url` is given (user and application password from `credentials`),
    else the fake one, started here and stopped on the way out."""
    if url:
        require_loopback(url)
        if credentials is None or not credentials.exists():
            raise SystemExit(f"--wordpress {url} needs --wp-credentials (a credentials.env file)")
        creds = read_credentials(credentials)
        yield WordPressTarget(url.rstrip("/"), creds["WP_USERNAME"], creds["WP_APP_PASSWORD"])
        return
    password = secrets.token_urlsafe(18)
    proc = subprocess.Popen(
        [sys.executable, __file__, "wordpress", "--latency", str(latency), "--username", "bench"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "BENCH_WP_PASSWORD": password},
    )
    try:
        assert proc.stdout is not None
        ready, _w, _x = select.select([proc.stdout], [], [], STARTUP_SECONDS)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the fake WordPress did not start")
        yield WordPressTarget(json.loads(line)["url"], "bench", password, proc)
    finally:
        stop_process(proc)


# --- the stack: Temporal, worker, API ------------------------------------------------------


def stop_process(proc: subprocess.Popen[Any]) -> int | None:
    """SIGTERM, then SIGKILL after STOP_SECONDS; the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at `path` meanwhile: what it spawns inherits
    them (the Temporal dev server, started by the SDK, prints a banner and its logs)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB; 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    """A fresh igny8 installation: its own data folder and database, a Temporal dev server,
    `igny8 worker` and `igny8 api` as child processes (their peak RSS is theirs alone)."""

    database_url: str | None = None
    keep_data: bool = False  # else the data folder (database, images, logs) goes at the end
    data: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="igny8-bench-run-")))
    api_port: int = 0
    env: Any = None  # WorkflowEnvironment
    settings: Any = None  # core.config.Settings
    worker: subprocess.Popen[bytes] | None = None
    api: subprocess.Popen[bytes] | None = None

    @property
    def client(self) -> Any:
        return self.env.client

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def _environment(self, temporal: str, health_port: int) -> dict[str, str]:
        values = {
            "IGNY8_ENV": "development",
            "IGNY8_DATA_DIR": str(self.data),
            "DATABASE_URL": self.database_url or f"sqlite:///{self.data / 'igny8.db'}",
            "IGNY8_SECRET_KEY": "bench-secret-key",
            "IGNY8_AI_PROVIDER": "local",
            "IGNY8_STORAGE": "local",
            "IGNY8_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
            "TEMPORAL_ADDRESS": temporal,
            "TEMPORAL_NAMESPACE": "default",
            "IGNY8_OUTBOUND_ALLOW_PRIVATE": "true",
            "IGNY8_METRICS_PORT": "0",
            "IGNY8_SDK_METRICS_PORT": "0",
            "IGNY8_METRICS_HOST": LOOPBACK,
            "IGNY8_WORKER_HEALTH_HOST": LOOPBACK,
            "IGNY8_WORKER_HEALTH_PORT": str(health_port),
            "IGNY8_API_HOST": LOOPBACK,
            "IGNY8_API_PORT": str(self.api_port),
            "IGNY8_LOG_FORMAT": "text",
            "IGNY8_LOG_LEVEL": "WARNING",
            "IGNY8_GRACEFUL_SHUTDOWN_SECONDS": "5",
        }
        return values

    async def __aenter__(self) -> Stack:
        from temporalio.contrib.pydantic import pydantic_data_converter
        from temporalio.testing import WorkflowEnvironment

        from core.config import get_settings
        from core.db import get_engine
        from core.schema import upgrade
        from core.search_attributes import SEARCH_ATTRIBUTES

        for name in list(os.environ):  # nothing of an outer installation leaks in
            if name.startswith(("TEMPORAL_", "OPENAI_", "OTEL_", "IGNY8_AI_")):
                del os.environ[name]
        logs = self.data / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with output_to(logs / "temporal.log"):  # the dev server's banner and logs
            self.env = await WorkflowEnvironment.start_local(
                dev_server_existing_path=temporal_cli(),
                data_converter=pydantic_data_converter,
                ui=False,
                search_attributes=SEARCH_ATTRIBUTES,
                dev_server_log_level="error",
                # On disk, as `igny8 dev` runs it: a long run's histories do not fill memory.
                dev_server_database_filename=str(self.data / "temporal.db"),
            )
        try:
            self.api_port = free_port()
            health_port = free_port()
            temporal = self.env.client.service_client.config.target_host
            os.environ.update(self._environment(temporal, health_port))
            get_settings.cache_clear()
            self.settings = get_settings()
            upgrade(get_engine())
            self.worker = self._spawn(["worker"], logs / "worker.log")
            self.api = self._spawn(["api"], logs / "api.log")
            await self._wait_ready(f"http://{LOOPBACK}:{health_port}/readyz", self.worker)
            await self._wait_ready(f"{self.api_url}/healthz", self.api)
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, None)
            raise
        return self

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "cli.main", *command],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
            )

    async def _wait_ready(self, url: str, proc: subprocess.Popen[bytes]) -> None:
        import httpx

        deadline = time.monotonic() + STARTUP_SECONDS
        async with httpx.AsyncClient(timeout=5) as http:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"{url}: the process exited; see {self.data / 'logs'}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError(f"{url} did not answer in {STARTUP_SECONDS:g} s")

    def peak_rss(self) -> dict[str, float]:
        """Peak RSS of the worker and the API processes so far, in MB."""
        return {
            "worker": peak_rss_mb(self.worker.pid) if self.worker else 0.0,
            "api": peak_rss_mb(self.api.pid) if self.api else 0.0,
        }

    def cpu(self) -> dict[str, float]:
        """CPU seconds the worker and the API processes have used so far."""
        return {
            "worker": cpu_seconds(self.worker.pid) if self.worker else 0.0,
            "api": cpu_seconds(self.api.pid) if self.api else 0.0,
        }

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        for proc in (self.api, self.worker):
            if proc is not None:
                await asyncio.to_thread(stop_process, proc)
        if self.env is not None:
            await self.env.shutdown()
        if self.keep_data or exc_type is not None:
            print(f"  data, database and logs kept in {self.data}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(self.data, ignore_errors=True)

    async def start_run(self, tenant: Tenant) -> str:
        """Start a run of the tenant's site, as `POST /sites/{id}/runs` does."""
        from services import runs

        return await runs.start_run(
            self.client,
            self.settings,
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            trigger="api",
        )

    def seed_site(
        self,
        keywords: list[dict[str, Any]],
        wp: WordPressTarget,
        concurrency: dict[int, int] | None = None,
    ) -> Tenant:
        """An account with an API key and plenty of credits, and a site publishing to `wp`
        with auto-publish on (status publish), holding `keywords`. Stages overlap (no
        automation config, or one with strict_order off when `concurrency` is given)."""
        from sqlalchemy import insert

        from core.crypto import encrypt
        from core.db import session_scope
        from models import AutomationConfig, Keyword, Site
        from services import credits
        from services.accounts import create_account
        from services.keyword_rows import normalize_keyword
        from services.wp_connection import check_site_connection

        with session_scope() as s:
            account, key = create_account(s, "bench", 0)
            site = Site(
                account_id=account.id,
                name="bench site",
                domain="bench.test",
                wp_url=wp.url,
                wp_username=wp.username,
                wp_app_password_encrypted=encrypt(wp.password),
                auto_publish=True,
                publish_status="publish",
            )
            s.add(site)
            s.flush()
            account_id, site_id = int(account.id or 0), int(site.id or 0)
            if concurrency:
                s.add(
                    AutomationConfig(
                        account_id=account_id,
                        site_id=site_id,
                        strict_order=False,
                        concurrency={str(k): v for k, v in concurrency.items()},
                    )
                )
            credits.top_up(s, account_id, 1_500_000_000, key=f"bench:{account_id}")
        now = datetime.now(UTC)
        rows = [
            {
                "account_id": account_id,
                "site_id": site_id,
                "text": k["text"],
                "normalized": normalize_keyword(k["text"]),
                "volume": k["volume"],
                "difficulty": k["difficulty"],
                "cpc": k["cpc"],
                "intent": k["intent"],
                "country": "US",
                "status": "new",
                "disabled": False,
                "created_at": now,
            }
            for k in keywords
        ]
        for start in range(0, len(rows), 5000):
            with session_scope() as s:
                s.execute(insert(Keyword), rows[start : start + 5000])
        report = check_site_connection(account_id, site_id)  # through the outbound guard
        if not report.ok:
            raise RuntimeError(f"WordPress at {wp.url}: {report.message}")
        return Tenant(account_id, site_id, key)


# --- figures from the run -------------------------------------------------------------------


def content_timeline(site_id: int, since: datetime) -> dict[str, Any]:
    """Articles made and published, and the seconds from `since` to the first of each."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from core.db import session_scope
    from models import Content

    def seconds(value: datetime | None) -> float | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return round((value - since).total_seconds(), 1)

    with session_scope() as s:
        mine = Content.site_id == site_id
        live = col(Content.external_id).is_not(None)
        articles = s.exec(select(func.count()).select_from(Content).where(mine)).one()
        published = s.exec(select(func.count()).select_from(Content).where(mine, live)).one()
        first = s.exec(select(func.min(Content.created_at)).where(mine)).one()
        first_post = s.exec(select(func.min(Content.published_at)).where(mine, live)).one()
    return {
        "articles": articles,
        "published": published,
        "first_article_s": seconds(first),
        "first_post_s": seconds(first_post),
    }


class StageClock:
    """When each stage was active, from progress snapshots taken every few hundred ms: from
    the first snapshot showing it at work to the one where its count last grew, each end taken
    at the midpoint between the snapshot that saw the change and the one before (a stage that
    started and finished between two snapshots counts that whole interval). A stage with its
    own `started_at`/`finished_at` in the progress contract uses those instead."""

    def __init__(self) -> None:
        self.prev_t = 0.0
        self.started: dict[int, tuple[float, float]] = {}  # (snapshot before, snapshot)
        self.ended: dict[int, tuple[float, float]] = {}
        self.count: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.exact: dict[int, float] = {}

    def observe(self, t: float, progress: dict[str, Any]) -> None:
        for st in [*progress.get("stages", []), progress.get("publish")]:
            if not st:
                continue
            n = int(st["stage"])
            self.names[n] = str(st.get("name", n))
            done = int(st.get("completed", 0)) + int(st.get("failed", 0))
            if n not in self.started and (done or st.get("processing")):
                self.started[n] = (self.prev_t, t)
            if done > self.count.get(n, 0):
                self.count[n], self.ended[n] = done, (self.prev_t, t)
            if st.get("started_at") and st.get("finished_at"):
                begin = datetime.fromisoformat(st["started_at"])
                self.exact[n] = (datetime.fromisoformat(st["finished_at"]) - begin).total_seconds()
        self.prev_t = t

    def active_seconds(self, n: int) -> float:
        if n in self.exact:
            return self.exact[n]
        if n not in self.started or n not in self.ended:
            return 0.0
        (b0, b1), (e0, e1) = self.started[n], self.ended[n]
        if (b0, b1) == (e0, e1):
            return e1 - e0
        return max((e0 + e1) / 2 - (b0 + b1) / 2, 0.0)

    def rates(self, final: dict[int, int]) -> list[tuple[int, str, int, float, float]]:
        """(stage, name, completed, active seconds, items per second) of each stage; without
        a final count (a run cancelled at --timeout) the items the polls last saw done."""
        out = []
        for n in sorted(set(self.names) | set(final)):
            completed, seconds = final.get(n, self.count.get(n, 0)), self.active_seconds(n)
            rate = completed / seconds if seconds > 0 else 0.0
            out.append((n, self.names.get(n, str(n)), completed, round(seconds, 1), rate))
        return out


def delete_published(wp: WordPressTarget, site_id: int) -> int:
    """Remove from a real WordPress the posts and media the bench site published there."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import col, select

    from core.db import session_scope
    from integrations.wordpress.client import WordPressClient
    from models import Content, Image

    with session_scope() as s:
        posts = [
            int(p)
            for p in s.exec(select(Content.external_id).where(Content.site_id == site_id))
            if p
        ]
        media = [
            int(m)
            for m in s.exec(
                select(Image.external_media_id).where(
                    Image.site_id == site_id, col(Image.external_media_id).is_not(None)
                )
            )
            if m
        ]

    def delete(kind_and_id: tuple[str, int]) -> None:
        kind, item = kind_and_id
        with (
            WordPressClient(wp.url, wp.username, wp.password) as client,
            contextlib.suppress(Exception),
        ):
            client.delete_post(item) if kind == "post" else client.delete_media(item)

    work = [("post", p) for p in posts] + [("media", m) for m in media]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(delete, work))
    return len(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    wp = sub.add_parser("wordpress", help="serve the fake WordPress until SIGTERM")
    wp.add_argument("--latency", type=float, default=0.15, help="seconds per request")
    wp.add_argument("--username", default="bench")
    wp.add_argument("--port", type=int, default=0)
    kw = sub.add_parser("keywords", help="print generated keywords")
    kw.add_argument("count", type=int)
    args = parser.parse_args()
    if args.command == "wordpress":
        password = os.environ.get("BENCH_WP_PASSWORD") or secrets.token_urlsafe(18)
        serve_fake_wordpress(args.latency, args.username, password, args.port)
    else:
        for k in generate_keywords(args.count):
            print(f"{k['text']}\t{k['intent']}\t{k['volume']}\t{k['difficulty']}\t{k['cpc']}")


if __name__ == "__main__":
    main()
