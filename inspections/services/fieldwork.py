"""The inspector on site: check-in, answers, photos, SIMs found, remarks, check-out and submit.

Every function is keyword-only, atomic, checks that the caller is the task's inspector (PermissionDenied
otherwise; the pages answer 404 first) and audits each change. Writes the phone retries are idempotent (the
same answers, photo client_id or ICCID change nothing; a request sent again with its Idempotency-Key is
answered by services/field_requests.py without calling these). Each write takes `device`, a DeviceStamp
(services/field_support.py): when it happened on the phone and the phone's clock gap, stored beside the
server's times; the largest gap is kept on the report for the reviewer.
"""

import hashlib
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from core.texts import system_text
from registrations.validators import is_valid_iccid

from .. import texts
from ..catalogue import CHECKLIST_FAMILY
from ..models import (
    Answer,
    AnswerKind,
    ChecklistItem,
    ChecklistTemplate,
    InspectionReport,
    InspectionTask,
    Photo,
    PhotoSource,
    RiskPolicy,
    SimFound,
    TaskStatus,
)
from .field_support import (  # noqa: F401 - re-exported: callers use fieldwork.<name>
    NO_STAMP,
    DeviceStamp,
    _note_skew,
    _position,
    clock_skew,
    device_stamp,
    haversine_m,
    missing_for_submit,
    normalise_iccid,
    sim_matches,
)
from .tasks import task_transition

PERFORM_PERMISSION = "inspections.perform_inspection"
# Farther than this from the point, a check-in needs a reason (the page warns first).
CHECKIN_MAX_DISTANCE_M = 200
EDITABLE_STATUSES = (TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)
YES_NO_NA_VALUES = ("YES", "NO", "NA")
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_NOTE_CHARS = 2000
MAX_REMARKS_CHARS = 5000


# --- helpers -------------------------------------------------------------------------------------


def current_checklist() -> ChecklistTemplate:
    template = ChecklistTemplate.objects.filter(family=CHECKLIST_FAMILY, is_current=True).first()
    if template is None:
        raise ValidationError(_("No checklist is in use: ask a compliance manager to publish one."))
    return template


def _locked_task(task: InspectionTask, inspector: User) -> InspectionTask:
    task = InspectionTask.objects.select_for_update().select_related("point").get(pk=task.pk)
    if task.inspector_id is None or task.inspector_id != inspector.pk or not inspector.has_perm(PERFORM_PERMISSION):
        raise PermissionDenied
    return task


def _editable_report(report: InspectionReport, inspector: User) -> InspectionReport:
    """The report, its task locked, if its inspector may still change it (in progress or returned)."""
    task = _locked_task(report.task, inspector)
    if task.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("This inspection is %(status)s: it can no longer be changed.")
            % {"status": TaskStatus(task.status).label.lower()},
            code="not_editable",
        )
    report = InspectionReport.objects.select_related("template").get(pk=report.pk)
    report.task = task
    return report


# --- check-in ------------------------------------------------------------------------------------


@transaction.atomic
def inspection_check_in(
    *,
    task: InspectionTask,
    inspector: User,
    latitude=None,
    longitude=None,
    accuracy_m=None,
    location_note: str = "",
    device: DeviceStamp = NO_STAMP,
) -> InspectionReport:
    """Start the inspection: a report on the current checklist version, the position and its distance to
    the point; the task becomes IN_PROGRESS.

    Without a position (location refused or unavailable) or farther than CHECKIN_MAX_DISTANCE_M from the
    point, `location_note` must say why (code "location_note_required" / "too_far").
    """
    task = _locked_task(task, inspector)
    if task.status != TaskStatus.ASSIGNED:
        raise ValidationError(
            _("Only an assigned task can be started; this one is %(status)s.")
            % {"status": TaskStatus(task.status).label.lower()},
            code="not_assigned",
        )
    lat, lon, accuracy = _position(latitude, longitude, accuracy_m)
    note = (location_note or "").strip()
    point = task.point
    distance = None
    if lat is not None and point.latitude is not None and point.longitude is not None:
        distance = round(haversine_m(lat, lon, point.latitude, point.longitude), 1)
    if lat is None and not note:
        raise ValidationError(
            {
                "location_note": ValidationError(
                    _("Your location is not available: say why to check in without it."),
                    code="location_note_required",
                )
            }
        )
    if distance is not None and distance > CHECKIN_MAX_DISTANCE_M and not note:
        message = _("You are %(distance)d m from the point (more than %(limit)d m): say why to check in here.")
        raise ValidationError(
            {
                "location_note": ValidationError(
                    message % {"distance": distance, "limit": CHECKIN_MAX_DISTANCE_M}, code="too_far"
                )
            }
        )
    now = timezone.now()
    report = InspectionReport.objects.create(
        task=task,
        template=current_checklist(),
        inspector=inspector,
        checkin_at=now,
        checkin_device_at=device.at,
        clock_skew_s=device.skew_s,
        checkin_latitude=lat,
        checkin_longitude=lon,
        checkin_accuracy_m=accuracy,
        checkin_distance_m=distance,
        location_note=note,
    )
    task_transition(task=task, to_status=TaskStatus.IN_PROGRESS, actor=inspector, reason=note)
    audit_record(
        action="inspection.check_in",
        actor=inspector,
        obj=task,
        fields={
            "report": report.pk,
            "checklist": str(report.template),
            "accuracy_m": accuracy,
            "distance_m": distance,
            "has_position": lat is not None,
            **device.audit(),
        },
        reason=note,
    )
    return report


# --- answers -------------------------------------------------------------------------------------


def _clean_value(item: ChecklistItem, raw) -> str:
    value = "" if raw is None else str(raw).strip()
    if not value:
        return ""
    if item.answer_kind == AnswerKind.YES_NO_NA:
        value = value.upper()
        if value not in YES_NO_NA_VALUES:
            raise ValidationError(_("Answer yes, no or not applicable."))
        return value
    if item.answer_kind == AnswerKind.NUMBER:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        # "2", not "2.0" or "2E+0": the stored answer reads as typed
        return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")
    if len(value) > Answer._meta.get_field("value").max_length:
        raise ValidationError(_("Keep the answer under 500 characters; use the note for more."))
    return value


@transaction.atomic
def answers_save(
    *, report: InspectionReport, inspector: User, answers: dict, device: DeviceStamp = NO_STAMP
) -> list[Answer]:
    """Save answers {item_code: {"value": ..., "note": ...}} (a missing "note" keeps the saved note).

    All or nothing: an unknown code or a bad value refuses the whole call, with one message per code.
    A blank value with a blank note removes the answer. Returns the answers that changed; each keeps the
    server time and the phone time of its last change.
    """
    report = _editable_report(report, inspector)
    _note_skew(report, device)
    existing = {a.item.code: a for a in report.answers.select_related("item")}
    cleaned = _clean_answers(report, answers, existing)
    changed, removed = [], []
    now = timezone.now()
    for code, (item, value, note) in cleaned.items():
        answer = existing.get(code)
        if not value and not note:
            if answer is not None:
                answer.delete()
                removed.append(code)
            continue
        if answer is None:
            answer = Answer(report=report, item=item)
        elif answer.value == value and answer.note == note:
            continue
        answer.value, answer.note, answer.failed, answer.answered_at = value, note, item.fails(value), now
        answer.answered_device_at = device.at
        answer.save()
        changed.append(answer)
    if changed or removed:
        audit_record(
            action="inspection.answers",
            actor=inspector,
            obj=report.task,
            fields={
                "answers": {a.item.code: {"value": a.value, "failed": a.failed} for a in changed},
                "removed": removed,
                **device.audit(),
            },
        )
    return changed


def _clean_answers(report: InspectionReport, answers, existing: dict) -> dict:
    """{code: (item, value, note)} of the answers sent, or ValidationError with one message per code."""
    if not isinstance(answers, dict):
        raise ValidationError(_("Answers must map item codes to answers."))
    items = {item.code: item for item in report.template.items.all()}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for code, answer in answers.items():
        item = items.get(code)
        if item is None:
            errors[code] = [
                _("No item %(code)s in this checklist (version %(version)s).")
                % {"code": code, "version": report.template.version}
            ]
            continue
        if not isinstance(answer, dict):
            answer = {"value": answer}
        try:
            value = _clean_value(item, answer.get("value"))
        except ValidationError as exc:
            errors[code] = exc.messages
            continue
        if "note" in answer:
            note = ("" if answer["note"] is None else str(answer["note"])).strip()
        else:
            note = existing[code].note if code in existing else ""
        if len(note) > MAX_NOTE_CHARS:
            errors[code] = [_("Keep the note under %(n)d characters.") % {"n": MAX_NOTE_CHARS}]
            continue
        cleaned[code] = (item, value, note)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def remarks_save(
    *, report: InspectionReport, inspector: User, remarks: str, device: DeviceStamp = NO_STAMP
) -> InspectionReport:
    """The inspector's remarks on the whole inspection (saved as typed, sent again on submit)."""
    report = _editable_report(report, inspector)
    _note_skew(report, device)
    remarks = (remarks or "").strip()
    if len(remarks) > MAX_REMARKS_CHARS:
        raise ValidationError({"remarks": _("Keep the remarks under %(n)d characters.") % {"n": MAX_REMARKS_CHARS}})
    if remarks != report.remarks:
        report.remarks = remarks
        report.save(update_fields=["remarks", "updated_at"])
        audit_record(
            action="inspection.remarks",
            actor=inspector,
            obj=report.task,
            fields={"chars": len(remarks), **device.audit()},
        )
    return report


# --- photos --------------------------------------------------------------------------------------


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or WebP file from its first bytes; None for anything else."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg", ".jpg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def _photo_file(file) -> tuple[int, str, str, str]:
    """(size, content type, extension, SHA-256) of an uploaded photo, or the ValidationError the phone shows."""
    size = file.size
    if not size:
        raise ValidationError({"file": _("The photo is empty.")})
    if size > MAX_PHOTO_BYTES:
        message = _("The photo is larger than %(mb)d MB: take it again at a lower resolution.") % {
            "mb": MAX_PHOTO_BYTES // (1024 * 1024)
        }
        raise ValidationError({"file": ValidationError(message, code="photo_too_large")})
    file.seek(0)
    kind = sniff_image(file.read(12))
    if kind is None:
        raise ValidationError({"file": _("Send a JPEG, PNG or WebP photo.")})
    content_type, extension = kind
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return size, content_type, extension, digest.hexdigest()


@transaction.atomic
def photo_add(
    *,
    report: InspectionReport,
    inspector: User,
    file,
    item_code: str | None = None,
    client_id: str = "",
    source: str = "",
    device: DeviceStamp = NO_STAMP,
) -> Photo:
    """Store a photo (a Django File: an upload or a ContentFile) through the default storage; its type is
    judged by its bytes, its size is limited (MAX_PHOTO_BYTES), its SHA-256 kept, and a visit holds at most
    the policy's `max_photos_per_visit` (code "photo_limit"). `source` is "camera" or "gallery" as the phone
    says ("" unknown); `device.at` is when it was taken.

    The same `client_id` again (a retried upload) returns the photo already stored.
    """
    report = _editable_report(report, inspector)
    if source not in ("", *PhotoSource.values):
        raise ValidationError({"source": _("A photo comes from the camera or the gallery.")})
    client_id = (client_id or "").strip()
    if client_id:
        if len(client_id) > Photo._meta.get_field("client_id").max_length:
            raise ValidationError({"client_id": _("The photo's client id is too long.")})
        existing = report.photos.filter(client_id=client_id).first()
        if existing is not None:
            return existing
    item = None
    if item_code:
        item = report.template.items.filter(code=item_code).first()
        if item is None:
            raise ValidationError({"item_code": _("No item %(code)s in this checklist.") % {"code": item_code}})
    limit = RiskPolicy.current().max_photos_per_visit
    if report.photos.count() >= limit:
        message = _("This visit already has %(n)d photos: remove one to add another.") % {"n": limit}
        raise ValidationError({"file": ValidationError(message, code="photo_limit")})
    size, content_type, extension, sha256 = _photo_file(file)
    photo = Photo(
        report=report,
        item=item,
        content_type=content_type,
        size=size,
        sha256=sha256,
        client_id=client_id,
        taken_at=device.at,
        source=source,
    )
    # The name only carries the extension: upload_path gives the stored file a random name.
    photo.file.save(f"photo{extension}", file, save=False)
    try:
        try:
            with transaction.atomic():
                photo.save()
        except IntegrityError:
            # the same client_id stored by a concurrent retry: keep that one
            photo.file.delete(save=False)
            return report.photos.get(client_id=client_id)
        audit_record(
            action="inspection.photo_add",
            actor=inspector,
            obj=report.task,
            fields={
                "photo": photo.pk,
                "item": item.code if item else "",
                "size": size,
                "sha256": photo.sha256,
                "source": source,
                **device.audit(),
            },
        )
        _note_skew(report, device)
    except Exception:
        # the row is rolled back: do not leave its file behind
        photo.file.storage.delete(photo.file.name)
        raise
    return photo


@transaction.atomic
def photo_remove(*, photo: Photo, inspector: User, device: DeviceStamp = NO_STAMP) -> None:
    """Remove a photo while the report can still change; its file goes once the removal is committed."""
    report = _editable_report(photo.report, inspector)
    _note_skew(report, device)
    photo = Photo.objects.select_related("item").get(pk=photo.pk, report=report)
    storage, name = photo.file.storage, photo.file.name
    audit_record(
        action="inspection.photo_remove",
        actor=inspector,
        obj=report.task,
        fields={
            "photo": photo.pk,
            "item": photo.item.code if photo.item else "",
            "sha256": photo.sha256,
            **device.audit(),
        },
    )
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- SIMs found ----------------------------------------------------------------------------------


@transaction.atomic
def sim_add(
    *, report: InspectionReport, inspector: User, iccid: str, note: str = "", device: DeviceStamp = NO_STAMP
) -> SimFound:
    """Record the ICCID of a pre-activated SIM found on site, matched to its registration and activation.

    A wrong check digit is refused (the phone checks it as typed); the same ICCID again is the same row
    (its note is updated when a new one is given). `device.at`: when it was typed.
    """
    report = _editable_report(report, inspector)
    _note_skew(report, device)
    iccid = normalise_iccid(iccid)
    note = (note or "").strip()
    if not iccid.isdigit() or len(iccid) not in (19, 20):
        raise ValidationError({"iccid": ValidationError(_("An ICCID has 19 or 20 digits."), code="iccid_format")})
    if not is_valid_iccid(iccid):
        message = _("The check digit of %(iccid)s is wrong: check the number on the SIM.") % {"iccid": iccid}
        raise ValidationError({"iccid": ValidationError(message, code="iccid_check_digit")})
    if len(note) > SimFound._meta.get_field("note").max_length:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    sim = report.sims.filter(iccid=iccid).first()
    if sim is not None:
        if note and note != sim.note:
            sim.note = note
            sim.save(update_fields=["note"])
        return sim
    registration, activation = sim_matches(iccid, task=report.task)
    sim = SimFound(
        report=report,
        iccid=iccid,
        luhn_valid=True,
        note=note,
        registration=registration,
        activation=activation,
        recorded_device_at=device.at,
    )
    try:
        with transaction.atomic():
            sim.save()
    except IntegrityError:  # recorded by a concurrent retry
        return report.sims.get(iccid=iccid)
    audit_record(
        action="inspection.sim_add",
        actor=inspector,
        obj=report.task,
        fields={
            "iccid": iccid,
            "registration": sim.registration_id,
            "activation": sim.activation_id,
            **device.audit(),
        },
    )
    return sim


@transaction.atomic
def sim_remove(*, report: InspectionReport, inspector: User, iccid: str, device: DeviceStamp = NO_STAMP) -> bool:
    """Remove a SIM recorded by mistake; False when it was not there (a retried removal)."""
    report = _editable_report(report, inspector)
    _note_skew(report, device)
    iccid = normalise_iccid(iccid)
    deleted, _rows = report.sims.filter(iccid=iccid).delete()
    if deleted:
        audit_record(
            action="inspection.sim_remove",
            actor=inspector,
            obj=report.task,
            fields={"iccid": iccid, **device.audit()},
        )
    return bool(deleted)


# --- check-out and submit ------------------------------------------------------------------------


@transaction.atomic
def inspection_check_out(
    *,
    report: InspectionReport,
    inspector: User,
    latitude=None,
    longitude=None,
    accuracy_m=None,
    device: DeviceStamp = NO_STAMP,
) -> InspectionReport:
    """Leave the point: time (the server's and the phone's) and (if the phone gives it) position. Once only:
    a second call changes nothing."""
    report = _editable_report(report, inspector)
    _note_skew(report, device)
    if report.checkout_at is not None:
        return report
    lat, lon, accuracy = _position(latitude, longitude, accuracy_m)
    report.checkout_at = timezone.now()
    report.checkout_device_at = device.at
    report.checkout_latitude, report.checkout_longitude, report.checkout_accuracy_m = lat, lon, accuracy
    report.save(
        update_fields=[
            "checkout_at",
            "checkout_device_at",
            "checkout_latitude",
            "checkout_longitude",
            "checkout_accuracy_m",
            "updated_at",
        ]
    )
    distance = None
    point = report.task.point
    if lat is not None and point.latitude is not None and point.longitude is not None:
        distance = round(haversine_m(lat, lon, point.latitude, point.longitude), 1)
    audit_record(
        action="inspection.check_out",
        actor=inspector,
        obj=report.task,
        fields={"accuracy_m": accuracy, "distance_m": distance, "has_position": lat is not None, **device.audit()},
    )
    return report


@transaction.atomic
def inspection_submit(
    *, task: InspectionTask, inspector: User, remarks: str | None = None, device: DeviceStamp = NO_STAMP
) -> InspectionReport:
    """Send the report for review: from IN_PROGRESS or RETURNED, every item answered, a photo on each item
    that needs one; checks out if not yet (at the submit's phone time). `remarks` None keeps the saved
    remarks. The task becomes SUBMITTED.
    """
    task = _locked_task(task, inspector)
    if task.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("Only an inspection in progress or returned can be submitted; this one is %(status)s.")
            % {"status": TaskStatus(task.status).label.lower()},
            code="not_submittable",
        )
    report = InspectionReport.objects.select_related("template").get(task=task)
    report.task = task
    if remarks is not None:
        report = remarks_save(report=report, inspector=inspector, remarks=remarks, device=device)
    problems = missing_for_submit(report)
    if problems:
        raise ValidationError([ValidationError(problem, code="incomplete") for problem in problems])
    report = inspection_check_out(report=report, inspector=inspector, device=device)
    resubmitted = task.status == TaskStatus.RETURNED
    report.submitted_at = timezone.now()
    report.submitted_device_at = device.at
    report.save(update_fields=["submitted_at", "submitted_device_at", "updated_at"])
    task_transition(
        task=task,
        to_status=TaskStatus.SUBMITTED,
        actor=inspector,
        reason=system_text(texts.SENT_AGAIN) if resubmitted else "",
    )
    return report
