"""Overdue subscriber requests in the daily digest: only to officers and managers whose provinces cover them."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from core.roles import Role
from inspections.digest import send_digest
from reports.subjects.models import SubjectRequest
from tests.registrations.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_hanoi(subscriber_regs, make_request):
    request = make_request("DELETE")
    SubjectRequest.objects.filter(pk=request.pk).update(due=timezone.localdate() - dt.timedelta(days=2))
    return request


def _mailed(make_user):
    users = {
        "hanoi-officer": make_user(Role.OFFICER, provinces=["001"], username="d-hn-officer", email="hn@x.vn"),
        "saigon-officer": make_user(Role.OFFICER, provinces=["079"], username="d-sg-officer", email="sg@x.vn"),
        "all-manager": make_user(Role.MANAGER, username="d-manager", email="mgr@x.vn"),
        "auditor": make_user(Role.AUDITOR, username="d-auditor", email="aud@x.vn"),
        "inspector": make_user(Role.INSPECTOR, provinces=["001"], username="d-insp", email="insp@x.vn"),
    }
    mail.outbox.clear()
    send_digest(now=timezone.now())
    by_address = {m.to[0]: m.body for m in mail.outbox}
    return {name: by_address.get(u.email, "") for name, u in users.items()}


def test_digest_lists_an_overdue_request_to_covering_officers_and_managers(overdue_hanoi, make_user):
    bodies = _mailed(make_user)
    line = f"#{overdue_hanoi.pk} Delete their data"
    assert "Overdue subscriber requests: 1" in bodies["hanoi-officer"]
    assert line in bodies["hanoi-officer"]
    assert line in bodies["all-manager"]
    assert line not in bodies["saigon-officer"]  # not their province (and nothing else to say: no mail)
    assert bodies["auditor"] == ""
    assert bodies["inspector"] == ""
    assert "912000111" not in bodies["hanoi-officer"]


def test_nothing_overdue_nothing_said(subscriber_regs, make_request, make_user):
    make_request("DELETE")  # due in 15 days
    bodies = _mailed(make_user)
    assert all("Overdue subscriber requests" not in body for body in bodies.values())


def test_an_app_only_request_goes_to_every_province_users_only(make_request, make_user):
    RegistrationFactory(app=True, msisdn="+84912000555")
    request = make_request("SEE", msisdn="+84912000555")
    SubjectRequest.objects.filter(pk=request.pk).update(ack_due=timezone.localdate() - dt.timedelta(days=1))
    bodies = _mailed(make_user)
    assert f"#{request.pk} " in bodies["all-manager"]
    assert f"#{request.pk} " not in bodies["hanoi-officer"]
