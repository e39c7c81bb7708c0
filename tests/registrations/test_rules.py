"""Each rule of DESIGN section 5: it fires, and it stays quiet on each near miss its definition implies.

The rules are run as SQL (registrations.checks.rules.evaluate), as of a fixed instant NOW, on whatever
database the suite runs on (SQLite locally, PostgreSQL in CI).
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from agents.models import PointKind, Status, StatusChange
from registrations.checks import rules
from registrations.models import Channel, PopulationCheck, Registration, RegistrationStatus
from registrations.validators import LOCAL_TZ
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(hours=24)


def local(*args) -> dt.datetime:
    """An instant given as Vietnam local time: local(2026, 3, 1, 20, 59, 59)."""
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def flagged(code: str, params: dict | None = None, now: dt.datetime = NOW) -> set[int]:
    return {subject_id for subject_id, _point, _agent in rules.evaluate(code, params, now)}


def reg(**kwargs) -> Registration:
    kwargs.setdefault("registered_at", local(2026, 2, 20, 10, 0))
    return RegistrationFactory(**kwargs)


# --- the registry -----------------------------------------------------------------------------------


def test_every_code_of_section_5_has_a_rule():
    assert set(rules.RULES) == {
        "PREACTIVATED",
        "ACTIVATED_UNREGISTERED",
        "INCOMPLETE_RECORD",
        "MISSING_PHOTOS",
        "INVALID_ID_NUMBER",
        "ID_DOB_MISMATCH",
        "UNDERAGE",
        "POPULATION_MISMATCH",
        "UNVERIFIED_IDENTITY",
        "EXCESS_SIMS_PER_ID",
        "UNAUTHORISED_POINT",
        "OUTSIDE_HOURS",
        "REUSED_PORTRAIT",
        "CONFLICTING_IDENTITY",
        "REGISTRATION_BURST",
        "BLACKLISTED_AGENT",  # issue 16
    }


@pytest.mark.parametrize("code", sorted(rules.CODES))
def test_a_clean_registration_flags_nothing(code):
    # given: a clean registration whose SIM was activated after it, verified, at an open authorised point
    clean = reg()
    ActivationFactory(iccid=clean.iccid, activated_at=clean.registered_at + dt.timedelta(minutes=5))

    # then
    assert flagged(code) == set()


def test_flagged_rows_carry_the_point_and_agent():
    r = reg(population_check=PopulationCheck.MISMATCH)
    assert rules.evaluate("POPULATION_MISMATCH", now=NOW) == [(r.id, r.point_id, r.agent_id)]


def test_count_hits_is_a_backtest_with_other_parameters():
    reg(date_of_birth=dt.date(2010, 5, 1), gender="M")  # 15 years old
    assert rules.count_hits("UNDERAGE", {"min_age": 14}, NOW) == 0
    assert rules.count_hits("UNDERAGE", {"min_age": 16}, NOW) == 1


# --- parameters -------------------------------------------------------------------------------------


def test_parameters_default_and_clean():
    assert rules.validate_parameters("REGISTRATION_BURST", {}) == {"max_in_window": 20, "window_minutes": 10}
    assert rules.validate_parameters("REGISTRATION_BURST", {"max_in_window": "30"}) == {
        "max_in_window": 30,
        "window_minutes": 10,
    }
    assert rules.validate_parameters("PREACTIVATED", {}) == {}


@pytest.mark.parametrize(
    ("code", "params", "key"),
    [
        ("UNDERAGE", {"min_age": 0}, "min_age"),
        ("UNDERAGE", {"min_age": 14.5}, "min_age"),
        ("UNDERAGE", {"min_age": True}, "min_age"),
        ("UNDERAGE", {"min_age": "fourteen"}, "min_age"),
        ("ACTIVATED_UNREGISTERED", {"grace_hours": -1}, "grace_hours"),
        ("REGISTRATION_BURST", {"window_minutes": 0}, "window_minutes"),
        ("EXCESS_SIMS_PER_ID", {"max_without_contract": None}, "max_without_contract"),
        ("EXCESS_SIMS_PER_ID", {"max": 3}, "max"),
        ("PREACTIVATED", {"grace_hours": 1}, "grace_hours"),
    ],
)
def test_bad_parameters_are_refused_by_name(code, params, key):
    with pytest.raises(ValidationError) as exc:
        rules.validate_parameters(code, params)
    assert key in exc.value.message_dict


def test_parameters_of_an_unknown_rule_or_not_an_object_are_refused():
    with pytest.raises(ValidationError):
        rules.validate_parameters("NOPE", {})
    with pytest.raises(ValidationError):
        rules.validate_parameters("UNDERAGE", [14])


# --- PREACTIVATED ----------------------------------------------------------------------------------


def test_preactivated_fires_one_second_before_registration():
    r = reg()
    ActivationFactory(iccid=r.iccid, activated_at=r.registered_at - SECOND)
    assert flagged("PREACTIVATED") == {r.id}


def test_preactivated_quiet_when_activated_at_the_very_instant_or_after():
    at_once, after = reg(), reg()
    ActivationFactory(iccid=at_once.iccid, activated_at=at_once.registered_at)
    ActivationFactory(iccid=after.iccid, activated_at=after.registered_at + SECOND)
    reg()  # never activated
    assert flagged("PREACTIVATED") == set()


def test_preactivated_judges_cancelled_registrations_too():
    r = reg(status=RegistrationStatus.CANCELLED)
    ActivationFactory(iccid=r.iccid, activated_at=r.registered_at - DAY)
    assert flagged("PREACTIVATED") == {r.id}


def test_preactivated_compares_microseconds():
    r = reg(registered_at=local(2026, 2, 20, 10, 0, 0, 500))
    ActivationFactory(iccid=r.iccid, activated_at=local(2026, 2, 20, 10, 0, 0, 499))
    assert flagged("PREACTIVATED") == {r.id}


# --- ACTIVATED_UNREGISTERED -----------------------------------------------------------------------


def test_activated_unregistered_fires_after_24_hours_and_one_second():
    a = ActivationFactory(activated_at=NOW - DAY - SECOND)
    assert flagged("ACTIVATED_UNREGISTERED") == {a.id}


def test_activated_unregistered_quiet_at_exactly_24_hours():
    ActivationFactory(activated_at=NOW - DAY)
    assert flagged("ACTIVATED_UNREGISTERED") == set()


def test_activated_unregistered_quiet_with_a_registration_even_a_later_one():
    r = reg(registered_at=NOW - dt.timedelta(hours=1))
    ActivationFactory(iccid=r.iccid, activated_at=NOW - 3 * DAY)
    assert flagged("ACTIVATED_UNREGISTERED") == set()


def test_activated_unregistered_fires_when_the_only_registration_is_cancelled():
    r = reg(status=RegistrationStatus.CANCELLED)
    a = ActivationFactory(iccid=r.iccid, activated_at=NOW - 3 * DAY)
    reg(iccid=r.iccid, status=RegistrationStatus.CANCELLED, external_id="other")
    assert flagged("ACTIVATED_UNREGISTERED") == {a.id}


def test_activated_unregistered_grace_is_a_parameter():
    a = ActivationFactory(activated_at=NOW - 30 * dt.timedelta(hours=1))
    assert flagged("ACTIVATED_UNREGISTERED", {"grace_hours": 48}) == set()
    assert flagged("ACTIVATED_UNREGISTERED", {"grace_hours": 29}) == {a.id}


# --- INCOMPLETE_RECORD -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blank",
    [
        {"subscriber_name": ""},
        {"date_of_birth": None},
        {"id_doc_type": ""},
        {"id_doc_number": ""},
        {"id_doc_number": " - . -"},  # nothing left once normalised
        {"id_issue_date": None},
        {"address": ""},
    ],
)
def test_incomplete_record_fires_on_each_blank(blank):
    r = reg(**blank)
    assert flagged("INCOMPLETE_RECORD") == {r.id}


def test_incomplete_record_quiet_when_complete_whatever_else_is_wrong():
    reg(id_doc_type="GPLX", id_doc_number="12", has_portrait=False, status=RegistrationStatus.CANCELLED)
    assert flagged("INCOMPLETE_RECORD") == set()


def test_incomplete_record_judges_cancelled_registrations():
    r = reg(address="", status=RegistrationStatus.CANCELLED)
    assert flagged("INCOMPLETE_RECORD") == {r.id}


# --- MISSING_PHOTOS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        ({"has_portrait": False}, True),
        ({"id_doc_type": "CCCD", "has_id_back": False}, True),
        ({"id_doc_type": "CCCD", "has_id_front": False}, True),
        ({"id_doc_type": "CMND", "id_doc_number": "012345678", "has_id_back": False}, True),
        ({"id_doc_type": "PASSPORT", "id_doc_number": "B1234567", "has_id_front": False}, True),
        ({"id_doc_type": "PASSPORT", "id_doc_number": "B1234567", "has_id_back": False}, False),
        ({"id_doc_type": "GPLX", "has_id_front": False, "has_id_back": False}, False),
        ({"id_doc_type": "GPLX", "has_portrait": False}, True),
        ({"id_doc_type": "", "has_id_front": False, "has_id_back": False}, False),
        ({}, False),
    ],
)
def test_missing_photos(values, fires):
    r = reg(**values)
    assert flagged("MISSING_PHOTOS") == ({r.id} if fires else set())


def test_missing_photos_judges_cancelled_registrations():
    r = reg(has_portrait=False, status=RegistrationStatus.CANCELLED)
    assert flagged("MISSING_PHOTOS") == {r.id}


# --- INVALID_ID_NUMBER -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "number", "nationality", "fires"),
    [
        ("CCCD", "001090012345", "VN", False),
        ("CCCD", "001 090.012-345", "VN", False),  # separators are not part of the number
        ("CCCD", "00109001234", "VN", True),  # 11 digits
        ("CCCD", "0010900123456", "VN", True),  # 13 digits
        ("CCCD", "00109001234A", "VN", True),
        ("CCCD", "999090012345", "VN", True),  # no such place
        ("CCCD", "100090012345", "VN", True),
        ("CCCD", "101090012345", "VN", False),  # born abroad: 101-295
        ("CCCD", "295090012345", "VN", False),
        ("CCCD", "296090012345", "VN", True),
        ("CMND", "012345678", "VN", False),
        ("CMND", "012345678901", "VN", False),
        ("CMND", "0123456789", "VN", True),
        ("PASSPORT", "B1234567", "VN", False),
        ("PASSPORT", "b1234567", "VN", False),  # upper-cased when normalised
        ("PASSPORT", "12345678", "VN", True),
        ("PASSPORT", "BB123456", "VN", True),
        ("PASSPORT", "B123456", "VN", True),
        ("PASSPORT", "M12345", "KR", False),  # foreign: 6-12 letters or digits
        ("PASSPORT", "AB12", "KR", True),
        ("PASSPORT", "ABCDEF123456", "US", False),
        ("PASSPORT", "ABCDEF1234567", "US", True),
        ("PASSPORT", "12345678", "", False),  # blank nationality: not Vietnamese
        ("PASSPORT", "ĐĐ1234", "", True),  # letters are A-Z
        ("GPLX", "790123456789", "VN", True),  # any other type
        ("cccd", "001090012345", "VN", True),
    ],
)
def test_invalid_id_number(doc_type, number, nationality, fires):
    r = reg(id_doc_type=doc_type, id_doc_number=number, nationality=nationality)
    assert flagged("INVALID_ID_NUMBER") == ({r.id} if fires else set())


def test_invalid_id_number_leaves_blank_documents_to_incomplete_record():
    reg(id_doc_type="", id_doc_number="12")
    reg(id_doc_type="GPLX", id_doc_number="")
    assert flagged("INVALID_ID_NUMBER") == set()


def test_invalid_id_number_judges_cancelled_registrations():
    r = reg(id_doc_number="123", status=RegistrationStatus.CANCELLED)
    assert flagged("INVALID_ID_NUMBER") == {r.id}


# --- ID_DOB_MISMATCH -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "dob", "gender", "fires"),
    [
        ("001090012345", dt.date(1990, 5, 17), "M", False),
        ("001190012345", dt.date(1990, 5, 17), "F", False),
        ("001190012345", dt.date(1990, 5, 17), "M", True),  # odd digit: female
        ("001090012345", dt.date(1990, 5, 17), "F", True),
        ("001090012345", dt.date(1990, 5, 17), "", False),  # no gender given: parity not judged
        ("001093012345", dt.date(1990, 5, 17), "M", True),  # year digits
        ("001290012345", dt.date(1990, 5, 17), "M", True),  # 2000s digit for a 1990 birth
        ("001205012345", dt.date(2005, 1, 2), "M", False),
        ("001305012345", dt.date(2005, 1, 2), "F", False),
        ("001405012345", dt.date(2005, 1, 2), "M", True),  # 2100s
        ("001690012345", dt.date(1990, 5, 17), "M", True),  # 6-9 always disagree
        ("001990012345", dt.date(1990, 5, 17), "F", True),
        ("001090012345", None, "M", False),  # no date of birth: not judged
        ("999093012345", dt.date(1990, 5, 17), "M", False),  # INVALID_ID_NUMBER refuses it: not judged here
        ("00109001234", dt.date(1980, 5, 17), "M", False),
    ],
)
def test_id_dob_mismatch(number, dob, gender, fires):
    r = reg(id_doc_number=number, date_of_birth=dob, gender=gender)
    assert flagged("ID_DOB_MISMATCH") == ({r.id} if fires else set())


def test_id_dob_mismatch_only_for_cccd():
    reg(id_doc_type="CMND", id_doc_number="001093012345", date_of_birth=dt.date(1990, 5, 17))
    assert flagged("ID_DOB_MISMATCH") == set()


def test_id_dob_mismatch_judges_cancelled_registrations():
    r = reg(id_doc_number="001093012345", status=RegistrationStatus.CANCELLED)
    assert flagged("ID_DOB_MISMATCH") == {r.id}


# --- UNDERAGE --------------------------------------------------------------------------------------


def test_underage_quiet_on_the_14th_birthday():
    reg(date_of_birth=dt.date(2012, 3, 15), registered_at=local(2026, 3, 15, 0, 0, 0))
    assert flagged("UNDERAGE") == set()


def test_underage_fires_the_day_before_the_14th_birthday():
    r = reg(date_of_birth=dt.date(2012, 3, 15), registered_at=local(2026, 3, 14, 23, 59, 59))
    assert flagged("UNDERAGE") == {r.id}


def test_underage_counts_the_local_date_not_the_utc_date():
    # 00:30 on the birthday in Vietnam is still the day before in UTC
    on_birthday = reg(date_of_birth=dt.date(2012, 3, 15), registered_at=local(2026, 3, 15, 0, 30))
    # 23:30 the day before in Vietnam: the UTC date is the same, the local one is what counts
    day_before = reg(date_of_birth=dt.date(2012, 3, 15), registered_at=local(2026, 3, 14, 23, 30))
    assert on_birthday.registered_at.astimezone(UTC).date() == dt.date(2026, 3, 14)
    assert flagged("UNDERAGE") == {day_before.id}


def test_underage_29_february_birthday_falls_on_1_march_in_a_common_year():
    feb_28 = reg(date_of_birth=dt.date(2012, 2, 29), registered_at=local(2026, 2, 28, 12, 0))
    reg(date_of_birth=dt.date(2012, 2, 29), registered_at=local(2026, 3, 1, 0, 0))
    assert flagged("UNDERAGE") == {feb_28.id}


def test_underage_29_february_birthday_in_a_leap_year():
    # 12 years old on 29 February 2024 exactly; the day before not yet
    feb_28 = reg(date_of_birth=dt.date(2012, 2, 29), registered_at=local(2024, 2, 28, 23, 59, 59))
    reg(date_of_birth=dt.date(2012, 2, 29), registered_at=local(2024, 2, 29, 0, 0))
    assert flagged("UNDERAGE", {"min_age": 12}) == {feb_28.id}


def test_underage_born_on_28_february_and_1_march_around_a_leap_day():
    # on 29 February 2024: born 28 Feb 2010 is 14, born 1 Mar 2010 is 13
    reg(date_of_birth=dt.date(2010, 2, 28), registered_at=local(2024, 2, 29, 9, 0))
    young = reg(date_of_birth=dt.date(2010, 3, 1), registered_at=local(2024, 2, 29, 9, 0))
    assert flagged("UNDERAGE") == {young.id}


def test_underage_without_a_birth_date_is_not_judged_and_cancelled_ones_are():
    reg(date_of_birth=None)
    cancelled = reg(date_of_birth=dt.date(2020, 1, 1), status=RegistrationStatus.CANCELLED)
    assert flagged("UNDERAGE") == {cancelled.id}


# --- POPULATION_MISMATCH, UNVERIFIED_IDENTITY ------------------------------------------------------


def test_population_mismatch():
    r = reg(population_check=PopulationCheck.MISMATCH, status=RegistrationStatus.CANCELLED)
    for check in (PopulationCheck.MATCH, PopulationCheck.PENDING, PopulationCheck.NOT_CHECKED):
        reg(population_check=check)
    assert flagged("POPULATION_MISMATCH") == {r.id}


def test_unverified_identity_after_24_hours_and_one_second():
    pending = reg(population_check=PopulationCheck.PENDING, registered_at=NOW - DAY - SECOND)
    not_checked = reg(population_check=PopulationCheck.NOT_CHECKED, registered_at=NOW - 10 * DAY)
    assert flagged("UNVERIFIED_IDENTITY") == {pending.id, not_checked.id}


def test_unverified_identity_quiet_at_exactly_24_hours_and_when_checked():
    reg(population_check=PopulationCheck.PENDING, registered_at=NOW - DAY)
    reg(population_check=PopulationCheck.MATCH, registered_at=NOW - 10 * DAY)
    reg(population_check=PopulationCheck.MISMATCH, registered_at=NOW - 10 * DAY)
    assert flagged("UNVERIFIED_IDENTITY") == set()


# --- EXCESS_SIMS_PER_ID ----------------------------------------------------------------------------


def sims(n: int, *, point=None, number="001090012345", start=None, **kwargs) -> list[Registration]:
    """n registrations of one CCCD, a minute apart."""
    start = start or local(2026, 2, 1, 10, 0)
    point = point or PointFactory()
    return [
        reg(id_doc_number=number, point=point, registered_at=start + dt.timedelta(minutes=k), **kwargs)
        for k in range(n)
    ]


def test_excess_sims_quiet_on_the_third():
    sims(3)
    assert flagged("EXCESS_SIMS_PER_ID") == set()


def test_excess_sims_fires_on_the_fourth_and_later():
    regs = sims(5)
    assert flagged("EXCESS_SIMS_PER_ID") == {regs[3].id, regs[4].id}


def test_excess_sims_fourth_at_an_operator_point_is_exempt():
    regs = sims(3)
    operator_fixed = reg(
        id_doc_number="001090012345",
        point=PointFactory(kind=PointKind.OPERATOR_FIXED),
        registered_at=local(2026, 2, 2, 10, 0),
    )
    operator_mobile = reg(
        id_doc_number="001090012345",
        point=PointFactory(kind=PointKind.OPERATOR_MOBILE),
        registered_at=local(2026, 2, 3, 10, 0),
    )
    app = reg(id_doc_number="001090012345", app=True, registered_at=local(2026, 2, 4, 10, 0))
    assert regs
    assert operator_fixed
    assert operator_mobile
    assert flagged("EXCESS_SIMS_PER_ID") == {app.id}


def test_excess_sims_ties_on_time_are_ordered_by_external_id():
    at = local(2026, 2, 1, 10, 0)
    point = PointFactory()
    for external_id in ("R-b", "R-d", "R-a", "R-c"):
        reg(external_id=external_id, id_doc_number="001090012345", point=point, registered_at=at)
    fourth = Registration.objects.get(external_id="R-d")
    assert flagged("EXCESS_SIMS_PER_ID") == {fourth.id}


def test_excess_sims_orders_external_ids_by_code_point():
    at = local(2026, 2, 1, 10, 0)
    point = PointFactory()
    # by code point "Z" < "a"; a linguistic collation would put "a" first
    for external_id in ("a1", "Z1", "Z2", "Z3"):
        reg(external_id=external_id, id_doc_number="001090012345", point=point, registered_at=at)
    assert flagged("EXCESS_SIMS_PER_ID") == {Registration.objects.get(external_id="a1").id}


def test_excess_sims_cancelled_ones_neither_count_nor_are_flagged():
    regs = sims(4)
    regs[1].status = RegistrationStatus.CANCELLED
    regs[1].save(update_fields=["status"])
    assert flagged("EXCESS_SIMS_PER_ID") == set()
    fifth_cancelled = reg(
        id_doc_number="001090012345", registered_at=local(2026, 3, 1, 10, 0), status=RegistrationStatus.CANCELLED
    )
    assert fifth_cancelled.id not in flagged("EXCESS_SIMS_PER_ID")


def test_excess_sims_one_document_is_its_type_and_normalised_number():
    sims(2, number="001090012345")
    written_otherwise = sims(1, number="001 090-012.345", start=local(2026, 2, 2, 10, 0))
    other_type = sims(2, id_doc_type="CMND", start=local(2026, 2, 3, 10, 0))
    last = sims(1, number="001-090-012-345", start=local(2026, 2, 4, 10, 0))
    assert written_otherwise
    assert other_type
    assert flagged("EXCESS_SIMS_PER_ID") == {last[0].id}


def test_excess_sims_blank_documents_take_no_part():
    sims(5, number="")
    sims(5, id_doc_type="")
    assert flagged("EXCESS_SIMS_PER_ID") == set()


def test_excess_sims_limit_is_a_parameter():
    regs = sims(3)
    assert flagged("EXCESS_SIMS_PER_ID", {"max_without_contract": 1}) == {regs[1].id, regs[2].id}


# --- UNAUTHORISED_POINT ----------------------------------------------------------------------------


def test_unauthorised_point_on_the_authorised_until_date_and_not_the_day_before():
    point = PointFactory(authorised_until=dt.date(2026, 2, 10))
    on_end = reg(point=point, registered_at=local(2026, 2, 10, 0, 0, 0))
    reg(point=point, registered_at=local(2026, 2, 9, 23, 59, 59))
    assert flagged("UNAUTHORISED_POINT") == {on_end.id}


def test_unauthorised_point_before_authorised_from():
    point = PointFactory(authorised_from=dt.date(2026, 2, 10))
    before = reg(point=point, registered_at=local(2026, 2, 9, 23, 59, 59))
    reg(point=point, registered_at=local(2026, 2, 10, 0, 0, 0))
    assert flagged("UNAUTHORISED_POINT") == {before.id}


def test_unauthorised_point_by_the_agents_window():
    agent = AgentFactory(authorised_from=dt.date(2026, 1, 1), authorised_until=dt.date(2026, 2, 10))
    point = PointFactory(agent=agent, authorised_from=None, authorised_until=None)
    after = reg(point=point, registered_at=local(2026, 2, 10, 8, 0))
    before = reg(point=point, registered_at=local(2025, 12, 31, 23, 0))
    reg(point=point, registered_at=local(2026, 2, 9, 23, 59, 59))
    assert flagged("UNAUTHORISED_POINT") == {after.id, before.id}


def test_unauthorised_point_blank_bounds_are_open():
    agent = AgentFactory(authorised_from=None, authorised_until=None)
    reg(point=PointFactory(agent=agent, authorised_from=None, authorised_until=None), registered_at=local(2001, 1, 1))
    assert flagged("UNAUTHORISED_POINT") == set()


def history(obj, *changes):
    """Status changes (at, to_status) of an agent or a point, the first from ""."""
    field = "agent" if obj._meta.model_name == "agent" else "point"
    previous = ""
    for at, to_status in changes:
        StatusChange.objects.create(**{field: obj}, changed_at=at, from_status=previous, to_status=to_status)
        previous = to_status


def test_unauthorised_point_during_a_suspension_of_the_point():
    point = PointFactory()
    start, end = local(2026, 2, 5, 12, 0), local(2026, 2, 8, 12, 0)
    history(point, (local(2025, 6, 1), Status.ACTIVE), (start, Status.SUSPENDED), (end, Status.ACTIVE))
    at_start = reg(point=point, registered_at=start)
    just_before_end = reg(point=point, registered_at=end - SECOND)
    reg(point=point, registered_at=start - SECOND)
    reg(point=point, registered_at=end)
    assert flagged("UNAUTHORISED_POINT") == {at_start.id, just_before_end.id}


def test_unauthorised_point_after_the_agent_was_terminated():
    agent = AgentFactory()
    point = PointFactory(agent=agent)
    terminated = local(2026, 2, 5, 12, 0)
    history(agent, (local(2025, 6, 1), Status.ACTIVE), (terminated, Status.TERMINATED))
    after = reg(point=point, registered_at=terminated + dt.timedelta(days=20))
    reg(point=point, registered_at=terminated - SECOND)
    assert flagged("UNAUTHORISED_POINT") == {after.id}


def test_unauthorised_point_status_before_the_first_recorded_change_is_unknown():
    # created (and recorded) as SUSPENDED on 5 February: before that, no known status
    point = PointFactory(status=Status.SUSPENDED)
    history(point, (local(2026, 2, 5, 12, 0), Status.SUSPENDED))
    reg(point=point, registered_at=local(2026, 2, 1, 10, 0))
    later = reg(point=point, registered_at=local(2026, 2, 6, 10, 0))
    # and a current status without any history suspends nothing
    reg(point=PointFactory(status=Status.SUSPENDED), registered_at=local(2026, 2, 6, 10, 0))
    assert flagged("UNAUTHORISED_POINT") == {later.id}


def test_unauthorised_point_changes_at_the_same_instant_the_later_one_holds():
    point = PointFactory()
    at = local(2026, 2, 5, 12, 0)
    history(point, (local(2025, 6, 1), Status.ACTIVE), (at, Status.SUSPENDED), (at, Status.ACTIVE))
    reg(point=point, registered_at=at)
    assert flagged("UNAUTHORISED_POINT") == set()


def test_unauthorised_point_app_registrations_and_cancelled_ones():
    point = PointFactory(authorised_until=dt.date(2026, 1, 1))
    cancelled = reg(point=point, status=RegistrationStatus.CANCELLED)
    reg(app=True)
    assert flagged("UNAUTHORISED_POINT") == {cancelled.id}


# --- OUTSIDE_HOURS ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "fires"),
    [
        ((20, 59, 59), False),
        ((20, 59, 59, 999999), False),
        ((21, 0, 0), True),
        ((23, 30, 0), True),
        ((7, 59, 59), True),
        ((7, 59, 59, 999999), True),
        ((8, 0, 0), False),
        ((0, 0, 0), True),
    ],
)
def test_outside_hours_at_the_edges(at, fires):
    point = PointFactory(opens_at=dt.time(8, 0), closes_at=dt.time(21, 0))
    r = reg(point=point, registered_at=local(2026, 2, 20, *at))
    assert flagged("OUTSIDE_HOURS") == ({r.id} if fires else set())


def test_outside_hours_point_without_hours_is_always_open_and_app_is_not_judged():
    reg(point=PointFactory(opens_at=None, closes_at=None), registered_at=local(2026, 2, 20, 3, 0))
    reg(app=True, registered_at=local(2026, 2, 20, 3, 0))
    assert flagged("OUTSIDE_HOURS") == set()


def test_outside_hours_judges_cancelled_registrations():
    r = reg(registered_at=local(2026, 2, 20, 22, 0), status=RegistrationStatus.CANCELLED)
    assert flagged("OUTSIDE_HOURS") == {r.id}


# --- REUSED_PORTRAIT -------------------------------------------------------------------------------

FACE = bytes.fromhex("a" * 64)


def test_reused_portrait_on_two_documents_flags_both():
    one = reg(portrait_sha256=FACE)
    two = reg(portrait_sha256=FACE)
    assert one.id_doc_hash != two.id_doc_hash
    assert flagged("REUSED_PORTRAIT") == {one.id, two.id}


def test_reused_portrait_quiet_for_sims_of_one_document():
    reg(portrait_sha256=FACE, id_doc_number="001090012345")
    reg(portrait_sha256=FACE, id_doc_number="001 090 012 345")
    assert flagged("REUSED_PORTRAIT") == set()


def test_reused_portrait_blank_portraits_never_match():
    reg(portrait_sha256=None, has_portrait=False)
    reg(portrait_sha256=None, has_portrait=False)
    assert flagged("REUSED_PORTRAIT") == set()


def test_reused_portrait_both_need_a_document():
    reg(portrait_sha256=FACE)
    reg(portrait_sha256=FACE, id_doc_number="")
    reg(portrait_sha256=FACE, id_doc_type="")
    assert flagged("REUSED_PORTRAIT") == set()


def test_reused_portrait_cancelled_ones_neither_count_nor_are_flagged():
    reg(portrait_sha256=FACE)
    reg(portrait_sha256=FACE, status=RegistrationStatus.CANCELLED)
    assert flagged("REUSED_PORTRAIT") == set()


# --- CONFLICTING_IDENTITY --------------------------------------------------------------------------

DOC = "001090012345"


def test_conflicting_identity_two_names_on_one_document():
    one = reg(id_doc_number=DOC, subscriber_name="Nguyễn Văn An")
    two = reg(id_doc_number=DOC, subscriber_name="Trần Văn Bình")
    assert flagged("CONFLICTING_IDENTITY") == {one.id, two.id}


def test_conflicting_identity_two_birth_dates_on_one_document():
    one = reg(id_doc_number=DOC)
    two = reg(id_doc_number=DOC, date_of_birth=dt.date(1990, 5, 18))
    assert flagged("CONFLICTING_IDENTITY") == {one.id, two.id}


def test_conflicting_identity_names_compare_normalised():
    reg(id_doc_number=DOC, subscriber_name="Nguyễn Văn An")
    reg(id_doc_number=DOC, subscriber_name="  NGUYỄN   văn  AN ")
    # decomposed (NFD) is the same name
    reg(id_doc_number=DOC, subscriber_name="Nguye\u0302\u0303n Va\u0306n An")
    assert flagged("CONFLICTING_IDENTITY") == set()


def test_conflicting_identity_blank_name_or_birth_date_takes_no_part():
    one = reg(id_doc_number=DOC)
    reg(id_doc_number=DOC, subscriber_name="")
    reg(id_doc_number=DOC, date_of_birth=None)
    assert flagged("CONFLICTING_IDENTITY") == set()
    # once two pairs conflict, those without a pair are still not flagged
    other = reg(id_doc_number=DOC, subscriber_name="Lê Thị Chi")
    assert flagged("CONFLICTING_IDENTITY") == {one.id, other.id}


def test_conflicting_identity_cancelled_ones_neither_count_nor_are_flagged():
    reg(id_doc_number=DOC)
    reg(id_doc_number=DOC, subscriber_name="Trần Văn Bình", status=RegistrationStatus.CANCELLED)
    assert flagged("CONFLICTING_IDENTITY") == set()


def test_conflicting_identity_blank_documents_take_no_part():
    reg(id_doc_number="", subscriber_name="A")
    reg(id_doc_number="", subscriber_name="B")
    assert flagged("CONFLICTING_IDENTITY") == set()


# --- REGISTRATION_BURST ----------------------------------------------------------------------------


def burst(n: int, *, point=None, start=None, step=dt.timedelta(seconds=20), **kwargs) -> list[Registration]:
    point = point or PointFactory()
    start = start or local(2026, 2, 20, 10, 0)
    return [reg(point=point, registered_at=start + k * step, **kwargs) for k in range(n)]


def test_registration_burst_quiet_with_20_in_the_window():
    burst(20)
    assert flagged("REGISTRATION_BURST") == set()


def test_registration_burst_fires_on_the_21st():
    regs = burst(21)
    assert flagged("REGISTRATION_BURST") == {regs[20].id}


def test_registration_burst_window_start_is_exclusive():
    # 21 registrations; the first exactly 10 minutes before the last: outside the last one's window
    point = PointFactory()
    start = local(2026, 2, 20, 10, 0)
    reg(point=point, registered_at=start)
    step = dt.timedelta(seconds=30)
    burst(20, point=point, start=start + dt.timedelta(minutes=10) - 19 * step, step=step)
    assert flagged("REGISTRATION_BURST") == set()


def test_registration_burst_window_one_microsecond_inside():
    point = PointFactory()
    start = local(2026, 2, 20, 10, 0)
    reg(point=point, registered_at=start + dt.timedelta(microseconds=1))
    last = burst(20, point=point, start=start + dt.timedelta(minutes=10) - 19 * SECOND, step=SECOND)[-1]
    assert flagged("REGISTRATION_BURST") == {last.id}


def test_registration_burst_at_one_instant_flags_all():
    regs = burst(21, step=dt.timedelta(0))
    assert flagged("REGISTRATION_BURST") == {r.id for r in regs}


def test_registration_burst_cancelled_ones_neither_count_nor_are_flagged():
    regs = burst(22)
    regs[0].status = RegistrationStatus.CANCELLED
    regs[0].save(update_fields=["status"])
    regs[21].status = RegistrationStatus.CANCELLED
    regs[21].save(update_fields=["status"])
    assert flagged("REGISTRATION_BURST") == set()


def test_registration_burst_counts_per_point_and_not_the_app():
    burst(11)
    burst(10)
    for k in range(21):
        reg(app=True, registered_at=local(2026, 2, 20, 10, 0, k))
    assert flagged("REGISTRATION_BURST") == set()


def test_registration_burst_parameters():
    regs = burst(6, step=dt.timedelta(minutes=1))
    # 5 minutes: (t - 5 min, t] holds 5 registrations at most
    assert flagged("REGISTRATION_BURST", {"max_in_window": 4, "window_minutes": 5}) == {r.id for r in regs[4:]}
    assert flagged("REGISTRATION_BURST", {"max_in_window": 5, "window_minutes": 5}) == set()


# --- what the rules rely on: a registration created one at a time gets its rule-facing columns ------


def test_a_registration_saved_without_derived_columns_gets_them():
    point = PointFactory()
    r = Registration.objects.create(
        external_id="X1",
        msisdn="+84912000001",
        iccid="89840470000000000018",
        channel=Channel.POINT,
        point=point,
        subscriber_name="  Lê  Thị Chi ",
        date_of_birth=dt.date(1990, 5, 17),
        gender="F",
        id_doc_type="CCCD",
        id_doc_number="001 090 012345",
        registered_at=local(2026, 2, 20, 10, 0),
    )
    r.refresh_from_db()
    assert r.agent_id == point.agent_id
    assert r.name_key == "lê thị chi"
    assert r.id_doc_hash
    assert r.id_number_issue == ""
    assert r.id_dob_issue == "gender_mismatch"
    assert flagged("ID_DOB_MISMATCH") == {r.id}
