"""Who gets the dashboard, what a province-limited user sees on it, and how many queries it costs."""

import pytest
from django.urls import reverse

from core.roles import Role
from reports.dashboard.services import dashboard_aggregate
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

from .scene import HANOI, SAIGON, build

DASHBOARD = reverse("reports:dashboard")
READERS = (Role.OFFICER, Role.MANAGER, Role.AUDITOR)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_home_sends_officers_managers_and_auditors_to_the_dashboard(client, users_by_role, role):
    # given
    client.force_login(users_by_role[role])
    # when
    response = client.get(reverse("home"))
    # then
    if role in READERS:
        assert response.status_code == 302
        assert response["Location"] == DASHBOARD
    else:
        assert response.get("Location") != DASHBOARD


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scope", ["in", "out"])
def test_only_officers_managers_and_auditors_open_the_dashboard(client, make_user, role, scope):
    # given a user of each role, limited to Hà Nội or to TP HCM
    user = make_user(role, provinces=[HANOI if scope == "in" else SAIGON])
    client.force_login(user)
    # when
    response = client.get(DASHBOARD)
    # then: inspectors and integration accounts are refused (their own home is elsewhere)
    assert response.status_code == (200 if role in READERS else 403)


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", READERS)
def test_the_dashboard_is_read_only(client, make_user, role):
    client.force_login(make_user(role))
    assert client.post(DASHBOARD).status_code == 405


@pytest.mark.django_db
def test_a_hanoi_user_sees_only_hanoi(client, make_user):
    # given the scene, and a Hà Nội-limited officer
    build(proposer=make_user(Role.OFFICER, username="proposer"))
    dashboard_aggregate()
    client.force_login(make_user(Role.OFFICER, provinces=[HANOI]))
    # when
    response = client.get(DASHBOARD)
    html = response.content.decode()
    # then: Hà Nội's points and agents, none of TP HCM's (Q1 and S1 are the riskiest of all)
    codes = {p.code for p in response.context["riskiest_points"]}
    assert codes == {"P1", "P2", "P3", "P4", "P5"}
    assert {a.code for a in response.context["riskiest_agents"]} == {"A1", "A2", "A3"}
    assert ">Q1<" not in html
    assert ">S1<" not in html
    assert "Thành phố Hà Nội" in html
    assert "Hồ Chí Minh" not in html
    # and the riskiest come first
    assert [p.code for p in response.context["riskiest_points"]][:2] == ["P1", "P2"]


@pytest.mark.django_db
def test_a_user_with_no_province_sees_zeros(client, make_user):
    build(proposer=make_user(Role.OFFICER, username="proposer"))
    user = make_user(Role.AUDITOR)
    user.all_provinces = False  # and no province given yet
    user.save(update_fields=["all_provinces"])
    client.force_login(user)
    c = client.get(DASHBOARD).context
    assert c["registrations_recent"].value == 0
    assert c["flags_open"].value == 0
    assert c["points"].total.value == 0
    assert sum(b.value for chart in c["charts"] for b in chart["bars"]) == 0


def _more(n: int):
    """n more points (in both provinces) with registrations, flags and tasks each."""
    for i in range(n):
        for code in (HANOI, SAIGON):
            point = PointFactory(agent=AgentFactory(province_code=code), risk_score=i)
            reg = RegistrationFactory(point=point)
            make_flag("MISSING_PHOTOS", registration=reg)
            TaskFactory(point=point)


@pytest.mark.django_db
@pytest.mark.parametrize("provinces", [[HANOI], None], ids=["hanoi", "all"])
def test_no_query_per_row(client, make_user, django_assert_max_num_queries, provinces):
    # given a small scene, then ten times more of everything
    build(proposer=make_user(Role.OFFICER, username="proposer"))
    _more(2)
    dashboard_aggregate()
    client.force_login(make_user(Role.MANAGER, provinces=provinces))
    client.get(DASHBOARD)  # warm the session, role and permission caches
    # when / then: the page's queries do not grow with the rows (32: the campaigns' two counters since issue 16)
    with django_assert_max_num_queries(32):
        client.get(DASHBOARD)
    _more(10)
    with django_assert_max_num_queries(32):
        client.get(DASHBOARD)
