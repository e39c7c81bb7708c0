"""What every CSV import shares: reading the contract's files, counting, and the rejects report."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV, missing columns): nothing is imported."""


@dataclass
class Reject:
    line: int
    reason: str
    row: dict


@dataclass
class ImportResult:
    kind: str
    columns: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def reject(self, line: int, reason: str, row: dict) -> None:
        self.rejects.append(Reject(line, reason, row))

    def summary(self) -> str:
        return _(
            "%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected"
        ) % {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def write_rejects(self, fh) -> None:
        """CSV: line, reason, then the row as it was in the file."""
        writer = csv.writer(fh)
        writer.writerow(["line", "reason", *self.columns])
        for reject in self.rejects:
            writer.writerow([reject.line, reject.reason, *(reject.row.get(c, "") for c in self.columns)])

    def rejects_csv(self) -> str:
        buffer = io.StringIO()
        self.write_rejects(buffer)
        return buffer.getvalue()


BAD_ENCODING = "\x00bad-encoding\x00"


def _decoded_lines(binary) -> Iterator[str]:
    """Decode line by line so one badly encoded row is rejected instead of the whole file."""
    first = True
    for raw in binary:
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # Excel's UTF-8 BOM
            first = False
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield BAD_ENCODING + raw.decode("utf-8", errors="replace")


def read_rows(binary, required: list[str]) -> Iterator[tuple[int, dict, str | None]]:
    """Yield (line number, row, problem) for each data row; problem is a reason to reject or None.

    `binary` is a file opened in binary mode. Extra columns are ignored; missing ones fail the file.
    """
    reader = csv.reader(_decoded_lines(binary), strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportFileError(_("Not a CSV file: %(error)s") % {"error": exc}) from None
    header = [h.replace(BAD_ENCODING, "").strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, {}, _("Unreadable CSV: %(error)s") % {"error": exc}
            continue
        if not values or values == [""]:
            continue
        problem = None
        if any(BAD_ENCODING in v for v in values):
            problem = _("Not valid UTF-8 text.")
            values = [v.replace(BAD_ENCODING, "") for v in values]
        if len(values) < len(required) and problem is None:
            problem = _("Has %(got)d columns, expected %(want)d.") % {"got": len(values), "want": len(header)}
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        yield reader.line_num, row, problem


# Parsers for the contract's formats. Each raises ValueError with a message fit for a reject report.


DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
HHMM_RE = re.compile(r"\d{2}:\d{2}")


def parse_date(value: str, column: str) -> date | None:
    # strict: date.fromisoformat alone would also take week dates such as 2026-W09-1
    if not value:
        return None
    if DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    _bad(column, value, "YYYY-MM-DD")


def parse_hhmm(value: str, column: str) -> time | None:
    if not value:
        return None
    if HHMM_RE.fullmatch(value):
        try:
            return time(int(value[:2]), int(value[3:]))
        except ValueError:
            pass
    _bad(column, value, "HH:MM")


def parse_decimal(value: str, column: str, places: int) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidOperation
        return number.quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, ValueError):
        _bad(column, value, _("a number"))


def _bad(column: str, value: str, expected: str):
    raise ValueError(
        _("%(column)s %(value)r is not %(expected)s.") % {"column": column, "value": value, "expected": expected}
    )


def parse_choice(value: str, column: str, choices) -> str | None:
    if not value:
        return None
    if value not in choices.values:
        raise ValueError(
            _("Unknown %(column)s %(value)r (expected one of %(allowed)s).")
            % {"column": column, "value": value, "allowed": ", ".join(choices.values)}
        )
    return value
