"""`igny8 db`: the database schema (Alembic revisions in migrations/)."""

from __future__ import annotations

import typer

from cli.common import command, console, fail
from core.db import get_engine
from core.schema import current_revision, differences, head_revision, upgrade

app = typer.Typer(help="The database schema: upgrade it, see where it is.", no_args_is_help=True)


@app.command("upgrade")
@command
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)"),
) -> None:
    """Bring the schema to the newest revision (run before starting a new version)."""
    engine = get_engine()
    before, after = upgrade(engine, revision)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"The database {where} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {where} from {before or 'an empty database'} to {after}.")


@app.command("current")
@command
def current_cmd() -> None:
    """Print the database's revision and the one this code needs."""
    current, head = current_revision(get_engine()), head_revision()
    state = "up to date" if current == head else "out of date: run `igny8 db upgrade`"
    console.print(f"database: {current or 'none (empty)'}   code: {head}   ({state})")
    if current != head:
        raise typer.Exit(1)


@app.command("check")
@command
def check_cmd() -> None:
    """Compare the database with the models (exit 1 on any difference, like `alembic check`)."""
    found = differences(get_engine())
    if not found:
        console.print("The database matches the models.")
        return
    for diff in found:
        console.print(f"  {diff}")
    fail(f"{len(found)} difference(s) between the database and the models")
