"""An officer's review of a submitted report: return it to the inspector, or accept it (findings, verification)."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from core.scoping import user_can_see_province
from registrations.models import Severity

from ..catalogue import D11, D49
from ..hooks import findings_recorded
from ..models import (
    ActionStatus,
    CorrectiveAction,
    Finding,
    FindingKind,
    FindingStatus,
    InspectionReport,
    InspectionTask,
    ReviewOutcome,
    RiskPolicy,
    TaskStatus,
)
from .integrity import visit_integrity
from .tasks import task_transition

REVIEW_PERMISSION = "inspections.review_inspection"
# A SIM found on site that was pre-activated or carried someone else's data (Decree 49/2017, Directive 11).
SIM_FOUND_LEGAL_BASIS = f"{D49}: pre-activated SIMs; {D11}"


def _locked_submitted(task: InspectionTask, actor: User) -> tuple[InspectionTask, InspectionReport]:
    if not actor.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied
    task = InspectionTask.objects.select_for_update().select_related("point").get(pk=task.pk)
    if not user_can_see_province(actor, task.point.province_id):
        raise PermissionDenied
    if task.status != TaskStatus.SUBMITTED:
        raise ValidationError(
            _("Only a submitted report can be reviewed; this task is %(status)s.")
            % {"status": task.get_status_display().lower()},
            code="not_submitted",
        )
    report = InspectionReport.objects.filter(task=task).first()
    if report is None:
        raise ValidationError(_("This task has no report to review."), code="no_report")
    report.task = task
    return task, report


@transaction.atomic
def report_return(*, task: InspectionTask, actor: User, reason: str) -> InspectionTask:
    """SUBMITTED -> RETURNED: the task reopens on the inspector's phone with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the inspector must fix or add.")})
    task, report = _locked_submitted(task, actor)
    report.review_outcome = ReviewOutcome.RETURNED
    report.return_reason = reason
    report.reviewed_by = actor
    report.reviewed_at = timezone.now()
    report.save(update_fields=["review_outcome", "return_reason", "reviewed_by", "reviewed_at", "updated_at"])
    task_transition(task=task, to_status=TaskStatus.RETURNED, actor=actor, reason=reason)
    return task


# Descriptions are the record's plain-text summary (kept in English, like the catalogue); pages show a
# finding from its answer or SIM in the reader's language.
def _answer_description(answer) -> str:
    text = f"{answer.item.question_en} (answer: {answer.value})"
    return f"{text}. {answer.note}" if answer.note else text


def _sim_description(sim) -> str:
    parts = [f"Pre-activated SIM found on site: ICCID {sim.iccid}"]
    if sim.registration_id:
        parts.append(f"registered as {sim.registration.external_id}")
    if sim.activation_id:
        parts.append(f"activated {timezone.localtime(sim.activation.activated_at):%Y-%m-%d %H:%M}")
    if sim.note:
        parts.append(sim.note)
    return "; ".join(parts)


def _make_findings(task: InspectionTask, report: InspectionReport) -> list[Finding]:
    """One finding per failed answer and per SIM found; those already made are left alone (OneToOne)."""
    created = []
    failed = report.answers.filter(failed=True, finding__isnull=True).select_related("item")
    for answer in failed:
        created.append(
            Finding.objects.create(
                task=task,
                point=task.point,
                kind=FindingKind.FAILED_ITEM,
                answer=answer,
                severity=answer.item.severity,
                legal_basis=answer.item.legal_basis,
                description=_answer_description(answer),
            )
        )
    sims = report.sims.filter(finding__isnull=True).select_related("registration", "activation")
    for sim in sims:
        created.append(
            Finding.objects.create(
                task=task,
                point=task.point,
                kind=FindingKind.SIM_FOUND,
                sim=sim,
                severity=Severity.CRITICAL,
                legal_basis=SIM_FOUND_LEGAL_BASIS,
                description=_sim_description(sim),
            )
        )
    return created


def _verify_actions(task: InspectionTask, actor: User, verified_actions, now) -> dict:
    """The corrective actions this follow-up checks: VERIFIED, or NOT_VERIFIED unless listed as verified."""
    actions = list(CorrectiveAction.objects.select_for_update().filter(follow_up_task=task).order_by("pk"))
    verified_ids = None if verified_actions is None else {getattr(a, "pk", a) for a in verified_actions}
    unknown = set() if verified_ids is None else verified_ids - {a.pk for a in actions}
    if unknown:
        raise ValidationError(
            _("Corrective actions %(ids)s are not checked by this follow-up.")
            % {"ids": ", ".join(str(i) for i in sorted(unknown))}
        )
    outcome = {"verified": [], "not_verified": []}
    for action in actions:
        ok = verified_ids is None or action.pk in verified_ids
        action.status = ActionStatus.VERIFIED if ok else ActionStatus.NOT_VERIFIED
        action.verified_by = actor
        action.verified_at = now
        action.save(update_fields=["status", "verified_by", "verified_at"])
        outcome["verified" if ok else "not_verified"].append(action.pk)
        audit_record(
            action="corrective_action.verified" if ok else "corrective_action.not_verified",
            actor=actor,
            obj=action,
            fields={"follow_up_task": task.pk, "finding": action.finding_id},
        )
    resolved = []
    for finding_id in sorted({a.finding_id for a in actions}):
        finding = Finding.objects.select_for_update().get(pk=finding_id)
        statuses = set(finding.corrective_actions.values_list("status", flat=True))
        if finding.status == FindingStatus.OPEN and statuses == {ActionStatus.VERIFIED}:
            finding.status = FindingStatus.RESOLVED
            finding.resolved_at = now
            finding.save(update_fields=["status", "resolved_at"])
            resolved.append(finding.pk)
            audit_record(action="finding.resolved", actor=actor, obj=finding, fields={"follow_up_task": task.pk})
    outcome["resolved_findings"] = resolved
    return outcome


@transaction.atomic
def report_accept(
    *, task: InspectionTask, actor: User, note: str = "", verified_actions: Iterable | None = None
) -> list[Finding]:
    """SUBMITTED -> CLOSED. Failed items and SIMs found become findings; the point's last inspection date is
    the check-in's local date. On a FOLLOW_UP task the corrective actions it checks are verified:
    `verified_actions` (actions or ids) are VERIFIED and the others NOT_VERIFIED; None: all VERIFIED.
    A finding whose every action is verified is RESOLVED. Returns the findings made.

    A visit with weak integrity signals (services.integrity) is accepted only with a reason (`note`); the
    reason, the score and the weak signals are kept on the report and in the audit event.
    """
    note = (note or "").strip()
    task, report = _locked_submitted(task, actor)
    policy = RiskPolicy.current()
    integrity = visit_integrity(report, user=actor, policy=policy)
    if integrity.weak and not note:
        names = ", ".join(str(signal.label).lower() for signal in integrity.weak)
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("This visit has weak integrity signals (%(names)s): say why you accept it.") % {"names": names},
                    code="weak_visit",
                )
            }
        )
    snapshot = integrity.snapshot(policy.version)
    now = timezone.now()
    findings = _make_findings(task, report)
    verification = _verify_actions(task, actor, verified_actions, now)
    report.review_outcome = ReviewOutcome.ACCEPTED
    report.return_reason = ""
    report.accept_reason = note
    report.integrity = snapshot
    report.reviewed_by = actor
    report.reviewed_at = now
    report.save(
        update_fields=[
            "review_outcome",
            "return_reason",
            "accept_reason",
            "integrity",
            "reviewed_by",
            "reviewed_at",
            "updated_at",
        ]
    )
    point = task.point
    point.last_inspection_on = timezone.localdate(report.checkin_at)
    point.save(update_fields=["last_inspection_on", "updated_at"])
    task_transition(task=task, to_status=TaskStatus.CLOSED, actor=actor, reason=note)
    audit_record(
        action="inspection.accept",
        actor=actor,
        obj=task,
        fields={
            "findings": [f.pk for f in findings],
            "last_inspection_on": point.last_inspection_on,
            "integrity": snapshot,
            **verification,
        },
        reason=note,
    )
    findings_recorded(f.pk for f in findings)  # enforcement's sanction ladder hears of them after commit
    return findings
