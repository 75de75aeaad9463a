"""What a site's schedule is: its ids, its validated cron and time zone, and how it is described.

Cron expressions are checked here (5 fields with valid ranges, month/day names, steps, ranges,
or a macro such as @daily) so a person gets a precise message before Temporal is asked; Temporal
checks them again when the schedule is written.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, Field

from core.errors import ValidationError
from models import AutomationConfig
from models.base import utcnow

CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names for values) per cron field; day of week 7 is Sunday too.
CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
)
CRON_HELP = (
    "5 fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * 1' (Mondays 06:00),"
    " or @hourly, @daily, @weekly, @monthly, @yearly"
)
# Names the tz database has that are not places (Temporal would not read them the same way).
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def schedule_id(site_id: int) -> str:
    return f"site-{site_id}-schedule"


def workflow_id_prefix(site_id: int) -> str:
    """Temporal appends the start time: `site-12-scheduled-2026-11-23T05:00:00Z`."""
    return f"site-{site_id}-scheduled"


class ScheduledAction(BaseModel):
    workflow_id: str
    scheduled_at: datetime
    started_at: datetime


class TriggerOutcome(BaseModel):
    outcome: Literal["started", "skipped", "pending"] = Field(
        description="started; skipped (a run of this schedule is still active); pending "
        "(Temporal has not acted on it yet)"
    )
    workflow_id: str | None = None


class ScheduleInfo(BaseModel):
    """A site's schedule as its owner sees it: settings from the database, state from Temporal."""

    site_id: int
    schedule_id: str
    cron: str | None = None
    timezone: str = "UTC"
    enabled: bool = True
    registered: bool = Field(False, description="Whether the schedule exists in Temporal")
    paused: bool = False
    note: str | None = None
    next_run_times: list[datetime] = Field(default_factory=list)
    recent_actions: list[ScheduledAction] = Field(default_factory=list)
    running_workflow_ids: list[str] = Field(default_factory=list)
    actions_taken: int = 0
    skipped_overlap: int = 0
    missed_catchup: int = 0
    active_run_id: str | None = None
    trigger: TriggerOutcome | None = None


# --- validation -------------------------------------------------------------------------------


def _cron_value(token: str, field: tuple[str, int, int, dict[str, int]], expr: str) -> int:
    name, low, high, names = field
    if token.lower() in names:
        return names[token.lower()]
    if not (token.isascii() and token.isdigit()):
        raise ValidationError(f"Cron expression {expr!r}: {name} {token!r} is not a number")
    value = int(token)
    if not low <= value <= high:
        raise ValidationError(f"Cron expression {expr!r}: {name} {value} is not in {low}-{high}")
    return value


def validate_cron(expr: str) -> str:
    """The expression, whitespace normalised; ValidationError saying what is wrong otherwise."""
    text = " ".join(expr.split())
    if text.lower() in CRON_MACROS:
        return text.lower()
    parts = text.split(" ") if text else []
    if len(parts) != 5:
        raise ValidationError(
            f"Cron expression {expr!r} has {len(parts)} fields; expected {CRON_HELP}",
            details={"cron": expr},
        )
    for part, field in zip(parts, CRON_FIELDS, strict=True):
        for item in part.split(","):
            base, slash, step = item.partition("/")
            if slash and not (step.isascii() and step.isdigit() and 1 <= int(step) <= field[2]):
                raise ValidationError(f"Cron expression {expr!r}: bad step {item!r} ({field[0]})")
            if base == "*":
                continue
            start, dash, end = base.partition("-")
            first = _cron_value(start, field, expr)
            if dash and _cron_value(end, field, expr) < first:
                raise ValidationError(f"Cron expression {expr!r}: range {base!r} runs backwards")
    return text


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(name: str) -> str:
    """An IANA time zone name (what Temporal understands); ValidationError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    else:
        if name in _known_zones() and name not in NOT_ZONES:
            return name
    raise ValidationError(
        f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'",
        details={"timezone": name},
    )


def configure(config: AutomationConfig, cron: str | None, timezone: str | None = None) -> None:
    """Validate and set a config's schedule (not committed); `cron=None` removes it and a
    missing time zone keeps the stored one."""
    if cron is None:
        config.schedule_cron = None
    else:
        config.schedule_cron = validate_cron(cron)
        config.schedule_timezone = validate_timezone(timezone or config.schedule_timezone or "UTC")
    config.updated_at = utcnow()
