"""Test data: the shipped sample keywords, a seeded tenant, row counts."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from core.db import session_scope
from models import Account, Keyword, Site
from services import credits
from services.keyword_rows import normalize_keyword

SAMPLE_KEYWORDS = Path(__file__).resolve().parents[2] / "data" / "sample_keywords.csv"


def seed_site(keywords: int = 60, balance: int = 1_000_000, name: str = "Test") -> tuple[int, int]:
    """An account with credits and a site with `keywords` keywords spread over the sample's
    topics. Returns (account_id, site_id)."""
    with open(SAMPLE_KEYWORDS, newline="", encoding="utf-8") as fh:
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
    """Rows of `table` whose columns equal the given values."""
    with session_scope() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(getattr(table, k) == v)
        return int(s.exec(q).one())
