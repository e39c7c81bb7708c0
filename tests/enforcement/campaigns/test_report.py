"""The monthly report's campaign figures: campaigns open at the month's end, their cases by progress, by
province."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enforcement.campaigns.services import settle_cases
from registrations.models import PopulationCheck
from reports.monthly.figures import Month, compute_figures
from reports.monthly.render import metric_label
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

from .factories import a_campaign

pytestmark = pytest.mark.django_db


def test_the_month_s_figures_count_open_campaigns_and_their_cases_by_progress(manager):
    # given: in Hà Nội a campaign with one re-verified case of three; in TP HCM one with one pending case
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    regs = [RegistrationFactory(point=hn, population_check=PopulationCheck.PENDING) for _ in range(3)]
    a_campaign(point=hn, actor=manager, days=5)
    regs[0].population_check = PopulationCheck.MATCH
    regs[0].save()
    settle_cases(now=timezone.now())
    a_campaign(point=PointFactory(agent=AgentFactory(province_code="079")), regs=1, actor=manager, days=5)
    month = Month.of(timezone.localdate())
    # when
    everywhere = compute_figures(month)
    hanoi = compute_figures(month, ["001"])
    before = compute_figures(month.previous)
    # then
    assert everywhere["campaigns_open"] == 2
    assert [everywhere[f"campaign_cases.{b}"] for b in ("REVERIFIED", "CORRECTED", "TERMINATED", "PENDING")] == [
        1,
        0,
        0,
        3,
    ]
    assert (hanoi["campaigns_open"], hanoi["campaign_cases.PENDING"]) == (1, 2)
    assert (before["campaigns_open"], before["campaign_cases.PENDING"]) == (0, 0)


def test_a_campaign_closed_before_the_month_is_not_in_it(manager):
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    campaign = a_campaign(point=hn, actor=manager)  # nothing to re-verify: closed at once
    campaign.created_at = campaign.closed_at = timezone.now() - dt.timedelta(days=70)
    campaign.save()
    assert compute_figures(Month.of(timezone.localdate()))["campaigns_open"] == 0


def test_the_report_names_the_campaign_figures_in_words():
    assert metric_label("campaign_cases.CORRECTED") == "Campaign subscriptions: Corrected"
    assert metric_label("campaigns_open") == "Re-verification campaigns open at the month's end"


def test_the_report_says_the_campaign_figures_in_a_sentence(client, officer, manager):
    # given: a campaign with two pending cases
    a_campaign(point=PointFactory(agent=AgentFactory(province_code="001")), regs=2, actor=manager)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    # when
    response = client.get(reverse("reports:monthly"), {"month": str(Month.of(timezone.localdate()))})
    # then
    summary = response.context["campaign_summary"]
    assert "open at the month's end: 1." in summary
    assert "still pending on the remediation ladder 2." in summary
    assert summary in response.content.decode().replace("&#x27;", "'")
