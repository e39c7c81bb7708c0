"""The dashboard's remediation section (issue 16): open cases per step, each linking to the case list that
counts the same cases, and today's steps not yet sent."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from enforcement.remediation.services import ladder_advance
from tests.agents.factories import AgentFactory, PointFactory
from tests.enforcement.remediation.factories import flagged

pytestmark = pytest.mark.django_db


def test_cases_by_step_match_the_case_list_they_link_to(client, make_user):
    # given: a Hà Nội case at the one-way block, one at the reminder, and one in Hồ Chí Minh City
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    sg = PointFactory(agent=AgentFactory(province_code="079"))
    flagged("INCOMPLETE_RECORD", point=hn)
    ladder_advance(now=timezone.now() - dt.timedelta(days=16))
    flagged("INCOMPLETE_RECORD", point=hn)
    flagged("INCOMPLETE_RECORD", point=sg)
    ladder_advance()
    officer = make_user(Role.OFFICER, provinces=["001"], username="hn-officer")
    client.force_login(officer)
    # when
    page = client.get(reverse("reports:dashboard"))
    # then
    rows = {row["step"].value: row["figure"] for row in page.context["remediation_by_step"]}
    assert (rows["REMINDER"].value, rows["ONE_WAY_BLOCK"].value) == (1, 1)
    assert page.context["remediation_open"].value == 2
    assert page.context["remediation_to_send"].value == 3  # the reminders of both and the one-way block
    listed = client.get(rows["ONE_WAY_BLOCK"].url)
    assert listed.context["counts"]["total"] == 1
    assert urlsplit(rows["ONE_WAY_BLOCK"].url).path == reverse("enforcement:remediation_case_list")
    assert 'data-testid="remediation-by-step"' in page.content.decode()
