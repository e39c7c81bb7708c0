"""The sanction ladder's read API: the current ladder, and suggestions scoped by province like the pages."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.roles import Role
from enforcement.sanctions import services
from enforcement.sanctions.models import SanctionSuggestion
from tests.conftest import principal_params
from tests.inspections.factories import make_finding

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}


@pytest.fixture
def suggestion(hanoi_point):
    finding = make_finding(hanoi_point)
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_ladder_answers_its_rungs_as_codes(officer):
    data = api_for(officer).get(reverse("api:sanction_ladder")).json()
    assert data["version"] == 1
    assert data["window_days"] == 365
    assert [r["code"] for r in data["point_ladder"]] == [
        "warning",
        "fine-consumer-information",
        "suspend-point",
        "terminate-point",
    ]
    assert data["agent_ladder"][1]["fine_min_vnd"] == 10_000_000


@pytest.mark.parametrize("principal", principal_params(), indirect=True)
def test_a_suggestion_is_read_in_its_province_only(principal, suggestion):
    response = api_for(principal.user).get(reverse("api:sanction_suggestion_detail", args=[suggestion.pk]))
    assert response.status_code == principal.expect(READERS)
    if response.status_code == 200:
        body = response.json()
        assert (body["point"], body["sanction_type"], body["rung"], body["status"]) == (
            "HN-1",
            "warning",
            1,
            "SUGGESTED",
        )


def test_the_list_holds_the_users_provinces_only(make_user, suggestion, saigon_point):
    services.suggestions_make(finding_ids=[make_finding(saigon_point).pk])
    user = make_user(Role.AUDITOR, provinces=["001"], username="auditor-hn")
    results = api_for(user).get(reverse("api:sanction_suggestion_list")).json()["results"]
    assert [r["id"] for r in results] == [suggestion.pk]


def test_a_blank_filter_is_refused(officer):
    response = api_for(officer).get(reverse("api:sanction_suggestion_list"), {"status": ""})
    assert response.status_code == 400
    assert "status" in response.json()


def test_the_list_filters_by_status(officer, suggestion):
    client = api_for(officer)
    assert len(client.get(reverse("api:sanction_suggestion_list"), {"status": "SUGGESTED"}).json()["results"]) == 1
    assert client.get(reverse("api:sanction_suggestion_list"), {"status": "DISMISSED"}).json()["results"] == []
