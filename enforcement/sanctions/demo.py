"""Demo data for the sanction ladder (`seed_demo`), made through the real services by the demo officer and
manager, findings dated over the past year so the window and the rungs show:

- point TGS-001-007 (Hà Nội): a warning, then a fine, then a third finding that climbed to a suspension of
  the point, confirmed by the officer and awaiting the manager's approval;
- agent DDV-031 (Hải Phòng): findings at five of its points, each rung of the agent ladder approved in turn
  (warning, two fines, suspension) up to the termination of its authorisation contract, approved: the
  agent and its points are TERMINATED;
- point TGS-079-006 (TP Hồ Chí Minh): a second finding whose fine awaits an officer, and TGS-079-005, a
  suggestion the officer dismissed with a reason.

Idempotent: made once (its inspection tasks carry a mark); skipped without the demo users or points.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from agents.models import RegistrationPoint
from inspections import selectors as inspection_selectors
from inspections.catalogue import D11, D49, D185
from inspections.demo import answer_value
from inspections.models import (
    Answer,
    Finding,
    FindingKind,
    InspectionReport,
    InspectionTask,
    ReviewOutcome,
    Sanction,
    TaskKind,
    TaskStatus,
)
from inspections.services import sanctions as sanction_services
from inspections.services.fieldwork import current_checklist
from registrations.models import Severity

from . import services, texts
from .models import SanctionSuggestion

MARK = "Dữ liệu mẫu: thang xử lý vi phạm"  # the reason of the demo's inspection tasks (a Vietnamese team's words)
# (the checklist item the visit failed, severity, legal basis): each finding is a failed answer of a report, as
# a review makes it, so pages show the item's question in the reader's language (not a summary in English)
ISSUES = [
    ("signboard", Severity.MEDIUM, D11),
    ("standard-contract", Severity.MEDIUM, D11),
    ("record-folders", Severity.HIGH, D185),
    ("software", Severity.HIGH, D185),
    ("no-preactivated-sims", Severity.CRITICAL, D49),
]


def _finding(point, days_ago: int, issue: int, now, officer) -> Finding:
    at = now - dt.timedelta(days=days_ago)
    code, severity, basis = ISSUES[issue % len(ISSUES)]
    inspector = inspection_selectors.inspectors(province=point.province_id).order_by("username").first()
    task = InspectionTask.objects.create(
        point=point,
        kind=TaskKind.ROUTINE if issue % 2 == 0 else TaskKind.FOLLOW_UP,
        status=TaskStatus.CLOSED,
        due_date=timezone.localdate(at),
        reason=MARK,
        inspector=inspector,
        created_at=at - dt.timedelta(days=7),
        closed_at=at,
    )
    answer = _failed_answer(task, code, inspector=inspector or officer, reviewer=officer, at=at)
    return Finding.objects.create(
        task=task,
        point=point,
        kind=FindingKind.FAILED_ITEM,
        answer=answer,
        severity=severity,
        legal_basis=basis,
        description=f"{answer.item.question_en} (answer: {answer.value})",  # the record's summary, as a review's
        created_at=at,
    )


def _failed_answer(task, code: str, *, inspector, reviewer, at) -> Answer:
    """The visit's report, accepted: every item of the checklist in use answered, the item `code` failed."""
    template = current_checklist()
    report = InspectionReport.objects.create(
        task=task,
        template=template,
        inspector=inspector,
        checkin_at=at - dt.timedelta(days=1, hours=1),
        checkin_latitude=task.point.latitude,
        checkin_longitude=task.point.longitude,
        checkin_accuracy_m=15 if task.point.latitude is not None else None,
        checkout_at=at - dt.timedelta(days=1),
        submitted_at=at - dt.timedelta(days=1),
        reviewed_at=at,
        reviewed_by=reviewer,
        review_outcome=ReviewOutcome.ACCEPTED,
    )
    failed = None
    for item in template.items.all():
        value = answer_value(item, failing=item.code == code)
        answer = Answer.objects.create(report=report, item=item, value=value, failed=item.fails(value), answered_at=at)
        failed = answer if item.code == code else failed
    return failed


def _suggest(finding) -> SanctionSuggestion:
    services.suggestions_make(finding_ids=[finding.pk], now=finding.created_at + dt.timedelta(minutes=5))
    return SanctionSuggestion.objects.select_related("sanction_type", "ladder_version", "finding").get(finding=finding)


def _confirm(suggestion, officer) -> Sanction:
    with translation.override(settings.LANGUAGE_CODE):  # the grounds as the demo's Vietnamese officer reads them
        grounds = texts.grounds(suggestion)
    sanction = services.suggestion_confirm(
        suggestion=suggestion, amount_vnd=suggestion.amount_vnd, note=grounds, actor=officer
    )
    # dated as the officer would have acted: the day after the finding
    day_after = suggestion.finding.created_at + dt.timedelta(days=1)
    Sanction.objects.filter(pk=sanction.pk).update(proposed_at=day_after)
    SanctionSuggestion.objects.filter(pk=suggestion.pk).update(decided_at=day_after)
    return sanction


def _approve(sanction, manager) -> None:
    sanction_services.sanction_approve(sanction=sanction, actor=manager, note="Phê duyệt theo thang xử lý vi phạm.")
    decided = Sanction.objects.filter(pk=sanction.pk).values_list("proposed_at", flat=True).get()
    Sanction.objects.filter(pk=sanction.pk).update(decided_at=decided + dt.timedelta(days=2))


def seed_sanction_ladder() -> str:
    if InspectionTask.objects.filter(reason=MARK).exists():
        return "scenario already there"
    users = {u.username: u for u in get_user_model().objects.filter(username__in=("officer", "manager"))}
    points = {p.code: p for p in RegistrationPoint.objects.select_related("agent").filter(agent__code__in=AGENTS)}
    if len(users) < 2 or not all(code in points for code in NEEDED):
        return "scenario skipped (demo users or points missing)"
    with transaction.atomic():
        return _scenario(users["officer"], users["manager"], points)


AGENTS = ("TGS-001", "DDV-031", "TGS-079")
NEEDED = ("TGS-001-007", "TGS-079-005", "TGS-079-006", *(f"DDV-031-00{n}" for n in range(5)))


def _scenario(officer, manager, points) -> str:
    now = timezone.now()
    # a point climbing: warning, fine, then a suspension awaiting the manager
    point = points["TGS-001-007"]
    for days_ago, issue in ((210, 0), (95, 1)):
        _approve(_confirm(_suggest(_finding(point, days_ago, issue, now, officer)), officer), manager)
    _confirm(_suggest(_finding(point, 6, 2, now, officer)), officer)
    # an agent climbing its own ladder across its points, up to termination
    for number, days_ago in enumerate((320, 240, 160, 80, 4)):
        suggestion = _suggest(_finding(points[f"DDV-031-00{number}"], days_ago, number, now, officer))
        _approve(_confirm(suggestion, officer), manager)
    # a fine awaiting an officer, and a suggestion the officer dismissed
    _approve(_confirm(_suggest(_finding(points["TGS-079-006"], 60, 0, now, officer)), officer), manager)
    dismissed = _suggest(_finding(points["TGS-079-005"], 20, 1, now, officer))
    services.suggestion_dismiss(
        suggestion=dismissed,
        reason=(
            "Đã khắc phục ngay trong buổi kiểm tra: thanh tra viên đã chụp ảnh hợp đồng mẫu được niêm yết "
            "trước khi rời đi."
        ),
        actor=officer,
    )
    _suggest(_finding(points["TGS-079-006"], 2, 3, now, officer))
    made = SanctionSuggestion.objects.filter(finding__task__reason=MARK).count()
    return f"{made} suggestions: a point at a proposed suspension, agent DDV-031 terminated"
