"""Field checks shared by importer, forms, API and rules (DESIGN sections 4 and 5)."""

import random
from datetime import date

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from core import crypto
from registrations.validators import (
    CCCD_BAD_PLACE_CODE,
    CCCD_NOT_12_DIGITS,
    CMND_NOT_9_OR_12_DIGITS,
    DOB_CENTURY_MISMATCH,
    DOB_YEAR_MISMATCH,
    GENDER_MISMATCH,
    PASSPORT_BAD_FORMAT,
    UNKNOWN_DOC_TYPE,
    VN_PASSPORT_BAD_FORMAT,
    age_on,
    cccd_dob_problem,
    id_number_problem,
    is_valid_iccid,
    normalise_id_number,
    normalise_msisdn,
    province_codes,
)

# --- MSISDN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["+84912345678", "84912345678", "0912345678", " 091 234 5678 ", "091.234.5678", "+84-912-345-678", "0912\t345678"],
)
def test_msisdn_accepted_forms_become_e164(raw):
    assert normalise_msisdn(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "blank"),
        (None, "blank"),
        ("0243123456", "Hanoi fixed line (10 digits starting 2)"),
        ("+842439123456", "fixed line in E.164"),
        ("091234567", "one digit short"),
        ("09123456789", "one digit long"),
        ("0412345678", "04 is no mobile prefix"),
        ("912345678", "no prefix: not one of the accepted forms"),
        ("842345678", "84 is read as the country code, leaving too few digits"),
        ("+840912345678", "a trunk 0 after the country code is not an accepted form"),
        ("0084912345678", "international prefix 00 is not an accepted form"),
        ("+85512345678", "another country"),
        ("(091) 2345678", "brackets are not separators"),
        ("０９１２３４５６７８", "full-width digits"),
        ("0912345678 ext 1", "trailing text"),
    ],
)
def test_msisdn_refused(raw, why):
    assert normalise_msisdn(raw) is None, why


def _library_verdict(raw: str) -> str | None:
    """The slow reference: what phonenumbers itself says about the number."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.number_type(number) == PhoneNumberType.MOBILE and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def test_msisdn_fast_path_agrees_with_phonenumbers_parse():
    # given national numbers over every two-digit prefix (national numbers never start with the trunk
    # 0) with the mobile length 9 and the near misses 8 and 10, plus the library's odd 1xx mobile ranges
    rng = random.Random(20260301)
    nationals = []
    for prefix in range(10, 100):
        for length in (8, 9, 10):
            nationals.append(str(prefix) + "".join(rng.choice("0123456789") for _ in range(length - 2)))
    nationals += ["121" + str(d) + "12345" for d in range(10)] + ["140123456", "160123456", "150123456"]
    verdicts = {}
    for national in nationals:
        for raw in ("+84" + national, "84" + national, "0" + national):
            # when both judge the same input
            fast, slow = normalise_msisdn(raw), _library_verdict(raw)
            # then they agree
            assert fast == slow, raw
            verdicts[raw] = fast
    accepted = sum(1 for v in verdicts.values() if v)
    assert accepted > 100
    assert len(verdicts) - accepted > 100


# --- ICCID --------------------------------------------------------------------------------------

# The ICCIDs of samples/registrations.csv and samples/activations.csv.
SAMPLE_ICCIDS = [
    "89840485000000003894",
    "89840474000000004028",
    "89840475000000000702",
    "89840470000000000970",
    "89840484000000002202",
    "89840439000000000269",
    "89840467000000000512",
    "89840482000000005264",
]


@pytest.mark.parametrize("iccid", SAMPLE_ICCIDS)
def test_sample_iccids_pass(iccid):
    assert is_valid_iccid(iccid)


def test_19_digit_iccid_passes():
    assert is_valid_iccid("8984048500000000380")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("89840467000000000513", "Luhn check digit wrong"),
        ("89840467000000000521", "two digits swapped"),
        ("898404670000000005", "18 digits"),
        ("898404670000000005120", "21 digits"),
        ("8984046700000000051F", "a hex letter"),
        (" 89840467000000000512", "surrounding space: the caller trims keys"),
        ("8984 0467 0000 0000 0512", "inner spaces"),
        ("", "blank"),
        (None, "blank"),
    ],
)
def test_bad_iccids_fail(raw, why):
    assert not is_valid_iccid(raw), why


# --- ID number shape (INVALID_ID_NUMBER) ----------------------------------------------------------


def test_id_number_normalisation_is_the_one_in_core_crypto():
    assert normalise_id_number is crypto.normalise_id_number


def test_the_63_province_codes_are_loaded():
    codes = province_codes()
    assert len(codes) == 63
    assert {"001", "079", "096"} <= codes
    assert "000" not in codes


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("001123456789", None),  # Hà Nội
        ("079123456789", None),  # TP Hồ Chí Minh
        ("096123456789", None),  # Cà Mau
        ("000123456789", CCCD_BAD_PLACE_CODE),
        ("003123456789", CCCD_BAD_PLACE_CODE),  # gap in the province list
        ("097123456789", CCCD_BAD_PLACE_CODE),
        ("101123456789", None),  # born abroad, lower bound
        ("295123456789", None),  # born abroad, upper bound
        ("100123456789", CCCD_BAD_PLACE_CODE),
        ("296123456789", CCCD_BAD_PLACE_CODE),
        ("999123456789", CCCD_BAD_PLACE_CODE),
        ("07912345678", CCCD_NOT_12_DIGITS),
        ("0791234567890", CCCD_NOT_12_DIGITS),
        ("07912345678A", CCCD_NOT_12_DIGITS),
        (" 079-123.456 789 ", None),  # judged after normalisation
    ],
)
def test_cccd_shape(number, problem):
    assert id_number_problem("CCCD", number, "VN") == problem


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("123456789", None),
        ("079123456789", None),
        ("12345678", CMND_NOT_9_OR_12_DIGITS),
        ("1234567890", CMND_NOT_9_OR_12_DIGITS),
        ("0791234567890", CMND_NOT_9_OR_12_DIGITS),
        ("12345678X", CMND_NOT_9_OR_12_DIGITS),
    ],
)
def test_cmnd_shape(number, problem):
    assert id_number_problem("CMND", number, "VN") == problem


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("B1234567", None),
        ("b 1234567", None),  # upper-cased by normalisation
        ("12345678", VN_PASSPORT_BAD_FORMAT),
        ("BB123456", VN_PASSPORT_BAD_FORMAT),
        ("B123456", VN_PASSPORT_BAD_FORMAT),
        ("B12345678", VN_PASSPORT_BAD_FORMAT),
        ("Đ1234567", VN_PASSPORT_BAD_FORMAT),  # letters are A-Z only
    ],
)
def test_vietnamese_passport_shape(number, problem):
    assert id_number_problem("PASSPORT", number, "VN") == problem


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("AB123", PASSPORT_BAD_FORMAT),  # 5
        ("AB1234", None),  # 6
        ("123456", None),
        ("ABCDEF", None),
        ("AB1234567890", None),  # 12
        ("AB12345678901", PASSPORT_BAD_FORMAT),  # 13
        ("AB12/3456", PASSPORT_BAD_FORMAT),
        ("ÄB12345", PASSPORT_BAD_FORMAT),
    ],
)
@pytest.mark.parametrize("nationality", ["US", "CN", "", None, "vn"])
def test_foreign_or_unknown_nationality_passport_shape(number, problem, nationality):
    assert id_number_problem("PASSPORT", number, nationality) == problem


@pytest.mark.parametrize("doc_type", ["cccd", "Cccd", "DRIVING_LICENCE", "CMT", "ID"])
def test_any_other_document_type_is_invalid(doc_type):
    assert id_number_problem(doc_type, "079123456789", "VN") == UNKNOWN_DOC_TYPE


@pytest.mark.parametrize(("doc_type", "number"), [("", "079123456789"), (None, "1"), ("CCCD", ""), ("XYZ", " ")])
def test_blank_type_or_number_is_not_this_rules_business(doc_type, number):
    assert id_number_problem(doc_type, number, "VN") is None


# --- CCCD against birth date and gender (ID_DOB_MISMATCH) -----------------------------------------


@pytest.mark.parametrize(
    ("number", "born", "gender", "problem"),
    [
        ("027064300333", date(1964, 4, 8), "M", None),  # sample row: 0 = 1900s male
        ("027175913454", date(1975, 2, 19), "F", None),  # sample row: 1 = 1900s female
        ("001205123456", date(2005, 1, 1), "M", None),  # 2 = 2000s male
        ("001305123456", date(2005, 1, 1), "F", None),  # 3 = 2000s female
        ("001405123456", date(2105, 1, 1), "M", None),  # 4 = 2100s male
        ("001505123456", date(2105, 1, 1), "F", None),  # 5 = 2100s female
        ("001099123456", date(1999, 12, 31), "M", None),
        ("001005123456", date(2005, 1, 1), "M", DOB_CENTURY_MISMATCH),
        ("001205123456", date(1905, 1, 1), "M", DOB_CENTURY_MISMATCH),
        ("001605123456", date(2205, 1, 1), "M", DOB_CENTURY_MISMATCH),  # 6-9 always disagree
        ("001905123456", date(2305, 1, 1), "F", DOB_CENTURY_MISMATCH),
        ("001064123456", date(1965, 4, 8), "M", DOB_YEAR_MISMATCH),
        ("001064123456", date(1964, 4, 8), "F", GENDER_MISMATCH),
        ("001164123456", date(1964, 4, 8), "M", GENDER_MISMATCH),
        ("001164123456", date(1964, 4, 8), "", None),  # gender not given: parity not checked
        ("001164123456", date(1964, 4, 8), None, None),
        ("001164123456", date(1964, 4, 8), "X", None),
        ("001-164-123.456", date(1964, 4, 8), "F", None),  # judged after normalisation
    ],
)
def test_cccd_against_birth_date_and_gender(number, born, gender, problem):
    assert cccd_dob_problem(number, born, gender) == problem


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("000964123456", date(1990, 1, 1)),  # bad place code: INVALID_ID_NUMBER's business
        ("00116412345", date(1990, 1, 1)),  # 11 digits
        ("001164123456", None),  # no birth date
        ("", date(1990, 1, 1)),
    ],
)
def test_cccd_birth_date_check_needs_a_valid_cccd_and_a_birth_date(number, born):
    assert cccd_dob_problem(number, born, "M") is None


# --- age ----------------------------------------------------------------------------------------


def test_age_turns_14_on_the_14th_birthday():
    born = date(2012, 6, 15)
    assert age_on(born, date(2026, 6, 14)) == 13
    assert age_on(born, date(2026, 6, 15)) == 14
    assert age_on(born, date(2026, 6, 16)) == 14


def test_29_february_birthday_falls_on_1_march_in_common_years():
    born = date(2012, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 13
    assert age_on(born, date(2026, 3, 1)) == 14
    # in a leap year the birthday is the 29th itself
    assert age_on(born, date(2028, 2, 28)) == 15
    assert age_on(born, date(2028, 2, 29)) == 16


def test_age_on_the_day_of_birth_is_zero():
    assert age_on(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert age_on(date(2025, 1, 2), date(2026, 1, 1)) == 0
