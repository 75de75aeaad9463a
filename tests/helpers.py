"""Test helpers: seeding a tenant, controllable AI providers, waiting on runs."""

from __future__ import annotations

import asyncio
import csv
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from core.db import session_scope
from core.errors import ValidationError
from models import Account, Keyword, Site
from services import credits
from services.ai.local import LocalProvider
from services.keyword_rows import normalize_keyword

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_keywords.csv"


def seed_site(keywords: int = 60, balance: int = 1_000_000, name: str = "Test") -> tuple[int, int]:
    """An account with credits and a site with `keywords` keywords spread over the sample's
    topics. Returns (account_id, site_id)."""
    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    step = max(len(rows) // keywords, 1)
    chosen = rows[::step][:keywords]
    with session_scope() as s:
        account = Account(name=name)
        s.add(account)
        s.flush()
        site = Site(account_id=account.id, name=f"{name} site", domain="example.test")
        s.add(site)
        s.flush()
        for r in chosen:
            s.add(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    text=r["keyword"],
                    normalized=normalize_keyword(r["keyword"]),
                    volume=int(r["volume"]),
                    difficulty=int(r["difficulty"]),
                    cpc=float(r["cpc"] or 0),
                    intent=r["intent"],
                )
            )
        if balance:
            credits.top_up(s, account.id, balance, key=f"seed:{account.id}")
        return account.id, site.id  # type: ignore[return-value]


def count(table: Any, **where: Any) -> int:
    with session_scope() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(getattr(table, k) == v)
        return int(s.exec(q).one())


class ControlledProvider(LocalProvider):
    """The local provider with knobs: delay per call, a gate that holds a stage, and items
    that fail permanently."""

    def __init__(self) -> None:
        super().__init__()
        self.delay: dict[str, float] = {}
        self.gates: dict[str, threading.Event] = {}
        self.fail_titles: set[str] = set()
        self.fail_next_article = False  # fail the next article asked for (and keep failing it)
        self.calls: dict[str, int] = {}

    def _enter(self, fn: str) -> None:
        self.calls[fn] = self.calls.get(fn, 0) + 1
        gate = self.gates.get(fn)
        if gate is not None:
            gate.wait(timeout=120)
        if self.delay.get(fn):
            time.sleep(self.delay[fn])

    def cluster_keywords(self, keywords, existing):  # type: ignore[no-untyped-def]
        self._enter("cluster_keywords")
        return super().cluster_keywords(keywords, existing)

    def describe_cluster_groups(self, groups, members):  # type: ignore[no-untyped-def]
        self._enter("cluster_keywords")  # stage 1's call to the local provider
        return super().describe_cluster_groups(groups, members)

    def generate_ideas(self, cluster):  # type: ignore[no-untyped-def]
        self._enter("generate_ideas")
        return super().generate_ideas(cluster)

    def generate_article(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_article")
        if self.fail_next_article:
            self.fail_next_article = False
            self.fail_titles.add(brief.title)
        if brief.title in self.fail_titles:
            raise ValidationError(f"Refusing to write '{brief.title}' (test fault)")
        return super().generate_article(brief)

    def generate_image_prompts(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_image_prompts")
        return super().generate_image_prompts(brief)

    def generate_image(self, prompt, width, height):  # type: ignore[no-untyped-def]
        self._enter("generate_image")
        return super().generate_image(prompt, width, height)


async def wait_for(predicate: Callable[[], Any], timeout: float = 60, every: float = 0.1) -> Any:
    """Poll an (async or sync) predicate until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)
