"""The ladder's clock: each step at its boundary (just before, exactly at, just after its due instant),
cases opened once per subscription, the Circular 08 track, and closing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from enforcement.remediation.models import CaseStep, LadderPolicy, RemediationCase, Step, Track
from enforcement.remediation.services import ladder_advance
from registrations.models import Flag, FlagStatus, RegistrationStatus

from .factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=HCM)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


def steps_of(case):
    return list(CaseStep.objects.filter(case=case).order_by("position").values_list("step", flat=True))


def test_a_ladder_flag_opens_one_case_with_the_reminder_due_at_once():
    # given
    reg = flagged("INCOMPLETE_RECORD", "UNVERIFIED_IDENTITY")
    # when
    summary = ladder_advance(now=T0)
    ladder_advance(now=T0 + dt.timedelta(minutes=15))
    # then
    case = RemediationCase.objects.get(registration=reg)
    assert summary["opened"] == 1
    assert (case.track, case.status, case.opened_at) == (Track.RECORD, "OPEN", T0)
    assert steps_of(case) == [Step.REMINDER]
    reminder = case.steps.get()
    assert reminder.due_at == T0
    assert (case.current_step, case.next_step, case.next_due_at) == (Step.REMINDER, Step.ONE_WAY_BLOCK, T0 + 15 * DAY)


def test_flags_of_other_rules_or_no_longer_live_open_no_case():
    # given
    flagged("MISSING_PHOTOS")
    flagged("INCOMPLETE_RECORD", status=FlagStatus.DISMISSED)
    flagged("INCOMPLETE_RECORD", status=FlagStatus.RESOLVED)
    cancelled = flagged("INCOMPLETE_RECORD")
    cancelled.status = RegistrationStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    # when
    summary = ladder_advance(now=T0)
    # then
    assert summary["opened"] == 0
    assert not RemediationCase.objects.exists()


def test_a_confirmed_flag_opens_a_case_too():
    reg = flagged("UNVERIFIED_IDENTITY", status=FlagStatus.CONFIRMED)
    ladder_advance(now=T0)
    assert RemediationCase.objects.filter(registration=reg, status="OPEN").count() == 1


@pytest.mark.parametrize(
    ("step", "due"),
    [
        (Step.ONE_WAY_BLOCK, T0 + 15 * DAY),
        (Step.TWO_WAY_BLOCK, T0 + 30 * DAY),
        (Step.TERMINATION, T0 + 60 * DAY),
    ],
)
@pytest.mark.parametrize(("offset", "reached"), [(-SECOND, False), (dt.timedelta(0), True), (SECOND, True)])
def test_decree_49_steps_come_due_at_their_day_and_hour(step, due, offset, reached):
    # given: a case opened at T0 (the clock's start)
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    # when: the clock runs just before, exactly at or just after the step's due instant
    ladder_advance(now=due + offset)
    # then
    case = RemediationCase.objects.get(registration=reg)
    assert (step in steps_of(case)) is reached
    if reached:
        assert case.steps.get(step=step).due_at == due
        assert case.current_step == step
    else:
        assert case.next_step == step
        assert case.next_due_at == due


def test_due_days_are_local_days_from_the_clock_start():
    # 23:59 local on 2 March: 15 days later is 23:59 local on 17 March (a day of 24 hours, no daylight saving)
    start = dt.datetime(2026, 3, 2, 23, 59, tzinfo=HCM)
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=start)
    case = RemediationCase.objects.get(registration=reg)
    assert case.next_due_at.astimezone(HCM) == dt.datetime(2026, 3, 17, 23, 59, tzinfo=HCM)


@pytest.mark.parametrize(("offset", "reached"), [(-SECOND, False), (dt.timedelta(0), True), (SECOND, True)])
def test_a_population_mismatch_suspends_outgoing_service_two_hours_after(offset, reached):
    # given
    reg = flagged("POPULATION_MISMATCH")
    ladder_advance(now=T0)
    # when
    ladder_advance(now=T0 + dt.timedelta(hours=2) + offset)
    # then
    case = RemediationCase.objects.get(registration=reg)
    assert case.track == Track.POPULATION
    assert (Step.SUSPEND_OUTGOING in steps_of(case)) is reached
    if not reached:
        assert (case.next_step, case.next_due_at) == (Step.SUSPEND_OUTGOING, T0 + dt.timedelta(hours=2))


def test_the_circular_08_track_skips_the_one_way_block_and_goes_on_to_the_two_way_block():
    reg = flagged("POPULATION_MISMATCH", "UNVERIFIED_IDENTITY")
    ladder_advance(now=T0)
    ladder_advance(now=T0 + 30 * DAY)
    case = RemediationCase.objects.get(registration=reg)
    assert steps_of(case) == [Step.REMINDER, Step.SUSPEND_OUTGOING, Step.TWO_WAY_BLOCK]


def test_a_mismatch_found_later_moves_the_case_to_circular_08_with_its_own_clock():
    # given: a Decree 49 case, reminded
    reg = flagged("UNVERIFIED_IDENTITY")
    ladder_advance(now=T0)
    # when: a mismatch is found on day 3
    Flag.objects.all().delete()
    from tests.registrations.flag_factories import make_flag

    make_flag("POPULATION_MISMATCH", registration=reg)
    later = T0 + 3 * DAY
    ladder_advance(now=later)
    ladder_advance(now=later + dt.timedelta(hours=2))
    # then
    case = RemediationCase.objects.get(registration=reg)
    assert (case.track, case.mismatch_at) == (Track.POPULATION, later)
    assert steps_of(case) == [Step.REMINDER, Step.SUSPEND_OUTGOING]
    assert case.steps.get(step=Step.SUSPEND_OUTGOING).due_at == later + dt.timedelta(hours=2)
    assert (case.next_step, case.next_due_at) == (Step.TWO_WAY_BLOCK, T0 + 30 * DAY)


def test_re_running_the_clock_changes_nothing():
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    ladder_advance(now=T0 + 16 * DAY)
    before = list(CaseStep.objects.values_list("case_id", "step", "due_at", "reached_at"))
    summary = ladder_advance(now=T0 + 16 * DAY)
    assert (summary["opened"], summary["reached"], summary["closed"]) == (0, {}, {})
    assert list(CaseStep.objects.values_list("case_id", "step", "due_at", "reached_at")) == before
    assert RemediationCase.objects.filter(registration=reg).count() == 1


def test_steps_still_to_come_follow_a_changed_policy(manager):
    from enforcement.remediation.services import policy_update

    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    policy_update(
        actor=manager,
        values={**_policy(), "one_way_block_days": 10},
        reason="Regulator asked for a shorter first block",
    )
    assert RemediationCase.objects.get(registration=reg).next_due_at == T0 + 10 * DAY
    ladder_advance(now=T0 + 10 * DAY)
    case = RemediationCase.objects.get(registration=reg)
    assert case.steps.get(step=Step.ONE_WAY_BLOCK).due_at == T0 + 10 * DAY
    assert case.steps.get(step=Step.REMINDER).due_at == T0


def _policy():
    policy = LadderPolicy.current()
    return {
        name: getattr(policy, name)
        for name in (
            "reminder_days",
            "one_way_block_days",
            "two_way_block_days",
            "termination_days",
            "suspend_outgoing_hours",
        )
    }


# --- closing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag_status", "reason"),
    [(FlagStatus.RESOLVED, "RECORD_FIXED"), (FlagStatus.DISMISSED, "FLAGS_DISMISSED")],
)
def test_a_case_closes_when_its_flags_no_longer_hold(flag_status, reason):
    # given
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    # when
    Flag.objects.filter(registration=reg).update(status=flag_status)
    summary = ladder_advance(now=T0 + DAY)
    # then
    case = RemediationCase.objects.get(registration=reg)
    assert (case.status, case.close_reason, case.closed_at) == ("CLOSED", reason, T0 + DAY)
    assert (case.next_step, case.next_due_at) == ("", None)
    assert summary["closed"] == {reason: 1}


def test_a_closed_case_climbs_no_further_and_a_new_flag_opens_a_new_case():
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    Flag.objects.filter(registration=reg).update(status=FlagStatus.RESOLVED)
    ladder_advance(now=T0 + DAY)
    ladder_advance(now=T0 + 20 * DAY)
    first = RemediationCase.objects.get(registration=reg)
    assert steps_of(first) == [Step.REMINDER]
    Flag.objects.filter(registration=reg).update(status=FlagStatus.OPEN)
    ladder_advance(now=T0 + 21 * DAY)
    assert RemediationCase.objects.filter(registration=reg).count() == 2
    assert RemediationCase.objects.filter(registration=reg, status="OPEN").get().opened_at == T0 + 21 * DAY


def test_an_anonymised_registration_closes_its_case():
    reg = flagged("INCOMPLETE_RECORD")
    ladder_advance(now=T0)
    reg.anonymised_at = T0
    reg.save(update_fields=["anonymised_at"])
    ladder_advance(now=T0 + DAY)
    assert RemediationCase.objects.get(registration=reg).close_reason == "ANONYMISED"


def test_the_nightly_chain_runs_the_clock_and_says_what_it_did():
    from core.registry import NIGHTLY_STEPS

    step = next(s for s in NIGHTLY_STEPS if s.name == "remediation")
    flagged("POPULATION_MISMATCH")
    summary = step.run(now=T0, actor=None)
    lines = dict(step.describe(summary))
    assert summary["opened"] == 1
    assert lines["Cases opened"] == "1"
    assert lines["Due now: Reminder"] == "1"
