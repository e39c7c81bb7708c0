"""Inspection objects straight into the database (no service, no event, no audit), to set the scene.

    task = TaskFactory(point=point)                                   # PLANNED, due in 7 days
    task = TaskFactory(point=point, inspector=inspector)              # ASSIGNED
    report = ReportFactory(task=task)                                 # IN_PROGRESS, current checklist
    answer = answer_item(report, "camera", "NO")                      # failed

Use the services when a test is about what a write records.
"""

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from inspections.models import (
    Answer,
    ChecklistTemplate,
    InspectionReport,
    InspectionTask,
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
