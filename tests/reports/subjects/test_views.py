"""Pages of subscriber requests: each role in and out of the province (reads and writes), filters, steps,
downloads, and the MSISDN / ID number never in a URL."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from reports.subjects.models import SubjectRequest
from tests.registrations.factories import RegistrationFactory

from .conftest import MSISDN

pytestmark = pytest.mark.django_db
READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
HANDLERS = {Role.OFFICER, Role.MANAGER}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_detail_each_role_in_and_out_of_the_province(principal, subscriber_regs, make_request):
    request = make_request("SEE")
    response = client_for(principal.user).get(reverse("reports:subject_request_detail", args=[request.pk]))
    assert response.status_code == principal.expect(READERS)
    if response.status_code == 200:
        assert "912000111" not in response.content.decode()  # masked
        assert "Bích" not in response.content.decode()


def test_a_step_each_role_in_and_out_of_the_province(principal, subscriber_regs, make_request):
    request = make_request("SEE")
    url = reverse("reports:subject_request_act", args=[request.pk, "acknowledge"])
    response = client_for(principal.user).post(url)
    expected = principal.expect(HANDLERS, ok=302)
    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == "ACKNOWLEDGED") == (expected == 302)


def test_create_each_role(any_principal, subscriber_regs):
    client = client_for(any_principal.user)
    url = reverse("reports:subject_request_create")
    expected = 200 if any_principal.role in HANDLERS else 403
    assert client.get(url).status_code == expected
    response = client.post(url, {"kind": "SEE", "msisdn": "0912000111"})
    assert response.status_code == (302 if any_principal.role in HANDLERS else 403)
    assert SubjectRequest.objects.exists() == (any_principal.role in HANDLERS)
    if response.status_code == 302:
        assert "912000111" not in response["Location"]


def test_list_each_role_sees_only_requests_within_its_provinces(principal, subscriber_regs, make_request, saigon_point):
    hanoi = make_request("SEE")
    RegistrationFactory(point=saigon_point, msisdn="+84912000222")
    saigon = make_request("SEE", msisdn="+84912000222")
    RegistrationFactory(app=True, msisdn="+84912000999")
    app_only = make_request("DELETE", msisdn="+84912000999")
    response = client_for(principal.user).get(reverse("reports:subject_request_list"))
    assert response.status_code == (200 if principal.role in READERS else 403)
    if response.status_code == 200:
        shown = {sr.pk for sr in response.context["page"].items}
        assert shown == ({hanoi.pk} if principal.in_scope else {saigon.pk})
        assert app_only.pk not in shown


def test_a_request_spanning_provinces_is_for_every_province_users_only(
    subscriber_regs, saigon_point, hanoi_officer, all_officer
):
    # given the subscriber also has a registration in TP HCM
    RegistrationFactory(point=saigon_point, msisdn=MSISDN)
    # when a Hà Nội officer records the request
    response = client_for(hanoi_officer).post(
        reverse("reports:subject_request_create"), {"kind": "DELETE", "msisdn": MSISDN}, follow=True
    )
    # then it is recorded, handed to a colleague with every province, and hidden from them
    request = SubjectRequest.objects.get()
    assert "A colleague with access to every province handles it" in response.content.decode()
    detail = reverse("reports:subject_request_detail", args=[request.pk])
    assert client_for(hanoi_officer).get(detail).status_code == 404
    assert (
        client_for(hanoi_officer)
        .post(reverse("reports:subject_request_act", args=[request.pk, "acknowledge"]))
        .status_code
        == 404
    )
    assert client_for(all_officer).get(detail).status_code == 200


def test_the_same_answer_when_the_subscriber_has_no_registration(hanoi_officer):
    response = client_for(hanoi_officer).post(
        reverse("reports:subject_request_create"), {"kind": "SEE", "msisdn": "0912777666"}, follow=True
    )
    assert "A colleague with access to every province handles it" in response.content.decode()


def test_create_shows_field_errors(all_officer):
    response = client_for(all_officer).post(reverse("reports:subject_request_create"), {"kind": "SEE", "msisdn": "12"})
    assert response.status_code == 400
    assert "Not a Vietnamese mobile number." in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_overdue_filter(subscriber_regs, make_request, all_officer):
    today = timezone.localdate()
    late = make_request("SEE")  # complete-by passed
    SubjectRequest.objects.filter(pk=late.pk).update(due=today - dt.timedelta(days=1))
    ack_late = make_request("SEE")  # not acknowledged, acknowledge-by passed
    SubjectRequest.objects.filter(pk=ack_late.pk).update(ack_due=today - dt.timedelta(days=1))
    acked = make_request("SEE", status="ACKNOWLEDGED")  # acknowledged: its ack date no longer matters
    SubjectRequest.objects.filter(pk=acked.pk).update(ack_due=today - dt.timedelta(days=1))
    done = make_request("SEE", status="DONE")  # done: never overdue
    SubjectRequest.objects.filter(pk=done.pk).update(due=today - dt.timedelta(days=1))
    on_time = make_request("DELETE")
    response = client_for(all_officer).get(reverse("reports:subject_request_list") + "?due=overdue")
    assert {sr.pk for sr in response.context["page"].items} == {late.pk, ack_late.pk}
    assert on_time.pk not in {sr.pk for sr in response.context["page"].items}
    response = client_for(all_officer).get(reverse("reports:subject_request_list") + "?kind=DELETE&status=RECEIVED")
    assert {sr.pk for sr in response.context["page"].items} == {on_time.pk}


def test_the_steps_on_the_page(subscriber_regs, make_request, all_officer):
    request = make_request("CORRECT")
    client = client_for(all_officer)
    act = lambda action, data=None: client.post(  # noqa: E731
        reverse("reports:subject_request_act", args=[request.pk, action]), data or {}
    )
    assert act("verify", {"method": "x"}).status_code == 400  # too short
    assert act("verify", {"method": "CCCD seen at the desk"}).status_code == 302
    assert act("carry-out", {"date_of_birth": "1990-13-01"}).status_code == 400
    assert act("carry-out", {"subscriber_name": "Trần Thị Bích Ngà"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "DONE"
    assert request.changed_fields == ["subscriber_name"]
    assert act("reject", {"reason": "too late now"}).status_code == 400  # closed
    assert act("unknown").status_code == 404


def test_reject_needs_a_reason(subscriber_regs, make_request, all_officer):
    request = make_request("DELETE")
    url = reverse("reports:subject_request_act", args=[request.pk, "reject"])
    assert client_for(all_officer).post(url, {"reason": ""}).status_code == 400
    assert client_for(all_officer).post(url, {"reason": "Identity not proven"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "REJECTED"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_download_is_not_cached_and_audited(subscriber_regs, make_request, all_officer, fmt):
    request = make_request("SEE", status="DONE")
    response = client_for(all_officer).get(reverse("reports:subject_request_download", args=[request.pk, fmt]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    assert "Trần Thị Bích Ngọc" in response.content.decode()
    if fmt == "json":
        assert len(json.loads(response.content)["registrations"]) == 2
    assert AuditEvent.objects.filter(action="subject_request.export", fields__format=fmt).count() == 1


def test_download_refused_to_auditors_and_out_of_province(subscriber_regs, make_request, auditor, make_user):
    request = make_request("SEE", status="DONE")
    url = reverse("reports:subject_request_download", args=[request.pk, "json"])
    assert client_for(auditor).get(url).status_code == 403
    saigon_officer = make_user(Role.OFFICER, provinces=["079"], username="sg-officer")
    assert client_for(saigon_officer).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="subject_request.export").exists()


def test_download_of_a_request_not_done_is_404(subscriber_regs, make_request, all_officer):
    request = make_request("SEE", status="VERIFIED")
    url = reverse("reports:subject_request_download", args=[request.pk, "json"])
    assert client_for(all_officer).get(url).status_code == 404
