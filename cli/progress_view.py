"""Live run progress in the terminal: one bar per stage, redrawn from the workflow's `progress`
query. Used by `igny8 runs watch`, `igny8 runs start --watch`, `igny8 demo` and `igny8 dev`."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from temporalio.client import Client

from contracts.run import RunProgress, StageProgress
from services.progress_feed import follow_progress

WATCH_INTERVAL_SECONDS = 0.5
STATUS_STYLE = {
    "completed": "green",
    "running": "cyan",
    "paused": "yellow",
    "failed": "red",
    "cancelled": "yellow",
    "skipped": "dim",
    "pending": "dim",
}


def _counts(stage: StageProgress) -> str:
    total = stage.items_total or (stage.pending + stage.processing + stage.completed + stage.failed)
    return f"{stage.items_processed or stage.completed + stage.failed:,}/{total:,}"


def _bar(stage: StageProgress) -> ProgressBar:
    total = stage.items_total or (stage.pending + stage.processing + stage.completed + stage.failed)
    done = stage.items_processed or stage.completed + stage.failed
    if stage.status in ("completed", "skipped") and not total:
        total = done = 1
    style = STATUS_STYLE.get(stage.status, "cyan")
    return ProgressBar(
        total=max(total, 1), completed=done, width=20, complete_style=style, finished_style=style
    )


FIXED_COLUMNS = (
    ("#", 1),
    ("stage", 22),
    ("progress", 20),
    ("done", 9),
    ("failed", 6),
    ("status", 9),
)
MIN_MESSAGE_WIDTH = 16


def _note(stage: StageProgress) -> str:
    note = stage.message or ""
    if stage.current_item and stage.status == "running" and stage.current_item not in note:
        note = f"{note} · {stage.current_item}" if note else stage.current_item
    if stage.estimated_seconds_remaining and stage.status == "running":
        note += f" · ~{stage.estimated_seconds_remaining}s left"
    return note


class _StageTable:
    """The stage table, fitted to the terminal: messages only where there is room for them."""

    def __init__(self, progress: RunProgress) -> None:
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Each column has one space of padding on either side, except at the table's edges.
        fixed = sum(width + 2 for _, width in FIXED_COLUMNS)
        message_width = options.max_width - fixed - 1
        table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
        for column, width in FIXED_COLUMNS:
            table.add_column(column, no_wrap=True, width=width, overflow="ellipsis")
        if message_width >= MIN_MESSAGE_WIDTH:
            table.add_column("", no_wrap=True, overflow="ellipsis", width=message_width)
        for stage in self.progress.stages:
            cells: list[RenderableType] = [
                str(stage.stage),
                stage.name,
                _bar(stage),
                _counts(stage),
                Text(str(stage.failed), style="red" if stage.failed else "dim"),
                Text(stage.status, style=STATUS_STYLE.get(stage.status, "white")),
            ]
            if message_width >= MIN_MESSAGE_WIDTH:
                cells.append(Text(_note(stage), overflow="ellipsis", no_wrap=True))
            table.add_row(*cells)
        yield table


def render_progress(progress: RunProgress) -> RenderableType:
    """The run as a header line and a table with one progress bar per stage."""
    status = "paused" if progress.paused and progress.status == "running" else progress.status
    header = Text.assemble(
        ("Run ", "bold"),
        (progress.run_id, "bold"),
        "  ",
        (status, f"bold {STATUS_STYLE.get(status, 'white')}"),
        f"  {progress.percentage:.1f}%  ·  {progress.credits_used:,} credits used"
        + (
            f" (estimate {progress.credits_estimated:,})"
            if progress.credits_estimated is not None
            else ""
        )
        + (f"  ·  AI cost ${progress.cost_usd:,.4f}" if progress.cost_usd else ""),
    )
    parts: list[RenderableType] = [header, _StageTable(progress)]
    current = next(
        (s for s in progress.stages if s.stage == progress.current_stage and s.status == "running"),
        None,
    )
    if current is not None and _note(current):
        parts.append(
            Text(f"Now: {_note(current)}", style="cyan", overflow="ellipsis", no_wrap=True)
        )
    if progress.status in ("completed", "failed", "cancelled") and progress.summary:
        style = "green" if progress.status == "completed" and not progress.failed_items else "red"
        parts.append(Text(progress.summary, style=f"bold {style}"))
    if progress.paused and progress.pause_reason:
        parts.append(Text(f"Paused: {progress.pause_reason}", style="yellow"))
    if progress.error:
        action = f" (next: {progress.error.action})" if progress.error.action else ""
        parts.append(
            Text.from_markup(
                f"[red]{escape(progress.error.error_type)}:[/] "
                f"{escape(progress.error.error_message)}{action}"
            )
        )
    return Group(*parts)


async def watch_run(
    client: Client, run_id: str, console: Console, interval: float = WATCH_INTERVAL_SECONDS
) -> RunProgress:
    """Redraw the run's progress until it ends; returns the final progress."""
    last: RunProgress | None = None
    with Live(console=console, refresh_per_second=8, transient=False) as live:
        async for progress in follow_progress(client, run_id, interval=interval):
            last = progress
            live.update(render_progress(progress))
    assert last is not None  # follow_progress yields at least once
    return last
