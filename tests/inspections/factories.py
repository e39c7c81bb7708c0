"""Inspection objects straight into the database (no service, no event, no audit), to set the scene.

    task = TaskFactory(point=point)                                   # PLANNED, due in 7 days
    task = TaskFactory(point=point, inspector=inspector)              # ASSIGNED
    report = ReportFactory(task=task)                                 # IN_PROGRESS, current checklist
    answer = answer_item(report, "camera", "NO")                      # failed

Use the services when a test is about what a write records.
"""

import base64
import datetime as dt
import hashlib
import itertools

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from inspections.models import (
    Answer,
    ChecklistTemplate,
    InspectionReport,
    InspectionTask,
    Photo,
    TaskKind,
    TaskStatus,
)
from tests.agents.factories import PointFactory


def current_checklist() -> ChecklistTemplate:
    return ChecklistTemplate.objects.get(is_current=True)


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = InspectionTask
        skip_postgeneration_save = True

    point = factory.SubFactory(PointFactory)
    kind = TaskKind.ROUTINE
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    status = factory.LazyAttribute(lambda o: TaskStatus.ASSIGNED if o.inspector else TaskStatus.PLANNED)
    inspector = None
    assigned_at = factory.LazyAttribute(lambda o: timezone.now() if o.inspector else None)


class ReportFactory(DjangoModelFactory):
    class Meta:
        model = InspectionReport

    task = factory.SubFactory(TaskFactory)
    template = factory.LazyFunction(current_checklist)
    inspector = factory.LazyAttribute(lambda o: o.task.inspector)
    checkin_at = factory.LazyFunction(timezone.now)
    checkin_latitude = factory.LazyAttribute(lambda o: o.task.point.latitude)
    checkin_longitude = factory.LazyAttribute(lambda o: o.task.point.longitude)
    checkin_accuracy_m = 12.0
    checkin_distance_m = 0.0

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        report = super()._create(model_class, *args, **kwargs)
        if report.task.status in (TaskStatus.PLANNED, TaskStatus.ASSIGNED):
            report.task.status = TaskStatus.IN_PROGRESS
            report.task.save(update_fields=["status"])
        return report


def answer_item(report: InspectionReport, code: str, value: str, note: str = "") -> Answer:
    item = report.template.items.get(code=code)
    return Answer.objects.update_or_create(
        report=report, item=item, defaults={"value": value, "note": note, "failed": item.fails(value)}
    )[0]


def answer_all(report: InspectionReport, failing: tuple[str, ...] = ()) -> list[Answer]:
    """Answer every item: a passing answer, or the failing one for the codes in `failing`."""
    answers = []
    for item in report.template.items.all():
        if item.answer_kind == "YES_NO_NA":
            value = item.failing_answer if item.code in failing else ("YES" if item.failing_answer == "NO" else "NO")
        elif item.answer_kind == "NUMBER":
            value = "2" if item.code in failing else "0"
        else:
            value = "ok"
        answers.append(answer_item(report, item.code, value))
    return answers


# --- findings, sanctions and corrective actions (risk, scheduling, escalation tests) ---


def make_finding(point, *, kind="FAILED_ITEM", severity="high", created_at=None, task=None):
    """A finding at `point` (on a CLOSED task of its own unless `task` is given)."""
    from inspections.models import Finding

    if task is None:
        task = TaskFactory(point=point, status=TaskStatus.CLOSED, closed_at=timezone.now())
    return Finding.objects.create(
        task=task,
        point=point,
        kind=kind,
        severity=severity,
        description=f"{kind} {severity}",
        created_at=created_at or timezone.now(),
    )


def make_sanction(point, *, code="warning", status="APPROVED", proposed_by, decided_at=None, agent=None, finding=None):
    """A sanction of catalogue type `code` on `point` (and its agent), APPROVED now unless told otherwise."""
    from inspections.models import Sanction, SanctionType

    finding = finding or make_finding(point)
    decided = decided_at or (timezone.now() if status != "PROPOSED" else None)
    return Sanction.objects.create(
        finding=finding,
        sanction_type=SanctionType.objects.get(code=code),
        point=point,
        agent=agent or point.agent,
        status=status,
        proposal_note="grounds",
        proposed_by=proposed_by,
        proposed_at=decided or timezone.now(),
        decided_at=decided,
    )


def make_action(point, *, created_by, status="OPEN", due_date=None, finding=None):
    """A corrective action at `point`, due in 14 days unless told otherwise."""
    from inspections.models import CorrectiveAction

    return CorrectiveAction.objects.create(
        finding=finding or make_finding(point),
        point=point,
        description="Post the standard contract",
        owner="Point manager",
        due_date=due_date or timezone.localdate() + dt.timedelta(days=14),
        status=status,
        created_by=created_by,
        evidence_at=timezone.now() if status == "SUBMITTED" else None,
    )


# --- fieldwork: photos and SIMs found (helper C) -------------------------------------------------

# An 8x8 JPEG as Chromium's canvas encodes it (the phone sends the same kind of file).
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABh"
    "Y3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAAB"
    "UAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAA"
    "AAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9Y"
    "WVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAM"
    "ZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0o"
    "OjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/"
    "xAAdEAABAgcAAAAAAAAAAAAAAAAAERYlMlJlgpLw/8QAFAEBAAAAAAAAAAAAAAAAAAAABP/EABYRAQEBAAAAAAAAAAAAAAAAAAEA"
    "Ef/aAAwDAQACEQMRAD8AigjZu2desvKABIRF2//Z"
)


def jpeg_upload(name: str = "photo.jpg", content: bytes = TINY_JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def add_photo(report: InspectionReport, code: str | None = None, client_id: str = "") -> Photo:
    """A photo stored through the default storage, on an item (by code) or on the report."""
    item = report.template.items.get(code=code) if code else None
    photo = Photo(
        report=report,
        item=item,
        content_type="image/jpeg",
        size=len(TINY_JPEG),
        sha256=hashlib.sha256(TINY_JPEG).hexdigest(),
        client_id=client_id,
    )
    photo.file.save("photo.jpg", ContentFile(TINY_JPEG), save=False)
    photo.save()
    return photo


def answer_all_with_photos(report: InspectionReport, failing: tuple[str, ...] = ()) -> list[Answer]:
    """answer_all, plus a photo on every item that needs one: a report ready to submit."""
    answers = answer_all(report, failing)
    for item in report.template.items.filter(requires_photo=True):
        add_photo(report, item.code)
    return answers


# --- review, sanctions, corrective actions (helper B) --------------------------------------------


_VISITS = itertools.count()


def clean_visit(point, checkin_at=None) -> dict:
    """Report fields of a believable visit (every integrity signal OK): in at 10:00 local time on a past day
    (each call a day earlier, so one inspector's visits are never an impossible journey), 40 minutes on
    site, checked out at the point, phone times two seconds behind the server's."""
    if checkin_at is None:
        day = timezone.localdate() - dt.timedelta(days=1 + next(_VISITS))
        checkin_at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    skew = dt.timedelta(seconds=2)
    checkout_at = checkin_at + dt.timedelta(minutes=40)
    return {
        "checkin_at": checkin_at,
        "checkin_device_at": checkin_at - skew,
        "checkout_at": checkout_at,
        "checkout_device_at": checkout_at - skew,
        "checkout_latitude": point.latitude,
        "checkout_longitude": point.longitude,
        "checkout_accuracy_m": 10.0,
        "clock_skew_s": skew.total_seconds(),
    }


def submitted_task(*, inspector, point=None, kind=TaskKind.ROUTINE, failing=(), sims=(), **report_fields):
    """A SUBMITTED task: its report answers every item (the codes in `failing` fail) and lists `sims`; the
    visit is a clean one (clean_visit) unless `report_fields` say otherwise."""
    from inspections.models import SimFound

    point = point or PointFactory()
    task = TaskFactory(point=point, inspector=inspector, kind=kind)
    report_fields = {**clean_visit(point, report_fields.get("checkin_at")), **report_fields}
    report = ReportFactory(task=task, **report_fields)
    answer_all(report, failing)
    for iccid in sims:
        SimFound.objects.create(report=report, iccid=iccid)
    report.submitted_at = timezone.now()
    report.save(update_fields=["submitted_at"])
    task.status = TaskStatus.SUBMITTED
    task.save(update_fields=["status"])
    return task


# Positions near (about 40 m) and far (about 610 m) from the factories' Hà Nội point (Hoàn Kiếm), as a phone
# reports them.
NEAR = {"latitude": 21.0248, "longitude": 105.8574, "accuracy_m": 12}
FAR = {"latitude": 21.0300, "longitude": 105.8572, "accuracy_m": 15}
