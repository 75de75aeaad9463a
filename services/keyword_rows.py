"""Reading keyword rows: CSV lines decoded one by one, header detection, and the checks that
turn one row's cells into Keyword column values or a reason to reject it."""

from __future__ import annotations

import csv
import math
import unicodedata
from collections.abc import Iterator
from typing import IO, Any

from contracts.status import Intent
from core.errors import ValidationError

MAX_LINE_BYTES = 256 * 1024  # a keyword row is well under 1 KB; longer means not a CSV
MAX_KEYWORD_LENGTH = 300
MAX_VOLUME = 2_147_483_647  # the column is a 32-bit integer on PostgreSQL
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


def normalize_keyword(text: str) -> str:
    """The form duplicates are detected by: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


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
