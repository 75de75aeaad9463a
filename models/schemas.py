"""The HTTP API's request and response bodies for accounts, sites and the planning/content lists.

Request bodies refuse unknown fields (a typo is an error, not a silent no-op) and bound every
string, so oversized or malformed input is a 422 and never reaches the database. The items the
stages make are in models/item_schemas.py; runs and credits in models/run_schemas.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from contracts.stages import FIRST_STAGE, LAST_STAGE
from contracts.status import PublishStatus
from core.html_sanitize import ALLOWED_DESCRIPTION, sanitize_html

MAX_ID = 2**31 - 1  # ids are INTEGER columns on PostgreSQL: a larger one cannot exist
MAX_PAGE = 500


def clean_text(value: str) -> str:
    """Refuse text no database stores: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


CleanStr = Annotated[str, AfterValidator(clean_text)]
Name = Annotated[CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=40)]
Domain = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=255)]
Str300 = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=300)]
Str500 = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=500)]
Str1000 = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=1000)]
Str5000 = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=5000)]
Html = Annotated[CleanStr, StringConstraints(max_length=2_000_000)]
# Article HTML as it is stored: sanitised to the allowed set (core.html_sanitize) on the way in.
SafeHtml = Annotated[Html, AfterValidator(sanitize_html), Field(description=ALLOWED_DESCRIPTION)]
Url = Annotated[
    CleanStr, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")
]
Slug = Annotated[str, StringConstraints(max_length=200, pattern=r"^[a-z0-9-]*$")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def as_utc(value: datetime) -> datetime:
    """Timestamps are UTC; SQLite hands them back without a zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
T = TypeVar("T")


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list: `total` counts every match, `items` holds at most `limit` of them."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    type: str = Field(description="Error class, e.g. ValidationError, NotFoundError")
    message: str = Field(description="What went wrong, for a person")
    details: Any = Field(None, description="Structured context (fields, ids, counts)")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --- accounts and API keys ------------------------------------------------------------------


class AccountCreate(RequestBody):
    name: Name


class AccountPublic(BaseModel):
    id: int
    name: str
    credits_balance: int
    created_at: UtcDatetime


class ApiKeyCreate(RequestBody):
    name: Name = "default"


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The visible start of the key, `igny8_<prefix>_…`")
    revoked: bool
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None


class ApiKeyCreated(BaseModel):
    key: ApiKeyPublic
    api_key: str = Field(description="The secret key. Shown once: store it now.")


class AccountCreated(BaseModel):
    account: AccountPublic
    api_key: str = Field(description="The account's first API key. Shown once: store it now.")


# --- sites ----------------------------------------------------------------------------------


class WordPressConnection(RequestBody):
    """A WordPress site and an application password (Users → Profile → Application Passwords)."""

    url: Url
    username: Name
    app_password: Name


class WordPressPublic(BaseModel):
    url: str
    username: str
    has_app_password: bool


class SiteCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Trail & Peak Running",
                    "domain": "trailandpeak.example",
                    "wordpress": {
                        "url": "https://trailandpeak.example",
                        "username": "editor",
                        "app_password": "abcd efgh ijkl mnop qrst uvwx",
                    },
                    "auto_publish": False,
                    "publish_status": "draft",
                }
            ]
        }
    )

    name: Name
    domain: Domain | None = None
    wordpress: WordPressConnection | None = None
    auto_publish: bool = False
    publish_status: Literal["draft", "publish"] = PublishStatus.DRAFT.value


class SiteUpdate(RequestBody):
    """Only the fields sent change; `"wordpress": null` removes the connection."""

    name: Name | None = None
    domain: Domain | None = None
    wordpress: WordPressConnection | None = None
    auto_publish: bool | None = None
    publish_status: Literal["draft", "publish"] | None = None


class SitePublic(BaseModel):
    id: int
    name: str
    domain: str | None
    wordpress: WordPressPublic | None
    auto_publish: bool
    publish_status: str
    active_run_id: str | None = Field(None, description="The site's running or paused run")
    created_at: UtcDatetime


StageKey = Short


class ScheduleSettings(RequestBody):
    cron: str = Field(max_length=200, description="e.g. '0 6 * * 1' (Mondays 06:00) or @daily")
    timezone: str | None = Field(
        None, max_length=64, description="IANA time zone, e.g. Europe/Berlin (default: kept/UTC)"
    )


class AutomationUpdate(RequestBody):
    """Only the fields sent change. Stage keys are numbers ("4") or names ("generate_content")."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stages": [1, 2, 3, 4, 5, 6, 7],
                    "batch_sizes": {"generate_content": 5},
                    "concurrency": {"4": 3},
                    "auto_publish": True,
                    "publish_status": "draft",
                    "schedule": {"cron": "0 6 * * 1", "timezone": "Europe/Berlin"},
                }
            ]
        }
    )

    enabled: bool | None = None
    stages: list[Annotated[int, Field(ge=FIRST_STAGE, le=LAST_STAGE)]] | None = Field(
        None, max_length=7, description="Stages a run goes through; empty = all seven"
    )
    batch_sizes: dict[StageKey, Annotated[int, Field(ge=1, le=5000)]] | None = Field(
        None,
        max_length=7,
        description="Items per activity call, by stage: for the stages that work in batches "
        "(1 cluster_keywords, 3 queue_ideas, 7 review); AI stages make one call per item",
    )
    concurrency: dict[StageKey, Annotated[int, Field(ge=1, le=1000)]] | None = Field(
        None,
        max_length=7,
        description="By stage: batches in flight at once, or for AI stages (2, 4, 5, 6) AI "
        "calls in flight for this site's run (default IGNY8_AI_RUN_CONCURRENCY)",
    )
    strict_order: bool | None = Field(
        None,
        description="true: a stage starts only once the one before it has finished; false "
        "(the default): each item moves on as soon as its stage is done with it",
    )
    auto_publish: bool | None = None
    publish_status: Literal["draft", "publish"] | None = None
    schedule: ScheduleSettings | None = Field(
        None, description="A recurring campaign (a Temporal Schedule); null removes it"
    )


class AutomationPublic(BaseModel):
    site_id: int
    enabled: bool
    stages: list[int]
    batch_sizes: dict[str, int]
    concurrency: dict[str, int]
    strict_order: bool = False
    auto_publish: bool
    publish_status: str
    schedule: dict[str, Any] | None = None


# --- keywords -------------------------------------------------------------------------------


class KeywordIn(RequestBody):
    """One keyword. Values are checked row by row: a bad row is reported, not fatal."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "keyword": "best trail running shoes",
                    "volume": 18100,
                    "difficulty": 48,
                    "cpc": 2.61,
                    "intent": "commercial",
                    "country": "US",
                }
            ]
        }
    )

    keyword: Str1000
    volume: int | None = None
    difficulty: int | None = None
    cpc: float | None = None
    intent: Short | None = None
    country: Short | None = None


class RejectedRow(BaseModel):
    line: int = Field(description="CSV line number (JSON: 1-based position in the list)")
    reason: str


class ImportResult(BaseModel):
    created: int
    duplicates_in_file: int
    duplicates_existing: int
    rejected: list[RejectedRow] = Field(description="The first 1,000 rejected rows")
    rejected_total: int = 0
