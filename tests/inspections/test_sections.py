"""The sections inspections adds to point, agent and home pages (htmx fragments): inspection history, open
findings, sanctions and corrective actions; the dashboard's late work. Scoped like every other read."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from inspections.models import FindingStatus, ReviewOutcome, TaskStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import ReportFactory, TaskFactory, make_action, make_finding, make_sanction
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

HOME = reverse("inspections:home_section")


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def point_url(point):
    return reverse("inspections:point_section", args=[point.pk])


def agent_url(agent):
    return reverse("inspections:agent_section", args=[agent.pk])


@pytest.fixture
def point():
    return PointFactory(code="HN-SEC")


@pytest.fixture
def history(point, officer, inspector):
    """An accepted inspection with an open and a resolved finding, a sanction and an action; an open task."""
    closed = TaskFactory(point=point, inspector=inspector, status=TaskStatus.CLOSED, due_date=days(-40))
    ReportFactory(task=closed, review_outcome=ReviewOutcome.ACCEPTED)
    open_finding = make_finding(point, task=closed)
    resolved = make_finding(point, task=closed)
    resolved.status = FindingStatus.RESOLVED
    resolved.save(update_fields=["status"])
    sanction = make_sanction(point, proposed_by=officer, finding=open_finding)
    action = make_action(point, created_by=officer, finding=open_finding, due_date=days(-2))
    upcoming = TaskFactory(point=point, due_date=days(10))
    return {
        "closed": closed,
        "upcoming": upcoming,
        "open_finding": open_finding,
        "resolved": resolved,
        "sanction": sanction,
        "action": action,
    }


def test_the_point_section_shows_history_findings_sanctions_and_actions(client, officer, point, history):
    # given
    client.force_login(officer)
    # when
    response = client.get(point_url(point))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment, loaded into the point's page
    context = response.context
    assert [t.pk for t in context["tasks"]] == [history["upcoming"].pk, history["closed"].pk]
    assert [f.pk for f in context["findings"]] == [history["open_finding"].pk]
    assert [s.pk for s in context["sanctions"]] == [history["sanction"].pk]
    assert [a.pk for a in context["actions"]] == [history["action"].pk]
    assert "Accepted" in html
    assert f'href="{reverse("inspections:task_detail", args=[history["closed"].pk])}"' in html
    assert 'data-testid="plan-inspection"' in html


def test_the_point_page_loads_the_section(client, officer, point):
    client.force_login(officer)
    html = client.get(reverse("agents:point_detail", args=[point.pk])).content.decode()
    assert f'hx-get="{point_url(point)}"' in html


def test_the_agent_section_covers_its_points_in_the_users_provinces(client, make_user, officer):
    # given
    agent = AgentFactory()
    hanoi = PointFactory(agent=agent)
    saigon = PointFactory(agent=agent, province_code="079")
    hanoi_task = TaskFactory(point=hanoi)
    TaskFactory(point=saigon)
    hanoi_finding = make_finding(hanoi)
    make_finding(saigon)
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # when
    context = client.get(agent_url(agent)).context
    # then
    assert hanoi_task in context["tasks"]
    assert {t.point_id for t in context["tasks"]} == {hanoi.pk}  # the finding's own task is there too
    assert [f.pk for f in context["findings"]] == [hanoi_finding.pk]


def test_the_agent_section_lists_sanctions_on_the_agent(client, officer, manager):
    point = PointFactory()
    sanction = make_sanction(point, code="suspend-agent", proposed_by=officer)
    client.force_login(manager)
    assert [s.pk for s in client.get(agent_url(point.agent)).context["sanctions"]] == [sanction.pk]


@pytest.mark.parametrize(("role", "status"), [(Role.OFFICER, 200), (Role.AUDITOR, 200), (Role.INSPECTOR, 403)])
def test_who_reads_the_sections(client, users_by_role, point, role, status):
    client.force_login(users_by_role[role])
    assert client.get(point_url(point)).status_code == status
    assert client.get(agent_url(point.agent)).status_code == status
    assert client.get(HOME).status_code == status


def test_auditors_get_no_plan_button(client, auditor, point):
    client.force_login(auditor)
    assert 'data-testid="plan-inspection"' not in client.get(point_url(point)).content.decode()


def test_sections_of_other_provinces_are_404(client, make_user):
    saigon = PointFactory(province_code="079")
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    assert client.get(point_url(saigon)).status_code == 404
    assert client.get(agent_url(saigon.agent)).status_code == 404


# --- the dashboard ------------------------------------------------------------------------------


@pytest.fixture
def late_work(officer, inspector):
    late_task = TaskFactory(due_date=days(-3), inspector=inspector)
    TaskFactory(due_date=days(3))
    TaskFactory(point=PointFactory(province_code="079"), due_date=days(-3))
    late_action = make_action(PointFactory(), created_by=officer, due_date=days(-1))
    make_action(PointFactory(), created_by=officer, due_date=days(1))
    flag = make_flag(
        "MISSING_PHOTOS",
        registration=RegistrationFactory(point=PointFactory()),
        severity="critical",
        last_seen=timezone.now() - dt.timedelta(days=5),
    )
    sanction = make_sanction(PointFactory(), proposed_by=officer, status="PROPOSED")
    return {"task": late_task, "action": late_action, "flag": flag, "sanction": sanction}


def test_the_dashboard_lists_late_work_and_sanctions_awaiting_a_manager(client, manager, late_work):
    # given
    client.force_login(manager)
    # when
    context = client.get(HOME).context
    # then
    assert context["task_count"] == 2  # both provinces: the manager sees every one
    assert late_work["task"] in context["tasks"]
    assert [a.pk for a in context["actions"]] == [late_work["action"].pk]
    assert [f.pk for f in context["flags"]] == [late_work["flag"].pk]
    assert [s.pk for s in context["sanctions"]] == [late_work["sanction"].pk]


def test_the_dashboard_names_a_critical_flag_by_its_rule_and_writes_ids_with_a_hash(client, manager, late_work):
    # a code (MISSING_PHOTOS) is for machines; a bare id 1045 reads as an ungrouped amount
    manager.language = "vi"
    manager.save()
    client.force_login(manager)
    html = client.get(HOME, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    table = html[html.find('data-testid="home-critical-flags"') :]
    table = table[: table.find("</table>")]
    assert "MISSING_PHOTOS" not in table
    assert f">#{late_work['flag'].pk}</a>" in table
    assert f">#{late_work['task'].pk}</a>" in html


def test_officers_see_late_work_but_no_approval_queue(client, make_user, late_work):
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    response = client.get(HOME)
    assert [t.pk for t in response.context["tasks"]] == [late_work["task"].pk]
    assert 'data-testid="count-sanctions"' not in response.content.decode()


def test_the_dashboard_shows_ten_rows_and_the_full_count(client, officer):
    for _ in range(12):
        TaskFactory(due_date=days(-1))
    client.force_login(officer)
    context = client.get(HOME).context
    assert (len(context["tasks"]), context["task_count"]) == (10, 12)


def test_the_home_page_loads_the_section_for_staff(client, officer, make_user):
    # officers now land on the dashboard (reports.dashboard, issue 12), which counts the same late work
    # with links to the lists; the core home page, for a user without a role of a registered home, still
    # loads the section
    client.force_login(officer)
    dashboard = client.get(reverse("home"), follow=True).content.decode()
    assert 'data-testid="count-tasks-overdue"' in dashboard
    assert 'data-testid="count-actions-overdue"' in dashboard
    client.force_login(make_user(username="root", is_superuser=True, is_staff=True))
    assert f'hx-get="{HOME}"' in client.get(reverse("home")).content.decode()
