"""The credit ledger: reserve before an AI call, settle after, release on failure.

Every movement is a CreditTransaction with a unique idempotency key derived from
(run, stage, item), so a retried activity, or two racing ones, can never charge twice: a
movement locks its key, and a key already in the ledger is "already done".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DateTime, String, Update, func, insert, literal, text, update
from sqlalchemy import select as core_select  # more columns than sqlmodel.select types
from sqlmodel import Session, col, select

from contracts.stages import STAGES, Stage
from core import metrics
from core.config import Settings
from core.errors import InsufficientCreditsError, NotFoundError, ValidationError
from models import Account, CreditTransaction

MAX_BALANCE = 2_000_000_000  # the balance column is a 32-bit integer on PostgreSQL


def cost_per_item(stage: int, settings: Settings) -> int:
    """Credits one item of a stage costs (config: IGNY8_CREDIT_COSTS overrides the defaults)."""
    name = STAGES[Stage(stage)].name
    return settings.credit_costs.get(name, STAGES[Stage(stage)].credits_per_item)


def item_key(run_id: str, stage: int, item_id: int) -> str:
    return f"{run_id}:{stage}:{item_id}"


def balance(session: Session, account_id: int) -> int:
    # Read, not Session.get: a movement changes the balance in SQL the session does not track.
    value = session.exec(select(Account.credits_balance).where(Account.id == account_id)).first()
    if value is None:
        raise NotFoundError(f"Account {account_id} not found")
    return int(value)


def _lock_key(session: Session, key: str) -> None:
    """Serialise the movements of one key until this transaction ends: a racing twin's checks
    wait for this one's commit. Only the key is held, not the account, so the items of an
    account (fifty sites of an agency) never queue behind one another's checks. SQLite's write
    transactions are one at a time anyway (BEGIN IMMEDIATE)."""
    if _on_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _existing(session: Session, key: str) -> CreditTransaction | None:
    return session.exec(
        select(CreditTransaction).where(CreditTransaction.idempotency_key == key)
    ).first()


def _record(
    session: Session,
    account_id: int,
    amount: int,
    operation: str,
    key: str,
    *,
    reference: str = "",
    run_id: str | None = None,
    allow_negative: bool = True,
    checked: bool = False,
) -> CreditTransaction | None:
    """Apply one movement; None if its key was already used. The key's lock makes the check
    and the insert one truth, so a twin attempt waits and then finds the movement done
    (`checked`: the caller holds the item's lock and has read its movements already)."""
    if not checked:
        _lock_key(session, key)
        if _existing(session, key) is not None:
            return None
    tx = CreditTransaction(
        account_id=account_id,
        amount=amount,
        balance_after=0,  # set from the moved balance
        operation=operation,
        reference=reference,
        idempotency_key=key,
        run_id=run_id,
    )
    if amount == 0:
        # Nothing moves (a settle that charges exactly its hold, the common case): the account's
        # row is not locked, so the items of a busy account do not queue for it twice each.
        tx.balance_after = balance(session, account_id)
        session.add(tx)
        session.flush()
        return tx
    after = col(Account.credits_balance) + amount
    change = update(Account).where(col(Account.id) == account_id, after <= MAX_BALANCE)
    if not allow_negative:
        change = change.where(after >= 0)
    change = change.values(credits_balance=after).returning(col(Account.credits_balance))
    if _on_postgres(session):
        moved = _move_and_insert(session, tx, change)
    else:
        moved = session.execute(change).scalar_one_or_none()
        if moved is not None:
            tx.balance_after = moved
            session.add(tx)
            session.flush()
    if moved is None:
        current = balance(session, account_id)  # NotFoundError when there is no such account
        if current + amount > MAX_BALANCE:
            raise ValidationError(f"A balance cannot exceed {MAX_BALANCE:,} credits")
        raise InsufficientCreditsError(-amount, current)
    return tx


def _move_and_insert(session: Session, tx: CreditTransaction, change: Update) -> int | None:
    """PostgreSQL: the balance moves and the ledger row is written in one statement. Every
    movement that changes the balance takes the account's row lock, held until commit (a zero
    movement takes none, see `_record`); this is the last statement before the commit in the
    hot paths, so the lock is held for a commit's time and the items of a busy account do not
    queue behind one another's round trips."""
    moved = change.cte("moved")
    columns = [
        "account_id", "amount", "balance_after", "operation", "reference", "idempotency_key",
        "run_id", "created_at",
    ]  # fmt: skip
    values = core_select(
        literal(tx.account_id),
        literal(tx.amount),
        moved.c.credits_balance,
        literal(tx.operation, String),
        literal(tx.reference, String),
        literal(tx.idempotency_key, String),
        literal(tx.run_id, String),
        literal(tx.created_at, DateTime(timezone=True)),
    )
    inserted = session.execute(
        insert(CreditTransaction)
        .from_select(columns, values)
        .returning(col(CreditTransaction.id), col(CreditTransaction.balance_after))
    ).first()
    if inserted is None:
        return None
    tx.id, tx.balance_after = inserted
    return int(inserted[1])


def top_up(
    session: Session, account_id: int, amount: int, key: str, reference: str = "top up"
) -> CreditTransaction | None:
    """Add credits (idempotent on `key`)."""
    tx = _record(session, account_id, amount, "top_up", key, reference=reference)
    if tx is not None:
        metrics.credits_topped_up(session, amount)
    return tx


@dataclass(frozen=True)
class _ItemMovements:
    """What the ledger holds for one item's key, read in one query."""

    settled: bool
    releases: int  # each release ends an attempt's hold; the next attempt holds anew
    held: int | None  # the current attempt's hold (credits), None when it holds nothing


def _item_movements(session: Session, key: str) -> _ItemMovements:
    rows = session.exec(
        select(
            CreditTransaction.idempotency_key,
            CreditTransaction.operation,
            CreditTransaction.amount,
        ).where(CreditTransaction.reference == key)
    ).all()
    releases = sum(1 for _, operation, _ in rows if operation == "release")
    hold = f"reserve:{key}:{releases}"
    return _ItemMovements(
        settled=any(operation == "settle" for _, operation, _ in rows),
        releases=releases,
        held=next((-amount for k, _, amount in rows if k == hold), None),
    )


def reserve(session: Session, account_id: int, amount: int, key: str, run_id: str) -> bool:
    """Hold `amount` before an AI call; InsufficientCreditsError if the balance is short.
    False when this attempt's hold already exists. A hold released after a failed attempt is
    taken anew (and checked against the balance) by the next attempt."""
    if amount <= 0:
        return False
    _lock_key(session, key)  # the item's movements, checks and inserts, see one truth
    seen = _item_movements(session, key)
    if seen.settled or seen.held is not None:
        return False
    tx = _record(
        session, account_id, -amount, "reserve", f"reserve:{key}:{seen.releases}",
        reference=key, run_id=run_id, allow_negative=False, checked=True,
    )  # fmt: skip
    return tx is not None


def settle(session: Session, account_id: int, key: str, actual: int, run_id: str) -> None:
    """Turn the current hold into the actual cost (refunds the difference); idempotent."""
    _lock_key(session, key)  # before the checks: a racing release waits
    seen = _item_movements(session, key)
    if seen.settled:
        return
    diff = (seen.held or 0) - actual
    if _record(
        session, account_id, diff, "settle", f"settle:{key}",
        reference=key, run_id=run_id, checked=True,
    ):  # fmt: skip
        metrics.credits_charged(session, actual)


def release(session: Session, account_id: int, key: str, run_id: str) -> None:
    """Give the current hold back after a failure; idempotent, and a no-op once settled."""
    _lock_key(session, key)
    seen = _item_movements(session, key)
    if seen.held is None or seen.settled:
        return
    _record(
        session, account_id, seen.held, "release", f"release:{key}:{seen.releases}",
        reference=key, run_id=run_id, checked=True,
    )  # fmt: skip


def is_settled(session: Session, key: str) -> bool:
    return _existing(session, f"settle:{key}") is not None


def credits_used(session: Session, run_id: str) -> int:
    """What a run has spent, from the ledger (the truth, whatever was retried)."""
    total = session.exec(
        select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
            CreditTransaction.run_id == run_id
        )
    ).one()
    return -int(total)
