"""Keyed hashes of the identities the blacklist compares: tax code, phone number, owner's ID document.

Never in clear: agents and points keep the keys beside their values (computed on every write), the
blacklist keeps only the keys and a masked form. Each key is `core.crypto.pii_hash` of a type and a
normalised value, so the three kinds never collide with each other:

- tax code: digits only (0100109106-001 -> 0100109106001);
- phone: E.164 (0912 345 678, 84912345678 and +84912345678 are one number), as `agents.validators`;
- owner's ID document: its type plus its number normalised as DESIGN section 5 (upper case; whitespace,
  dots and dashes removed), the very key registrations use (`id_doc_hash`, which holds its 32 bytes: the
  hex here is compared only with agents' and points' keys, never with registrations).
"""

import re

from core.crypto import mask, normalise_id_number, pii_hash

from ..validators import normalise_phone

TAX = "TAX"
PHONE = "PHONE"
_NOT_DIGIT = re.compile(r"\D")


def tax_code_digits(tax_code: str | None) -> str:
    return _NOT_DIGIT.sub("", tax_code or "")


def tax_code_key(tax_code: str | None) -> str:
    return pii_hash(TAX, tax_code_digits(tax_code))


def phone_key(phone: str | None) -> str:
    return pii_hash(PHONE, normalise_phone((phone or "").strip()))


def owner_key(doc_type: str | None, number: str | None) -> str:
    return pii_hash(doc_type, number)


def masked_tax_code(tax_code: str | None) -> str:
    return mask(tax_code_digits(tax_code), 3, 2)


def masked_phone(phone: str | None) -> str:
    return mask(normalise_phone((phone or "").strip()), 4, 2)


def masked_owner(doc_type: str | None, number: str | None) -> str:
    normalised = normalise_id_number(number)
    if not normalised:
        return ""
    return f"{(doc_type or '').strip()} {mask(normalised, 2, 2)}".strip()
