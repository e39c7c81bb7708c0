"""Campaign pages: the list's figures match the remediation case list they link to (and queries do not grow),
a campaign's page, the manager's form with clear errors, closing, and refusals by role and province."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from enforcement.campaigns.models import Campaign
from enforcement.campaigns.services import settle_cases
from registrations.models import PopulationCheck
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

from .factories import a_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn_point():
    return PointFactory(agent=AgentFactory(province_code="001"))


def half_done(point, manager):
    """Four cases: one re-verified, one corrected, two pending."""
    regs = [RegistrationFactory(point=point, population_check=PopulationCheck.PENDING) for _ in range(4)]
    campaign = a_campaign(point=point, actor=manager, days=5)
    regs[0].population_check = PopulationCheck.MATCH
    regs[0].save()
    regs[1].gender, regs[1].population_check = "F", PopulationCheck.MATCH
    regs[1].save()
    settle_cases(now=timezone.now())
    return campaign


def test_the_list_s_figures_match_the_case_list_they_link_to_and_queries_do_not_grow(
    client, officer, manager, hn_point, django_assert_max_num_queries
):
    # given
    campaign = half_done(hn_point, manager)
    client.force_login(officer)
    url = reverse("enforcement:campaign_list")
    # when
    with django_assert_max_num_queries(20) as few:
        response = client.get(url)
    for _ in range(3):
        half_done(PointFactory(agent=hn_point.agent), manager)
    with django_assert_max_num_queries(len(few.captured_queries)):
        more = client.get(url)
    # then
    assert response.status_code == 200
    assert more.content.decode().count('data-testid="campaign-row"') == 4
    cases = reverse("enforcement:remediation_case_list")
    for bucket, expected in (("REVERIFIED", 1), ("CORRECTED", 1), ("TERMINATED", 0), ("PENDING", 2)):
        assert f"?campaign={campaign.pk}&amp;progress={bucket}" in response.content.decode()
        listed = client.get(cases, {"campaign": campaign.pk, "progress": bucket})
        assert listed.context["counts"]["total"] == expected, bucket
        assert listed.content.decode().count('data-testid="case-row"') == expected


def test_the_list_filters_and_counts_campaigns_per_status(client, officer, manager, hn_point):
    # given: one open, one closed (nothing to re-verify)
    RegistrationFactory(point=hn_point)
    a_campaign(point=hn_point, actor=manager, days=5)
    a_campaign(point=PointFactory(agent=hn_point.agent), actor=manager, days=5)
    client.force_login(officer)
    # when
    everything = client.get(reverse("enforcement:campaign_list"))
    closed = client.get(reverse("enforcement:campaign_list"), {"status": "CLOSED"})
    # then
    assert everything.context["counts"] == {"open": 1, "closed": 1, "total": 2}
    assert closed.context["counts"]["total"] == 1
    assert closed.content.decode().count('data-testid="campaign-row"') == 1


def test_a_campaign_s_page_shows_its_progress(client, auditor, manager, hn_point):
    campaign = half_done(hn_point, manager)
    client.force_login(auditor)
    response = client.get(reverse("enforcement:campaign_detail", args=[campaign.pk]))
    assert response.status_code == 200
    assert response.context["progress"]["done"] == 50
    assert f"?campaign={campaign.pk}" in response.content.decode()
    assert 'data-testid="close-form"' not in response.content.decode()


def test_another_province_s_campaign_answers_404_to_reads_and_writes(client, make_user, manager, hn_point):
    campaign = half_done(hn_point, manager)
    client.force_login(make_user(Role.MANAGER, provinces=["079"]))
    assert client.get(reverse("enforcement:campaign_detail", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("enforcement:campaign_close", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("api:campaign_detail", args=[campaign.pk])).status_code == 404
    assert 'data-testid="campaign-row"' not in client.get(reverse("enforcement:campaign_list")).content.decode()


def test_a_manager_starts_a_campaign_from_the_form(client, manager, hn_point):
    # given
    RegistrationFactory(point=hn_point)
    client.force_login(manager)
    today = timezone.localdate()
    # when
    response = client.post(
        reverse("enforcement:campaign_create"),
        {
            "subject_type": "POINT",
            "code": hn_point.code,
            "period_from": (today - dt.timedelta(days=10)).isoformat(),
            "period_until": (today + dt.timedelta(days=1)).isoformat(),
            "reason": "Complaints about pre-filled SIMs",
        },
    )
    # then
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enforcement:campaign_detail", args=[campaign.pk])
    assert (campaign.trigger, campaign.matched, campaign.created_by) == ("MANAGER", 1, manager)


def test_the_form_s_bad_input_gets_clear_errors_on_its_fields(client, manager, hn_point):
    client.force_login(manager)
    response = client.post(
        reverse("enforcement:campaign_create"),
        {"subject_type": "AGENT", "code": "NOPE", "period_from": "2026-13-01", "period_until": "", "reason": "x"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "YYYY-MM-DD" in form.errors["period_from"][0]
    assert form.errors["period_until"]
    # a wrong code with valid dates: the service's words, on the code field
    response = client.post(
        reverse("enforcement:campaign_create"),
        {
            "subject_type": "AGENT",
            "code": "NOPE",
            "period_from": "2026-01-01",
            "period_until": "2026-02-01",
            "reason": "short",
        },
    )
    assert "No agent with code NOPE" in response.context["form"].errors["code"][0]
    assert "at least 10 characters" in response.context["form"].errors["reason"][0]
    assert not Campaign.objects.exists()


def test_officers_and_auditors_may_not_start_or_close_campaigns(client, officer, auditor, manager, hn_point):
    campaign = a_campaign(point=hn_point, actor=manager)
    for user in (officer, auditor):
        client.force_login(user)
        assert client.get(reverse("enforcement:campaign_create")).status_code == 403
        assert client.post(reverse("enforcement:campaign_create"), {}).status_code == 403
        assert client.post(reverse("enforcement:campaign_close", args=[campaign.pk])).status_code == 403


def test_a_manager_closes_a_campaign_with_nothing_pending(client, manager, hn_point):
    # given: an open campaign whose one case was re-verified, before the nightly run closed it
    reg = RegistrationFactory(point=hn_point, population_check=PopulationCheck.PENDING)
    campaign = a_campaign(point=hn_point, actor=manager, days=5)
    reg.population_check = PopulationCheck.MATCH
    reg.save()
    settle_cases(now=timezone.now())
    client.force_login(manager)
    assert (
        'data-testid="close-form"'
        in client.get(reverse("enforcement:campaign_detail", args=[campaign.pk])).content.decode()
    )
    # when
    client.post(reverse("enforcement:campaign_close", args=[campaign.pk]))
    # then
    campaign.refresh_from_db()
    assert (campaign.status, campaign.closed_by) == ("CLOSED", manager)


def test_a_campaign_case_s_page_links_back_to_its_campaign(client, officer, manager, hn_point):
    campaign = a_campaign(point=hn_point, actor=manager, regs=1)
    client.force_login(officer)
    response = client.get(reverse("enforcement:remediation_case_detail", args=[campaign.cases.get().pk]))
    assert reverse("enforcement:campaign_detail", args=[campaign.pk]) in response.content.decode()


def test_a_limited_reader_counts_only_the_cases_of_their_provinces_as_the_case_list_does(client, make_user, manager):
    # given: a Hà Nội agent with a point in Hà Nội and one in TP Hồ Chí Minh, two cases in each
    agent = AgentFactory(province_code="001")
    for point in (PointFactory(agent=agent), PointFactory(agent=agent, province_code="079")):
        RegistrationFactory(point=point)
        RegistrationFactory(point=point)
    campaign = a_campaign(agent=agent, actor=manager, days=5)
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # when
    page = client.get(reverse("enforcement:campaign_detail", args=[campaign.pk]))
    cases = client.get(reverse("enforcement:remediation_case_list"), {"campaign": campaign.pk})
    # then
    assert page.context["progress"]["total"] == cases.context["counts"]["total"] == 2
    assert campaign.cases.count() == 4


def test_the_event_and_the_nightly_step_are_registered():
    from core.events import EVENT_TYPES
    from core.registry import NIGHTLY_STEPS

    assert "campaign.progress" in EVENT_TYPES
    names = [step.name for step in NIGHTLY_STEPS]
    assert names.index("campaigns") > names.index("remediation")  # counts the cases the ladder just closed


def test_the_dashboard_counts_open_campaigns_and_pending_subscriptions_as_the_lists_they_link_to(
    client, officer, manager, hn_point
):
    # given: a half-done campaign (two pending) and a closed one
    half_done(hn_point, manager)
    a_campaign(point=PointFactory(agent=hn_point.agent), actor=manager)
    client.force_login(officer)
    # when
    context = client.get(reverse("reports:dashboard")).context
    # then
    campaigns, pending = context["campaigns_open"], context["campaign_cases_pending"]
    assert (campaigns.value, pending.value) == (1, 2)
    assert client.get(campaigns.url).context["counts"]["total"] == 1
    assert client.get(pending.url).context["counts"]["total"] == 2
