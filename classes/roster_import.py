"""Read a roster a teacher pastes or uploads: a CSV with an email column, or a list of emails.

Accepted shapes, comma-, semicolon- or tab-separated (whichever the first line uses):

- one email per line, or several on one line (`a@school.example, b@school.example`), as
  an email program copies them (`Ada Byron <ada@school.example>; b@school.example`);
- rows of a name and an email in either order (`Ada Byron,ada@school.example`);
- a CSV with a header row naming an `email` column (and optionally `name`), as
  spreadsheets and school systems export it; other columns are ignored.

Reading is all or nothing: one line without a valid email refuses the whole roster with
the line's number, so that a teacher never ends up with half a class enrolled.
"""

import csv
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import normalize_email
from core.errors import ApplicationError, Messages

EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail"}
NAME_HEADERS = {"name", "full name", "student", "student name"}
MAX_CELL = 254
# An address in a pasted list: `ada@school.example`, or `Ada Byron <ada@school.example>`.
EMAIL_TOKEN = re.compile(r"<?([^\s<>,;]*@[^\s<>,;]*)>?")


@dataclass(frozen=True)
class RosterLine:
    """One person the roster names: the line they are on, their email and the name given."""

    line: int
    email: str
    name: str


def roster_limits() -> tuple[int, int]:
    """Return (rows, bytes): the largest roster read at once."""
    return settings.ROSTER_IMPORT_MAX_ROWS, settings.ROSTER_IMPORT_MAX_BYTES


def _too_large() -> ApplicationError:
    rows, size = roster_limits()
    return ApplicationError(Messages.ROSTER_TOO_LARGE.format(rows=rows, kilobytes=size // 1024), 400)


def decode_roster(data: bytes) -> str:
    """Return an uploaded file's text (UTF-8, with or without a byte-order mark)."""
    if len(data) > roster_limits()[1]:
        raise _too_large()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(Messages.ROSTER_NOT_TEXT, 400) from None


def _delimiter(first_line: str) -> str:
    """Pick the separator that cuts the first line into a clean email (or `email` header) cell."""
    candidates = ("\t", ";", ",")
    for candidate in candidates:
        cells = [cell.strip().strip('"').strip() for cell in first_line.split(candidate)]
        if len(cells) > 1 and any(cell.lower() in EMAIL_HEADERS or _is_email(cell) for cell in cells):
            return candidate
    return max(candidates, key=lambda candidate: (first_line.count(candidate), candidate == ","))


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= MAX_CELL


def _header(cells: list[str]) -> tuple[int, int | None] | None:
    """Return (email column, name column) when the row is a header naming an email column."""
    labels = [cell.strip().lower() for cell in cells]
    email_column = next((i for i, label in enumerate(labels) if label in EMAIL_HEADERS), None)
    if email_column is None:
        return None
    name_column = next((i for i, label in enumerate(labels) if label in NAME_HEADERS), None)
    return email_column, name_column


def _by_header(number: int, cells: list[str], email_column: int, name_column: int | None) -> list[RosterLine]:
    value = cells[email_column].strip() if email_column < len(cells) else ""
    if not value:
        raise ApplicationError(Messages.ROSTER_NO_EMAIL.format(line=number), 400)
    if not _is_email(value):
        raise ApplicationError(Messages.ROSTER_BAD_EMAIL.format(line=number, value=_quoted(value)), 400)
    name = cells[name_column].strip() if name_column is not None and name_column < len(cells) else ""
    return [RosterLine(line=number, email=normalize_email(value), name=name[:200])]


def _by_shape(number: int, cells: list[str]) -> list[RosterLine]:
    emails: list[str] = []
    rest: list[str] = []
    for cell in cells:
        emails.extend(EMAIL_TOKEN.findall(cell))
        leftover = EMAIL_TOKEN.sub(" ", cell).strip(" ,;\"'")
        if leftover:
            rest.append(" ".join(leftover.split()))
    if not emails:
        raise ApplicationError(Messages.ROSTER_NO_EMAIL.format(line=number), 400)
    for value in emails:
        if not _is_email(value):
            raise ApplicationError(Messages.ROSTER_BAD_EMAIL.format(line=number, value=_quoted(value)), 400)
    # A name goes with its email only when the line names one person.
    name = " ".join(rest)[:200] if len(emails) == 1 else ""
    return [RosterLine(line=number, email=normalize_email(value), name=name) for value in emails]


def _quoted(value: str) -> str:
    return f"“{value[:60]}”"


def parse_roster(text: str) -> list[RosterLine]:
    """Return the people a roster names, in its order, each email once; refuse bad input whole."""
    rows_limit, bytes_limit = roster_limits()
    if len(text.encode("utf-8")) > bytes_limit:
        raise _too_large()
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if sum(1 for line in lines if line.strip()) > rows_limit + 1:  # a header row is allowed on top
        raise _too_large()
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(lines, delimiter=_delimiter(first), strict=True)
    people: list[RosterLine] = []
    columns: tuple[int, int | None] | None = None
    seen_first = False
    try:
        for row in reader:
            number = reader.line_num
            cells = [cell.strip() for cell in row if cell.strip()]
            if not cells:
                continue
            if not seen_first:
                seen_first = True
                columns = _header(row)
                if columns is not None or not any("@" in cell for cell in cells):
                    continue  # a header row (with or without an email column we can name)
            if columns is not None:
                people.extend(_by_header(number, row, *columns))
            else:
                people.extend(_by_shape(number, cells))
    except csv.Error:
        raise ApplicationError(Messages.ROSTER_MALFORMED.format(line=reader.line_num), 400) from None
    if len(people) > rows_limit:
        raise _too_large()
    unique: dict[str, RosterLine] = {}
    for person in people:
        unique.setdefault(person.email, person)
    if not unique:
        raise ApplicationError(Messages.ROSTER_EMPTY, 400)
    return list(unique.values())
