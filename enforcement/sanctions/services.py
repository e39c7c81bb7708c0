"""Writes of the sanction ladder: changing the ladder (a new version), suggesting the next rung for new
findings (idempotent: one suggestion per finding), and an officer confirming (a PROPOSED sanction through
inspections' own service, so a manager approves it as any other) or dismissing a suggestion.

Suggestions are made when a report is accepted (inspections.hooks, after commit) and, for any finding that
missed it, by the nightly step (`ladder_catch_up`).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from core.scoping import user_can_see_province
from inspections.models import Finding, Sanction
from inspections.services import sanctions as sanction_services

from . import ladder as arithmetic
from . import selectors
from .models import (
    MAX_WINDOW_DAYS,
    LadderKind,
    LadderVersion,
    NotNeeded,
    SanctionSuggestion,
    SuggestionStatus,
)

CHANGE_PERMISSION = "enforcement.add_ladderversion"
PROPOSE_PERMISSION = sanction_services.PROPOSE_PERMISSION
# the nightly step looks back this far for findings the acceptance hook missed
CATCH_UP_DAYS = 30


# --- the ladder -------------------------------------------------------------------------------------------


@transaction.atomic
def ladder_update(
    *, window_days: int, point_rungs: list[str], agent_rungs: list[str], reason: str, actor: User
) -> LadderVersion:
    """A new version of the ladder, checked: every rung in the catalogue and in use, each ladder climbing,
    suspensions and terminations aimed at the ladder's subject, the window 1..3650 days, a reason."""
    if not actor.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    reason = (reason or "").strip()
    point_rungs, agent_rungs = [c for c in point_rungs if c], [c for c in agent_rungs if c]
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the ladder changes.")
    if not isinstance(window_days, int) or not 1 <= window_days <= MAX_WINDOW_DAYS:
        errors["window_days"] = _("The window is from 1 to %(max)s days.") % {"max": MAX_WINDOW_DAYS}
    types = selectors.ladder_types(codes=set(point_rungs) | set(agent_rungs))
    for field, kind, codes in (
        ("point_rungs", LadderKind.POINT, point_rungs),
        ("agent_rungs", LadderKind.AGENT, agent_rungs),
    ):
        problems = arithmetic.ladder_errors(kind, codes, types)
        if problems:
            errors[field] = problems
    current = LadderVersion.objects.select_for_update().order_by("-version").first()
    if (
        not errors
        and current is not None
        and ((current.window_days, current.point_rungs, current.agent_rungs) == (window_days, point_rungs, agent_rungs))
    ):
        errors["__all__"] = _("Nothing changed: this is the current ladder.")
    if errors:
        raise ValidationError(errors)
    version = LadderVersion.objects.create(
        version=(current.version if current else 0) + 1,
        window_days=window_days,
        point_rungs=point_rungs,
        agent_rungs=agent_rungs,
        reason=reason,
        changed_by=actor,
    )
    audit_record(
        action="sanction_ladder.change",
        actor=actor,
        obj=version,
        fields={
            "version": version.version,
            "window_days": window_days,
            "point_rungs": point_rungs,
            "agent_rungs": agent_rungs,
            "previous": current.version if current else None,
        },
        reason=reason,
    )
    return version


# --- suggestions ------------------------------------------------------------------------------------------


def _target_already(finding: Finding, sanction_type) -> bool:
    """A suspension or termination of a point or agent already in that state (or terminated) changes nothing
    (the ladder standing section of the pages says so with the same function, ladder.target_already)."""
    point = finding.point
    return bool(arithmetic.target_already(sanction_type, point_status=point.status, agent_status=point.agent.status))


@transaction.atomic
def suggestions_make(*, finding_ids, actor: User | None = None, now: dt.datetime | None = None) -> dict:
    """The next rung for each of these findings that has no suggestion yet (a finding never gets two: the
    unique finding and `ignore_conflicts` keep a second run, or a run beside another, from adding one).
    Counts: {"findings": looked at, "suggested": awaiting an officer, "not_needed": nothing to suggest}."""
    now = now or timezone.now()
    findings = list(
        Finding.objects.filter(pk__in=list(finding_ids), ladder_suggestion__isnull=True)
        .select_related("point", "point__agent", "point__province")
        .order_by("created_at", "pk")
    )
    version = selectors.ladder_current()
    summary = {"findings": len(findings), "suggested": 0, "not_needed": 0}
    if not findings or version is None:
        return summary
    positions = selectors.ladder_positions(findings, version)
    sanctioned = set(
        Sanction.objects.filter(finding__in=findings, status__in=selectors.COUNTING).values_list(
            "finding_id", flat=True
        )
    )
    rows = []
    for finding in findings:
        position = positions.get(finding.pk)
        if position is None or position.sanction_type is None:
            continue  # a rung whose type left the catalogue: nothing sensible to suggest
        sanction_type = position.sanction_type
        why = NotNeeded.NONE
        if finding.pk in sanctioned:
            why = NotNeeded.ALREADY_SANCTIONED
        elif _target_already(finding, sanction_type):
            why = NotNeeded.TARGET_ALREADY
        rows.append(
            SanctionSuggestion(
                finding=finding,
                point=finding.point,
                agent=finding.point.agent,
                ladder_version=version,
                ladder=position.reached.ladder,
                rung=position.rung,
                rung_count=position.reached.rung_count,
                window_days=position.window_days,
                prior_count=position.prior_count,
                prior_findings=[[pk, day.isoformat()] for pk, day in position.reached.prior],
                sanction_type=sanction_type,
                amount_vnd=arithmetic.default_amount(sanction_type),
                status=SuggestionStatus.NOT_NEEDED if why else SuggestionStatus.SUGGESTED,
                not_needed=why,
                created_at=now,
            )
        )
    SanctionSuggestion.objects.bulk_create(rows, ignore_conflicts=True)
    made = SanctionSuggestion.objects.filter(finding__in=findings, created_at=now).select_related(
        "sanction_type", "point"
    )
    for suggestion in made:
        key = "suggested" if suggestion.status == SuggestionStatus.SUGGESTED else "not_needed"
        summary[key] += 1
        audit_record(
            action="sanction_ladder.suggest",
            actor=actor,
            obj=suggestion,
            fields={
                "finding": suggestion.finding_id,
                "ladder": suggestion.ladder,
                "rung": suggestion.rung,
                "rungs": suggestion.rung_count,
                "type": suggestion.sanction_type.code,
                "earlier_findings": [pk for pk, _day in suggestion.prior_findings],
                "window_days": suggestion.window_days,
                "ladder_version": version.version,
                "status": suggestion.status,
                "not_needed": suggestion.not_needed,
            },
        )
    return summary


def findings_recorded(finding_ids: list[int]) -> None:
    """inspections.hooks handler: a report was accepted and these findings made."""
    suggestions_make(finding_ids=finding_ids)


def ladder_catch_up(*, now: dt.datetime, actor: User | None = None) -> dict:
    """Nightly step: suggestions for the findings of the last CATCH_UP_DAYS days that have none (the hook
    failed, or findings were made another way). Safe to run again: it finds nothing the second time."""
    ids = list(
        Finding.objects.filter(
            ladder_suggestion__isnull=True, created_at__gte=now - dt.timedelta(days=CATCH_UP_DAYS), created_at__lte=now
        ).values_list("pk", flat=True)
    )
    return suggestions_make(finding_ids=ids, actor=actor, now=now)


def _locked_open(suggestion: SanctionSuggestion, actor: User) -> SanctionSuggestion:
    if not actor.has_perm(PROPOSE_PERMISSION):
        raise PermissionDenied
    suggestion = (
        SanctionSuggestion.objects.select_for_update()
        .select_related("finding", "sanction_type", "point")
        .get(pk=suggestion.pk)
    )
    if not user_can_see_province(actor, suggestion.point.province_id):
        raise PermissionDenied
    if suggestion.status != SuggestionStatus.SUGGESTED:
        raise ValidationError(
            _("This suggestion has already been dealt with (%(status)s).")
            % {"status": suggestion.get_status_display().lower()},
            code="decided",
        )
    return suggestion


@transaction.atomic
def suggestion_confirm(*, suggestion: SanctionSuggestion, amount_vnd: int | None, note: str, actor: User) -> Sanction:
    """An officer confirms: the sanction is PROPOSED by that officer (inspections.services.sanctions checks
    the grounds and a fine's legal range), and a manager who did not propose it decides, as for any other."""
    suggestion = _locked_open(suggestion, actor)
    sanction = sanction_services.sanction_propose(
        finding=suggestion.finding,
        sanction_type=suggestion.sanction_type,
        amount_vnd=amount_vnd,
        note=note,
        actor=actor,
    )
    suggestion.status = SuggestionStatus.CONFIRMED
    suggestion.sanction = sanction
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.decision_note = sanction.proposal_note
    suggestion.save(update_fields=["status", "sanction", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action="sanction_ladder.confirm",
        actor=actor,
        obj=suggestion,
        fields={
            "finding": suggestion.finding_id,
            "sanction": sanction.pk,
            "type": suggestion.sanction_type.code,
            "amount_vnd": amount_vnd,
            "rung": suggestion.rung,
            "ladder": suggestion.ladder,
        },
    )
    return sanction


@transaction.atomic
def suggestion_dismiss(*, suggestion: SanctionSuggestion, reason: str, actor: User) -> SanctionSuggestion:
    """An officer dismisses the suggestion with a reason; nothing is proposed (a sanction may still be
    proposed by hand on the finding)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why no sanction follows the ladder here.")})
    suggestion = _locked_open(suggestion, actor)
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.decision_note = reason
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action="sanction_ladder.dismiss",
        actor=actor,
        obj=suggestion,
        fields={"finding": suggestion.finding_id, "type": suggestion.sanction_type.code, "rung": suggestion.rung},
        reason=reason,
    )
    return suggestion
