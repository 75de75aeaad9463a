"""`igny8 sites ...`: create and list an account's sites."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table
from sqlmodel import col, select

from cli.common import JsonOpt, command, console, fail, print_json, reading, writing
from models import Account, Site
from models.schemas import SiteCreate
from services import sites as svc

app = typer.Typer(help="Sites of an account.", no_args_is_help=True)
AccountOpt = Annotated[int, typer.Option("--account", min=1, help="The account's id")]


@app.command("create")
@command
def create(
    name: Annotated[str, typer.Argument(help="The site's name")],
    account: AccountOpt,
    domain: Annotated[str | None, typer.Option(help="The site's domain")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a site for an account."""
    try:
        body = SiteCreate(name=name, domain=domain)
    except PydanticValidationError as exc:
        fail(f"Invalid site: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
    with writing() as session:
        if session.get(Account, account) is None:
            fail(f"Account {account} not found")
        site = svc.create_site(session, account, body)
        public = svc.site_public(session, site)
    if as_json:
        print_json(public)
        return
    console.print(f"Site [bold]{public.id}[/] {public.name!r} for account {account}")


@app.command("list")
@command
def list_sites(account: AccountOpt, as_json: JsonOpt = False) -> None:
    """An account's sites, with their active run if any."""
    with reading() as session:
        rows = session.exec(
            select(Site).where(Site.account_id == account).order_by(col(Site.id))
        ).all()
        sites = [svc.site_public(session, s) for s in rows]
    if as_json:
        print_json(sites)
        return
    table = Table("id", "name", "domain", "wordpress", "active run")
    for s in sites:
        table.add_row(
            str(s.id),
            s.name,
            s.domain or "",
            s.wordpress.url if s.wordpress else "",
            s.active_run_id or "",
        )
    console.print(table)
