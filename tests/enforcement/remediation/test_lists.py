"""The step lists: per step and local day, what is due and not yet sent; issuing one sends each case step
once (a second issue or download does not hold it again); scoped by province."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from core.roles import Role
from enforcement.remediation.models import CaseStep, ListIssue, Step
from enforcement.remediation.services import ladder_advance, list_issue, unsent_steps
from tests.agents.factories import AgentFactory, PointFactory

from .factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=HCM)
DAY = dt.timedelta(days=1)


@pytest.fixture
def points():
    return {
        "hn": PointFactory(agent=AgentFactory(province_code="001")),
        "sg": PointFactory(agent=AgentFactory(province_code="079")),
    }


def test_issuing_a_list_sends_each_case_step_once(officer, points):
    # given: two reminders due today
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    flagged("UNVERIFIED_IDENTITY", point=points["sg"])
    ladder_advance(now=T0)
    today = T0.date()
    assert unsent_steps(user=officer, step=Step.REMINDER, day=today).count() == 2
    # when
    issue = list_issue(actor=officer, step=Step.REMINDER, day=today, channel="PAGE")
    # then: the list is empty, and issuing again sends nothing
    assert issue.count == 2
    assert set(CaseStep.objects.values_list("issue_id", flat=True)) == {issue.pk}
    assert unsent_steps(user=officer, step=Step.REMINDER, day=today).count() == 0
    with pytest.raises(ValidationError):
        list_issue(actor=officer, step=Step.REMINDER, day=today, channel="PAGE")
    assert ListIssue.objects.count() == 1
    event = AuditEvent.objects.get(action="remediation.list_issue")
    assert event.fields["count"] == 2


def test_a_case_that_comes_due_after_the_list_was_shown_waits_for_the_next_list(officer, points):
    # given: the page showed one reminder (up to its id); another came due since
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0)
    shown = CaseStep.objects.get().pk
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0 + dt.timedelta(minutes=15))
    # when
    issue = list_issue(actor=officer, step=Step.REMINDER, day=T0.date(), channel="PAGE", up_to=shown)
    # then
    assert issue.count == 1
    remaining = unsent_steps(user=officer, step=Step.REMINDER, day=T0.date())
    assert remaining.count() == 1
    assert remaining.get().pk != shown


def test_the_api_marks_exactly_the_ids_it_sent(officer, points):
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0)
    first, second = CaseStep.objects.order_by("pk")
    issue = list_issue(actor=officer, step=Step.REMINDER, day=T0.date(), channel="API", ids=[first.pk])
    assert list(issue.steps.values_list("pk", flat=True)) == [first.pk]
    second.refresh_from_db()
    assert second.issue_id is None


def test_a_days_list_holds_steps_due_by_its_end_and_earlier_ones_not_sent(officer, points):
    # given: a one-way block due on 17 March at 09:30 local
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0)
    ladder_advance(now=T0 + 15 * DAY)
    due_day = (T0 + 15 * DAY).date()
    # then: not on 16 March's list, on 17 March's and on the 18th's (not sent yet)
    for day, expected in ((due_day - DAY, 0), (due_day, 1), (due_day + DAY, 1)):
        assert unsent_steps(user=officer, step=Step.ONE_WAY_BLOCK, day=day).count() == expected, day


def test_an_officer_of_one_province_lists_and_sends_only_its_cases(make_user, points):
    # given
    hanoi = make_user(Role.OFFICER, provinces=["001"], username="hanoi-officer")
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    flagged("INCOMPLETE_RECORD", point=points["sg"])
    flagged("INCOMPLETE_RECORD", app=True)
    ladder_advance(now=T0)
    # when
    issue = list_issue(actor=hanoi, step=Step.REMINDER, day=T0.date(), channel="PAGE")
    # then
    assert issue.count == 1
    assert issue.provinces == ["001"]
    assert issue.steps.get().case.registration.point == points["hn"]
    assert CaseStep.objects.filter(issue__isnull=True).count() == 2


def test_auditors_cannot_issue_lists(auditor, points):
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0)
    with pytest.raises(PermissionDenied):
        list_issue(actor=auditor, step=Step.REMINDER, day=T0.date(), channel="PAGE")
    assert not ListIssue.objects.exists()


def test_closed_cases_leave_the_lists(officer, points):
    from registrations.models import Flag, FlagStatus

    reg = flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=T0)
    Flag.objects.filter(registration=reg).update(status=FlagStatus.RESOLVED)
    ladder_advance(now=T0 + dt.timedelta(hours=1))
    assert unsent_steps(user=officer, step=Step.REMINDER, day=T0.date()).count() == 0


def test_the_clock_announces_lists_ready_with_counts_only(django_capture_on_commit_callbacks, points):
    from core import events

    heard = []
    events.subscribe(heard_handler := lambda kind, data: heard.append((kind, data)))
    try:
        flagged("POPULATION_MISMATCH", point=points["hn"])
        with django_capture_on_commit_callbacks(execute=True):
            ladder_advance(now=T0)
        with django_capture_on_commit_callbacks(execute=True):
            ladder_advance(now=T0 + dt.timedelta(minutes=5))  # nothing new came due: no event
    finally:
        events.SUBSCRIBERS.remove(heard_handler)
    assert heard == [
        (
            "remediation.lists_ready",
            {"at": T0.isoformat(), "day": "2026-03-02", "counts": {"REMINDER": 1}, "total": 1},
        )
    ]


@pytest.mark.parametrize(
    ("opened", "on_first", "on_second"),
    [
        (dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=HCM), 1, 1),  # due before local midnight: 1 March's list
        (dt.datetime(2026, 3, 2, 0, 0, tzinfo=HCM), 0, 1),  # due at local midnight (17:00 UTC): 2 March's
    ],
)
def test_a_days_list_ends_at_local_midnight(officer, points, opened, on_first, on_second):
    flagged("INCOMPLETE_RECORD", point=points["hn"])
    ladder_advance(now=opened)
    first, second = dt.date(2026, 3, 1), dt.date(2026, 3, 2)
    assert unsent_steps(user=officer, step=Step.REMINDER, day=first).count() == on_first
    assert unsent_steps(user=officer, step=Step.REMINDER, day=second).count() == on_second
