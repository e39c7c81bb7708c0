"""Withdrawing a campaign started by mistake: its open cases close WITHDRAWN, what was sent stays, the
campaign shows who, when and why, audited; the page and the API, managers of its province only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from enforcement.campaigns.models import Campaign
from enforcement.campaigns.progress import Progress, counts_by_campaign, done_share
from enforcement.campaigns.services import campaign_withdraw, settle_cases
from enforcement.remediation.models import CaseStep, ListIssue, RemediationCase, Step
from enforcement.remediation.services import ladder_advance, list_issue, unsent_steps
from registrations.models import PopulationCheck
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

from .factories import a_campaign

pytestmark = pytest.mark.django_db

REASON = "Started on the wrong point by mistake"


@pytest.fixture
def hanoi():
    return PointFactory(agent=AgentFactory(province_code="001"))


def _campaign_with_three_cases(hanoi, manager):
    """Three cases: one re-verified, one whose reminder went out on a list, one untouched."""
    regs = [RegistrationFactory(point=hanoi, population_check=PopulationCheck.PENDING) for _ in range(3)]
    campaign = a_campaign(point=hanoi, actor=manager, days=5)
    regs[0].population_check = PopulationCheck.MATCH
    regs[0].save()
    settle_cases(now=timezone.now())
    ladder_advance(now=timezone.now())
    sent = CaseStep.objects.get(case__registration=regs[1], step=Step.REMINDER)
    list_issue(
        actor=manager, step=Step.REMINDER, day=timezone.localdate(), channel=ListIssue.Channel.PAGE, ids=[sent.pk]
    )
    return campaign, regs, sent


def test_withdrawing_closes_the_open_cases_and_keeps_what_was_sent(hanoi, manager):
    # given
    campaign, regs, sent = _campaign_with_three_cases(hanoi, manager)
    # when
    campaign_withdraw(campaign=campaign, actor=manager, reason=f"  {REASON}  ")
    # then
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.WITHDRAWN
    assert (campaign.closed_by, campaign.withdraw_reason) == (manager, REASON)
    assert campaign.closed_at is not None
    reasons = {c.registration_id: c.close_reason for c in campaign.cases.all()}
    assert reasons == {regs[0].pk: "REVERIFIED", regs[1].pk: "WITHDRAWN", regs[2].pk: "WITHDRAWN"}
    assert not campaign.cases.filter(status=RemediationCase.Status.OPEN).exists()
    sent.refresh_from_db()
    assert sent.issue_id is not None  # the step that went out stays on its list issue
    assert not unsent_steps(user=manager, step=Step.REMINDER, day=timezone.localdate()).filter(case__campaign=campaign)
    event = AuditEvent.objects.get(action="campaign.withdraw")
    assert (event.reason, event.fields["withdrawn_cases"]) == (REASON, 2)


def test_withdrawn_cases_are_their_own_bucket_and_count_as_done(hanoi, manager):
    campaign, _regs, _sent = _campaign_with_three_cases(hanoi, manager)
    campaign_withdraw(campaign=campaign, actor=manager, reason=REASON)
    counts = counts_by_campaign(RemediationCase.objects.all())[campaign.pk]
    assert {b: counts[b] for b in Progress.values} == {
        "REVERIFIED": 1,
        "CORRECTED": 0,
        "TERMINATED": 0,
        "PENDING": 0,
        "WITHDRAWN": 2,
    }
    assert sum(counts[b] for b in Progress.values) == counts["total"] == 3
    assert done_share(counts) == 100


def test_an_outcome_reported_after_the_withdrawal_is_still_recorded(hanoi, manager, django_capture_on_commit_callbacks):
    from enforcement.remediation.outcomes import outcomes_run, outcomes_submit_rows

    campaign, regs, sent = _campaign_with_three_cases(hanoi, manager)
    campaign_withdraw(campaign=campaign, actor=manager, reason=REASON)
    done_at = timezone.localtime(sent.due_at).isoformat()
    row = {"external_id": regs[1].external_id, "step": "REMINDER", "outcome": "DONE", "done_at": done_at}
    with django_capture_on_commit_callbacks(execute=False):
        job = outcomes_submit_rows(actor=manager, rows=[row])
    outcomes_run(job_id=job.pk)
    sent.refresh_from_db()
    assert sent.outcome == "DONE"


@pytest.mark.parametrize("reason", ["", "too short"])
def test_a_reason_is_required(hanoi, manager, reason):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    with pytest.raises(ValidationError) as exc:
        campaign_withdraw(campaign=campaign, actor=manager, reason=reason)
    assert "reason" in exc.value.message_dict
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN


def test_only_an_open_campaign_can_be_withdrawn(hanoi, manager):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    campaign_withdraw(campaign=campaign, actor=manager, reason=REASON)
    with pytest.raises(ValidationError):
        campaign_withdraw(campaign=campaign, actor=manager, reason=REASON)


# --- the page --------------------------------------------------------------------------------------------


def test_the_page_shows_the_form_to_a_manager_and_the_withdrawal_after(client, hanoi, manager):
    campaign = a_campaign(point=hanoi, regs=2, actor=manager)
    client.force_login(manager)
    page = client.get(reverse("enforcement:campaign_detail", args=[campaign.pk]))
    assert b'data-testid="withdraw-form"' in page.content

    response = client.post(reverse("enforcement:campaign_withdraw", args=[campaign.pk]), {"reason": REASON})

    assert response.status_code == 302
    after = client.get(reverse("enforcement:campaign_detail", args=[campaign.pk]))
    assert b'data-testid="withdraw-form"' not in after.content
    assert REASON in after.content.decode()
    assert b'data-testid="withdrawn"' in after.content


def test_the_page_refuses_a_withdrawal_without_a_reason(client, hanoi, manager):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    client.force_login(manager)
    response = client.post(reverse("enforcement:campaign_withdraw", args=[campaign.pk]), {"reason": " "})
    assert response.status_code == 400
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR])
def test_other_roles_may_not_withdraw_and_see_no_form(client, hanoi, manager, make_user, role):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    client.force_login(make_user(role, provinces=["001"]))
    response = client.post(reverse("enforcement:campaign_withdraw", args=[campaign.pk]), {"reason": REASON})
    assert response.status_code == 403
    page = client.get(reverse("enforcement:campaign_detail", args=[campaign.pk]))
    assert b'data-testid="withdraw-form"' not in page.content
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN


def test_a_manager_of_another_province_gets_404(client, hanoi, manager, make_user):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    client.force_login(make_user(Role.MANAGER, provinces=["079"]))
    response = client.post(reverse("enforcement:campaign_withdraw", args=[campaign.pk]), {"reason": REASON})
    assert response.status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_withdraws_and_answers_the_campaign(api, hanoi, manager):
    campaign = a_campaign(point=hanoi, regs=2, actor=manager)
    api.force_authenticate(manager)
    response = api.post(reverse("api:campaign_withdraw", args=[campaign.pk]), {"reason": REASON}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["withdraw_reason"]) == ("WITHDRAWN", REASON)
    assert (body["progress"]["WITHDRAWN"], body["progress"]["PENDING"], body["progress"]["done"]) == (2, 0, 100)
    again = api.post(reverse("api:campaign_withdraw", args=[campaign.pk]), {"reason": REASON}, format="json")
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("role", "provinces", "status"),
    [
        (Role.OFFICER, None, 403),
        (Role.AUDITOR, None, 403),
        (Role.INTEGRATION, None, 403),
        (Role.MANAGER, ["079"], 404),
    ],
)
def test_the_api_refuses_other_roles_and_provinces(api, hanoi, manager, make_user, role, provinces, status):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    api.force_authenticate(make_user(role, provinces=provinces))
    response = api.post(reverse("api:campaign_withdraw", args=[campaign.pk]), {"reason": REASON}, format="json")
    assert response.status_code == status
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN


def test_the_api_refuses_a_missing_reason(api, hanoi, manager):
    campaign = a_campaign(point=hanoi, regs=1, actor=manager)
    api.force_authenticate(manager)
    assert api.post(reverse("api:campaign_withdraw", args=[campaign.pk]), {}, format="json").status_code == 400
    assert (
        api.post(reverse("api:campaign_withdraw", args=[campaign.pk]), {"reason": "x"}, format="json").status_code
        == 400
    )
