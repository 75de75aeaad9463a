"""Keyword import: a CSV upload or a JSON list, streamed, checked row by row, all or nothing.

The CSV is read and decoded line by line, never whole, and rows are inserted in bulk
batches inside one transaction: a request that fails (too many rows, not UTF-8, not CSV)
writes nothing. Rows that are merely wrong (empty keyword, volume "abc", difficulty 140) are
reported with their line number and reason; the other rows are imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from contracts.status import KeywordStatus
from core.errors import ValidationError
from models import Keyword, Site
from models.base import utcnow
from models.schemas import ImportResult, KeywordIn, RejectedRow
from services.keyword_rows import csv_rows, parse_row

MAX_ROWS = 100_000
BATCH_SIZE = 1000
MAX_REJECTED_LISTED = 1000
ADVISORY_LOCK_NAMESPACE = 0x1638  # pg_advisory_xact_lock(namespace, site_id): keyword imports
KEYWORD_TABLE = Keyword.__table__  # type: ignore[attr-defined]

ProgressCallback = Callable[[int], None]


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


def import_csv(
    session: Session, site: Site, binary: IO[bytes], on_progress: ProgressCallback | None = None
) -> ImportResult:
    """Import a CSV upload (UTF-8, BOM allowed, at most 100,000 rows)."""
    return import_rows(session, site, csv_rows(binary), on_progress)
