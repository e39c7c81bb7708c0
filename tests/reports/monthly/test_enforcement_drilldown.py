"""The monthly report's remediation and campaign figures (issue 16) each link to a list that counts exactly
the rows the figure counts, for a user with every province and for one limited to Hà Nội."""

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.roles import Role
from enforcement.campaigns.services import campaign_withdraw, settle_cases
from enforcement.remediation.models import CaseStep, Step
from enforcement.remediation.services import ladder_advance
from registrations.models import PopulationCheck
from reports.monthly.figures import METRIC_CODES, Month
from reports.monthly.links import drill_links
from reports.monthly.selectors import month_figures
from tests.agents.factories import AgentFactory, PointFactory
from tests.enforcement.campaigns.factories import a_campaign
from tests.enforcement.remediation.factories import flagged
from tests.registrations.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
USERS = {"all": None, "hanoi": ["001"]}
REMEDIATION = [c for c in METRIC_CODES if c.startswith("remediation_")]
CAMPAIGNS = [c for c in METRIC_CODES if c.startswith("campaign")]


def listed(client, url) -> int:
    """How many rows the list behind `url` holds (its own total), checked against the rows it shows."""
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, url
    context = response.context
    total = context["total"] if "total" in context else context["counts"]["total"]
    assert len(context["page"].items) == total, url  # every scene here fits on one page
    return total


def _remediation_scene():
    """March 2026: cases in Hà Nội, TP HCM and from the app, one opened in February; steps done on time, late,
    and two steps of one case in the month (so steps and cases differ)."""
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    sg = PointFactory(agent=AgentFactory(province_code="079"))
    flagged("INCOMPLETE_RECORD", point=hn, external_id="FEB")
    ladder_advance(now=dt.datetime(2026, 2, 20, 10, 0, tzinfo=HCM))  # one-way block due 7 March
    flagged("INCOMPLETE_RECORD", point=hn, external_id="HN")
    flagged("POPULATION_MISMATCH", point=hn, external_id="HN-POP")
    flagged("POPULATION_MISMATCH", point=sg, external_id="SG")
    flagged("POPULATION_MISMATCH", app=True, external_id="APP")
    ladder_advance(now=dt.datetime(2026, 3, 10, 9, 0, tzinfo=HCM))
    ladder_advance(now=dt.datetime(2026, 4, 2, tzinfo=HCM))
    late = dt.timedelta(hours=5)
    for external_id, step, delay in [
        ("FEB", Step.ONE_WAY_BLOCK, dt.timedelta(0)),  # exactly at its due time: on time
        ("HN", Step.REMINDER, late),
        ("HN-POP", Step.REMINDER, dt.timedelta(0)),
        ("HN-POP", Step.SUSPEND_OUTGOING, -dt.timedelta(minutes=30)),  # two steps of one case on time
        ("SG", Step.REMINDER, dt.timedelta(0)),
        ("SG", Step.SUSPEND_OUTGOING, late),
        ("APP", Step.REMINDER, late),
    ]:
        s = CaseStep.objects.get(case__registration__external_id=external_id, step=step)
        s.outcome, s.done_at = "DONE", s.due_at + delay
        s.save()
    CaseStep.objects.filter(case__registration__external_id="FEB", step=Step.REMINDER).update(outcome="FAILED")


@pytest.mark.parametrize("who", USERS)
def test_each_remediation_figure_s_link_counts_what_the_figure_counts(client, make_user, who):
    # given
    _remediation_scene()
    user = make_user(Role.MANAGER, provinces=USERS[who])
    client.force_login(user)
    month = Month.parse("2026-03")
    # when
    scope, figures = month_figures(user, month, [])
    links = drill_links(month, scope)
    # then
    for code in REMEDIATION:
        assert listed(client, links[code]) == figures[code], code
    # the scene tells the figures apart: steps vs cases, on time vs late, provinces
    if who == "all":
        assert (figures["remediation_steps_on_time"], figures["remediation_steps_late"]) == (4, 3)
        assert figures["remediation_cases_opened"] == 4
    else:
        assert (figures["remediation_steps_on_time"], figures["remediation_steps_late"]) == (3, 1)
        assert figures["remediation_cases.SUSPEND_OUTGOING"] == 1


def _campaign_scene(manager):
    """This month: a Hà Nội point's campaign (one case re-verified), a Hà Nội agent's campaign whose
    registrations are at points in Hà Nội and TP HCM, and a TP HCM campaign withdrawn."""
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    regs = [RegistrationFactory(point=hn, population_check=PopulationCheck.PENDING) for _ in range(3)]
    a_campaign(point=hn, actor=manager, days=5)
    regs[0].population_check = PopulationCheck.MATCH
    regs[0].save()
    settle_cases(now=timezone.now())
    agent = AgentFactory(province_code="001")
    RegistrationFactory(point=PointFactory(agent=agent, province_code="001"))
    RegistrationFactory(point=PointFactory(agent=agent, province_code="079"))
    a_campaign(agent=agent, actor=manager, days=5)
    mistaken = a_campaign(point=PointFactory(agent=AgentFactory(province_code="079")), regs=2, actor=manager)
    campaign_withdraw(campaign=mistaken, actor=manager, reason="Started on the wrong point")


@pytest.mark.parametrize("who", USERS)
def test_each_campaign_figure_s_link_counts_what_the_figure_counts(client, make_user, manager, who):
    # given
    _campaign_scene(manager)
    user = make_user(Role.MANAGER, provinces=USERS[who])
    client.force_login(user)
    month = Month.of(timezone.localdate())
    # when
    scope, figures = month_figures(user, month, [])
    links = drill_links(month, scope)
    # then
    for code in CAMPAIGNS:
        assert listed(client, links[code]) == figures[code], code
    expected = {"all": (2, 1, 4, 2), "hanoi": (2, 1, 3, 0)}[who]  # the agent's TP HCM case: "all" only
    got = ("campaigns_open", "campaign_cases.REVERIFIED", "campaign_cases.PENDING", "campaign_cases.WITHDRAWN")
    assert tuple(figures[c] for c in got) == expected


def test_a_month_s_links_leave_out_a_campaign_withdrawn_before_it(client, manager):
    mistaken = a_campaign(point=PointFactory(agent=AgentFactory(province_code="001")), regs=1, actor=manager)
    campaign_withdraw(campaign=mistaken, actor=manager, reason="Started on the wrong point")
    client.force_login(manager)
    month = Month.of(timezone.localdate()).next
    scope, figures = month_figures(manager, month, [])
    links = drill_links(month, scope)
    assert figures["campaign_cases.WITHDRAWN"] == listed(client, links["campaign_cases.WITHDRAWN"]) == 0


def test_the_report_page_links_the_figures(client, manager):
    _remediation_scene()
    client.force_login(manager)
    page = client.get("/reports/monthly/", {"month": "2026-03"}).content.decode()
    for code in ("remediation_cases_opened", "remediation_steps_late", "campaigns_open", "campaign_cases.PENDING"):
        assert f'data-testid="drill-{code}"' in page, code
