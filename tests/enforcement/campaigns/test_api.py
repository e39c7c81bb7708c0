"""The campaigns' read-only API: list and detail with progress, scoped by province."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from enforcement.campaigns.services import settle_cases
from registrations.models import PopulationCheck
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

from .factories import a_campaign

pytestmark = pytest.mark.django_db


def test_the_api_lists_campaigns_of_your_provinces_with_their_progress(api, make_user, manager):
    # given: one in Hà Nội with one re-verified case of two, one in TP Hồ Chí Minh
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    regs = [RegistrationFactory(point=hn, population_check=PopulationCheck.PENDING) for _ in range(2)]
    mine = a_campaign(point=hn, actor=manager, days=5)
    regs[0].population_check = PopulationCheck.MATCH
    regs[0].save()
    settle_cases(now=timezone.now())
    a_campaign(point=PointFactory(agent=AgentFactory(province_code="079")), regs=1, actor=manager)
    api.force_authenticate(make_user(Role.INTEGRATION, provinces=["001"]))
    # when
    listed = api.get(reverse("api:campaign_list"))
    one = api.get(reverse("api:campaign_detail", args=[mine.pk]))
    # then
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["results"]] == [mine.pk]
    assert one.json()["progress"] == {
        "REVERIFIED": 1,
        "CORRECTED": 0,
        "TERMINATED": 0,
        "PENDING": 1,
        "WITHDRAWN": 0,
        "total": 2,
        "done": 50,
    }
    assert one.json()["code"] == hn.code


def test_the_api_refuses_a_blank_filter_and_an_inspector(api, make_user):
    api.force_authenticate(make_user(Role.OFFICER))
    assert api.get(reverse("api:campaign_list"), {"status": ""}).status_code == 400
    api.force_authenticate(make_user(Role.INSPECTOR))
    assert api.get(reverse("api:campaign_list")).status_code == 403


def test_the_api_list_s_queries_do_not_grow_with_campaigns(api, officer, manager, django_assert_max_num_queries):
    point = PointFactory(agent=AgentFactory(province_code="001"))
    a_campaign(point=point, regs=2, actor=manager)
    api.force_authenticate(officer)
    with django_assert_max_num_queries(20) as few:
        api.get(reverse("api:campaign_list"))
    for _ in range(3):
        a_campaign(point=PointFactory(agent=point.agent), regs=2, actor=manager)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(reverse("api:campaign_list"))
    assert len(response.json()["results"]) == 4
