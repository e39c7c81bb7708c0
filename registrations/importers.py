"""Bulk import of registrations.csv and activations.csv (DESIGN section 4), for files of millions of rows.

How a file goes in
------------------
The file is read as a stream and handled in batches (`DEFAULT_BATCH_SIZE` rows). Each batch is parsed
and checked in Python, then written in **one transaction of its own** together with the job's
progress (counts, and the byte offset and line reached). So a run that fails or is killed midway
leaves whole batches only, and `import_job_run` on the same job carries on after the last committed
batch; running a whole file again is harmless too, because every write is an upsert that changes only
what differs. Memory stays flat whatever the size: one or two batches are held at a time, and the
rejected rows of each batch go to a part file in storage (assembled into the job's rejects file at the
end) instead of accumulating.

- PostgreSQL: binary `COPY` into a temporary staging table, then one
  `INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE <differs>` per batch, counting created and
  updated rows with `RETURNING (xmax = 0)`. Parsing of the next batch runs in a second thread while
  the database writes the current one (the database calls release the GIL).
- SQLite (development): `bulk_create(update_conflicts=True)` of the rows that are new or differ.

Upsert keys: registrations by `external_id`, activations by `iccid`. A registration is rewritten only
when its `row_fingerprint` (keyed hash of the values as stored, in plaintext) differs: the encrypted
columns cannot be compared because each encryption uses a fresh nonce. An activation is rewritten only
when the row's `activated_at` is strictly earlier than the stored one (the MSISDN goes with the
earliest), so the file order does not matter and a re-import changes nothing.

A key repeated within a file: for registrations the later row wins (a warning names both lines), for
activations the earliest `activated_at` wins. Repeats within one batch are collapsed before writing;
a repeat across batches writes the row twice, so re-importing such a file touches that row again
(ending in the same state).

What is rejected
----------------
DESIGN section 4 rejects a row "only when it cannot be stored meaningfully" and lists the cases; those
are the reasons here (missing key, unknown point code, POINT without a point code, blank or
unparseable `registered_at` / `activated_at`, any unparseable date, unknown channel or status, an
MSISDN that is not a Vietnamese mobile number, an ICCID failing its Luhn check). A few values are not
named in that list but fall under its principle, and are rejected with their own reason:

- an unknown `population_check` (blank is `NOT_CHECKED`): it is a status of the subscriber's
  identity check, and the rules read it (`POPULATION_MISMATCH` fires on `MISMATCH`,
  `UNVERIFIED_IDENTITY` on `PENDING`/`NOT_CHECKED`). Storing `NOT_CHECKED` for, say, `MISMATCHED`
  would turn a critical finding into a milder one; storing the value as given would put a value
  outside the field's choices that no rule judges. Neither is "stored meaningfully", so the row is
  rejected and the source system can correct it;
- a `has_*` flag that is not `0`, `1` or blank: `yes` or `2` cannot become a boolean without guessing,
  and a wrong guess either fabricates or hides `MISSING_PHOTOS`;
- a blank `channel` (no value to store; the same as an unknown one) and a blank MSISDN or ICCID;
- a value longer than its column (a 3-letter nationality, `gender` `Nam`), a NUL character, text that
  is not UTF-8, or a row with too few columns: the database cannot hold them as given.

Rows that break a compliance rule (no name, a bad ID number, an unknown `id_doc_type`, no photos, an
underage subscriber) are stored: they are evidence, and the rules flag them. An `APP` row's point code
is ignored (point and agent stay empty). A POINT row's agent is its point's agent. A user limited to
some provinces imports only at points of those provinces (another point is an unknown code to them,
as it would be a 404 on a page) and cannot overwrite a registration stored at a point outside them.
"""

import csv
import hashlib
import io
import itertools
import logging
import operator
import queue
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import RegistrationPoint
from core import crypto
from core.audit import audit_record
from core.imports import ImportFileError
from core.models import ImportJob
from core.scoping import province_scope

from . import validators
from .models import Activation, Channel, PopulationCheck, Registration, RegistrationStatus

logger = logging.getLogger(__name__)

REGISTRATIONS = "registrations"
ACTIVATIONS = "activations"
KINDS = (REGISTRATIONS, ACTIVATIONS)

REGISTRATION_COLUMNS = [
    "external_id",
    "msisdn",
    "iccid",
    "channel",
    "point_code",
    "clerk_code",
    "subscriber_name",
    "date_of_birth",
    "gender",
    "nationality",
    "id_doc_type",
    "id_doc_number",
    "id_issue_date",
    "id_issue_place",
    "address",
    "registered_at",
    "has_portrait",
    "has_id_front",
    "has_id_back",
    "portrait_sha256",
    "population_check",
    "status",
]
ACTIVATION_COLUMNS = ["iccid", "msisdn", "activated_at"]

# 10,000 rows: a few MB per batch in memory, ~0.1 s of database work per batch on PostgreSQL, and
# progress that moves every fraction of a second.
DEFAULT_BATCH_SIZE = 10_000
# SQLite has one writer at a time and a batch holds the write lock from its first statement to its
# commit, 0.7-2.5 ms a row there (measured): 2,000 rows keep the web server's own writes (a sign-in) from waiting
# more than a few seconds behind an import that a worker runs, and move the progress bar as often.
SQLITE_BATCH_SIZE = 2_000
# A RUNNING job without a heartbeat for this long was abandoned (worker killed) and may be taken over.
STALE_AFTER = timedelta(minutes=10)
MAX_WARNINGS = 500
# Bump when what is derived at import (name_key, id_doc_hash, the issue codes) changes: every row's
# fingerprint then differs and the next import of a file rewrites its rows with the new derivation.
FINGERPRINT_VERSION = "1"

# Columns written to registrations_registration, in staging order (= the parsed tuple's order).
REGISTRATION_FIELDS = [
    "external_id",
    "msisdn",
    "iccid",
    "channel",
    "point_id",
    "agent_id",
    "clerk_code",
    "subscriber_name",
    "name_key",
    "date_of_birth",
    "gender",
    "nationality",
    "id_doc_type",
    "id_doc_number",
    "id_doc_hash",
    "id_number_issue",
    "id_dob_issue",
    "id_issue_date",
    "id_issue_place",
    "address",
    "registered_at",
    "has_portrait",
    "has_id_front",
    "has_id_back",
    "portrait_sha256",
    "population_check",
    "status",
    "row_fingerprint",
]
ACTIVATION_FIELDS = ["iccid", "msisdn", "activated_at"]
_PG_TYPES = {
    "point_id": "int8",
    "agent_id": "int8",
    "date_of_birth": "date",
    "id_issue_date": "date",
    "registered_at": "timestamptz",
    "activated_at": "timestamptz",
    "has_portrait": "bool",
    "has_id_front": "bool",
    "has_id_back": "bool",
}
# Text columns with a length limit (the model's max_length): a longer value cannot be stored as given.
_MAX_LENGTHS = {
    name: Registration._meta.get_field(name).max_length
    for name in (
        "external_id",
        "clerk_code",
        "subscriber_name",
        "gender",
        "nationality",
        "id_doc_type",
        "id_issue_place",
        "portrait_sha256",
    )
}
_NAME_KEY_LENGTH = Registration._meta.get_field("name_key").max_length


class RowRejected(ValueError):
    """This row cannot be stored meaningfully; the message is the reason shown in the rejects file."""


# --- reading the file ---------------------------------------------------------------------------


_BOM = b"\xef\xbb\xbf"  # Excel's UTF-8 byte order mark
# A line that is not UTF-8 is decoded with replacement characters and carries this mark into its row.
_BAD_UTF8 = "\x00\x01bad-utf-8\x01\x00"
_READ_SIZE = 1 << 20


class _Lines:
    """The text lines of a binary file from a byte offset, and the offset just past the lines consumed.

    The file is read and decoded a megabyte of whole lines at a time (decoding line by line costs more
    than the csv module's own parsing). A block that is not valid UTF-8 or holds a NUL character is
    decoded line by line instead, and its bad lines are marked so that only their rows are rejected.
    """

    def __init__(self, binary, offset: int):
        binary.seek(offset)
        self.binary = binary
        self.at_start = offset == 0
        self.block_start = offset
        self.block: list[str] = []
        self.sizes: list[int] | None = None  # byte size of each line of a block decoded line by line
        self.remaining = iter(())
        self.suspect = False  # the current or the previous block had a marked line

    def __iter__(self):
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self):
        pending, position, previous_marked = b"", self.block_start, False
        while True:
            data = self.binary.read(_READ_SIZE)
            if data:
                data = pending + data
                cut = data.rfind(b"\n") + 1
                if not cut:
                    pending = data
                    continue
                data, pending = data[:cut], data[cut:]
            elif pending:
                data, pending = pending, b""
            else:
                return
            if self.at_start:
                self.at_start = False
                if data.startswith(_BOM):
                    data, position = data[3:], position + 3
            marked = self._decode(data)
            self.block_start, position = position, position + len(data)
            self.suspect, previous_marked = marked or previous_marked, marked
            self.remaining = iter(self.block)
            yield self.remaining

    def _decode(self, data: bytes) -> bool:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            parts = text.split("\n")
            last = parts.pop()  # "" when the block ends with a newline
            self.block = [part + "\n" for part in parts]
            if last:
                self.block.append(last)
            self.sizes = None
            return False
        self.block, self.sizes = [], []
        for raw in _split_lf(data):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = _BAD_UTF8 + raw.decode("utf-8", errors="replace")
            self.block.append(line)
            self.sizes.append(len(raw))
        return True

    def offset(self) -> int:
        """The byte offset just past the last line handed out."""
        consumed = len(self.block) - operator.length_hint(self.remaining)
        if self.sizes is not None:
            return self.block_start + sum(self.sizes[:consumed])
        return self.block_start + len("".join(self.block[:consumed]).encode("utf-8"))


def _split_lf(data: bytes) -> list[bytes]:
    # Not bytes.splitlines: that also splits at a lone "\r", which the csv module must see inside its line.
    parts = data.split(b"\n")
    last = parts.pop()
    lines = [part + b"\n" for part in parts]
    if last:
        lines.append(last)
    return lines


class CsvStream:
    """The data rows of a contract CSV file, with line numbers and the byte offset reached.

    Like core.imports.read_rows (a badly encoded row is rejected, not the whole file; extra columns
    are ignored; a missing column fails the file), plus what a resumable batch import needs: it starts
    at a byte offset (the header is still read from the top) and tells the offset just past the last
    row read. The csv module never reads ahead of the row it returns, so that offset is exact.

    `number_records`: number rows 1, 2, 3... (records, the header not counted) instead of by the
    physical line where they end. The JSON API uses it so a reject names the row's place in its batch.
    """

    def __init__(self, binary, columns: list[str], *, offset: int = 0, line: int = 0, number_records=False):
        self.columns = columns
        self.number_records = number_records
        lines = _Lines(binary, 0)
        reader = csv.reader(lines, strict=False)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(_("The file is empty.")) from None
        except csv.Error as exc:
            raise ImportFileError(_("Not a CSV file: %(error)s") % {"error": exc}) from None
        if any(_BAD_UTF8 in h or "\x00" in h for h in header):
            raise ImportFileError(_("The header row is not valid UTF-8 text."))
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        self.indexes = [header.index(c) for c in columns]
        self.min_values = max(self.indexes) + 1
        self.pick = itemgetter(*self.indexes)
        if offset:
            self.lines = _Lines(binary, offset)
            self.reader = csv.reader(self.lines, strict=False)
            self.base = line
        else:
            # carry on with the header's reader: its line numbers already count the header
            self.lines, self.reader, self.base = lines, reader, 0
        self.records = 0  # data rows read by this reader

    @property
    def line(self) -> int:
        """Number of the last row read: its last physical line, or its record number."""
        return self.base + (self.records if self.number_records else self.reader.line_num)

    @property
    def offset(self) -> int:
        return self.lines.offset()

    def as_columns(self, values: list[str]) -> list[str]:
        """The contract columns of a row as read (for the rejects file), blank where the row is short."""
        return [values[i].replace(_BAD_UTF8, "") if i < len(values) else "" for i in self.indexes]

    def problem(self, values: list[str]) -> str | None:
        """Why a row as read cannot even be parsed (encoding, NUL, too few columns), or None."""
        if self.lines.suspect:
            if any(_BAD_UTF8 in v for v in values):
                return _("Not valid UTF-8 text.")
            if any("\x00" in v for v in values):
                return _("Contains a NUL character, which cannot be stored.")
        if len(values) < self.min_values:
            return _("Has %(got)d columns, expected %(want)d.") % {"got": len(values), "want": len(self.columns)}
        return None


def count_data_lines(binary) -> int:
    """Lines after the header, counted fast (a quoted field spanning lines makes it an overestimate)."""
    binary.seek(0)
    lines, last = 0, b""
    for chunk in iter(lambda: binary.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    binary.seek(0)
    return max(lines - 1, 0)


# --- parsing one row ----------------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ICCID = re.compile(r"[0-9]{19,20}")
# Luhn: every second digit from the right is doubled, digits of the product summed (0..9 -> this).
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))
_BOOLEANS = {"": False, "0": False, "1": True}
_CHANNELS = frozenset(Channel.values)
_STATUSES = frozenset(RegistrationStatus.values)
_POPULATION_CHECKS = frozenset(PopulationCheck.values)


def iccid_is_valid(iccid: str) -> bool:
    """validators.is_valid_iccid, about twenty times faster: the Luhn sum is done on bytes in C."""
    if not _ICCID.fullmatch(iccid):
        return False
    digits = iccid.encode("ascii")
    plain = digits[-1::-2]
    return (sum(plain) - 48 * len(plain) + sum(digits[-2::-2].translate(_LUHN_DOUBLED))) % 10 == 0


def _date(text: str, column: str) -> date | None:
    """validators.parse_date for a stripped value, with blank as None (same strictness, less work)."""
    if not text:
        return None
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RowRejected(_("%(column)s %(value)r is not a date (YYYY-MM-DD).") % {"column": column, "value": _short(text)})


def _instant(text: str, column: str) -> tuple[datetime, str]:
    """An aware datetime and its UTC ISO form (the same instant written with any offset gives the same)."""
    if not text:
        raise RowRejected(_("Missing %(column)s.") % {"column": column})
    try:
        value = validators.parse_datetime(text)
        return value, value.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        raise RowRejected(
            _("%(column)s %(value)r is not an ISO 8601 date and time.") % {"column": column, "value": _short(text)}
        ) from None


def _msisdn(text: str) -> str:
    if not text:
        raise RowRejected(_("Missing msisdn."))
    msisdn = validators.normalise_msisdn(text)
    if msisdn is None:
        raise RowRejected(_("msisdn %(value)r is not a Vietnamese mobile number.") % {"value": _short(text)})
    return msisdn


def _iccid(text: str) -> str:
    if not text:
        raise RowRejected(_("Missing iccid."))
    if not iccid_is_valid(text):
        if _ICCID.fullmatch(text):
            raise RowRejected(_("iccid %(value)r fails its Luhn check.") % {"value": text})
        raise RowRejected(_("iccid %(value)r is not 19 or 20 digits.") % {"value": _short(text)})
    return text


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _fingerprint_key() -> bytes:
    # Derived from the PII key (the fingerprint covers personal data, so it must not be a plain hash);
    # rotating that key changes every fingerprint, and the next import rewrites id_doc_hash as well.
    secret = settings.PII_HMAC_KEY.encode("utf-8")
    return hashlib.sha256(b"registrations.row_fingerprint|" + secret).digest()


# The CCCD checks of validators.id_number_problem and cccd_dob_problem, inlined for the hot loop: a
# well-formed CCCD is by far the most common document. tests/registrations/test_importers.py checks
# that document_issues() agrees with the validators on every kind of input; other types use them directly.
_CCCD_PLACES = frozenset(validators.province_codes()) | frozenset(f"{n:03d}" for n in range(101, 296))
_CENTURY_START = {"0": 1900, "1": 1900, "2": 2000, "3": 2000, "4": 2100, "5": 2100}
_PARITY_GENDER = {"0": "M", "1": "F", "2": "M", "3": "F", "4": "M", "5": "F"}


def document_issues(
    doc_type: str, normalised: str, nationality: str, date_of_birth: date | None, gender: str
) -> tuple[str, str]:
    """(id_number_issue, id_dob_issue) for stripped type, nationality, gender and a normalised number."""
    if doc_type != validators.CCCD or not normalised:
        issue = validators.id_number_problem(doc_type, normalised, nationality) or ""
        return issue, ""
    if len(normalised) != 12 or not (normalised.isascii() and normalised.isdigit()):
        return validators.CCCD_NOT_12_DIGITS, ""
    if normalised[:3] not in _CCCD_PLACES:
        return validators.CCCD_BAD_PLACE_CODE, ""
    if date_of_birth is None:
        return "", ""
    century_digit = normalised[3]
    start = _CENTURY_START.get(century_digit)
    if start is None or not start <= date_of_birth.year < start + 100:
        return "", validators.DOB_CENTURY_MISMATCH
    if int(normalised[4:6]) != date_of_birth.year % 100:
        return "", validators.DOB_YEAR_MISMATCH
    if gender in ("M", "F") and gender != _PARITY_GENDER[century_digit]:
        return "", validators.GENDER_MISMATCH
    return "", ""


def registration_parser(*, points: dict[str, tuple[int, int]]) -> Callable[[tuple[str, ...]], tuple]:
    """A function: the stripped contract columns of one row -> the values of REGISTRATION_FIELDS.

    Raises RowRejected with the reason. `points` maps a point code to (point id, agent id), holding
    only the points the importing user may use. Everything slow is bound once, outside the row loop:
    this runs once per row of files of millions of rows.
    """
    encrypt = crypto.text_encryptor()
    hash_document = crypto.pii_hasher()
    fingerprint_key = _fingerprint_key()
    blake2b = hashlib.blake2b
    name_key = validators.name_key
    normalise_id = crypto.normalise_id_number
    parse_datetime, utc = validators.parse_datetime, UTC
    normalise_msisdn = validators.normalise_msisdn
    date_re, fromisoformat = _DATE.fullmatch, date.fromisoformat
    booleans, channels, statuses, checks = _BOOLEANS, _CHANNELS, _STATUSES, _POPULATION_CHECKS
    point_channel, active, not_checked = Channel.POINT, RegistrationStatus.ACTIVE, PopulationCheck.NOT_CHECKED
    lengths = _MAX_LENGTHS
    max_id, max_clerk, max_name = lengths["external_id"], lengths["clerk_code"], lengths["subscriber_name"]
    max_gender, max_nationality, max_type = lengths["gender"], lengths["nationality"], lengths["id_doc_type"]
    max_place, max_portrait = lengths["id_issue_place"], lengths["portrait_sha256"]
    max_name_key = _NAME_KEY_LENGTH

    def parse(v: tuple[str, ...]) -> tuple:
        (
            external_id,
            msisdn_raw,
            iccid,
            channel,
            point_code,
            clerk_code,
            name,
            dob_raw,
            gender,
            nationality,
            doc_type,
            doc_number,
            issue_raw,
            issue_place,
            address,
            registered_raw,
            portrait_raw,
            front_raw,
            back_raw,
            portrait_sha256,
            check,
            status,
        ) = v
        if not external_id:
            raise RowRejected(_("Missing external_id."))
        if channel not in channels:
            if not channel:
                raise RowRejected(_("Missing channel."))
            raise RowRejected(_("Unknown channel %(value)r (expected POINT or APP).") % {"value": _short(channel)})
        if channel == point_channel:
            if not point_code:
                raise RowRejected(_("Missing point_code: a POINT registration needs its point."))
            ids = points.get(point_code)
            if ids is None:
                raise RowRejected(_("Unknown point code %(code)r.") % {"code": _short(point_code)})
            point_id, agent_id = ids
        else:
            point_id = agent_id = None  # an APP row's point code is ignored
        try:
            registered_at = parse_datetime(registered_raw)
            registered_utc = registered_at.astimezone(utc).isoformat()
        except (ValueError, OverflowError):
            _instant(registered_raw, "registered_at")  # raises RowRejected with the reason
        date_of_birth = issue_date = None
        if dob_raw:
            try:
                if not date_re(dob_raw):
                    raise ValueError
                date_of_birth = fromisoformat(dob_raw)
            except ValueError:
                _date(dob_raw, "date_of_birth")  # raises RowRejected with the reason
        if issue_raw:
            try:
                if not date_re(issue_raw):
                    raise ValueError
                issue_date = fromisoformat(issue_raw)
            except ValueError:
                _date(issue_raw, "id_issue_date")
        if not status:
            status = active
        elif status not in statuses:
            raise RowRejected(
                _("Unknown status %(value)r (expected ACTIVE, CANCELLED or blank).") % {"value": _short(status)}
            )
        if not check:
            check = not_checked
        elif check not in checks:
            raise RowRejected(
                _("Unknown population_check %(value)r (expected MATCH, MISMATCH, PENDING, NOT_CHECKED or blank).")
                % {"value": _short(check)}
            )
        has_portrait, has_front, has_back = booleans.get(portrait_raw), booleans.get(front_raw), booleans.get(back_raw)
        if has_portrait is None or has_front is None or has_back is None:
            _reject_flags(portrait_raw, front_raw, back_raw)
        msisdn = normalise_msisdn(msisdn_raw) if msisdn_raw else None
        if msisdn is None:
            _msisdn(msisdn_raw)  # raises RowRejected with the reason
        if not iccid_is_valid(iccid):
            _iccid(iccid)
        if (
            len(external_id) > max_id
            or len(clerk_code) > max_clerk
            or len(name) > max_name
            or len(gender) > max_gender
            or len(nationality) > max_nationality
            or len(doc_type) > max_type
            or len(issue_place) > max_place
            or len(portrait_sha256) > max_portrait
        ):
            _reject_too_long(v)
        normalised = normalise_id(doc_number)
        number_issue, dob_issue = document_issues(doc_type, normalised, nationality, date_of_birth, gender)
        fingerprint = blake2b(
            "\x1f".join(
                (
                    FINGERPRINT_VERSION,
                    external_id,
                    msisdn,
                    iccid,
                    channel,
                    str(point_id),
                    str(agent_id),
                    clerk_code,
                    name,
                    dob_raw,
                    gender,
                    nationality,
                    doc_type,
                    doc_number,
                    issue_raw,
                    issue_place,
                    address,
                    registered_utc,
                    "1" if has_portrait else "0",
                    "1" if has_front else "0",
                    "1" if has_back else "0",
                    portrait_sha256,
                    check,
                    status,
                )
            ).encode(),
            key=fingerprint_key,
            digest_size=32,
        ).hexdigest()
        return (
            external_id,
            msisdn,
            iccid,
            channel,
            point_id,
            agent_id,
            clerk_code,
            name,
            name_key(name)[:max_name_key] if name else "",
            date_of_birth,
            gender,
            nationality,
            doc_type,
            encrypt(doc_number),
            hash_document(doc_type, normalised),
            number_issue,
            dob_issue,
            issue_date,
            issue_place,
            encrypt(address),
            registered_at,
            has_portrait,
            has_front,
            has_back,
            portrait_sha256,
            check,
            status,
            fingerprint,
        )

    return parse


def _reject_flags(*values: str):
    for column, value in zip(("has_portrait", "has_id_front", "has_id_back"), values, strict=True):
        if value not in _BOOLEANS:
            raise RowRejected(
                _("%(column)s %(value)r is not 0, 1 or blank.") % {"column": column, "value": _short(value)}
            )


def _reject_too_long(values: tuple[str, ...]):
    for column, limit in _MAX_LENGTHS.items():
        value = values[_COLUMN_INDEX[column]]
        if len(value) > limit:
            raise RowRejected(
                _("%(column)s is too long (%(length)d characters, at most %(max)d).")
                % {"column": column, "length": len(value), "max": limit}
            )


_COLUMN_INDEX = {name: i for i, name in enumerate(REGISTRATION_COLUMNS)}


def activation_parser() -> Callable[[tuple[str, ...]], tuple]:
    def parse(v: tuple[str, ...]) -> tuple:
        iccid_raw, msisdn_raw, activated_raw = v
        if not iccid_raw:
            raise RowRejected(_("Missing iccid."))
        activated_at, _utc = _instant(activated_raw, "activated_at")
        return (_iccid(iccid_raw), _msisdn(msisdn_raw), activated_at)

    return parse


# --- batches ------------------------------------------------------------------------------------


@dataclass
class Batch:
    """Parsed rows between two byte offsets of the file, ready to be written in one transaction."""

    first_line: int
    rows: dict = field(default_factory=dict)  # key -> parsed tuple (repeats collapsed)
    lines: dict = field(default_factory=dict)  # key -> (line, values as read), for scope rejects
    rejects: list = field(default_factory=list)  # (line, reason, values as read)
    warnings: list = field(default_factory=list)  # (line, text)
    read: int = 0  # data rows read, whatever became of them
    collapsed: int = 0  # rows superseded by a later (registrations) or earlier (activations) one
    end_offset: int = 0
    end_line: int = 0


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: list[str]
    fields: list[str]
    model: type
    key: str

    def parser(self, actor):
        if self.kind == ACTIVATIONS:
            return activation_parser()
        return registration_parser(points=_usable_points(actor))


SPECS = {
    REGISTRATIONS: Spec(REGISTRATIONS, REGISTRATION_COLUMNS, REGISTRATION_FIELDS, Registration, "external_id"),
    ACTIVATIONS: Spec(ACTIVATIONS, ACTIVATION_COLUMNS, ACTIVATION_FIELDS, Activation, "iccid"),
}


def _usable_points(actor) -> dict[str, tuple[int, int]]:
    """Point code -> (point id, agent id), for the points in the actor's provinces (all for no actor)."""
    points = RegistrationPoint.objects.all()
    scope = province_scope(actor) if actor is not None else None
    if scope is not None:
        points = points.filter(province_id__in=scope)
    # A few hundred thousand points at most: a dict of them is a few tens of MB, and saves a query per row.
    return {code: (pk, agent_id) for code, pk, agent_id in points.values_list("code", "pk", "agent_id").iterator()}


def _batches(
    stream: CsvStream, parse, spec: Spec, batch_size: int, keep_lines: bool, gate: Callable[[], object] | None = None
) -> Iterator[Batch]:
    """Parsed batches of `batch_size` rows read; the hot loop of the import, kept flat on purpose.

    `gate` is called every 256 rows (it blocks while the parsing is paused, see _Prefetch).
    """
    registrations = spec.kind == REGISTRATIONS
    reader, pick, strip, problem_of = stream.reader, stream.pick, str.strip, stream.problem
    source, min_values, records = stream.lines, stream.min_values, stream.records
    batch = Batch(first_line=stream.line + 1)
    rows, lines, read = batch.rows, batch.lines, 0
    while True:
        try:
            for values in reader:
                if len(values) < 2 and not (values and values[0]):
                    continue  # a blank line
                records += 1
                read += 1
                if gate is not None and not read & 255:
                    gate()
                problem = problem_of(values) if source.suspect or len(values) < min_values else None
                if problem is None:
                    try:
                        parsed = parse(tuple(map(strip, pick(values))))
                    except RowRejected as exc:
                        problem = str(exc)
                if problem is not None:
                    stream.records = records  # stream.line reads it
                    batch.rejects.append((stream.line, problem, stream.as_columns(values)))
                else:
                    key = parsed[0]
                    earlier = rows.get(key)
                    if earlier is None:
                        rows[key] = parsed
                        if keep_lines:
                            stream.records = records
                            lines[key] = (stream.line, stream.as_columns(values))
                    else:
                        stream.records = records
                        batch.collapsed += 1
                        # registrations: the later row wins; activations: the earliest activated_at
                        if registrations or parsed[2] < earlier[2]:
                            rows[key] = parsed
                            if keep_lines:
                                lines[key] = (stream.line, stream.as_columns(values))
                        if registrations:
                            warning = _("external_id %(key)s is repeated in the file; the later row wins.")
                            batch.warnings.append((stream.line, warning % {"key": key}))
                if read >= batch_size:
                    stream.records = records
                    batch.read, batch.end_offset, batch.end_line = read, stream.offset, stream.line
                    yield batch
                    batch = Batch(first_line=stream.line + 1)
                    rows, lines, read = batch.rows, batch.lines, 0
            break
        except csv.Error as exc:
            # the reader carries on with the next line after an error
            records += 1
            read += 1
            stream.records = records
            reason = _("Unreadable CSV: %(error)s") % {"error": exc}
            batch.rejects.append((stream.line, reason, [""] * len(spec.columns)))
    stream.records = records
    if read:
        batch.read, batch.end_offset, batch.end_line = read, stream.offset, stream.line
        yield batch


class _Prefetch:
    """Runs a batch generator in a thread, `depth` batches ahead: batch N+1 is parsed while N is written.

    While the database works on a batch (the upsert, the commit) the main thread waits with the GIL
    released and the parser runs: on two cores or more, parsing and writing overlap. During the COPY
    the parser is paused (`paused()`; the generator calls `gate` every few hundred rows): the COPY
    releases and retakes the GIL at every network write, and each retake would wait out the parser's
    switch interval (5 ms), which made the COPY several times slower than the parsing it overlapped.
    The thread gets the caller's language so reject reasons read the same.
    """

    _DONE = object()

    def __init__(self, make_iterator: Callable[[Callable[[], None]], Iterator], depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._iterator = make_iterator(self._running.wait)
        self._language = translation.get_language()
        self._thread = threading.Thread(target=self._run, name="import-parser", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        with translation.override(self._language):
            try:
                for item in self._iterator:
                    if not self._put(item):
                        return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                self._put(exc)
                return
            self._put(self._DONE)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    @contextmanager
    def paused(self):
        self._running.clear()
        try:
            yield
        finally:
            self._running.set()

    def close(self):
        self._stop.set()
        self._running.set()
        self._thread.join()


# --- writing a batch ----------------------------------------------------------------------------


class PostgresWriter:
    """Binary COPY into a temporary staging table, then one upsert statement for the whole batch."""

    def __init__(self, spec: Spec, job_id: int):
        self.spec = spec
        self.job_id = job_id
        table = spec.model._meta.db_table
        self.stage = f"{table}_import_stage"
        self.types = [_PG_TYPES.get(name, "text") for name in spec.fields]
        columns = ", ".join(spec.fields)
        self.create_stage = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} ("
            + ", ".join(f"{name} {_PG_TYPES.get(name, 'text')}" for name in spec.fields)
            + ")"
        )
        self.copy = f"COPY {self.stage} ({columns}) FROM STDIN (FORMAT BINARY)"
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in spec.fields if name != spec.key)
        if spec.kind == REGISTRATIONS:
            differs = "target.row_fingerprint IS DISTINCT FROM EXCLUDED.row_fingerprint"
        else:
            differs = "EXCLUDED.activated_at < target.activated_at"
        # The table names and columns are ours, not input: only the job id and times are parameters.
        self.upsert = (
            f"WITH written AS ("  # noqa: S608
            f" INSERT INTO {table} AS target ({columns}, import_job_id, created_at, updated_at)"
            # in key order: two imports writing the same keys lock them in the same order (no deadlock)
            f" SELECT {columns}, %s, %s, %s FROM {self.stage} ORDER BY {spec.key}"
            f" ON CONFLICT ({spec.key}) DO UPDATE SET {updates},"
            f" import_job_id = EXCLUDED.import_job_id, updated_at = EXCLUDED.updated_at"
            f" WHERE {differs}"
            f" RETURNING (xmax = 0) AS inserted)"
            f" SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
        )

    def write(self, rows, pause=nullcontext) -> tuple[int, int]:
        """Created and updated counts; must run inside the batch's transaction. `pause`: see _Prefetch."""
        now = timezone.now()
        raw = connection.connection
        with connection.cursor() as cursor:
            # No wait for the WAL flush at each batch's commit: after a server crash the last batches may
            # be missing, but the job's progress row commits with them, so a resume redoes exactly those.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(self.create_stage)
            cursor.execute(f"TRUNCATE {self.stage}")
        with pause(), raw.cursor() as cursor, cursor.copy(self.copy) as copy:
            copy.set_types(self.types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        with connection.cursor() as cursor:
            cursor.execute(self.upsert, [self.job_id, now, now])
            created, updated = cursor.fetchone()
        return created, updated


class SqliteWriter:
    """bulk_create(update_conflicts=True) of the rows that are new or differ from what is stored."""

    def __init__(self, spec: Spec, job_id: int):
        self.spec = spec
        self.job_id = job_id

    def _stored(self, keys: list[str], column: str) -> dict:
        model, stored = self.spec.model, {}
        for start in range(0, len(keys), 500):  # SQLite builds may cap a statement at 999 parameters
            chunk = keys[start : start + 500]
            stored.update(model.objects.filter(**{f"{self.spec.key}__in": chunk}).values_list(self.spec.key, column))
        return stored

    def write(self, rows, pause=nullcontext) -> tuple[int, int]:
        spec = self.spec
        rows = list(rows)
        if spec.kind == REGISTRATIONS:
            stored = self._stored([r[0] for r in rows], "row_fingerprint")
            wanted = [r for r in rows if r[0] not in stored or stored[r[0]] != r[-1]]
        else:
            stored = self._stored([r[0] for r in rows], "activated_at")
            wanted = [r for r in rows if r[0] not in stored or r[2] < stored[r[0]]]
        if wanted:
            objects = [spec.model(import_job_id=self.job_id, **dict(zip(spec.fields, r, strict=True))) for r in wanted]
            spec.model.objects.bulk_create(
                objects,
                update_conflicts=True,
                unique_fields=[spec.key],
                update_fields=[f for f in spec.fields if f != spec.key] + ["import_job", "updated_at"],
            )
        created = sum(1 for r in wanted if r[0] not in stored)
        return created, len(wanted) - created


def _writer(spec: Spec, job_id: int):
    return PostgresWriter(spec, job_id) if connection.vendor == "postgresql" else SqliteWriter(spec, job_id)


def _scope_rejects(batch: Batch, actor) -> None:
    """Reject rows that would overwrite a registration stored at a point outside the actor's provinces."""
    scope = province_scope(actor) if actor is not None else None
    if scope is None or not batch.rows:
        return
    keys = list(batch.rows)
    outside = set()
    for start in range(0, len(keys), 500):
        outside.update(
            Registration.objects.filter(external_id__in=keys[start : start + 500])
            .filter(point__isnull=False)
            .exclude(point__province_id__in=scope)
            .values_list("external_id", flat=True)
        )
    for key in outside:
        del batch.rows[key]
        line, raw = batch.lines.pop(key)
        batch.rejects.append(
            (line, _("%(key)s belongs to a province that is not in your provinces.") % {"key": key}, raw)
        )
    batch.rejects.sort(key=itemgetter(0))


# --- rejects files ------------------------------------------------------------------------------


def _rejects_dir(job: ImportJob) -> str:
    return f"imports/rejects/job-{job.pk}"


def _rejects_csv(columns: list[str], rejects, *, header: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(["line", "reason", *columns])
    for line, reason, values in rejects:
        writer.writerow([line, reason, *values])
    return buffer.getvalue().encode("utf-8")


def _save_part(job: ImportJob, batch: Batch) -> None:
    # Named by the batch's first line: a batch redone after a failure overwrites its own part.
    name = f"{_rejects_dir(job)}/{batch.first_line:012d}.csv"
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(_rejects_csv([], batch.rejects, header=False)))


def _parts(job: ImportJob) -> list[tuple[int, str]]:
    directory = _rejects_dir(job)
    try:
        _dirs, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted((int(name.split(".")[0]), f"{directory}/{name}") for name in files if name.endswith(".csv"))


def _drop_parts_from(job: ImportJob, line: int) -> None:
    """Parts of batches that did not commit (a failed run) are written again by the resumed run."""
    for first_line, name in _parts(job):
        if first_line > line:
            default_storage.delete(name)


def _assemble_rejects(job: ImportJob, columns: list[str]) -> None:
    parts = _parts(job)
    if job.rejects_file:
        job.rejects_file.delete(save=False)
    if not parts:
        return
    with File(_spooled()) as out:
        out.write(_rejects_csv(columns, [], header=True))
        for _first, name in parts:
            with default_storage.open(name, "rb") as part:
                for chunk in iter(lambda part=part: part.read(1 << 20), b""):
                    out.write(chunk)
        out.seek(0)
        job.rejects_file.save(f"{job.kind}-{job.pk}.rejects.csv", out, save=False)
    for _first, name in parts:
        default_storage.delete(name)


def _spooled():
    return tempfile.SpooledTemporaryFile(max_size=8 << 20)


# --- jobs ---------------------------------------------------------------------------------------


def import_job_create(*, kind: str, actor, file_name: str, upload=None, total_rows: int = 0) -> ImportJob:
    """A PENDING job; `upload` (a django File) is stored under imports/ for a worker to read."""
    if kind not in KINDS:
        raise ValueError(f"Unknown import kind {kind!r}.")
    job = ImportJob(kind=kind, file_name=file_name[:255], created_by=actor, total_rows=total_rows)
    if upload is not None:
        job.source_file.save(f"{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv", upload, save=False)
    job.save()
    return job


def check_header(binary, kind: str) -> None:
    """Raise ImportFileError when the file cannot be imported as `kind` at all (empty, missing columns)."""
    try:
        CsvStream(binary, SPECS[kind].columns)
    finally:
        binary.seek(0)


def import_job_submit(*, kind: str, actor, upload, file_name: str = "") -> ImportJob:
    """Store an uploaded file as a PENDING job and queue its import once the job is committed."""
    from .tasks import run_import_task  # the task module imports this one

    with transaction.atomic():
        job = import_job_create(kind=kind, actor=actor, file_name=file_name or upload.name, upload=upload)
        transaction.on_commit(lambda: run_import_task.delay(job.pk))
    return job


def is_abandoned(job: ImportJob) -> bool:
    """RUNNING without a sign of life for STALE_AFTER: its worker died (a killed process marks nothing)."""
    return (
        job.status == ImportJob.Status.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at < timezone.now() - STALE_AFTER
    )


def can_resume(job: ImportJob) -> bool:
    """A failed or abandoned job of an uploaded file (a command's job is resumed with its command)."""
    return bool(job.source_file) and (job.status == ImportJob.Status.FAILED or is_abandoned(job))


def import_job_resume_later(*, job: ImportJob) -> bool:
    """Queue a failed or abandoned upload to carry on after its last committed batch; False if it cannot."""
    from .tasks import run_import_task

    if not can_resume(job):
        return False
    transaction.on_commit(lambda: run_import_task.delay(job.pk))
    return True


def import_job_claim(job_id: int) -> ImportJob | None:
    """Mark a job RUNNING for this process; None when it is done or another live run has it.

    A PENDING job starts; a FAILED one resumes; a RUNNING one is taken over only when its heartbeat
    is older than STALE_AFTER (its worker died): so a task delivered twice runs once at a time.
    """
    now = timezone.now()
    claimable = Q(status__in=[ImportJob.Status.PENDING, ImportJob.Status.FAILED]) | Q(
        status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id, kind__in=KINDS).update(
        status=ImportJob.Status.RUNNING, heartbeat_at=now, error="", finished_at=None
    )
    return ImportJob.objects.get(pk=job_id) if claimed else None


def import_job_run(
    *,
    job: ImportJob,
    binary=None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ImportJob], None] | None = None,
    number_records: bool = False,
) -> ImportJob:
    """Import the job's file (or `binary`, a seekable binary file) from where the job stopped.

    The caller has claimed the job (it is RUNNING). Returns the job DONE, or raises after marking it
    FAILED with the error; the batches committed before the failure stay, and a later call resumes.
    `progress` is called after each committed batch. ImportFileError: the file as a whole cannot be
    read (no header, missing columns), nothing was imported.
    """
    spec = SPECS[job.kind]
    opened = binary is None
    if opened:
        binary = job.source_file.open("rb")
    try:
        _start(job, binary)
        stream = CsvStream(
            binary, spec.columns, offset=job.resume_offset, line=job.resume_line, number_records=number_records
        )
        _drop_parts_from(job, job.resume_line)
        _run_batches(job, spec, stream, batch_size, progress)
        _finish(job, spec)
    except BaseException as exc:
        _fail(job, exc)
        raise
    finally:
        if opened:
            binary.close()
    return job


def _start(job: ImportJob, binary) -> None:
    now = timezone.now()
    if not job.total_rows:
        job.total_rows = count_data_lines(binary)
    job.status, job.started_at, job.heartbeat_at, job.error = ImportJob.Status.RUNNING, now, now, ""
    job.finished_at, job.rows_at_start = None, job.processed_rows
    job.save(
        update_fields=[
            "status",
            "started_at",
            "heartbeat_at",
            "error",
            "finished_at",
            "total_rows",
            "rows_at_start",
        ]
    )


def _run_batches(job: ImportJob, spec: Spec, stream: CsvStream, batch_size: int, progress) -> None:
    if connection.vendor == "sqlite":
        batch_size = min(batch_size, SQLITE_BATCH_SIZE)
    actor = job.created_by
    limited = spec.kind == REGISTRATIONS and actor is not None and province_scope(actor) is not None
    writer = _writer(spec, job.pk)
    parse = spec.parser(actor)

    def batches(gate=None):
        return _batches(stream, parse, spec, batch_size, keep_lines=limited, gate=gate)

    # The thread pays off where the database works in another process; SQLite works in this one.
    prefetch = _Prefetch(batches) if connection.vendor == "postgresql" else None
    pause = prefetch.paused if prefetch is not None else nullcontext
    try:
        for batch in prefetch or batches():
            _write_batch(job, spec, writer, batch, actor, limited, pause)
            if progress is not None:
                progress(job)
    finally:
        if prefetch is not None:
            prefetch.close()


def _write_batch(job: ImportJob, spec: Spec, writer, batch: Batch, actor, limited: bool, pause=nullcontext) -> None:
    try:
        with transaction.atomic():
            if limited:
                _scope_rejects(batch, actor)
            created, updated = writer.write(batch.rows.values(), pause) if batch.rows else (0, 0)
            if batch.rejects:
                _save_part(job, batch)
            warnings = list(job.warnings or [])
            room = MAX_WARNINGS - len(warnings)
            if room > 0:
                warnings.extend([line, text] for line, text in batch.warnings[:room])
            values = {
                "created": job.created + created,
                "updated": job.updated + updated,
                "unchanged": job.unchanged + len(batch.rows) - created - updated + batch.collapsed,
                "rejected": job.rejected + len(batch.rejects),
                "processed_rows": job.processed_rows + batch.read,
                "resume_offset": batch.end_offset,
                "resume_line": batch.end_line,
                "heartbeat_at": timezone.now(),
                "warnings": warnings,
            }
            values["total_rows"] = max(job.total_rows, values["processed_rows"])
            ImportJob.objects.filter(pk=job.pk).update(**values)
    except Exception as exc:
        raise BatchError(
            _("Lines %(first)d-%(last)d: %(error)s") % {"first": batch.first_line, "last": batch.end_line, "error": exc}
        ) from exc
    # Only once committed: the in-memory job must not count a batch that rolled back.
    for name, value in values.items():
        setattr(job, name, value)


class BatchError(RuntimeError):
    """A batch could not be written; the batches before it are committed and the job can resume."""


def _finish(job: ImportJob, spec: Spec) -> None:
    _assemble_rejects(job, spec.columns)
    job.status, job.finished_at, job.heartbeat_at = ImportJob.Status.DONE, timezone.now(), None
    job.total_rows = job.processed_rows
    job.save(update_fields=["status", "finished_at", "heartbeat_at", "total_rows", "rejects_file"])
    audit_record(
        action=f"{spec.kind}.import",
        actor=job.created_by,
        obj=job,
        object_repr=job.file_name[:200],
        fields={
            "created": job.created,
            "updated": job.updated,
            "unchanged": job.unchanged,
            "rejected": job.rejected,
            "rows": job.processed_rows,
        },
    )


def _fail(job: ImportJob, exc: BaseException) -> None:
    if isinstance(exc, ImportFileError | BatchError):
        message = str(exc)
    elif isinstance(exc, KeyboardInterrupt):
        message = _("Interrupted.")
    else:
        message = f"{type(exc).__name__}: {exc}"
        logger.exception("Import job %s failed", job.pk)
    job.status, job.error, job.finished_at, job.heartbeat_at = ImportJob.Status.FAILED, message, timezone.now(), None
    try:
        ImportJob.objects.filter(pk=job.pk).update(
            status=job.status, error=message, finished_at=job.finished_at, heartbeat_at=None
        )
    except Exception:  # the database itself may be what failed; the heartbeat then goes stale
        logger.exception("Could not mark import job %s as failed", job.pk)


# --- convenience for code and tests that have a file in hand ------------------------------------


def import_file(binary, *, kind: str, actor=None, file_name: str = "", batch_size: int = DEFAULT_BATCH_SIZE):
    """Create a job for an open binary file and run it in this process; the finished job."""
    job = import_job_create(kind=kind, actor=actor, file_name=file_name or f"{kind}.csv")
    job.status = ImportJob.Status.RUNNING
    return import_job_run(job=job, binary=binary, batch_size=batch_size)


def rejects_rows(job: ImportJob) -> list[dict]:
    """The job's rejected rows as dicts (line, reason and the contract columns): for small jobs and tests."""
    if not job.rejects_file:
        return []
    with job.rejects_file.open("rb") as fh:
        text = fh.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def elapsed_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
