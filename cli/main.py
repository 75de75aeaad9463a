"""The `igny8` command line: an operator tool on the database and Temporal directly."""

from __future__ import annotations

import typer

from cli import accounts, credits, db, dev, keywords, runs, schedules, serve, sites

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
app.add_typer(schedules.app, name="schedules")
app.add_typer(db.app, name="db")
dev.register(app)
serve.register(app)


if __name__ == "__main__":
    app()
