"""`igny8 keywords import FILE.csv --site ID`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from cli.common import JsonOpt, command, console, fail, print_json, writing
from models import Site
from services.keyword_import import import_csv

app = typer.Typer(help="Keyword imports.", no_args_is_help=True)


@app.command("import")
@command
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A UTF-8 CSV file")],
    site: Annotated[int, typer.Option("--site", min=1, help="The site's id")],
    as_json: JsonOpt = False,
) -> None:
    """Import keywords from a CSV file (columns keyword, volume, difficulty, cpc, intent,
    country; header optional; up to 100,000 rows; all or nothing)."""
    size = file.stat().st_size
    with writing() as session, open(file, "rb") as fh:
        target = session.get(Site, site)
        if target is None:
            fail(f"Site {site} not found")
        columns = [TextColumn("Importing"), BarColumn(), DownloadColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=console, disable=as_json, transient=True) as bar:
            task = bar.add_task("import", total=size)
            result = import_csv(
                session, target, fh, on_progress=lambda _rows: bar.update(task, completed=fh.tell())
            )
    if as_json:
        print_json(result)
        return
    console.print(
        f"[green]{result.created:,} keywords added[/] to site {site}; "
        f"{result.duplicates_in_file:,} repeated in the file, "
        f"{result.duplicates_existing:,} already on the site, "
        f"{result.rejected_total:,} rejected"
    )
    for row in result.rejected[:20]:
        console.print(f"  line {row.line}: {row.reason}", style="yellow", highlight=False)
    if result.rejected_total > 20:
        console.print(f"  … and {result.rejected_total - 20:,} more (use --json for the list)")
