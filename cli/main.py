"""The `igny8` command line: an operator tool on the database and Temporal directly."""

from __future__ import annotations

import importlib
import importlib.util

import typer

from cli import accounts, credits, db, keywords, runs, serve, sites

app = typer.Typer(
    name="igny8",
    help="igny8: keywords to published WordPress articles, durably, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(accounts.app, name="accounts")
app.add_typer(sites.app, name="sites")
app.add_typer(keywords.app, name="keywords")
app.add_typer(runs.app, name="runs")
app.add_typer(credits.app, name="credits")
app.add_typer(db.app, name="db")
serve.register(app)

# Command groups written with other issues; the CLI works without them.
if importlib.util.find_spec("cli.schedules") is not None:
    app.add_typer(importlib.import_module("cli.schedules").app, name="schedules")
if importlib.util.find_spec("cli.dev") is not None:
    importlib.import_module("cli.dev").register(app)


if __name__ == "__main__":
    app()
