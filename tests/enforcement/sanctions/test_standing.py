"""Where a point or an agent stands on the sanction ladder, a section of their pages: the findings counted in
the current window with the sanctions given (words and dates), the rung a new finding would reach (the heavier
of the point's and the agent's ladders, as a suggestion chooses), and the open suggestions with links. Scoped
by province like the pages; a fixed number of queries whatever the number of findings."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from enforcement.sanctions import selectors, services
from enforcement.sanctions.models import LadderKind, SanctionSuggestion
from tests.agents.factories import PointFactory
from tests.conftest import principal_params
from tests.inspections.factories import make_finding

from .factories import sanctioned

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}


def ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def point_url(point):
    return reverse("enforcement:point_ladder_section", args=[point.pk])


def agent_url(agent):
    return reverse("enforcement:agent_ladder_section", args=[agent.pk])


def english(client, user):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def climbed(hanoi_point, officer):
    """Hà Nội point HN-1: a warning (approved) 100 days ago and a fine (proposed) 20 days ago; an older warning
    outside the 365-day window; a new finding with its open suggestion (rung 3, the suspension)."""
    sanctioned(hanoi_point, ago(400), actor=officer)
    warned = sanctioned(hanoi_point, ago(100), actor=officer)
    fined = sanctioned(hanoi_point, ago(20), actor=officer, status="PROPOSED", code="fine-consumer-information")
    fined.sanctions.update(amount_vnd=12_000_000)
    new = make_finding(hanoi_point, created_at=ago(1))
    services.suggestions_make(finding_ids=[new.pk])
    return {"warned": warned, "fined": fined, "new": new, "suggestion": SanctionSuggestion.objects.get(finding=new)}


# --- what it says -------------------------------------------------------------------------------------------


def test_the_point_section_shows_the_counted_findings_the_next_rung_and_open_suggestions(client, officer, climbed):
    # when
    response = english(client, officer).get(point_url(climbed["new"].point))
    body = response.content.decode()
    standing = response.context["standing"]
    # then: the two findings in the window count (the 400-day-old one does not), newest first
    assert response.status_code == 200
    assert [f.pk for f in standing.findings] == [climbed["fined"].pk, climbed["warned"].pk]
    assert "Counted in the last 365 days" in body
    assert "Written warning" in body
    assert "12,000,000\u00a0₫" in body
    assert "Approved and applied" in body
    assert "Proposed" in body
    today = f"{timezone.localdate():%Y-%m-%d}"  # the factories propose and decide today; English dates are ISO
    assert f"proposed {today}, decided {today}" in body
    assert f"proposed {today}</small>" in body
    # the next finding: two earlier ones (the new finding's own sanction is not given yet) -> rung 3 of 4
    assert (standing.next.ladder, standing.next.index + 1) == (LadderKind.POINT, 3)
    assert standing.next_type.code == "suspend-point"
    assert "Suspension of the registration point" in body
    assert "Rung 3 of 4 of the point ladder, based on 2 earlier findings with a sanction at this point" in body
    # the open suggestion, linked
    suggestion_url = reverse("enforcement:suggestion_detail", args=[climbed["suggestion"].pk])
    assert f'href="{suggestion_url}"' in body
    assert "Confirm or dismiss" in body
    assert "SUGGESTED" not in body
    assert "POINT" not in body


def test_a_point_with_nothing_counted_starts_at_the_first_rung(client, auditor, hanoi_point):
    body = english(client, auditor).get(point_url(hanoi_point)).content.decode()
    assert "Written warning" in body
    assert 'data-testid="nothing-counted"' in body
    assert "See the suggestion" not in body
    assert "Confirm or dismiss" not in body


def test_the_agent_ladder_applies_on_a_point_page_when_heavier(client, officer, hanoi_point):
    # given: two sanctioned findings at the agent's other points, none at this one
    for days in (30, 60):
        sanctioned(PointFactory(agent=hanoi_point.agent, province_code="001"), ago(days), actor=officer)
    # when
    response = english(client, officer).get(point_url(hanoi_point))
    standing = response.context["standing"]
    # then: the agent's third rung (a higher fine) beats the point's first (a warning)
    assert standing.next.ladder == LadderKind.AGENT
    assert standing.next.index + 1 == 3
    assert standing.findings == []  # the point's own list: none at this point
    assert "The agent ladder applies" in response.content.decode()


def test_the_agent_section_counts_all_its_points_and_names_heavier_point_ladders(client, officer, hanoi_point):
    # given: three sanctioned findings at HN-1, one at another point of the agent
    for days in (10, 20, 30):
        sanctioned(hanoi_point, ago(days), actor=officer)
    other = PointFactory(agent=hanoi_point.agent, province_code="001", code="HN-2")
    sanctioned(other, ago(40), actor=officer)
    # when
    response = english(client, officer).get(agent_url(hanoi_point.agent))
    standing = response.context["standing"]
    body = response.content.decode()
    # then: agent ladder rung 5 of 5 (four earlier); at HN-1 (three) the point's own rung 4, a termination too,
    # which wins the tie (a suggestion takes the agent's rung only when strictly heavier)
    assert (standing.next.ladder, standing.next.index + 1, len(standing.findings)) == (LadderKind.AGENT, 5, 4)
    assert standing.next_type.code == "terminate-agent"
    heavier = [(code, r.index + 1, t.code, already) for code, r, t, already in standing.heavier_points]
    assert heavier == [("HN-1", 4, "terminate-point", "")]
    assert "HN-2" in body


def test_a_point_ladder_heavier_than_the_agents_is_named_on_the_agent_page(client, officer, hanoi_point):
    # given: two findings at HN-1 (point rung 3: suspension of the point) and the agent at rung 3 (a higher fine)
    for days in (10, 20):
        sanctioned(hanoi_point, ago(days), actor=officer)
    standing = selectors.ladder_standing(user=officer, agent=hanoi_point.agent)
    assert (standing.next.index + 1, standing.next_type.code) == (3, "fine-private-information")
    assert [(code, t.code) for code, _r, t, _already in standing.heavier_points] == [("HN-1", "suspend-point")]
    body = english(client, officer).get(agent_url(hanoi_point.agent)).content.decode()
    assert "At these points a new finding would follow the point's own ladder" in body


def test_findings_at_points_outside_the_users_provinces_count_but_are_not_shown(client, make_user, hanoi_point):
    # given: a Hà Nội agent with a sanctioned finding at its Hà Nội point and one at a TP HCM point
    staff = make_user(Role.OFFICER, username="all-officer")
    sanctioned(hanoi_point, ago(10), actor=staff)
    sanctioned(PointFactory(agent=hanoi_point.agent, province_code="079"), ago(20), actor=staff)
    user = make_user(Role.OFFICER, provinces=["001"], username="hn-officer")
    # when
    response = english(client, user).get(agent_url(hanoi_point.agent))
    standing = response.context["standing"]
    # then: both count (the rung is the ladder's), one is listed
    assert (standing.next.index + 1, len(standing.findings), standing.hidden) == (3, 1, 1)
    assert "And 1 at points outside your provinces" in response.content.decode()


def test_the_section_is_in_vietnamese_for_a_vietnamese_user(client, officer, climbed):
    officer.language = "vi"  # the tests' settings default to English; the site's default is Vietnamese
    officer.save(update_fields=["language"])
    client.force_login(officer)
    body = client.get(point_url(climbed["new"].point)).content.decode()
    assert "Thang xử lý vi phạm" in body
    assert "Tính trong 365 ngày qua" in body
    assert "Counted in the last" not in body
    assert "the ladder would suggest" not in body
    assert "12.000.000\u00a0₫" in body


# --- who sees it ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
@pytest.mark.parametrize("subject", ["point", "agent"])
def test_the_sections_are_read_by_readers_in_the_subjects_province_only(client, principal, hanoi_point, subject):
    client.force_login(principal.user)
    url = point_url(hanoi_point) if subject == "point" else agent_url(hanoi_point.agent)
    assert client.get(url).status_code == principal.expect(READERS)


def test_the_pages_load_the_sections_for_readers_only(client, officer, make_user, hanoi_point):
    client.force_login(officer)
    page = client.get(reverse("agents:point_detail", args=[hanoi_point.pk])).content.decode()
    assert f'hx-get="{point_url(hanoi_point)}"' in page
    page = client.get(reverse("agents:agent_detail", args=[hanoi_point.agent.pk])).content.decode()
    assert f'hx-get="{agent_url(hanoi_point.agent)}"' in page


def test_the_sections_refuse_post(client, officer, hanoi_point):
    client.force_login(officer)
    assert client.post(point_url(hanoi_point)).status_code == 405


def test_the_section_writes_nothing(client, officer, hanoi_point):
    finding = make_finding(hanoi_point, created_at=ago(2))  # no suggestion yet: reading must not make one
    client.force_login(officer)
    client.get(point_url(hanoi_point))
    client.get(agent_url(hanoi_point.agent))
    assert not SanctionSuggestion.objects.filter(finding=finding).exists()


# --- queries ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["point", "agent"])
def test_the_query_count_does_not_grow_with_findings(
    client, officer, hanoi_point, subject, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            point = hanoi_point if i % 2 else PointFactory(agent=hanoi_point.agent, province_code="001")
            sanctioned(point, ago(5 + i), actor=officer)
            services.suggestions_make(finding_ids=[make_finding(point, created_at=ago(1)).pk])

    url = point_url(hanoi_point) if subject == "point" else agent_url(hanoi_point.agent)
    client.force_login(officer)
    add(2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    add(15)
    # one more at most: the open suggestions' count, asked only once there are more than the ten shown
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        assert client.get(url).status_code == 200


def test_dates_are_local_days(client, officer, hanoi_point):
    # given: a finding found at 00:30 local time ten days ago (still the day before in UTC)
    day = timezone.localdate() - dt.timedelta(days=10)
    found = dt.datetime.combine(day, dt.time(0, 30), tzinfo=timezone.get_current_timezone())
    sanctioned(hanoi_point, found, actor=officer)
    # then: the section says the local day
    body = english(client, officer).get(point_url(hanoi_point)).content.decode()
    assert f">{day:%Y-%m-%d}</td>" in body


# --- a subject already terminated or suspended: what the ladder would really do --------------------------------


def _suggested_for_a_new_finding(point) -> SanctionSuggestion:
    """What suggestions_make does for a new finding at `point` now: the section must say the same."""
    finding = make_finding(point, created_at=ago(0))
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


@pytest.fixture
def terminated_agent(hanoi_point, officer):
    """AG-HN at the top of the agent ladder (four earlier findings: HN-1 three, HN-2 one), then TERMINATED with
    both points: the ladder's rung is the termination of the agent's contract, which would change nothing."""
    for days in (10, 20, 30):
        sanctioned(hanoi_point, ago(days), actor=officer)
    other = PointFactory(agent=hanoi_point.agent, province_code="001", code="HN-2")
    sanctioned(other, ago(40), actor=officer)
    agent = hanoi_point.agent
    type(agent).objects.filter(pk=agent.pk).update(status="TERMINATED")
    type(hanoi_point).objects.filter(agent=agent).update(status="TERMINATED")
    agent.refresh_from_db()
    return agent


def test_a_terminated_agent_at_the_termination_rung_gets_nothing_to_suggest(client, officer, terminated_agent):
    # when
    response = english(client, officer).get(agent_url(terminated_agent))
    body = response.content.decode()
    standing = response.context["standing"]
    # then: the rung is still the top one, but the section says the ladder would suggest nothing, and why
    assert (standing.next.index + 1, standing.next_type.code) == (5, "terminate-agent")
    assert standing.target_already == "TERMINATED"
    assert "On a new finding at one of the agent's points the ladder would suggest nothing" in body
    rung = "(Termination of the agent&#x27;s authorisation contract)"
    assert f"the agent is already terminated, so its rung {rung} would change nothing." in body
    assert "the ladder would suggest:" not in body
    assert "Rung 5 of 5 of the agent ladder, based on 4 earlier findings" in body
    # HN-1's own ladder (termination of the point, a tie the point wins) would suggest nothing either
    assert "HN-1: nothing to suggest (the point is already terminated)" in body
    # and that is what the ladder does with a new finding
    suggestion = _suggested_for_a_new_finding(terminated_agent.points.get(code="HN-2"))
    assert (suggestion.status, suggestion.not_needed) == ("NOT_NEEDED", "TARGET")


def test_a_terminated_point_at_its_termination_rung_gets_nothing_to_suggest(client, officer, hanoi_point):
    # given: three earlier findings at HN-1 (point rung 4 of 4: termination of the point); the point terminated
    for days in (10, 20, 30):
        sanctioned(hanoi_point, ago(days), actor=officer)
    type(hanoi_point).objects.filter(pk=hanoi_point.pk).update(status="TERMINATED")
    # when
    response = english(client, officer).get(point_url(hanoi_point))
    body = response.content.decode()
    # then
    assert response.context["standing"].next_type.code == "terminate-point"
    assert "On a new finding at this point the ladder would suggest nothing" in body
    assert "the point is already terminated, so its rung (Termination of the registration point)" in body
    assert "<strong>Termination of the registration point</strong>" not in body
    suggestion = _suggested_for_a_new_finding(hanoi_point)
    assert (suggestion.status, suggestion.not_needed) == ("NOT_NEEDED", "TARGET")


def test_a_suspended_point_at_its_suspension_rung_gets_nothing_to_suggest(client, officer, hanoi_point):
    for days in (10, 20):
        sanctioned(hanoi_point, ago(days), actor=officer)
    type(hanoi_point).objects.filter(pk=hanoi_point.pk).update(status="SUSPENDED")
    body = english(client, officer).get(point_url(hanoi_point)).content.decode()
    assert "the point is already suspended, so its rung (Suspension of the registration point)" in body
    suggestion = _suggested_for_a_new_finding(hanoi_point)
    assert (suggestion.status, suggestion.not_needed) == ("NOT_NEEDED", "TARGET")


def test_a_terminated_point_below_the_status_rungs_still_gets_its_warning_as_the_ladder_would(
    client, officer, hanoi_point
):
    """The ladder suggests a warning or a fine whatever the status: only a suspension or a termination of a point
    or agent already in that state is "nothing to suggest"."""
    type(hanoi_point).objects.filter(pk=hanoi_point.pk).update(status="TERMINATED")
    response = english(client, officer).get(point_url(hanoi_point))
    body = response.content.decode()
    assert response.context["standing"].target_already == ""
    assert "On a new finding at this point the ladder would suggest:" in body
    assert "<strong>Written warning</strong>" in body
    assert "suggest nothing" not in body
    suggestion = _suggested_for_a_new_finding(hanoi_point)
    assert (suggestion.status, suggestion.sanction_type.code) == ("SUGGESTED", "warning")


def test_an_active_point_of_a_terminated_agent_on_its_own_ladder_gets_its_rung(client, officer, hanoi_point):
    # given: two findings at HN-1 (point rung 3: suspension of the point, heavier than the agent's higher fine);
    # the agent terminated, the point left active
    for days in (10, 20):
        sanctioned(hanoi_point, ago(days), actor=officer)
    type(hanoi_point.agent).objects.filter(pk=hanoi_point.agent_id).update(status="TERMINATED")
    body = english(client, officer).get(point_url(hanoi_point)).content.decode()
    assert "<strong>Suspension of the registration point</strong>" in body
    assert "suggest nothing" not in body
    assert _suggested_for_a_new_finding(hanoi_point).status == "SUGGESTED"


def test_a_terminated_agents_section_says_nothing_to_suggest_in_vietnamese(client, officer, terminated_agent):
    officer.language = "vi"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    body = client.get(agent_url(terminated_agent)).content.decode()
    assert "Nếu có phát hiện mới tại một điểm của đại lý, thang sẽ không gợi ý gì" in body
    assert "đại lý đã bị chấm dứt nên bậc này (" in body
    assert "sẽ không thay đổi gì" in body
    assert "không có gì để gợi ý (điểm đăng ký đã bị chấm dứt)" in body
    assert "would suggest" not in body
    assert "already terminated" not in body
