"""The sanction ladder's API writes: confirming a suggestion (a PROPOSED sanction in the caller's name) and
dismissing one, through the pages' services, with the pages' permissions and province scoping: another
province's suggestion answers 404, a role that may not propose 403, a suggestion already decided 409, an amount
outside the fine's legal range 400 naming the range; messages in the caller's language."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import Role
from enforcement.sanctions import services
from enforcement.sanctions.models import SanctionSuggestion, SuggestionStatus
from inspections.models import Sanction, SanctionStatus
from tests.conftest import principal_params
from tests.inspections.factories import make_finding

from .factories import local, sanctioned

pytestmark = pytest.mark.django_db

STAFF = {Role.OFFICER, Role.MANAGER}


@pytest.fixture
def fine_suggestion(hanoi_point, officer):
    """A Hà Nội finding that reached the fine (one earlier sanctioned finding at its point): 10-20 M VND."""
    sanctioned(hanoi_point, local(2026, 5, 1, 10, 0), actor=officer)
    finding = make_finding(hanoi_point, created_at=local(2026, 6, 15, 9, 0))
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_api_for(user):
    """By token, as an integration calls: forced authentication skips the authentication that sets the
    caller's language (core.api.authentication)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def confirm_url(suggestion):
    return reverse("api:sanction_suggestion_confirm", args=[suggestion.pk])


def dismiss_url(suggestion):
    return reverse("api:sanction_suggestion_dismiss", args=[suggestion.pk])


# --- who may ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_confirmed_by_staff_in_its_province_only(principal, fine_suggestion):
    # when
    response = api_for(principal.user).post(
        confirm_url(fine_suggestion), {"amount_vnd": 12_000_000, "note": "Second offence this year"}, format="json"
    )
    # then: auditors, inspectors and integration accounts 403; staff of another province 404
    assert response.status_code == principal.expect(STAFF)
    fine_suggestion.refresh_from_db()
    confirmed = principal.allowed(STAFF) and principal.in_scope
    assert (fine_suggestion.status == SuggestionStatus.CONFIRMED) is confirmed
    assert Sanction.objects.filter(finding=fine_suggestion.finding).exists() is confirmed


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_dismissed_by_staff_in_its_province_only(principal, fine_suggestion):
    response = api_for(principal.user).post(
        dismiss_url(fine_suggestion), {"reason": "Already fined by the province"}, format="json"
    )
    assert response.status_code == principal.expect(STAFF)
    fine_suggestion.refresh_from_db()
    dismissed = principal.allowed(STAFF) and principal.in_scope
    assert (fine_suggestion.status == SuggestionStatus.DISMISSED) is dismissed


def test_an_unknown_suggestion_answers_404_like_another_provinces(officer):
    assert api_for(officer).post(reverse("api:sanction_suggestion_confirm", args=[999_999]), {}).status_code == 404


def test_an_integration_token_is_refused(integration, fine_suggestion):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=integration).key}")
    assert client.post(dismiss_url(fine_suggestion), {"reason": "x"}, format="json").status_code == 403
    assert client.post(confirm_url(fine_suggestion), {"note": "x"}, format="json").status_code == 403


def test_an_anonymous_caller_is_refused(fine_suggestion):
    assert APIClient().post(confirm_url(fine_suggestion), {"note": "x"}, format="json").status_code in (401, 403)
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED


# --- confirming -------------------------------------------------------------------------------------------


def test_confirming_proposes_the_fine_in_the_callers_name_for_a_manager(officer, fine_suggestion):
    # when
    response = api_for(officer).post(
        confirm_url(fine_suggestion), {"amount_vnd": 12_000_000, "note": "Second offence this year"}, format="json"
    )
    # then
    assert response.status_code == 200
    sanction = Sanction.objects.get(finding=fine_suggestion.finding)
    assert (sanction.status, sanction.proposed_by, sanction.amount_vnd, sanction.proposal_note) == (
        SanctionStatus.PROPOSED,
        officer,
        12_000_000,
        "Second offence this year",
    )
    body = response.json()
    assert (body["id"], body["status"], body["sanction"], body["decided_by"]) == (
        fine_suggestion.pk,
        "CONFIRMED",
        sanction.pk,
        "officer",
    )
    assert AuditEvent.objects.filter(action="sanction_ladder.confirm", object_id=str(fine_suggestion.pk)).exists()


def test_confirming_without_amount_or_note_takes_the_pages_defaults(officer, fine_suggestion):
    # the page starts from the fine's lowest amount and the ladder's grounds; the API does the same
    response = api_for(officer).post(confirm_url(fine_suggestion), {}, format="json")
    assert response.status_code == 200
    sanction = Sanction.objects.get(finding=fine_suggestion.finding)
    assert sanction.amount_vnd == 10_000_000
    assert f"#{fine_suggestion.finding_id}" in sanction.proposal_note


@pytest.mark.parametrize("amount", [9_999_999, 20_000_001])
def test_an_amount_outside_the_legal_range_is_refused_naming_the_range(officer, fine_suggestion, amount):
    api = token_api_for(officer)
    officer.language = "en"
    officer.save(update_fields=["language"])
    response = api.post(confirm_url(fine_suggestion), {"amount_vnd": amount, "note": "x"}, format="json")
    assert response.status_code == 400
    # the range as the caller's language groups numbers (English: commas)
    (message,) = response.json()["amount_vnd"]
    assert message.startswith("The amount must be between 10,000,000\u00a0₫ and 20,000,000\u00a0₫ (")
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


def test_an_amount_outside_the_legal_range_is_refused_in_vietnamese_for_a_vietnamese_caller(officer, fine_suggestion):
    # given: the caller's saved language is Vietnamese (the site's default), the request's cookie says nothing
    officer.language = "vi"
    officer.save(update_fields=["language"])
    # when
    body = {"amount_vnd": 9_999_999, "note": "x"}
    # (a token, as an API caller signs in: the test client's force_authenticate skips authentication, where the
    # caller's language is applied)
    response = token_api_for(officer).post(confirm_url(fine_suggestion), body, format="json")
    # then: dots and the dong sign, Vietnamese words
    assert response.status_code == 400
    (message,) = response.json()["amount_vnd"]
    assert message.startswith("Số tiền phải từ 10.000.000\u00a0₫ đến 20.000.000\u00a0₫ (")


def test_a_fine_needs_an_amount(officer, fine_suggestion):
    response = api_for(officer).post(confirm_url(fine_suggestion), {"amount_vnd": None, "note": "x"}, format="json")
    assert response.status_code == 400
    assert "amount_vnd" in response.json()


def test_a_warning_takes_no_amount(officer, hanoi_point):
    finding = make_finding(hanoi_point)
    services.suggestions_make(finding_ids=[finding.pk])
    warning = SanctionSuggestion.objects.get(finding=finding)
    response = api_for(officer).post(confirm_url(warning), {"amount_vnd": 5_000_000, "note": "x"}, format="json")
    assert response.status_code == 400
    assert "amount_vnd" in response.json()
    assert api_for(officer).post(confirm_url(warning), {"note": "First offence"}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{"amount_vnd": "lots"}, {"amount_vnd": -1}, {"note": ["a"]}])
def test_a_malformed_body_is_refused(officer, fine_suggestion, body):
    assert api_for(officer).post(confirm_url(fine_suggestion), body, format="json").status_code == 400
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


# --- dismissing -------------------------------------------------------------------------------------------


def test_dismissing_records_the_reason(officer, fine_suggestion):
    response = api_for(officer).post(dismiss_url(fine_suggestion), {"reason": "Fined by the province"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "DISMISSED"
    fine_suggestion.refresh_from_db()
    assert (fine_suggestion.decision_note, fine_suggestion.decided_by) == ("Fined by the province", officer)
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_dismissing_needs_a_reason(officer, fine_suggestion, body):
    response = api_for(officer).post(dismiss_url(fine_suggestion), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED


# --- already decided --------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["confirm", "dismiss"])
@pytest.mark.parametrize("second", ["confirm", "dismiss"])
def test_a_suggestion_already_decided_answers_409_in_the_callers_language(
    officer, manager, fine_suggestion, first, second
):
    # given: an officer dealt with it
    bodies = {"confirm": {"amount_vnd": 10_000_000, "note": "x"}, "dismiss": {"reason": "x"}}
    urls = {"confirm": confirm_url, "dismiss": dismiss_url}
    assert api_for(officer).post(urls[first](fine_suggestion), bodies[first], format="json").status_code == 200
    manager.language = "en"
    manager.save(update_fields=["language"])
    # when: a manager (English) tries again
    response = token_api_for(manager).post(urls[second](fine_suggestion), bodies[second], format="json")
    # then
    assert response.status_code == 409
    assert response.json()["detail"].startswith("This suggestion has already been dealt with")
    assert Sanction.objects.filter(finding=fine_suggestion.finding).count() == (1 if first == "confirm" else 0)


def test_the_409_is_in_vietnamese_for_a_vietnamese_user(officer, fine_suggestion):
    officer.language = "vi"
    officer.save(update_fields=["language"])
    api = token_api_for(officer)
    api.post(dismiss_url(fine_suggestion), {"reason": "x"}, format="json")
    response = api.post(dismiss_url(fine_suggestion), {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Gợi ý này đã được xử lý")
    assert response["Content-Language"] == "vi"


def test_a_suggestion_with_nothing_to_suggest_cannot_be_confirmed(officer, hanoi_point):
    # given: a finding that already has a sanction: the ladder suggests nothing
    finding = sanctioned(hanoi_point, local(2026, 6, 1, 9, 0), actor=officer)
    services.suggestions_make(finding_ids=[finding.pk])
    suggestion = SanctionSuggestion.objects.get(finding=finding)
    assert suggestion.status == SuggestionStatus.NOT_NEEDED
    response = api_for(officer).post(confirm_url(suggestion), {"note": "x"}, format="json")
    assert response.status_code == 409


# --- the schema -------------------------------------------------------------------------------------------


def test_the_schema_documents_every_answer_of_the_writes():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for action in ("confirm", "dismiss"):
        responses = paths[f"/api/v1/sanction-suggestions/{{id}}/{action}/"]["post"]["responses"]
        assert {"200", "400", "401", "403", "404", "409"} <= set(responses), action
