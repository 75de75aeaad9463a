"""The credit ledger: reserve before an AI call, settle after, release on failure.

Every movement is a CreditTransaction with a unique idempotency key derived from
(run, stage, item), so a retried activity, or two racing ones, can never charge twice: the
second insert of the same key fails and is treated as "already done".
"""

from __future__ import annotations

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
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
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"Account {account_id} not found")
    return account.credits_balance


def _lock_key(session: Session, key: str) -> None:
    """Serialise the movements of one (run, stage, item) key until this transaction ends: a
    racing twin's checks wait for this one's commit. Only the key is held, not the account, so
    the items of an account (fifty sites of an agency) never queue behind one another's checks.
    SQLite serialises its writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


def _move_balance(session: Session, account_id: int, amount: int, allow_negative: bool) -> int:
    """Add `amount` to the balance in one statement and answer the new balance. The account's
    row stays locked from this statement to the commit, which follows it closely, instead of
    from a SELECT ... FOR UPDATE at the start of the movement's checks."""
    after = col(Account.credits_balance) + amount
    change = update(Account).where(col(Account.id) == account_id, after <= MAX_BALANCE)
    if not allow_negative:
        change = change.where(after >= 0)
    moved = session.execute(
        change.values(credits_balance=after)
        .returning(col(Account.credits_balance))
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if moved is None:
        current = balance(session, account_id)  # NotFoundError when there is no such account
        if current + amount > MAX_BALANCE:
            raise ValidationError(f"A balance cannot exceed {MAX_BALANCE:,} credits")
        raise InsufficientCreditsError(-amount, current)
    return int(moved)


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
) -> CreditTransaction | None:
    """Apply one movement in its own savepoint; None if the key was already used."""
    if _existing(session, key) is not None:
        return None
    try:
        with session.begin_nested():
            after = _move_balance(session, account_id, amount, allow_negative)
            tx = CreditTransaction(
                account_id=account_id,
                amount=amount,
                balance_after=after,
                operation=operation,
                reference=reference,
                idempotency_key=key,
                run_id=run_id,
            )
            session.add(tx)
            session.flush()
    except IntegrityError:
        return None  # a concurrent twin won the race: the movement happened exactly once
    return tx


def top_up(
    session: Session, account_id: int, amount: int, key: str, reference: str = "top up"
) -> CreditTransaction | None:
    """Add credits (idempotent on `key`)."""
    tx = _record(session, account_id, amount, "top_up", key, reference=reference)
    if tx is not None:
        metrics.credits_topped_up(session, amount)
    return tx


def _holds(session: Session, key: str) -> int:
    """How many times a reservation of `key` was released (each new hold is a new attempt)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(CreditTransaction)
            .where(CreditTransaction.operation == "release", CreditTransaction.reference == key)
        ).one()
    )


def reserve(session: Session, account_id: int, amount: int, key: str, run_id: str) -> bool:
    """Hold `amount` before an AI call; InsufficientCreditsError if the balance is short.
    False when this attempt's hold already exists. A hold released after a failed attempt is
    taken anew (and checked against the balance) by the next attempt."""
    if amount <= 0:
        return False
    with session.begin_nested():
        _lock_key(session, key)  # the checks below and the insert see one truth
        if _existing(session, f"settle:{key}") is not None:
            return False
        hold = f"reserve:{key}:{_holds(session, key)}"
        if _existing(session, hold) is not None:
            return False
    tx = _record(
        session, account_id, -amount, "reserve", hold,
        reference=key, run_id=run_id, allow_negative=False,
    )  # fmt: skip
    return tx is not None


def _current_hold(session: Session, key: str) -> CreditTransaction | None:
    return _existing(session, f"reserve:{key}:{_holds(session, key)}")


def settle(session: Session, account_id: int, key: str, actual: int, run_id: str) -> None:
    """Turn the current hold into the actual cost (refunds the difference); idempotent."""
    _lock_key(session, key)  # before the checks: a racing release waits
    if _existing(session, f"settle:{key}") is not None:
        return
    held = _current_hold(session, key)
    diff = (-held.amount if held else 0) - actual
    if _record(session, account_id, diff, "settle", f"settle:{key}", reference=key, run_id=run_id):
        metrics.credits_charged(session, actual)


def release(session: Session, account_id: int, key: str, run_id: str) -> None:
    """Give the current hold back after a failure; idempotent, and a no-op once settled."""
    _lock_key(session, key)
    held = _current_hold(session, key)
    if held is None or _existing(session, f"settle:{key}") is not None:
        return
    n = _holds(session, key)
    _record(
        session, account_id, -held.amount, "release", f"release:{key}:{n}",
        reference=key, run_id=run_id,
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
