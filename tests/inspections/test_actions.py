"""Corrective actions (services.actions): creation on an open finding, evidence with a checked file (type by
its first bytes, size), stored through the default storage, and what counts as overdue."""

import datetime as dt
import hashlib
import re
from pathlib import PurePosixPath

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from inspections import escalation
from inspections.models import ActionStatus, CorrectiveAction, FindingStatus
from inspections.services import actions as services
from tests.agents.factories import PointFactory
from tests.inspections.factories import TINY_JPEG, TaskFactory, make_action, make_finding

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def finding():
    return make_finding(PointFactory())


def upload(content: bytes, name: str = "proof.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


# --- creating -----------------------------------------------------------------------------------


def test_an_officer_records_a_corrective_action_on_a_finding(officer, finding):
    # when
    action = services.action_create(
        finding=finding,
        description="Post the standard contract",
        owner="Point manager",
        due_date=in_days(14),
        actor=officer,
    )
    # then
    assert (action.status, action.point, action.created_by) == (ActionStatus.OPEN, finding.point, officer)
    assert AuditEvent.objects.filter(action="corrective_action.create", object_id=str(action.pk)).exists()


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("description", {"description": " "}),
        ("owner", {"owner": ""}),
        ("due_date", {"due_date": dt.date(2020, 1, 1)}),
    ],
)
def test_create_checks_what_it_is_given(officer, finding, field, kwargs):
    values = {"description": "Fix it", "owner": "Manager", "due_date": in_days(3), **kwargs}
    with pytest.raises(ValidationError) as exc:
        services.action_create(finding=finding, actor=officer, **values)
    assert field in exc.value.message_dict


def test_a_resolved_finding_needs_no_action(officer, finding):
    finding.status = FindingStatus.RESOLVED
    finding.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="resolved"):
        services.action_create(finding=finding, description="x", owner="y", due_date=in_days(3), actor=officer)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSPECTOR])
def test_only_staff_create_actions(make_user, finding, role):
    with pytest.raises(PermissionDenied):
        services.action_create(finding=finding, description="x", owner="y", due_date=in_days(3), actor=make_user(role))


def test_an_officer_of_another_province_cannot_create_an_action(make_user, finding):
    with pytest.raises(PermissionDenied):
        services.action_create(
            finding=finding,
            description="x",
            owner="y",
            due_date=in_days(3),
            actor=make_user(Role.OFFICER, provinces=["079"]),
        )


# --- evidence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "extension"),
    [
        (PDF, "scan.PDF", ".pdf"),
        (TINY_JPEG, "IMG_001.jpeg", ".jpg"),
        (PNG, "a.png", ".png"),
        (WEBP, "no-extension", ".webp"),
    ],
)
def test_evidence_with_a_pdf_or_an_image_is_stored_and_awaits_a_follow_up(officer, finding, content, name, extension):
    # given
    action = make_action(finding.point, created_by=officer, finding=finding)
    # when
    services.action_submit_evidence(action=action, note="Contract posted", file=upload(content, name), actor=officer)
    # then
    action.refresh_from_db()
    assert action.status == ActionStatus.EVIDENCE_SUBMITTED
    assert (action.evidence_note, action.evidence_at is not None) == ("Contract posted", True)
    # stored under a random name (32 hex digits) with the extension of its type, never the name uploaded
    assert re.fullmatch(r"[0-9a-f]{32}" + re.escape(extension), PurePosixPath(action.evidence_file.name).name)
    with default_storage.open(action.evidence_file.name, "rb") as stored:
        assert stored.read() == content
    audit = AuditEvent.objects.get(action="corrective_action.evidence", object_id=str(action.pk))
    assert audit.fields["sha256"] == hashlib.sha256(content).hexdigest()
    assert audit.fields["size"] == len(content)


def test_evidence_with_only_a_note_is_accepted(officer, finding):
    action = make_action(finding.point, created_by=officer, finding=finding)
    services.action_submit_evidence(action=action, note="Staff trained on 3 March", actor=officer)
    action.refresh_from_db()
    assert action.status == ActionStatus.EVIDENCE_SUBMITTED
    assert not action.evidence_file


def test_evidence_needs_a_note_or_a_file(officer, finding):
    action = make_action(finding.point, created_by=officer, finding=finding)
    with pytest.raises(ValidationError) as exc:
        services.action_submit_evidence(action=action, note=" ", actor=officer)
    assert "note" in exc.value.message_dict


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00 this is a program, not a PDF", b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00"],
)
def test_a_file_that_is_not_a_pdf_or_an_image_is_refused_whatever_its_name(officer, finding, media, content):
    # given
    action = make_action(finding.point, created_by=officer, finding=finding)
    # when
    with pytest.raises(ValidationError) as exc:
        services.action_submit_evidence(
            action=action, note="see file", file=upload(content, "proof.pdf"), actor=officer
        )
    # then
    assert "file" in exc.value.message_dict
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_file_over_10_mb_is_refused(officer, finding):
    action = make_action(finding.point, created_by=officer, finding=finding)
    big = upload(PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="10 MB"):
        services.action_submit_evidence(action=action, note="", file=big, actor=officer)


def test_a_file_of_exactly_10_mb_is_accepted(officer, finding):
    action = make_action(finding.point, created_by=officer, finding=finding)
    exact = upload(PDF + b"0" * (10 * 1024 * 1024 - len(PDF)))
    services.action_submit_evidence(action=action, note="", file=exact, actor=officer)
    action.refresh_from_db()
    assert action.evidence_file.size == 10 * 1024 * 1024


@pytest.mark.parametrize("status", [ActionStatus.EVIDENCE_SUBMITTED, ActionStatus.VERIFIED])
def test_evidence_is_taken_only_for_an_open_action(officer, finding, status):
    action = make_action(finding.point, created_by=officer, finding=finding, status=status)
    with pytest.raises(ValidationError):
        services.action_submit_evidence(action=action, note="again", actor=officer)


def test_new_evidence_after_a_failed_verification_starts_a_new_round(officer, finding):
    # given: the last follow-up found it not fixed
    action = make_action(finding.point, created_by=officer, finding=finding, status=ActionStatus.NOT_VERIFIED)
    action.follow_up_task = TaskFactory(point=PointFactory())
    action.verified_by, action.verified_at = officer, timezone.now()
    action.save(update_fields=["follow_up_task", "verified_by", "verified_at"])
    # when
    services.action_submit_evidence(action=action, note="Fixed for real now", actor=officer)
    # then: waiting for a new follow-up
    action.refresh_from_db()
    assert action.status == ActionStatus.EVIDENCE_SUBMITTED
    assert (action.follow_up_task, action.verified_by, action.verified_at) == (None, None, None)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSPECTOR])
def test_only_staff_record_evidence(make_user, officer, finding, role):
    action = make_action(finding.point, created_by=officer, finding=finding)
    with pytest.raises(PermissionDenied):
        services.action_submit_evidence(action=action, note="x", actor=make_user(role))


def test_an_officer_of_another_province_cannot_record_evidence(make_user, officer, finding):
    action = make_action(finding.point, created_by=officer, finding=finding)
    with pytest.raises(PermissionDenied):
        services.action_submit_evidence(action=action, note="x", actor=make_user(Role.OFFICER, provinces=["079"]))


# --- overdue ------------------------------------------------------------------------------------


def test_an_open_action_past_its_due_date_is_overdue_and_escalates(officer, finding):
    # given
    late = make_action(finding.point, created_by=officer, finding=finding, due_date=in_days(-1))
    on_time = make_action(finding.point, created_by=officer, due_date=in_days(0))
    answered = make_action(
        finding.point, created_by=officer, due_date=in_days(-5), status=ActionStatus.EVIDENCE_SUBMITTED
    )
    # when
    overdue = list(escalation.overdue_actions(officer))
    # then
    assert late.is_overdue()
    assert not on_time.is_overdue()
    assert not answered.is_overdue()
    assert overdue == [late]


def test_overdue_actions_are_listed_only_in_the_users_provinces(make_user, officer):
    hanoi = make_action(PointFactory(), created_by=officer, due_date=in_days(-2))
    make_action(PointFactory(province_code="079"), created_by=officer, due_date=in_days(-2))
    assert list(escalation.overdue_actions(make_user(Role.OFFICER, provinces=["001"]))) == [hanoi]
    assert CorrectiveAction.objects.count() == 2
