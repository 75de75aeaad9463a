"""The demo tenant: an account, a fresh site, and the shipped sample keywords."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import func, select

from core.db import session_scope
from models import Account, AutomationConfig, Keyword, Site
from services import credits
from services.keyword_rows import normalize_keyword

SAMPLE_KEYWORDS = Path(__file__).resolve().parents[1] / "data" / "sample_keywords.csv"
DEMO_ACCOUNT = "igny8 demo agency"


def create_demo_site(keywords: int | None = None, balance: int = 1_000_000) -> tuple[int, int, int]:
    """Reuse the demo account, add a new site with the sample keywords (first `keywords` rows).
    Returns (account_id, site_id, keywords imported)."""
    with open(SAMPLE_KEYWORDS, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if keywords:
        rows = rows[:keywords]
    with session_scope() as s:
        account = s.exec(select(Account).where(Account.name == DEMO_ACCOUNT)).first()
        if account is None:
            account = Account(name=DEMO_ACCOUNT)
            s.add(account)
            s.flush()
        assert account.id is not None
        credits.top_up(
            s,
            account.id,
            max(balance - account.credits_balance, 0),
            key=f"demo-top-up:{account.id}:{account.credits_balance}",
        )
        n = s.exec(
            select(func.count()).select_from(Site).where(Site.account_id == account.id)
        ).one()
        site = Site(
            account_id=account.id,
            name=f"Trail & Peak Running (demo #{n + 1})",
            domain="trailandpeak.example",
        )
        s.add(site)
        s.flush()
        assert site.id is not None
        s.add(AutomationConfig(account_id=account.id, site_id=site.id))
        for r in rows:
            s.add(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    text=r["keyword"].strip(),
                    normalized=normalize_keyword(r["keyword"]),
                    volume=int(r["volume"] or 0),
                    difficulty=int(r["difficulty"] or 0),
                    cpc=float(r["cpc"] or 0),
                    intent=r["intent"] or "informational",
                    country=r.get("country") or None,
                )
            )
        return account.id, site.id, len(rows)  # type: ignore[return-value]
