"""API of subscriber requests: each role in and out of the province, reads and writes; no personal value out."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from reports.subjects.models import SubjectRequest

from .conftest import MSISDN

pytestmark = pytest.mark.django_db
READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
HANDLERS = {Role.OFFICER, Role.MANAGER}


def test_list_and_detail_each_role(api, principal, subscriber_regs, make_request):
    request = make_request("SEE")
    api.force_authenticate(principal.user)
    response = api.get(reverse("api:subject_request_list"))
    assert response.status_code == (200 if principal.role in READERS else 403)
    if response.status_code == 200:
        ids = [r["id"] for r in response.json()["results"]]
        assert ids == ([request.pk] if principal.in_scope else [])
        assert "912000111" not in response.content.decode()
    response = api.get(reverse("api:subject_request_detail", args=[request.pk]))
    assert response.status_code == principal.expect(READERS)
    if response.status_code == 200:
        assert response.json()["msisdn_masked"].startswith("091")
        assert "msisdn" not in response.json()


def test_create_each_role(api, principal, subscriber_regs):
    api.force_authenticate(principal.user)
    response = api.post(reverse("api:subject_request_list"), {"kind": "DELETE", "msisdn": "0912000111"}, format="json")
    if principal.role not in HANDLERS:
        assert response.status_code == 403
        assert not SubjectRequest.objects.exists()
    elif principal.in_scope:
        assert response.status_code == 201
        assert response.json()["registrations_matched"] == 2
    else:  # recorded, but for a user with every province: no detail given back
        assert response.status_code == 202
        assert set(response.json()) == {"id"}


def test_create_bad_identification_is_a_400_with_field_errors(api, all_officer):
    api.force_authenticate(all_officer)
    response = api.post(reverse("api:subject_request_list"), {"kind": "SEE", "msisdn": "123"}, format="json")
    assert response.status_code == 400
    assert "msisdn" in response.json()
    response = api.post(reverse("api:subject_request_list"), {"kind": "NOPE", "msisdn": MSISDN}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_act_each_role(api, principal, subscriber_regs, make_request):
    request = make_request("SEE")
    api.force_authenticate(principal.user)
    response = api.post(reverse("api:subject_request_act", args=[request.pk]), {"action": "acknowledge"}, format="json")
    assert response.status_code == principal.expect(HANDLERS)
    request.refresh_from_db()
    assert (request.status == "ACKNOWLEDGED") == (response.status_code == 200)


def test_the_whole_delete_through_the_api(api, all_officer, subscriber_regs, make_request):
    request = make_request("DELETE")
    api.force_authenticate(all_officer)
    url = reverse("api:subject_request_act", args=[request.pk])
    assert api.post(url, {"action": "carry_out"}, format="json").status_code == 400  # not verified
    assert api.post(url, {"action": "verify", "method": "CCCD at the desk"}, format="json").status_code == 200
    response = api.post(url, {"action": "carry_out"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "DONE"
    assert AuditEvent.objects.filter(action="registration.anonymise", fields__via="api").exists()


def test_correct_with_a_bad_value_is_a_400(api, all_officer, subscriber_regs, make_request):
    request = make_request("CORRECT", status="VERIFIED")
    api.force_authenticate(all_officer)
    response = api.post(
        reverse("api:subject_request_act", args=[request.pk]),
        {"action": "carry_out", "changes": {"gender": "Q"}},
        format="json",
    )
    assert response.status_code == 400
    assert "gender" in response.json()


def test_data_of_a_done_see_request(api, all_officer, auditor, subscriber_regs, make_request):
    request = make_request("SEE", status="DONE")
    url = reverse("api:subject_request_data", args=[request.pk])
    api.force_authenticate(auditor)
    assert api.get(url).status_code == 403
    api.force_authenticate(all_officer)
    response = api.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(response.json()["registrations"]) == 2
    assert AuditEvent.objects.filter(action="subject_request.export", fields__via="api").count() == 1


def test_schema_documents_the_endpoints(api, all_officer):
    api.force_authenticate(all_officer)
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in (
        "/api/v1/subject-requests/",
        "/api/v1/subject-requests/{id}/act/",
        "/api/v1/subject-requests/{id}/data/",
    ):
        assert path in schema


def test_list_filters_and_a_blank_filter_is_refused(api, all_officer, subscriber_regs, make_request):
    import datetime as dt

    from django.utils import timezone

    late = make_request("SEE")
    SubjectRequest.objects.filter(pk=late.pk).update(due=timezone.localdate() - dt.timedelta(days=1))
    make_request("DELETE")
    api.force_authenticate(all_officer)
    response = api.get(reverse("api:subject_request_list") + "?due=overdue")
    assert [r["id"] for r in response.json()["results"]] == [late.pk]
    assert response.json()["results"][0]["overdue"] is True
    response = api.get(reverse("api:subject_request_list") + "?kind=")
    assert response.status_code == 400
    assert "kind" in response.json()
