"""Accounts and API keys: open signup, the caller's account, key management."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import CurrentAccount, ItemId, SessionDep, SettingsDep
from core.db import session_scope
from models.schemas import (
    AccountCreate,
    AccountCreated,
    AccountPublic,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
)
from services import accounts as svc

router = APIRouter(tags=["accounts"])


@router.post("/accounts", status_code=201, response_model=AccountCreated)
def sign_up(body: AccountCreate, settings: SettingsDep) -> AccountCreated:
    """Open signup: create an account with the signup credits and its first API key.

    No authentication. The key is in the answer once and never again: store it. Operators can
    turn signup off (`IGNY8_ALLOW_SIGNUP=false`) and create accounts with
    `igny8 accounts create NAME --credits N` instead."""
    if not getattr(settings, "allow_signup", True):
        raise HTTPException(403, "Signup is disabled on this server: ask an operator")
    with session_scope() as session:
        account, raw = svc.create_account(session, body.name, settings.signup_credits)
    return AccountCreated(
        account=AccountPublic.model_validate(account, from_attributes=True), api_key=raw
    )


@router.get("/account", response_model=AccountPublic)
def read_account(account: CurrentAccount) -> AccountPublic:
    """The account the API key belongs to."""
    return AccountPublic.model_validate(account, from_attributes=True)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_keys(session: SessionDep, account: CurrentAccount) -> list[ApiKeyPublic]:
    """The account's API keys (prefixes only: the secrets are not stored)."""
    assert account.id is not None
    return [
        ApiKeyPublic.model_validate(k, from_attributes=True)
        for k in svc.list_api_keys(session, account.id)
    ]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_key(body: ApiKeyCreate, account: CurrentAccount) -> ApiKeyCreated:
    """Make another API key; the key is shown in this answer only."""
    assert account.id is not None
    with session_scope() as session:
        row, raw = svc.create_api_key(session, account.id, body.name)
    return ApiKeyCreated(key=ApiKeyPublic.model_validate(row, from_attributes=True), api_key=raw)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyPublic)
def revoke_key(key_id: ItemId, account: CurrentAccount) -> ApiKeyPublic:
    """Revoke a key: requests with it get 401 from now on. The last active key cannot go."""
    assert account.id is not None
    with session_scope() as session:
        row = svc.revoke_api_key(session, account.id, key_id)
    return ApiKeyPublic.model_validate(row, from_attributes=True)
