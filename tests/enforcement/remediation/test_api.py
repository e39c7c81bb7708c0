"""The remediation API: an integration account takes a step's list with MSISDNs (audited), marks what it
took as sent (never twice), and reports outcomes as a job."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import Role
from enforcement.remediation.models import CaseStep
from enforcement.remediation.outcomes import outcomes_run
from enforcement.remediation.services import ladder_advance
from tests.agents.factories import AgentFactory, PointFactory

from .factories import flagged

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user):
    client = APIClient()
    client.force_authenticate(make_user(Role.INTEGRATION, username="crm"))
    return client


@pytest.fixture
def two_reminders():
    point = PointFactory(agent=AgentFactory(province_code="001"))
    regs = [flagged("INCOMPLETE_RECORD", point=point, msisdn=f"+8491234567{i}") for i in range(2)]
    ladder_advance()
    return regs


def test_the_crm_takes_a_list_marks_it_sent_and_the_next_list_is_empty(api, two_reminders):
    # given
    url = reverse("api:remediation_steplist")
    today = timezone.localdate().isoformat()
    # when
    listed = api.get(url, {"step": "REMINDER", "day": today})
    ids = [item["id"] for item in listed.json()["items"]]
    sent = api.post(
        reverse("api:remediation_steplist_send"),
        {"step": "REMINDER", "day": today, "ids": [*ids, 999999]},
        format="json",
    )
    again = api.post(
        reverse("api:remediation_steplist_send"), {"step": "REMINDER", "day": today, "ids": ids}, format="json"
    )
    after = api.get(url, {"step": "REMINDER", "day": today})
    # then
    assert listed.status_code == 200
    assert {item["msisdn"] for item in listed.json()["items"]} == {"+84912345670", "+84912345671"}
    assert sent.status_code == 201
    assert (sent.json()["count"], sent.json()["not_sent"]) == (2, [999999])
    assert again.status_code == 400
    assert after.json()["count"] == 0
    assert AuditEvent.objects.filter(action="remediation.list_download").count() == 2


def test_an_auditor_cannot_take_the_list(make_user, two_reminders):
    client = APIClient()
    client.force_authenticate(make_user(Role.AUDITOR, username="aud"))
    assert client.get(reverse("api:remediation_steplist")).status_code == 403


def test_outcomes_through_the_api_become_a_job(api, two_reminders, django_capture_on_commit_callbacks):
    reg = two_reminders[0]
    body = {
        "outcomes": [
            {"external_id": reg.external_id, "step": "REMINDER", "outcome": "DONE", "done_at": "2026-01-01T08:00:00Z"},
            {"external_id": "NOPE", "step": "REMINDER", "outcome": "DONE", "done_at": "2026-01-01T08:00:00Z"},
        ]
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(reverse("api:remediation_outcomes"), body, format="json")
    assert response.status_code == 202
    outcomes_run(job_id=response.json()["id"])
    job = api.get(response["Location"]).json()
    assert (job["status"], job["updated"], job["rejected"]) == ("DONE", 1, 1)
    assert job["rejects"][0]["line"] == 3
    assert CaseStep.objects.get(case__registration=reg).outcome == "DONE"


def test_a_bad_step_is_refused_with_a_400(api):
    response = api.get(reverse("api:remediation_steplist"), {"step": "BLOCK"})
    assert response.status_code == 400
