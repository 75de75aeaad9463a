"""Keyword import: a CSV upload or a JSON list, streamed, checked row by row, all or nothing.

The CSV is read and decoded line by line, never whole, and rows are inserted in bulk
batches inside one transaction: a request that fails (too many rows, not UTF-8, not CSV)
writes nothing. Rows that are merely wrong (empty keyword, volume "abc", difficulty 140) are
reported with their line number and reason; the other rows are imported.
"""

from __future__ import annotations

import csv
import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from core.errors import ValidationError
from core.status import Intent, KeywordStatus
from models import Keyword, Site
from models.base import utcnow
from models.schemas import ImportResult, KeywordIn, RejectedRow

MAX_ROWS = 100_000
MAX_LINE_BYTES = 256 * 1024  # a keyword row is well under 1 KB; longer means not a CSV
BATCH_SIZE = 1000
MAX_KEYWORD_LENGTH = 300
MAX_VOLUME = 2_147_483_647  # the column is a 32-bit integer on PostgreSQL
MAX_REJECTED_LISTED = 1000
COLUMNS = ("keyword", "volume", "difficulty", "cpc", "intent", "country")
# Header spellings seen in exports of the usual SEO tools, lower-cased.
HEADER_ALIASES: dict[str, str] = {
    **{c: c for c in COLUMNS},
    "keywords": "keyword",
    "search volume": "volume",
    "search_volume": "volume",
    "keyword difficulty": "difficulty",
    "kd": "difficulty",
    "cpc (usd)": "cpc",
    "search intent": "intent",
}
INTENTS = {i.value for i in Intent}
ADVISORY_LOCK_NAMESPACE = 0x1638  # pg_advisory_xact_lock(namespace, site_id): keyword imports
KEYWORD_TABLE = Keyword.__table__  # type: ignore[attr-defined]

ProgressCallback = Callable[[int], None]


def normalize_keyword(text: str) -> str:
    """The form duplicates are detected by: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass
class ImportTally:
    created: int = 0
    duplicates_in_file: int = 0
    duplicates_existing: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    rejected_total: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTED_LISTED:
            self.rejected.append(RejectedRow(line=line, reason=reason))

    def result(self) -> ImportResult:
        return ImportResult(
            created=self.created,
            duplicates_in_file=self.duplicates_in_file,
            duplicates_existing=self.duplicates_existing,
            rejected=self.rejected,
            rejected_total=self.rejected_total,
        )


def _number(value: Any, name: str) -> float | None:
    """None for an empty cell; a finite float otherwise; ValueError with a reason."""
    if value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("_", "").lstrip("$€£")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} is not a number: {str(value)[:40]!r}")
    return number


def _integer(value: Any, name: str) -> int | None:
    number = _number(value, name)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"{name} is not an integer: {str(value)[:40]!r}")
    return int(number)


def parse_row(values: dict[str, Any]) -> dict[str, Any]:
    """One row's column values -> Keyword column values; ValueError with the reason."""
    text = " ".join(str(values.get("keyword") or "").split())
    if not text:
        raise ValueError("empty keyword")
    if "\x00" in text:
        raise ValueError("keyword contains a NUL character")
    if len(text) > MAX_KEYWORD_LENGTH:
        raise ValueError(f"keyword longer than {MAX_KEYWORD_LENGTH} characters ({len(text)})")
    volume = _integer(values.get("volume"), "volume") or 0
    if not 0 <= volume <= MAX_VOLUME:
        raise ValueError(f"volume must be between 0 and {MAX_VOLUME:,} (got {volume})")
    difficulty = _integer(values.get("difficulty"), "difficulty") or 0
    if not 0 <= difficulty <= 100:
        raise ValueError(f"difficulty must be between 0 and 100 (got {difficulty})")
    cpc = _number(values.get("cpc"), "cpc") or 0.0
    if cpc < 0:
        raise ValueError(f"cpc cannot be negative (got {cpc})")
    intent = str(values.get("intent") or "").strip().lower() or Intent.INFORMATIONAL.value
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent[:40]!r} (expected one of {', '.join(INTENTS)})")
    country = str(values.get("country") or "").strip().upper() or None
    if country is not None and (len(country) > 8 or "\x00" in country):
        raise ValueError(f"country code too long: {country[:40]!r}")
    return {
        "text": text,
        "normalized": normalize_keyword(text),
        "volume": volume,
        "difficulty": difficulty,
        "cpc": round(cpc, 4),
        "intent": intent,
        "country": country,
    }


class _Importer:
    """Collects parsed rows and inserts them in bulk batches within the caller's transaction."""

    def __init__(self, session: Session, site: Site, on_progress: ProgressCallback | None) -> None:
        assert site.id is not None
        self.session, self.site_id, self.account_id = session, site.id, site.account_id
        self.tally = ImportTally()
        self.seen: set[str] = set()
        self.batch: list[dict[str, Any]] = []
        self.rows = 0
        self.on_progress = on_progress
        self.dialect = session.get_bind().dialect.name
        self.attempted = 0
        self.before = 0
        if self.dialect == "postgresql":
            # psycopg reports no rowcount for an executemany: count the site's keywords before
            # and after instead, with imports into one site serialised so the counts are exact.
            session.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :site)"),
                {"namespace": ADVISORY_LOCK_NAMESPACE, "site": self.site_id},
            )
            self.before = self._site_keywords()

    def _site_keywords(self) -> int:
        query = select(func.count()).select_from(Keyword).where(Keyword.site_id == self.site_id)
        return int(self.session.exec(query).one())

    def finish(self) -> ImportResult:
        self.flush()
        if self.dialect == "postgresql":
            self.tally.created = self._site_keywords() - self.before
        self.tally.duplicates_existing = self.attempted - self.tally.created
        return self.tally.result()

    def add(self, line: int, values: dict[str, Any]) -> None:
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise ValidationError(
                f"Too many rows: at most {MAX_ROWS:,} per import (line {line} is row "
                f"{self.rows:,}); split the file",
                details={"max_rows": MAX_ROWS, "line": line},
            )
        try:
            row = parse_row(values)
        except ValueError as exc:
            self.tally.reject(line, str(exc))
            return
        if row["normalized"] in self.seen:
            self.tally.duplicates_in_file += 1
            return
        self.seen.add(row["normalized"])
        self.batch.append(row)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Insert the batch; rows the site already has are skipped by the unique index."""
        if not self.batch:
            return
        now = utcnow()
        rows = [
            {
                **r,
                "account_id": self.account_id,
                "site_id": self.site_id,
                "disabled": False,
                "status": KeywordStatus.NEW.value,
                "created_at": now,
            }
            for r in self.batch
        ]
        # INSERT .. ON CONFLICT DO NOTHING as one executemany on both databases (the driver's
        # rowcount is the rows actually inserted); a concurrent import of the same keyword
        # cannot make this one fail.
        insert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        statement = insert(KEYWORD_TABLE).on_conflict_do_nothing(
            index_elements=["site_id", "normalized"]
        )
        result = self.session.connection().execute(statement, rows)
        self.attempted += len(rows)
        if self.dialect != "postgresql":
            self.tally.created += result.rowcount  # sqlite3 sums it over the executemany
        self.batch = []
        if self.on_progress:
            self.on_progress(self.rows)


def import_rows(
    session: Session,
    site: Site,
    rows: Iterable[tuple[int, dict[str, Any]]],
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import (line, values) rows in one transaction: committed at the end, or nothing."""
    try:
        importer = _Importer(session, site, on_progress)
        for line, values in rows:
            importer.add(line, values)
        result = importer.finish()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def import_keywords(session: Session, site: Site, items: list[KeywordIn]) -> ImportResult:
    """A JSON list: line numbers are 1-based positions in the list."""
    if len(items) > MAX_ROWS:
        raise ValidationError(f"Too many keywords: at most {MAX_ROWS:,} per request")
    return import_rows(
        session, site, ((n, item.model_dump()) for n, item in enumerate(items, start=1))
    )


def _header(cells: list[str]) -> list[str | None] | None:
    """Column names if this row is a header (it names a keyword column), else None."""
    names = [HEADER_ALIASES.get(" ".join(c.strip().lower().split())) for c in cells]
    if "keyword" not in names:
        if any(n is not None for n in names) and len(cells) > 1:
            raise ValidationError(
                "The header has no keyword column", details={"header": cells[:20]}
            )
        return None
    return names


def _text_lines(binary: IO[bytes]) -> Iterator[str]:
    """The file's lines, decoded one at a time (so a decoding error names its line)."""
    number = 0
    while raw := binary.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ValidationError(
                f"Line {number} is longer than {MAX_LINE_BYTES // 1024} KB: is this a CSV file?",
                details={"line": number},
            )
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ValidationError(
                f"The file is not UTF-8 text (line {number}): save it as CSV UTF-8",
                details={"line": number},
            ) from None


def csv_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, values) of a CSV file, with or without a header, read line by line."""
    reader = csv.reader(_text_lines(binary), strict=True)
    columns: list[str | None] = list(COLUMNS)
    header_checked = False
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not cells or all(not c.strip() for c in cells) and len(cells) <= 1:
                continue  # a blank line
            if not header_checked:
                header_checked = True
                header = _header(cells)
                if header is not None:
                    columns = header
                    continue
            yield line, {c: v for c, v in zip(columns, cells, strict=False) if c is not None}
    except csv.Error as exc:
        raise ValidationError(
            f"The file is not valid CSV (line {last_line + 1}): {exc}",
            details={"line": last_line + 1},
        ) from None
    if not header_checked:
        raise ValidationError("The file has no rows")


def import_csv(
    session: Session, site: Site, binary: IO[bytes], on_progress: ProgressCallback | None = None
) -> ImportResult:
    """Import a CSV upload (UTF-8, BOM allowed, at most 100,000 rows)."""
    return import_rows(session, site, csv_rows(binary), on_progress)
