"""The cases' read API: the case list page's filters and scope, keyset pages, masked numbers, 404 outside."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core.roles import Role
from enforcement.remediation.services import ladder_advance
from tests.agents.factories import AgentFactory, PointFactory

from .factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=HCM)


@pytest.fixture
def scene():
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    sg = PointFactory(agent=AgentFactory(province_code="079"))
    regs = {
        "hn": flagged("INCOMPLETE_RECORD", point=hn, external_id="HN"),
        "sg": flagged("POPULATION_MISMATCH", point=sg, external_id="SG"),
        "app": flagged("INCOMPLETE_RECORD", app=True, external_id="APP"),
    }
    ladder_advance(now=T0)
    return {k: r.remediation_cases.get() for k, r in regs.items()}


def _ids(response):
    assert response.status_code == 200, response.content
    return sorted(c["external_id"] for c in response.json()["results"])


def test_the_list_is_scoped_like_the_page(api, make_user, scene):
    api.force_authenticate(make_user(Role.OFFICER))
    assert _ids(api.get(reverse("api:remediation_case_list"))) == ["APP", "HN", "SG"]
    api.force_authenticate(make_user(Role.AUDITOR, provinces=["001"]))
    assert _ids(api.get(reverse("api:remediation_case_list"))) == ["HN"]  # no APP case for a limited user


def test_the_list_filters_as_the_page_does(api, officer, scene):
    api.force_authenticate(officer)
    url = reverse("api:remediation_case_list")
    assert _ids(api.get(url, {"track": "POPULATION"})) == ["SG"]
    assert _ids(api.get(url, {"province": "001"})) == ["HN"]
    assert _ids(api.get(url, {"rule": "INCOMPLETE_RECORD"})) == ["APP", "HN"]
    assert _ids(api.get(url, {"opened_from": "2026-03-10", "opened_to": "2026-03-10"})) == ["APP", "HN", "SG"]
    assert _ids(api.get(url, {"opened_from": "2026-03-11"})) == []
    assert _ids(api.get(url, {"due_step": "REMINDER", "due_from": "2026-03-10", "province": "079"})) == ["SG"]
    assert _ids(api.get(url, {"due_step": "SUSPEND_OUTGOING"})) == []  # due 2 hours later: not reached yet


@pytest.mark.parametrize("param", ["status", "step", "province", "opened_from", "due_step", "campaign"])
def test_a_blank_filter_is_refused(api, officer, param):
    api.force_authenticate(officer)
    response = api.get(reverse("api:remediation_case_list"), {param: ""})
    assert response.status_code == 400
    assert param in response.json()


def test_numbers_are_masked_as_on_the_page(api, officer, scene):
    api.force_authenticate(officer)
    listed = api.get(reverse("api:remediation_case_list")).json()["results"]
    one = api.get(reverse("api:remediation_case_detail", args=[scene["hn"].pk])).json()
    msisdn = scene["hn"].registration.msisdn
    national = "0" + msisdn[3:]
    for body in (str(listed), str(one)):
        assert msisdn not in body
        assert national not in body
    assert one["msisdn_masked"].startswith(national[:3])
    assert "*" in one["msisdn_masked"]
    assert [s["step"] for s in one["steps"]] == ["REMINDER"]
    assert "." in one["subscriber_name_masked"]


def test_another_province_s_case_is_404(api, make_user, scene):
    api.force_authenticate(make_user(Role.MANAGER, provinces=["001"]))
    assert api.get(reverse("api:remediation_case_detail", args=[scene["hn"].pk])).status_code == 200
    assert api.get(reverse("api:remediation_case_detail", args=[scene["sg"].pk])).status_code == 404
    assert api.get(reverse("api:remediation_case_detail", args=[scene["app"].pk])).status_code == 404
    assert api.get(reverse("api:remediation_case_detail", args=[10**9])).status_code == 404


@pytest.mark.parametrize("name", ["api:remediation_case_list", "api:remediation_case_detail"])
def test_an_inspector_and_anonymous_are_refused(api, make_user, scene, name):
    url = reverse(name, args=[scene["hn"].pk] if name.endswith("detail") else [])
    assert api.get(url).status_code in (401, 403)
    api.force_authenticate(make_user(Role.INSPECTOR, provinces=["001"]))
    assert api.get(url).status_code == 403


def test_the_list_s_queries_do_not_grow_with_rows(api, officer, scene, django_assert_max_num_queries):
    api.force_authenticate(officer)
    url = reverse("api:remediation_case_list")
    with django_assert_max_num_queries(20) as few:
        api.get(url)
    point = PointFactory(agent=AgentFactory(province_code="001"))
    for i in range(6):
        flagged("INCOMPLETE_RECORD", point=point, external_id=f"MORE-{i}")
    ladder_advance(now=T0 + dt.timedelta(hours=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert len(response.json()["results"]) == 9


def test_pages_follow_the_cursor(api, officer, scene):
    api.force_authenticate(officer)
    first = api.get(reverse("api:remediation_case_list"), {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 3
