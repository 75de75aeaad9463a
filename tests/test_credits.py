"""The credit ledger on the suite's database: holds, settlements and releases are exact and
idempotent, a short balance refuses a hold, and many items of one account settling at once (with
twin attempts of the same item racing) charge each item exactly once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from contracts.stages import Stage
from core.config import get_settings
from core.db import session_scope
from core.errors import InsufficientCreditsError, ValidationError
from models import CreditTransaction, StageItem
from services import credits, run_records
from services.ai.local import LocalProvider
from services.stages import runner
from services.stages.base import ItemWork, StageContext
from tests.helpers import seed_site


def balance(account_id: int) -> int:
    with session_scope() as s:
        return credits.balance(s, account_id)


def ledger_sum(account_id: int) -> int:
    with session_scope() as s:
        return int(
            s.exec(
                select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                    CreditTransaction.account_id == account_id
                )
            ).one()
        )


def test_hold_settle_and_release_are_exact_and_idempotent() -> None:
    account_id, _ = seed_site(keywords=5, balance=100)
    with session_scope() as s:
        assert credits.reserve(s, account_id, 30, "run-a:4:1", "run-a")
        assert not credits.reserve(s, account_id, 30, "run-a:4:1", "run-a")  # a retried attempt
    assert balance(account_id) == 70
    with session_scope() as s:
        credits.settle(s, account_id, "run-a:4:1", 25, "run-a")  # cheaper than held: refund
        credits.settle(s, account_id, "run-a:4:1", 25, "run-a")
        credits.release(s, account_id, "run-a:4:1", "run-a")  # settled: nothing to give back
    assert balance(account_id) == 75
    with session_scope() as s:
        credits.reserve(s, account_id, 50, "run-a:4:2", "run-a")
        credits.release(s, account_id, "run-a:4:2", "run-a")
        credits.release(s, account_id, "run-a:4:2", "run-a")
        assert credits.reserve(s, account_id, 50, "run-a:4:2", "run-a")  # the next attempt
    assert balance(account_id) == 25
    assert ledger_sum(account_id) == balance(account_id)
    with session_scope() as s:
        assert credits.credits_used(s, "run-a") == 75


def test_a_short_balance_refuses_the_hold_and_keeps_the_balance() -> None:
    account_id, _ = seed_site(keywords=5, balance=10)
    with pytest.raises(InsufficientCreditsError) as refused, session_scope() as s:
        credits.reserve(s, account_id, 50, "run-b:4:1", "run-b")
    assert "50" in str(refused.value) and "10" in str(refused.value)
    assert balance(account_id) == 10 == ledger_sum(account_id)
    with pytest.raises(ValidationError, match="cannot exceed"), session_scope() as s:
        credits.top_up(s, account_id, credits.MAX_BALANCE, "too-much")
    assert balance(account_id) == 10


def test_many_items_of_one_account_at_once_each_charged_once() -> None:
    account_id, _ = seed_site(keywords=5, balance=100_000)
    items = 40
    errors: list[BaseException] = []

    def attempt(item: int) -> None:
        key = f"run-c:4:{item}"
        try:
            with session_scope() as s:
                credits.reserve(s, account_id, 50, key, "run-c")
            with session_scope() as s:
                credits.settle(s, account_id, key, 50, "run-c")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    # Two attempts of every item (a timed-out twin beside its retry), all at once.
    threads = [threading.Thread(target=attempt, args=(i % items,)) for i in range(2 * items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert balance(account_id) == 100_000 - 50 * items == ledger_sum(account_id)
    with session_scope() as s:
        assert credits.credits_used(s, "run-c") == 50 * items
        settled = s.exec(
            select(func.count())
            .select_from(CreditTransaction)
            .where(CreditTransaction.run_id == "run-c", CreditTransaction.operation == "settle")
        ).one()
    assert settled == items


def test_an_attempt_that_lost_its_item_gives_its_hold_back() -> None:
    """A cancelled run released the item while its call was in the air: the late answer is
    not saved, and the attempt's hold goes back to the balance."""
    account_id, site_id = seed_site(keywords=5, balance=100)
    key = credits.item_key("run-late", Stage.GENERATE_CONTENT, 7)
    with session_scope() as s:
        s.add(StageItem(run_id="run-late", stage=Stage.GENERATE_CONTENT, item_id=7, attempts=1))
        assert credits.reserve(s, account_id, 30, key, "run-late")
    run_records.release_unfinished_items("run-late")  # the run was cancelled
    ctx = StageContext(
        run_id="run-late",
        account_id=account_id,
        site_id=site_id,
        stage=Stage.GENERATE_CONTENT,
        settings=get_settings(),
        provider=LocalProvider(),
    )
    start = runner.ItemStart(7, 1, key, cost=30, work=ItemWork(name="a late article"))
    with pytest.raises(runner.AttemptSuperseded):
        runner.finish_item(ctx, start, None)
    assert balance(account_id) == 100 == ledger_sum(account_id)
    with session_scope() as s:
        assert credits.credits_used(s, "run-late") == 0
