"""What a registration looks like masked (the default everywhere) and revealed (once, with a reason).

DESIGN section 2: compliance staff see personal data masked; officers and managers may reveal one
record with a reason (audited); auditors never see it unmasked; integration accounts never read it.

Masked forms keep just enough to tell records apart on a screen:
- MSISDN: the national form through core.crypto.mask, e.g. ``091*****78``;
- ID number: core.crypto.mask, e.g. ``0791******56``;
- name: initials only, e.g. ``N. V. A.`` (a family name alone is shared by millions, but initials
  plus the other masked values already tell two records apart; lengths are not shown);
- address: only its last comma-separated part (district or province), e.g. ``… Hà Nội``; an
  address without a comma shows nothing but ``…``;
- date of birth and ID issue date: the year only.
"""

from dataclasses import dataclass

from core.crypto import mask

from ..models import Registration

# The fields a reveal shows; the audit event lists these names, never their values.
REVEALED_FIELDS = ("msisdn", "subscriber_name", "date_of_birth", "id_doc_number", "id_issue_date", "address")
ELLIPSIS = "…"


def national_msisdn(msisdn: str | None) -> str:
    """+84912345678 -> 0912345678 (the form people read and type); other values unchanged."""
    if msisdn and msisdn.startswith("+84"):
        return "0" + msisdn[3:]
    return msisdn or ""


def mask_msisdn(msisdn: str | None) -> str:
    return mask(national_msisdn(msisdn), 4, 2)


def mask_id_number(number: str | None) -> str:
    return mask(number or "", 4, 2)


def mask_name(name: str | None) -> str:
    """Initials, one per word: "Nguyễn Văn An" -> "N. V. A."."""
    return " ".join(f"{word[0].upper()}." for word in (name or "").split())


def mask_address(address: str | None) -> str:
    if not address or not address.strip():
        return ""
    head, sep, tail = address.rpartition(",")
    if not sep or not tail.strip() or not head.strip():
        return ELLIPSIS
    return f"{ELLIPSIS} {tail.strip()}"


def year_of(value) -> int | None:
    return value.year if value is not None else None


@dataclass(frozen=True)
class MaskedPersonalData:
    msisdn: str
    subscriber_name: str
    birth_year: int | None
    id_doc_number: str
    id_issue_year: int | None
    address: str


def masked(registration: Registration) -> MaskedPersonalData:
    return MaskedPersonalData(
        msisdn=mask_msisdn(registration.msisdn),
        subscriber_name=mask_name(registration.subscriber_name),
        birth_year=year_of(registration.date_of_birth),
        id_doc_number=mask_id_number(registration.id_doc_number),
        id_issue_year=year_of(registration.id_issue_date),
        address=mask_address(registration.address),
    )


@dataclass(frozen=True)
class MaskedRow:
    """What a list row shows of a registration's personal data, masked as `masked` masks it."""

    msisdn: str
    subscriber_name: str
    id_doc_number: str


def masked_row(registration: Registration) -> MaskedRow:
    """masked() for a list row (issue 15): only the values a row shows, so a page of rows neither decrypts
    an address per row nor needs it loaded."""
    return MaskedRow(
        msisdn=mask_msisdn(registration.msisdn),
        subscriber_name=mask_name(registration.subscriber_name),
        id_doc_number=mask_id_number(registration.id_doc_number),
    )


def revealed(registration: Registration) -> dict:
    """The unmasked values of REVEALED_FIELDS; only registration_reveal (services) may hand these out."""
    return {field: getattr(registration, field) for field in REVEALED_FIELDS}
