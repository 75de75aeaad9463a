"""`igny8 credits ...`: balances and top-ups."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from cli.common import JsonOpt, command, console, print_json, reading, writing
from services import credits as svc

app = typer.Typer(help="Credit balances and top-ups.", no_args_is_help=True)
AccountOpt = Annotated[int, typer.Option("--account", min=1, help="The account's id")]


@app.command("top-up")
@command
def top_up(
    account: AccountOpt,
    amount: Annotated[int, typer.Argument(min=1, max=100_000_000, help="Credits to add")],
    key: Annotated[
        str | None, typer.Option(help="Idempotency key: running again with it adds nothing")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add credits to an account (then `igny8 runs resume` a run paused for credits)."""
    idempotency_key = f"cli-top-up:{account}:{key or uuid.uuid4().hex}"
    with writing() as session:
        tx = svc.top_up(session, account, amount, idempotency_key, reference="top up (CLI)")
        balance = svc.balance(session, account)
    if as_json:
        print_json({"account_id": account, "balance": balance, "applied": tx is not None})
        return
    done = f"Added {amount:,} credits" if tx else "Already applied (same --key)"
    console.print(f"{done}: account {account} now has [bold]{balance:,}[/] credits")


@app.command("show")
@command
def show(account: AccountOpt, as_json: JsonOpt = False) -> None:
    """An account's credit balance."""
    with reading() as session:
        balance = svc.balance(session, account)
    if as_json:
        print_json({"account_id": account, "balance": balance})
        return
    console.print(f"Account {account}: [bold]{balance:,}[/] credits")
