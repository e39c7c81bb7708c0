"""The sanction ladder's pages: the ladder in words with its versions, the manager's form (a new version, or
the error where it belongs), suggestions (list, one, confirm, dismiss) and the sections on inspections'
proposal and approval pages; each role in scope and out of scope, reads and writes."""

import pytest
from django.urls import reverse

from core.roles import Role
from enforcement.sanctions import services
from enforcement.sanctions.models import LadderVersion, SanctionSuggestion, SuggestionStatus
from inspections.models import Sanction, SanctionStatus
from tests.agents.factories import PointFactory
from tests.conftest import principal_params
from tests.inspections.factories import make_finding

from .factories import local, sanctioned

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
STAFF = {Role.OFFICER, Role.MANAGER}


@pytest.fixture
def fine_suggestion(hanoi_point, officer):
    """A Hà Nội finding that reached the fine (one earlier sanctioned finding at its point)."""
    sanctioned(hanoi_point, local(2026, 5, 1, 10, 0), actor=officer)
    finding = make_finding(hanoi_point, created_at=local(2026, 6, 15, 9, 0))
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


def ladder_post(**overrides):
    data = {
        "window_days": "200",
        "point_rung_1": "warning",
        "point_rung_2": "fine-consumer-information",
        "point_rung_3": "suspend-point",
        "agent_rung_1": "warning",
        "agent_rung_2": "suspend-agent",
        "agent_rung_3": "terminate-agent",
        "reason": "Regional office decision",
    }
    data.update(overrides)
    return data


# --- the ladder ---------------------------------------------------------------------------------------------


def test_the_ladder_page_says_the_ladder_in_words_with_its_versions(client, auditor):
    client.force_login(auditor)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("enforcement:ladder"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Written warning" in body
    assert "Suspension of the registration point" in body
    assert "Termination of the agent&#x27;s authorisation contract" in body
    assert "365 days" in body
    assert 'data-testid="version-1"' in body
    assert 'data-testid="edit-ladder"' not in body  # an auditor reads only


def test_a_manager_saves_a_new_version_from_the_form(client, manager):
    client.force_login(manager)
    response = client.post(reverse("enforcement:ladder_edit"), ladder_post())
    assert response.status_code == 302
    version = LadderVersion.objects.order_by("-version").first()
    assert (version.version, version.window_days, version.changed_by) == (2, 200, manager)
    assert version.point_rungs == ["warning", "fine-consumer-information", "suspend-point"]
    assert version.agent_rungs == ["warning", "suspend-agent", "terminate-agent"]


def test_the_form_starts_from_the_current_ladder(client, manager):
    client.force_login(manager)
    form = client.get(reverse("enforcement:ladder_edit")).context["form"]
    assert form["window_days"].value() == 365
    assert form["point_rung_4"].value() == "terminate-point"
    assert form["agent_rung_5"].value() == "terminate-agent"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"window_days": "0"}, "window_days"),
        ({"window_days": "3651"}, "window_days"),
        ({"point_rung_2": "", "point_rung_3": "suspend-point"}, "point_rung_2"),
        ({"point_rung_1": "suspend-point", "point_rung_2": "warning", "point_rung_3": ""}, "point_rung_2"),
        ({"agent_rung_2": "suspend-point"}, "agent_rung_2"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_bad_ladder_is_refused_with_the_error_on_its_field(client, manager, overrides, field):
    client.force_login(manager)
    response = client.post(reverse("enforcement:ladder_edit"), ladder_post(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert LadderVersion.objects.count() == 1


def test_every_mistake_shows_at_once(client, manager):
    client.force_login(manager)
    data = ladder_post(window_days="4000", point_rung_2="suspend-point", point_rung_3="warning", reason="")
    errors = client.post(reverse("enforcement:ladder_edit"), data).context["form"].errors
    assert set(errors) == {"window_days", "point_rung_3", "reason"}
    assert "milder than the rung below it" in errors["point_rung_3"][0]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR])
def test_only_managers_open_or_post_the_form(client, make_user, role):
    client.force_login(make_user(role, username=f"r-{role}"))
    assert client.get(reverse("enforcement:ladder_edit")).status_code == 403
    assert client.post(reverse("enforcement:ladder_edit"), ladder_post()).status_code == 403
    assert LadderVersion.objects.count() == 1


# --- suggestions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_read_by_readers_in_its_province_only(client, principal, fine_suggestion):
    client.force_login(principal.user)
    response = client.get(reverse("enforcement:suggestion_detail", args=[fine_suggestion.pk]))
    assert response.status_code == principal.expect(READERS)


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_confirmed_by_staff_in_its_province_only(client, principal, fine_suggestion):
    client.force_login(principal.user)
    url = reverse("enforcement:suggestion_confirm", args=[fine_suggestion.pk])
    response = client.post(url, {"amount_vnd": "12000000", "note": "Second offence this year"})
    assert response.status_code == principal.expect(STAFF, ok=302)
    fine_suggestion.refresh_from_db()
    confirmed = principal.allowed(STAFF) and principal.in_scope
    assert (fine_suggestion.status == SuggestionStatus.CONFIRMED) is confirmed
    assert Sanction.objects.filter(finding=fine_suggestion.finding).exists() is confirmed


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_dismissed_by_staff_in_its_province_only(client, principal, fine_suggestion):
    client.force_login(principal.user)
    url = reverse("enforcement:suggestion_dismiss", args=[fine_suggestion.pk])
    response = client.post(url, {"reason": "Already fined by the province"})
    assert response.status_code == principal.expect(STAFF, ok=302)
    fine_suggestion.refresh_from_db()
    dismissed = principal.allowed(STAFF) and principal.in_scope
    assert (fine_suggestion.status == SuggestionStatus.DISMISSED) is dismissed


def test_confirming_from_the_page_proposes_the_fine_for_a_manager(client, officer, fine_suggestion):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    page = client.get(reverse("enforcement:suggestion_detail", args=[fine_suggestion.pk]))
    form = page.context["confirm_form"]
    assert form.initial["amount_vnd"] == 10_000_000
    assert "Rung 2 of 4 of the point ladder" in form.initial["note"]
    assert f"Earlier findings: #{fine_suggestion.prior_findings[0][0]} (" in form.initial["note"]
    response = client.post(
        reverse("enforcement:suggestion_confirm", args=[fine_suggestion.pk]),
        {"amount_vnd": "10000000", "note": form.initial["note"]},
    )
    sanction = Sanction.objects.get(finding=fine_suggestion.finding)
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:sanction_detail", args=[sanction.pk])
    assert (sanction.status, sanction.proposed_by, sanction.amount_vnd) == (
        SanctionStatus.PROPOSED,
        officer,
        10_000_000,
    )


def test_an_amount_outside_the_range_shows_the_error_and_changes_nothing(client, officer, fine_suggestion):
    client.force_login(officer)
    response = client.post(
        reverse("enforcement:suggestion_confirm", args=[fine_suggestion.pk]),
        {"amount_vnd": "25000000", "note": "Too much"},
    )
    assert response.status_code == 400
    assert response.context["confirm_form"].errors["amount_vnd"]
    assert 'data-testid="error-amount_vnd"' in response.content.decode()
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


def test_the_list_shows_only_the_users_provinces(client, make_user, fine_suggestion, saigon_point):
    other = make_finding(saigon_point)
    services.suggestions_make(finding_ids=[other.pk])
    client.force_login(make_user(Role.OFFICER, provinces=["001"], username="hn-officer"))
    rows = client.get(reverse("enforcement:suggestion_list")).context["page"].items
    assert [s.pk for s in rows] == [fine_suggestion.pk]


def test_the_list_query_count_does_not_grow_with_rows(client, officer, django_assert_max_num_queries):
    point = PointFactory()
    services.suggestions_make(finding_ids=[make_finding(point).pk for _ in range(2)])
    client.force_login(officer)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("enforcement:suggestion_list"))
        client.get(reverse("enforcement:ladder"))
    services.suggestions_make(finding_ids=[make_finding(PointFactory()).pk for _ in range(25)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("enforcement:suggestion_list"))
        client.get(reverse("enforcement:ladder"))


# --- sections on inspections' pages ---------------------------------------------------------------------------


def test_the_proposal_and_approval_pages_load_the_ladder_section(client, officer, fine_suggestion):
    client.force_login(officer)
    finding_url = reverse("enforcement:finding_ladder_section", args=[fine_suggestion.finding_id])
    page = client.get(reverse("inspections:sanction_propose", args=[fine_suggestion.finding_id])).content.decode()
    assert f'hx-get="{finding_url}"' in page
    sanction = services.suggestion_confirm(
        suggestion=fine_suggestion, amount_vnd=10_000_000, note="Second offence", actor=officer
    )
    sanction_url = reverse("enforcement:sanction_ladder_section", args=[sanction.pk])
    page = client.get(reverse("inspections:sanction_detail", args=[sanction.pk])).content.decode()
    assert f'hx-get="{sanction_url}"' in page


def test_the_section_says_the_rung_and_the_findings_it_counted(client, officer, fine_suggestion):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    body = client.get(reverse("enforcement:finding_ladder_section", args=[fine_suggestion.finding_id])).content.decode()
    assert "Rung 2 of 4 of the point ladder, based on 1 earlier finding with a sanction at this point" in body
    assert "in the last 365 days" in body
    assert 'data-testid="open-suggestion"' in body


def test_the_section_places_an_older_finding_on_the_current_ladder(client, officer, hanoi_point):
    # given: a finding the ladder never saw, after two sanctioned ones
    for day in (1, 2):
        sanctioned(hanoi_point, local(2026, 4, day, 9, 0), actor=officer)
    finding = make_finding(hanoi_point, created_at=local(2026, 6, 1, 9, 0))
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    body = client.get(reverse("enforcement:finding_ladder_section", args=[finding.pk])).content.decode()
    assert "Rung 3 of 4" in body
    assert "Suspension of the registration point" in body
    assert not SanctionSuggestion.objects.filter(finding=finding).exists()  # reading writes nothing


# --- the digest and the nightly step ------------------------------------------------------------------------


def test_the_digest_lists_the_suggestions_awaiting_an_officer_in_the_users_provinces(
    make_user, fine_suggestion, saigon_point
):
    from enforcement.sanctions.tasks import waiting_digest_section

    services.suggestions_make(finding_ids=[make_finding(saigon_point).pk])
    hanoi = make_user(Role.OFFICER, provinces=["001"], username="hn-officer")
    section = waiting_digest_section(user=hanoi, now=local(2026, 6, 16, 7, 0))
    assert section.count == 1
    assert section.items[0].startswith(f"#{fine_suggestion.pk} HN-1: ")
    assert waiting_digest_section(user=make_user(Role.AUDITOR, username="aud"), now=local(2026, 6, 16, 7, 0)) is None


def test_the_nightly_chain_runs_the_ladders_step_and_says_what_it_did(hanoi_point):
    from core.registry import NIGHTLY_STEPS
    from enforcement.sanctions.tasks import ladder_step_lines

    step = next(s for s in NIGHTLY_STEPS if s.name == "sanction_ladder")
    finding = make_finding(hanoi_point, created_at=local(2026, 6, 14, 9, 0))
    summary = step.run(now=local(2026, 6, 15, 2, 0), actor=None)
    assert summary == {"findings": 1, "suggested": 1, "not_needed": 0}
    assert SanctionSuggestion.objects.filter(finding=finding).exists()
    assert [value for _label, value in ladder_step_lines(summary)] == ["1", "1", "0"]
