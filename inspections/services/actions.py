"""Corrective actions on findings: created with an owner and a due date, then evidence (a note and a file),
which the scheduler answers with a FOLLOW_UP inspection that verifies it (services.review)."""

import hashlib
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from core.scoping import user_can_see_province

from ..models import ActionStatus, CorrectiveAction, Finding, FindingStatus

ADD_PERMISSION = "inspections.add_correctiveaction"
CHANGE_PERMISSION = "inspections.change_correctiveaction"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Judged by the file's first bytes, not its name: (content type, extension stored)
EVIDENCE_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}
CONTENT_TYPE_BY_EXTENSION = {ext: ctype for ctype, ext in EVIDENCE_TYPES.items()}
# An action whose evidence may (again) be given: still open, or not fixed at the last follow-up.
EVIDENCE_FROM = (ActionStatus.OPEN, ActionStatus.NOT_VERIFIED)


def sniff_content_type(head: bytes) -> str | None:
    """The evidence type these bytes start with, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _in_scope(actor: User, point_province: str, permission: str):
    if not actor.has_perm(permission) or not user_can_see_province(actor, point_province):
        raise PermissionDenied


@transaction.atomic
def action_create(*, finding: Finding, description: str, owner: str, due_date: date, actor: User) -> CorrectiveAction:
    """An OPEN corrective action on an open finding, due on or after today."""
    finding = Finding.objects.select_for_update().select_related("point").get(pk=finding.pk)
    _in_scope(actor, finding.point.province_id, ADD_PERMISSION)
    description, owner = (description or "").strip(), (owner or "").strip()
    errors = {}
    if finding.status != FindingStatus.OPEN:
        errors["__all__"] = _("This finding is resolved: it needs no corrective action.")
    if not description:
        errors["description"] = _("Say what must be done.")
    if not owner:
        errors["owner"] = _("Say who at the point or agent is responsible.")
    if due_date is None:
        errors["due_date"] = _("Give a due date.")
    elif due_date < timezone.localdate():
        errors["due_date"] = _("The due date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    action = CorrectiveAction.objects.create(
        finding=finding,
        point=finding.point,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=actor,
    )
    audit_record(
        action="corrective_action.create",
        actor=actor,
        obj=action,
        fields={"finding": finding.pk, "owner": owner, "due_date": due_date},
    )
    return action


def _check_file(file) -> tuple[str, int, str]:
    """(content type, size, SHA-256) of an acceptable evidence file; ValidationError otherwise."""
    size = file.size
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            {"file": _("The file is %(mb).1f MB; the limit is 10 MB.") % {"mb": size / (1024 * 1024)}}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    file.seek(0)
    content_type = sniff_content_type(file.read(16))
    if content_type is None:
        raise ValidationError({"file": _("Upload a PDF, JPEG, PNG or WebP file.")})
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return content_type, size, digest.hexdigest()


@transaction.atomic
def action_submit_evidence(*, action: CorrectiveAction, note: str, file=None, actor: User) -> CorrectiveAction:
    """OPEN (or NOT_VERIFIED) -> EVIDENCE_SUBMITTED with a note and, if given, a PDF or image of at most
    10 MB stored through the default storage. The scheduler then plans the FOLLOW_UP inspection."""
    action = CorrectiveAction.objects.select_for_update().select_related("point").get(pk=action.pk)
    _in_scope(actor, action.point.province_id, CHANGE_PERMISSION)
    note = (note or "").strip()
    if action.status not in EVIDENCE_FROM:
        raise ValidationError(
            _("Evidence is taken for an open action; this one is %(status)s.")
            % {"status": action.get_status_display().lower()},
            code="not_open",
        )
    if not note and file is None:
        raise ValidationError({"note": _("Describe what was done, or attach a file.")})
    fields = {"from": action.status, "note": note}
    if file is not None:
        content_type, size, sha256 = _check_file(file)
        # a random stored name (upload_path); the extension follows the content, not the name given
        action.evidence_file.save(f"evidence{EVIDENCE_TYPES[content_type]}", file, save=False)
        fields.update(file=action.evidence_file.name, content_type=content_type, size=size, sha256=sha256)
    action.evidence_note = note
    action.evidence_at = timezone.now()
    action.status = ActionStatus.EVIDENCE_SUBMITTED
    # a new round after a failed verification: the scheduler plans a new follow-up
    action.follow_up_task = None
    action.verified_at = None
    action.verified_by = None
    action.save(
        update_fields=[
            "evidence_note",
            "evidence_file",
            "evidence_at",
            "status",
            "follow_up_task",
            "verified_at",
            "verified_by",
        ]
    )
    audit_record(action="corrective_action.evidence", actor=actor, obj=action, fields=fields)
    return action


def evidence_content_type(action: CorrectiveAction) -> str:
    name = action.evidence_file.name or ""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return CONTENT_TYPE_BY_EXTENSION.get(suffix, "application/octet-stream")
