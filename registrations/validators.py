"""Field checks shared by the importer, forms, API and rules (DESIGN sections 4 and 5).

Each check is a plain function that is cheap enough to run per row on files of millions of rows. The
contract's dates, times and booleans are parsed by core.imports.
"""

import re
import unicodedata
from datetime import date
from functools import cache

import phonenumbers
from stdnum import luhn

from core.crypto import normalise_id_number
from core.imports import ICCID_RE, LOCAL_TZ
from core.provinces import read_provinces

__all__ = [
    "LOCAL_TZ",
    "age_on",
    "cccd_dob_problem",
    "id_number_problem",
    "is_valid_iccid",
    "name_key",
    "normalise_id_number",
    "normalise_msisdn",
    "province_codes",
]

# --- MSISDN -------------------------------------------------------------------------------------

_VN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("VN")
# The library's own VN mobile pattern, compiled once: phonenumbers.parse costs far more per row.
# re.ASCII: \d must not match other scripts' digits.
_VN_MOBILE = re.compile(_VN_METADATA.mobile.national_number_pattern, re.ASCII)
_MSISDN_SEPARATORS = re.compile(r"[\s.\-]")
_MSISDN_FORMS = re.compile(r"(\+84|84|0)([0-9]+)")


def normalise_msisdn(raw: str | None) -> str | None:
    """A Vietnamese mobile number given as +84..., 84... or 0... as E.164 (+84...); None otherwise.

    Spaces, dots and dashes are ignored. Other forms ("0084...", "+840...", no prefix) are refused:
    DESIGN section 4 accepts only these three.
    """
    if not raw:
        return None
    match = _MSISDN_FORMS.fullmatch(_MSISDN_SEPARATORS.sub("", raw))
    if not match:
        return None
    national = match.group(2)
    if not _VN_MOBILE.fullmatch(national):
        return None
    return "+84" + national


# --- names --------------------------------------------------------------------------------------


def name_key(name: str | None) -> str:
    """A name as CONFLICTING_IDENTITY compares it (DESIGN section 5), stored in Registration.name_key.

    Unicode NFC, casefolded, trimmed, runs of whitespace collapsed to one space. NFC again after
    casefolding: casefold can leave a sequence that NFC composes ("İ" becomes "i" + a combining dot).
    """
    if not name:
        return ""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())
    return " ".join(folded.split())


# --- ICCID --------------------------------------------------------------------------------------


def is_valid_iccid(raw: str | None) -> bool:
    """19 or 20 digits with a good Luhn check digit (ITU-T E.118). The import's hot loop uses the faster
    core.imports.iccid_is_valid, proven to agree with this one."""
    # No trimming: the ICCID is an upsert key, so the caller must store exactly what was checked.
    return bool(raw) and ICCID_RE.fullmatch(raw) is not None and luhn.is_valid(raw)


# --- ID documents -------------------------------------------------------------------------------

CCCD = "CCCD"
CMND = "CMND"
PASSPORT = "PASSPORT"
DOC_TYPES = (CCCD, CMND, PASSPORT)

# Reason codes returned by id_number_problem and cccd_dob_problem (stable: stored and shown).
UNKNOWN_DOC_TYPE = "unknown_doc_type"
CCCD_NOT_12_DIGITS = "cccd_not_12_digits"
CCCD_BAD_PLACE_CODE = "cccd_bad_place_code"
CMND_NOT_9_OR_12_DIGITS = "cmnd_not_9_or_12_digits"
VN_PASSPORT_BAD_FORMAT = "vn_passport_not_letter_and_7_digits"
PASSPORT_BAD_FORMAT = "passport_not_6_to_12_letters_or_digits"
DOB_CENTURY_MISMATCH = "dob_century_mismatch"
DOB_YEAR_MISMATCH = "dob_year_mismatch"
GENDER_MISMATCH = "gender_mismatch"

_DIGITS_9_OR_12 = re.compile(r"[0-9]{9}|[0-9]{12}")
_DIGITS_12 = re.compile(r"[0-9]{12}")
_VN_PASSPORT = re.compile(r"[A-Z][0-9]{7}")
_OTHER_PASSPORT = re.compile(r"[A-Z0-9]{6,12}")
# CCCD place codes 101-295 are for citizens born abroad (Circular 59/2021/TT-BCA).
_BORN_ABROAD = range(101, 296)
# 4th CCCD digit -> first year of its century; 6-9 (2200s and later) never match a real birth date.
_CENTURY_START = {"0": 1900, "1": 1900, "2": 2000, "3": 2000, "4": 2100, "5": 2100}


@cache
def province_codes() -> frozenset[str]:
    """The 63 three-digit CCCD province codes, read once from core/data/provinces.csv."""
    return frozenset(code for code, _name in read_provinces())


def id_number_problem(doc_type: str | None, number: str | None, nationality: str | None) -> str | None:
    """Why an ID number breaks INVALID_ID_NUMBER (a reason code), or None when it passes.

    A blank type or number is no ID document: not this rule's business (INCOMPLETE_RECORD's), so None.
    "Blank" means blank after normalisation, the same test pii_hash uses. Type and nationality are
    compared exactly (after trimming): "cccd" is an unknown type, "vn" is not "VN".
    """
    doc_type = (doc_type or "").strip()
    normalised = normalise_id_number(number)
    if not doc_type or not normalised:
        return None
    if doc_type == CCCD:
        if not _DIGITS_12.fullmatch(normalised):
            return CCCD_NOT_12_DIGITS
        place = normalised[:3]
        if place not in province_codes() and int(place) not in _BORN_ABROAD:
            return CCCD_BAD_PLACE_CODE
        return None
    if doc_type == CMND:
        return None if _DIGITS_9_OR_12.fullmatch(normalised) else CMND_NOT_9_OR_12_DIGITS
    if doc_type == PASSPORT:
        if (nationality or "").strip() == "VN":
            return None if _VN_PASSPORT.fullmatch(normalised) else VN_PASSPORT_BAD_FORMAT
        return None if _OTHER_PASSPORT.fullmatch(normalised) else PASSPORT_BAD_FORMAT
    return UNKNOWN_DOC_TYPE


def cccd_dob_problem(number: str | None, date_of_birth: date | None, gender: str | None) -> str | None:
    """Why a CCCD number disagrees with the birth date or gender (ID_DOB_MISMATCH), or None.

    Judged only for a number that passes the CCCD shape check and only with a date of birth; the
    gender is checked only when it is "M" or "F" (anything else is not a given gender).
    """
    normalised = normalise_id_number(number)
    if date_of_birth is None or not normalised or id_number_problem(CCCD, normalised, None) is not None:
        return None
    century_digit = normalised[3]
    century_start = _CENTURY_START.get(century_digit)
    if century_start is None or not century_start <= date_of_birth.year < century_start + 100:
        return DOB_CENTURY_MISMATCH
    if int(normalised[4:6]) != date_of_birth.year % 100:
        return DOB_YEAR_MISMATCH
    gender = (gender or "").strip()
    if gender in ("M", "F"):
        parity_gender = "M" if int(century_digit) % 2 == 0 else "F"
        if gender != parity_gender:
            return GENDER_MISMATCH
    return None


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years of age on a date.

    Comparing (month, day) makes a 29 February birthday count from 1 March in a common year:
    (2, 28) < (2, 29) but (3, 1) > (2, 29).
    """
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday
