"""`igny8 accounts ...`: create accounts (with credits and an API key) and list them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from cli.common import JsonOpt, command, console, fail, print_json, reading, writing
from core.config import get_settings
from models import Account
from services.accounts import create_account, create_api_key

app = typer.Typer(help="Accounts and their API keys.", no_args_is_help=True)


@app.command("create")
@command
def create(
    name: Annotated[str, typer.Argument(help="The account's name")],
    credits: Annotated[
        int | None, typer.Option("--credits", min=0, help="Starting credits (default: signup)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account with credits and print its API key (shown once)."""
    amount = get_settings().signup_credits if credits is None else credits
    with writing() as session:
        account, key = create_account(session, name, amount)
    if as_json:
        print_json(
            {
                "account_id": account.id,
                "name": account.name,
                "credits": account.credits_balance,
                "api_key": key,
            }
        )
        return
    console.print(
        f"Account [bold]{account.id}[/] {account.name!r}: {account.credits_balance:,} credits"
    )
    console.print(f"API key (shown once, store it now): [bold green]{key}[/]")


@app.command("key")
@command
def new_key(
    account: Annotated[int, typer.Option("--account", min=1, help="The account's id")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Make another API key for an account (shown once)."""
    with writing() as session:
        if session.get(Account, account) is None:
            fail(f"Account {account} not found")
        row, key = create_api_key(session, account, name)
    if as_json:
        print_json({"account_id": account, "key_id": row.id, "api_key": key})
        return
    console.print(f"API key {row.id} for account {account} (shown once): [bold green]{key}[/]")


@app.command("list")
@command
def list_accounts(as_json: JsonOpt = False) -> None:
    """Every account with its credit balance."""
    with reading() as session:
        accounts = session.exec(select(Account).order_by(col(Account.id))).all()
    if as_json:
        print_json([{"id": a.id, "name": a.name, "credits": a.credits_balance} for a in accounts])
        return
    table = Table("id", "name", "credits")
    for a in accounts:
        table.add_row(str(a.id), a.name, f"{a.credits_balance:,}")
    console.print(table)
