"""Campaign services: which subscriptions a campaign puts on the ladder (set-based, idempotent), automatic
campaigns on termination (never two for one), how cases settle and the counts per campaign."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agents.services import agent_terminate, point_terminate
from core.models import AuditEvent
from core.roles import Role
from enforcement.campaigns.models import Campaign
from enforcement.campaigns.progress import Progress, counts_by_campaign
from enforcement.campaigns.services import (
    announce_progress,
    campaign_close,
    campaigns_for_terminations,
    close_finished,
    nightly_campaigns,
    settle_cases,
)
from enforcement.remediation.models import RemediationCase
from enforcement.remediation.services import ladder_advance
from registrations.models import PopulationCheck, RegistrationStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

from .factories import a_campaign, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PointFactory(agent=AgentFactory(province_code="001"))


def test_a_campaign_puts_the_period_s_live_subscriptions_of_its_point_on_the_ladder(point, manager):
    # given: in the period two live ones, one cancelled, one anonymised; one before the period; one elsewhere
    live = [RegistrationFactory(point=point, registered_at=days_ago(d)) for d in (3, 20)]
    RegistrationFactory(point=point, registered_at=days_ago(5), status=RegistrationStatus.CANCELLED)
    RegistrationFactory(point=point, registered_at=days_ago(6), anonymised_at=timezone.now())
    RegistrationFactory(point=point, registered_at=days_ago(60))
    RegistrationFactory(registered_at=days_ago(4))
    # when
    campaign = a_campaign(point=point, actor=manager, days=30)
    # then
    cases = RemediationCase.objects.filter(campaign=campaign)
    assert sorted(c.registration_id for c in cases) == sorted(r.pk for r in live)
    assert {(c.source, c.status) for c in cases} == {("CAMPAIGN", "OPEN")}
    assert (campaign.matched, campaign.skipped, campaign.status) == (2, 0, "OPEN")
    assert AuditEvent.objects.filter(action="campaign.create").count() == 1


def test_an_agent_s_campaign_covers_the_registrations_of_all_its_points(manager):
    # given
    agent = AgentFactory(province_code="001")
    a, b = PointFactory(agent=agent), PointFactory(agent=agent, province_code="079")
    mine = [RegistrationFactory(point=a), RegistrationFactory(point=b)]
    RegistrationFactory()  # another agent's
    # when
    campaign = a_campaign(agent=agent, actor=manager)
    # then
    assert set(campaign.cases.values_list("registration_id", flat=True)) == {r.pk for r in mine}


def test_a_registration_already_on_the_ladder_is_skipped_not_given_a_second_case(point, manager):
    # given: one registration with an open flag case, one with an earlier campaign's case
    flagged_reg = RegistrationFactory(point=point)
    RemediationCase.objects.create(registration=flagged_reg, track="RECORD", opened_at=timezone.now())
    first = a_campaign(point=point, actor=manager, days=5, regs=1)
    RegistrationFactory(point=point)
    # when: a second campaign over the same registrations
    second = a_campaign(point=point, actor=manager, days=5)
    # then: only the new registration is on the second; the others skipped, never a second open case
    assert (first.matched, first.skipped) == (2, 1)
    assert (second.matched, second.skipped, second.cases.count()) == (3, 2, 1)
    assert RemediationCase.objects.filter(status="OPEN").count() == 3


def test_a_campaign_with_nothing_to_re_verify_is_closed_at_once(point, manager):
    # when
    campaign = a_campaign(point=point, actor=manager)
    # then
    assert (campaign.matched, campaign.status) == (0, "CLOSED")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "NOPE", "No point with code NOPE"),
        ("reason", "short", "at least 10 characters"),
        ("period_until", "same", "must end after it starts"),
    ],
)
def test_a_campaign_form_s_bad_input_gets_a_clear_error_and_writes_nothing(point, manager, field, value, message):
    from enforcement.campaigns.services import campaign_create

    # given
    today = timezone.localdate()
    args = {
        "subject_type": "POINT",
        "code": point.code,
        "period_from": today - dt.timedelta(days=10),
        "period_until": today,
        "reason": "Point closed for fraud",
    }
    args[field] = args["period_from"] if value == "same" else value
    # when
    with pytest.raises(ValidationError) as error:
        campaign_create(actor=manager, **args)
    # then
    assert message in str(error.value.message_dict[field])
    assert not Campaign.objects.exists()


def test_only_a_manager_in_the_subject_s_province_may_start_a_campaign(point, officer, make_user):
    from enforcement.campaigns.services import campaign_create

    saigon_manager = make_user(Role.MANAGER, provinces=["079"])
    today = timezone.localdate()
    args = {"subject_type": "POINT", "code": point.code, "period_from": today, "period_until": today}
    args["period_until"] = today + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):
        campaign_create(actor=officer, reason="Officers may not", **args)
    with pytest.raises(ValidationError) as error:
        campaign_create(actor=saigon_manager, reason="Not in my provinces", **args)
    assert "No point with code" in str(error.value)
    assert not Campaign.objects.exists()


def test_terminating_an_agent_starts_one_campaign_over_the_default_days_never_two(settings, manager):
    # given: an agent with points, terminated with its points (the cascade)
    settings.CAMPAIGN_DEFAULT_DAYS = 30
    agent = AgentFactory(province_code="001")
    p = PointFactory(agent=agent)
    inside, outside = (
        RegistrationFactory(point=p, registered_at=days_ago(10)),
        RegistrationFactory(point=p, registered_at=days_ago(40)),
    )
    agent_terminate(agent=agent, reason="Pre-activated SIMs found", actor=manager, include_points=True)
    # when: the sweep runs twice
    first = campaigns_for_terminations()
    again = campaigns_for_terminations()
    # then: one campaign, for the agent (its points' terminations are covered by it)
    assert again == []
    assert [(c.subject_type, c.trigger, c.agent_id) for c in first] == [("AGENT", "TERMINATION", agent.pk)]
    campaign = first[0]
    assert campaign.period_until - campaign.period_from == dt.timedelta(days=31)
    assert list(campaign.cases.values_list("registration_id", flat=True)) == [inside.pk]
    assert outside.remediation_cases.count() == 0


def test_terminating_a_point_alone_starts_a_campaign_for_the_point(manager, point):
    # given
    RegistrationFactory(point=point)
    point_terminate(point=point, reason="Signboard missing, twice", actor=manager)
    # when
    started = campaigns_for_terminations()
    # then
    assert [(c.subject_type, c.point_id) for c in started] == [("POINT", point.pk)]


def _settle_scene(point, manager):
    """Five cases: one re-checked to MATCH, one corrected, one terminated by the operator, two pending."""
    regs = [RegistrationFactory(point=point, population_check=PopulationCheck.PENDING) for _ in range(4)]
    regs.append(RegistrationFactory(point=point, population_check=PopulationCheck.MATCH))
    campaign = a_campaign(point=point, actor=manager, days=5)
    reverified, corrected, terminated, pending_1, pending_2 = regs
    reverified.population_check = PopulationCheck.MATCH
    reverified.save()
    corrected.name_key, corrected.population_check = "nguyen van binh", PopulationCheck.MATCH
    corrected.save()
    case = terminated.remediation_cases.get()
    case.status, case.close_reason, case.closed_at = "CLOSED", "TERMINATED", timezone.now()
    case.save()
    return campaign, regs


def test_cases_settle_as_re_verified_corrected_terminated_or_pending(point, manager):
    # given
    campaign, regs = _settle_scene(point, manager)
    # when
    settled = settle_cases(now=timezone.now() + dt.timedelta(minutes=1))
    # then
    assert settled == {"CORRECTED": 1, "REVERIFIED": 1}
    reasons = [r.remediation_cases.get().close_reason for r in regs]
    assert reasons == ["REVERIFIED", "CORRECTED", "TERMINATED", "", ""]
    counts = counts_by_campaign(RemediationCase.objects.all())[campaign.pk]
    assert counts == {"REVERIFIED": 1, "CORRECTED": 1, "TERMINATED": 1, "PENDING": 2, "WITHDRAWN": 0, "total": 5}


def test_a_match_that_was_already_there_and_never_re_sent_is_not_re_verification(point, manager):
    # given: matched before the campaign, nothing imported since
    RegistrationFactory(point=point, population_check=PopulationCheck.MATCH)
    campaign = a_campaign(point=point, actor=manager, days=5)
    # when
    settle_cases(now=timezone.now())
    # then
    assert counts_by_campaign(campaign.cases.all())[campaign.pk][Progress.PENDING] == 1


def test_a_changed_identity_still_unverified_stays_pending(point, manager):
    reg = RegistrationFactory(point=point, population_check=PopulationCheck.MISMATCH)
    campaign = a_campaign(point=point, actor=manager, days=5)
    reg.date_of_birth, reg.population_check = dt.date(1991, 1, 1), PopulationCheck.PENDING
    reg.save()
    settle_cases(now=timezone.now())
    assert campaign.cases.get().status == "OPEN"


def test_the_ladder_and_a_flag_free_campaign_case_get_along(point, manager):
    # given: a campaign case has no flags: the ladder must not close it as "flags gone"
    RegistrationFactory(point=point, population_check=PopulationCheck.PENDING)
    campaign = a_campaign(point=point, actor=manager, days=5)
    # when
    ladder_advance(now=timezone.now() + dt.timedelta(minutes=1))
    # then: still open, its reminder due
    case = campaign.cases.get()
    assert (case.status, case.current_step) == ("OPEN", "REMINDER")


def test_a_campaign_closes_when_no_case_is_pending_and_a_manager_may_not_close_it_before(point, manager):
    # given
    reg = RegistrationFactory(point=point, population_check=PopulationCheck.PENDING)
    campaign = a_campaign(point=point, actor=manager, days=5)
    with pytest.raises(ValidationError):
        campaign_close(campaign=campaign, actor=manager)
    # when: re-verified, settled
    reg.population_check = PopulationCheck.MATCH
    reg.save()
    settle_cases(now=timezone.now())
    closed = close_finished(now=timezone.now())
    # then
    campaign.refresh_from_db()
    assert (closed, campaign.status) == (1, "CLOSED")


def test_progress_is_announced_when_it_changes_at_most_once_a_day(point, manager, monkeypatch):
    # given
    sent = []
    monkeypatch.setattr("core.events.publish", lambda kind, data: sent.append((kind, data)))
    reg = RegistrationFactory(point=point, population_check=PopulationCheck.PENDING)
    RegistrationFactory(point=point, population_check=PopulationCheck.PENDING)
    campaign = a_campaign(point=point, actor=manager, days=5)
    now = timezone.now()
    # when: announced, then progress changes the same day, then the next day
    assert announce_progress(now=now) == 1
    reg.population_check = PopulationCheck.MATCH
    reg.save()
    settle_cases(now=now)
    same_day = announce_progress(now=now)
    next_day = announce_progress(now=now + dt.timedelta(days=1))
    # then
    assert (same_day, next_day) == (0, 1)
    assert [d["counts"]["REVERIFIED"] for _k, d in sent] == [0, 1]
    assert sent[0][0] == "campaign.progress"
    assert set(sent[0][1]) == {
        "at",
        "campaign",
        "subject",
        "code",
        "province",
        "period_from",
        "period_until",
        "status",
        "counts",
    }
    assert sent[0][1]["campaign"] == campaign.pk


def test_the_nightly_step_starts_settles_and_announces(manager, point, monkeypatch):
    monkeypatch.setattr("core.events.publish", lambda kind, data: None)
    RegistrationFactory(point=point)
    point_terminate(point=point, reason="Closed after inspection", actor=manager)
    summary = nightly_campaigns(now=timezone.now() + dt.timedelta(minutes=1))
    assert (summary["started"], summary["announced"]) == (1, 1)


def test_blank_identity_fields_that_stay_blank_are_not_a_correction(point, manager):
    # given: no date of birth, no gender, before and after
    reg = RegistrationFactory(
        point=point, population_check=PopulationCheck.PENDING, date_of_birth=None, gender="", id_doc_number="X1"
    )
    campaign = a_campaign(point=point, actor=manager, days=5)
    reg.population_check = PopulationCheck.MATCH
    reg.save()
    # when
    settle_cases(now=timezone.now())
    # then
    assert campaign.cases.get().close_reason == "REVERIFIED"


def test_a_birth_date_given_where_there_was_none_is_a_correction(point, manager):
    reg = RegistrationFactory(
        point=point, population_check=PopulationCheck.PENDING, date_of_birth=None, id_doc_number="X2"
    )
    campaign = a_campaign(point=point, actor=manager, days=5)
    reg.date_of_birth, reg.population_check = dt.date(1990, 5, 17), PopulationCheck.MATCH
    reg.save()
    settle_cases(now=timezone.now())
    assert campaign.cases.get().close_reason == "CORRECTED"
