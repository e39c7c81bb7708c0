"""One row of registrations.csv or activations.csv: the columns (DESIGN section 4), parsing and
checking a row into the tuple that is written, and the reasons a row is rejected."""

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime

from django.conf import settings
from django.utils.translation import gettext as _

from core import crypto
from core.imports import BOOL01, DATE_RE, ICCID_RE, iccid_is_valid, parse_date, parse_datetime

from .. import validators
from ..models import Channel, PopulationCheck, Registration, RegistrationStatus

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


# Bump when what is derived at import (name_key, id_doc_hash, the issue codes) changes: every row's
# fingerprint then differs and the next import of a file rewrites its rows with the new derivation.
# Not bumped by issue 15 (digests stored as 32 bytes instead of 64 hexadecimal characters): the fingerprint
# is the same keyed hash of the same text, its bytes are what its hex spelled, and migration
# registrations 0015 turned every stored one into those bytes; id_doc_hash and portrait_sha256 likewise.
# So a file imported before the change is unchanged after it (tests/registrations/test_importers.py).
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
    # given by the optional extra column `cancelled_at` (else None: the writers derive it from the status)
    "cancelled_at",
    "row_fingerprint",
]
# An optional column after the contract's (DESIGN section 4 allows extra columns): when the row was cancelled.
CANCELLED_AT_COLUMN = "cancelled_at"
ACTIVATION_FIELDS = ["iccid", "msisdn", "activated_at"]


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
    )
}
# registrations.csv gives the portrait's SHA-256 as 64 hexadecimal characters (stored as its 32 bytes)
_MAX_LENGTHS["portrait_sha256"] = 64
_NAME_KEY_LENGTH = Registration._meta.get_field("name_key").max_length


class RowRejected(ValueError):
    """This row cannot be stored meaningfully; the message is the reason shown in the rejects file."""


# --- parsing one row ----------------------------------------------------------------------------

_CHANNELS = frozenset(Channel.values)
_STATUSES = frozenset(RegistrationStatus.values)
_POPULATION_CHECKS = frozenset(PopulationCheck.values)


def _date(text: str, column: str) -> date | None:
    """parse_date for a stripped value, with blank as None and the reject reason."""
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise RowRejected(
            _("%(column)s %(value)r is not a date (YYYY-MM-DD).") % {"column": column, "value": _short(text)}
        ) from None


def _instant(text: str, column: str) -> tuple[datetime, str]:
    """An aware datetime and its UTC ISO form (the same instant written with any offset gives the same)."""
    if not text:
        raise RowRejected(_("Missing %(column)s.") % {"column": column})
    try:
        value = parse_datetime(text)
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
        if ICCID_RE.fullmatch(text):
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


# The row's checks in a few small functions: one call each per row (well under 1% of a row's cost), so
# that each reads on its own.


def _where(channel: str, point_code: str, points: dict[str, tuple[int, int]]) -> tuple[int | None, int | None]:
    """(point id, agent id) of a POINT row; none for an APP row, whose point code is ignored."""
    if channel not in _CHANNELS:
        if not channel:
            raise RowRejected(_("Missing channel."))
        raise RowRejected(_("Unknown channel %(value)r (expected POINT or APP).") % {"value": _short(channel)})
    if channel != Channel.POINT:
        return None, None
    if not point_code:
        raise RowRejected(_("Missing point_code: a POINT registration needs its point."))
    ids = points.get(point_code)
    if ids is None:
        raise RowRejected(_("Unknown point code %(code)r.") % {"code": _short(point_code)})
    return ids


def _day(raw: str, column: str) -> date | None:
    # parse_date inlined (DATE_RE, then fromisoformat): its reasons are _date's
    if not raw:
        return None
    try:
        if not DATE_RE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        _date(raw, column)  # raises RowRejected with the reason


def _codes(status: str, check: str) -> tuple[str, str]:
    """status and population_check; blank is ACTIVE and NOT_CHECKED."""
    if not status:
        status = RegistrationStatus.ACTIVE
    elif status not in _STATUSES:
        raise RowRejected(
            _("Unknown status %(value)r (expected ACTIVE, CANCELLED or blank).") % {"value": _short(status)}
        )
    if not check:
        check = PopulationCheck.NOT_CHECKED
    elif check not in _POPULATION_CHECKS:
        raise RowRejected(
            _("Unknown population_check %(value)r (expected MATCH, MISMATCH, PENDING, NOT_CHECKED or blank).")
            % {"value": _short(check)}
        )
    return status, check


def registration_parser(*, points: dict[str, tuple[int, int]]) -> Callable[[tuple[str, ...]], tuple]:
    """A function: the stripped contract columns of one row -> the values of REGISTRATION_FIELDS.

    Raises RowRejected with the reason. `points` maps a point code to (point id, agent id), holding
    only the points the importing user may use. Everything slow is bound once, outside the row loop:
    this runs once per row of files of millions of rows.
    """
    encrypt = crypto.text_encryptor()
    digest_document = crypto.pii_digester()
    portrait_digest = _portrait_digest
    fingerprint_key = _fingerprint_key()
    blake2b = hashlib.blake2b
    name_key = validators.name_key
    normalise_id = crypto.normalise_id_number
    to_datetime, utc = parse_datetime, UTC
    normalise_msisdn = validators.normalise_msisdn
    booleans = BOOL01
    lengths = _MAX_LENGTHS
    max_id, max_clerk, max_name = lengths["external_id"], lengths["clerk_code"], lengths["subscriber_name"]
    max_gender, max_nationality, max_type = lengths["gender"], lengths["nationality"], lengths["id_doc_type"]
    max_place, max_portrait = lengths["id_issue_place"], lengths["portrait_sha256"]
    max_name_key = _NAME_KEY_LENGTH
    where, day, codes = _where, _day, _codes

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
        point_id, agent_id = where(channel, point_code, points)
        try:
            registered_at = to_datetime(registered_raw)
            registered_utc = registered_at.astimezone(utc).isoformat()
        except (ValueError, OverflowError):
            _instant(registered_raw, "registered_at")  # raises RowRejected with the reason
        date_of_birth, issue_date = day(dob_raw, "date_of_birth"), day(issue_raw, "id_issue_date")
        status, check = codes(status, check)
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
        portrait = portrait_digest(portrait_sha256) if portrait_sha256 else None
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
        ).digest()
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
            digest_document(doc_type, normalised),
            number_issue,
            dob_issue,
            issue_date,
            issue_place,
            encrypt(address),
            registered_at,
            has_portrait,
            has_front,
            has_back,
            portrait,
            check,
            status,
            None,
            fingerprint,
        )

    return parse


def with_cancelled_at(parse: Callable[[tuple[str, ...]], tuple]) -> Callable[[tuple[str, ...]], tuple]:
    """`parse` for a file with the optional `cancelled_at` column after the contract's: its value (a time,
    ISO 8601; blank: not given) goes into the parsed row and into the row's fingerprint."""
    fingerprint_key = _fingerprint_key()

    def parse_row(v: tuple[str, ...]) -> tuple:
        raw = v[-1]
        parsed = parse(v[:-1])
        if not raw:
            return parsed
        cancelled_at, cancelled_utc = _instant(raw, CANCELLED_AT_COLUMN)
        # over the row's fingerprint in hex, as when it was stored in hex (FINGERPRINT_VERSION)
        fingerprint = hashlib.blake2b(
            f"{parsed[-1].hex()}\x1f{cancelled_utc}".encode(), key=fingerprint_key, digest_size=32
        ).digest()
        return (*parsed[:-2], cancelled_at, fingerprint)

    return parse_row


def _reject_flags(*values: str):
    for column, value in zip(("has_portrait", "has_id_front", "has_id_back"), values, strict=True):
        if value not in BOOL01:
            raise RowRejected(
                _("%(column)s %(value)r is not 0, 1 or blank.") % {"column": column, "value": _short(value)}
            )


def _portrait_digest(text: str) -> bytes:
    """portrait_sha256 as stored (core.crypto.portrait_bytes): a SHA-256 in 64 hexadecimal characters as its 32
    bytes, any other text kept as given (imports before issue 15 stored any text up to 64 characters, and the
    rules compare the values as given)."""
    return crypto.portrait_bytes(text)


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
