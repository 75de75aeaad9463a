"""The account's credits: balance, ledger and top-ups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import col, select

from api.deps import CurrentAccount, PageDep, SessionDep, SettingsDep
from api.pagination import paginate
from core.db import session_scope
from models import CreditTransaction
from models.run_schemas import CreditBalance, CreditTransactionPublic, TopUpRequest, TopUpResult
from models.schemas import Page, Short, Str300
from services import credits

router = APIRouter(prefix="/credits", tags=["credits"])


@router.get("", response_model=CreditBalance)
def read_balance(session: SessionDep, account: CurrentAccount) -> CreditBalance:
    """The account's credit balance."""
    assert account.id is not None
    return CreditBalance(account_id=account.id, balance=credits.balance(session, account.id))


@router.get("/transactions", response_model=Page[CreditTransactionPublic])
def list_transactions(
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    operation: Annotated[Short | None, Query(description="top_up, reserve, settle, …")] = None,
    run_id: Annotated[Str300 | None, Query(description="Only this run's")] = None,
) -> Page[CreditTransactionPublic]:
    """The account's credit movements, newest first."""
    query = select(CreditTransaction).where(CreditTransaction.account_id == account.id)
    if operation:
        query = query.where(CreditTransaction.operation == operation)
    if run_id:
        query = query.where(CreditTransaction.run_id == run_id)
    return paginate(session, query, page, CreditTransactionPublic, col(CreditTransaction.id).desc())


@router.post("/top-up", response_model=TopUpResult)
def top_up(body: TopUpRequest, account: CurrentAccount, settings: SettingsDep) -> TopUpResult:
    """Add credits. Sending the same idempotency key again adds nothing (`applied: false`).

    A run paused for lack of credits continues after a top-up and `POST /runs/{id}/resume`."""
    assert account.id is not None
    if not settings.allow_self_top_up:
        raise HTTPException(403, "Top-ups through the API are turned off here; ask an operator")
    key = f"top-up:{account.id}:{body.idempotency_key}"
    with session_scope() as session:
        tx = credits.top_up(session, account.id, body.amount, key, reference="top up (API)")
        return TopUpResult(balance=credits.balance(session, account.id), applied=tx is not None)
