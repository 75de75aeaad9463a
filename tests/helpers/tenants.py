"""Tenants to call the API as: an account with an API key and a site."""

from __future__ import annotations

from dataclasses import dataclass

from core.db import session_scope
from models import Site
from services.accounts import create_account


@dataclass
class Tenant:
    account_id: int
    site_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_tenant(name: str = "Tenant", credits: int = 10_000) -> Tenant:
    """A new account (with `credits`) and one site of it."""
    with session_scope() as session:
        account, key = create_account(session, name, credits)
        site = Site(account_id=account.id, name=f"{name} site", domain="example.test")
        session.add(site)
        session.flush()
        return Tenant(account.id, site.id, key)  # type: ignore[arg-type]
