"""Sanctions on findings: an officer proposes from the catalogue, a manager (never the proposer) approves or
rejects; approving a suspension or termination changes the point's or agent's status through agents.services."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents import services as agent_services
from agents.models import Agent, RegistrationPoint, Status, StatusChange
from core import events
from core.audit import audit_record
from core.models import User
from core.numbers import vnd
from core.scoping import user_can_see_province
from core.texts import system_text

from .. import texts
from ..models import Finding, Sanction, SanctionKind, SanctionStatus, SanctionTarget, SanctionType

PROPOSE_PERMISSION = "inspections.propose_sanction"
APPROVE_PERMISSION = "inspections.approve_sanction"

# (kind, target) -> (agents' service, the keyword its subject goes by, the status it leads to)
STATUS_EFFECTS = {
    (SanctionKind.SUSPENSION, SanctionTarget.POINT): (agent_services.point_suspend, "point", Status.SUSPENDED),
    (SanctionKind.SUSPENSION, SanctionTarget.AGENT): (agent_services.agent_suspend, "agent", Status.SUSPENDED),
    (SanctionKind.TERMINATION, SanctionTarget.POINT): (agent_services.point_terminate, "point", Status.TERMINATED),
    (SanctionKind.TERMINATION, SanctionTarget.AGENT): (agent_services.agent_terminate, "agent", Status.TERMINATED),
}


def _in_scope(actor: User, point: RegistrationPoint):
    if not user_can_see_province(actor, point.province_id):
        raise PermissionDenied


@transaction.atomic
def sanction_propose(
    *, finding: Finding, sanction_type: SanctionType, amount_vnd: int | None = None, note: str, actor: User
) -> Sanction:
    """A PROPOSED sanction on a finding. A fine needs an amount within its type's legal range; the other
    kinds take none. The target is the finding's point, or that point's agent."""
    if not actor.has_perm(PROPOSE_PERMISSION):
        raise PermissionDenied
    finding = Finding.objects.select_related("point", "point__agent").get(pk=finding.pk)
    _in_scope(actor, finding.point)
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("Give the grounds for this sanction.")
    if not sanction_type.active:
        errors["sanction_type"] = _("This sanction is no longer in the catalogue.")
    if sanction_type.kind == SanctionKind.FINE:
        low, high = sanction_type.fine_min_vnd or 0, sanction_type.fine_max_vnd
        if amount_vnd is None:
            errors["amount_vnd"] = _("A fine needs an amount in VND.")
        elif amount_vnd < low or (high is not None and amount_vnd > high):
            # amounts as the reader's language writes money (the `vnd` filter: 35.000.000 ₫ / 35,000,000 ₫);
            # built here, in the request's active language (the API's caller's saved language)
            words = {"low": vnd(low), "high": vnd(high), "basis": sanction_type.legal_basis}
            if high is None:
                errors["amount_vnd"] = _("The amount must be at least %(low)s (%(basis)s).") % words
            else:
                errors["amount_vnd"] = _("The amount must be between %(low)s and %(high)s (%(basis)s).") % words
    elif amount_vnd is not None:
        errors["amount_vnd"] = _("Only a fine has an amount.")
    if errors:
        raise ValidationError(errors)
    sanction = Sanction.objects.create(
        finding=finding,
        sanction_type=sanction_type,
        point=finding.point,
        agent=finding.point.agent,
        amount_vnd=amount_vnd,
        proposal_note=note,
        proposed_by=actor,
    )
    audit_record(
        action="sanction.propose",
        actor=actor,
        obj=sanction,
        fields={
            "finding": finding.pk,
            "type": sanction_type.code,
            "target": sanction_type.target,
            "amount_vnd": amount_vnd,
        },
        reason=note,
    )
    return sanction


def _locked_proposed(sanction: Sanction, actor: User) -> Sanction:
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    sanction = (
        Sanction.objects.select_for_update()
        .select_related("sanction_type", "point", "agent", "finding")
        .get(pk=sanction.pk)
    )
    _in_scope(actor, sanction.point)
    if sanction.status != SanctionStatus.PROPOSED:
        raise ValidationError(
            _("This sanction has already been decided (%(status)s).") % {"status": sanction.get_status_display()},
            code="decided",
        )
    return sanction


def _target(sanction: Sanction) -> RegistrationPoint | Agent:
    return sanction.agent if sanction.sanction_type.target == SanctionTarget.AGENT else sanction.point


def _apply_status(sanction: Sanction, actor: User) -> StatusChange | None:
    """Suspend or terminate the target through the agents' services; None for a warning or a fine."""
    effect = STATUS_EFFECTS.get((sanction.sanction_type.kind, sanction.sanction_type.target))
    if effect is None:
        return None
    service, keyword, to_status = effect
    target = type(_target(sanction)).objects.get(pk=_target(sanction).pk)  # the stored status, not a copy
    if target.status == to_status:
        raise ValidationError(
            _("%(target)s is already %(status)s: approving this sanction would change nothing.")
            % {"target": target, "status": Status(to_status).label.lower()},
            code="already",
        )
    reason = system_text(
        texts.SANCTION_APPROVED,
        id=sanction.pk,
        type=sanction.sanction_type.name("en"),
        basis=sanction.sanction_type.legal_basis,
        finding=sanction.finding_id,
    )
    kwargs = {keyword: target, "reason": reason, "actor": actor, "source": StatusChange.Source.SANCTION}
    if keyword == "agent":
        kwargs["include_points"] = True  # an agent that may not register subscribers stops at all its points
    try:
        service(**kwargs)
    except ValidationError as exc:
        raise ValidationError(
            _("%(target)s cannot be made %(status)s: %(why)s")
            % {"target": target, "status": Status(to_status).label.lower(), "why": " ".join(exc.messages)},
            code="status_refused",
        ) from exc
    return StatusChange.objects.filter(
        **{keyword: target}, source=StatusChange.Source.SANCTION, to_status=to_status
    ).latest("changed_at", "id")


@transaction.atomic
def sanction_approve(*, sanction: Sanction, actor: User, note: str = "") -> Sanction:
    """PROPOSED -> APPROVED by someone with approve_sanction who did not propose it; a suspension or
    termination is applied at once (status change with history, source SANCTION). If the status change is
    refused, nothing changes."""
    sanction = _locked_proposed(sanction, actor)
    if sanction.proposed_by_id == actor.pk:
        raise ValidationError(
            _("You proposed this sanction: another manager must approve it (four-eyes rule)."), code="four_eyes"
        )
    change = _apply_status(sanction, actor)
    sanction.status = SanctionStatus.APPROVED
    sanction.decided_by = actor
    sanction.decided_at = timezone.now()
    sanction.decision_reason = (note or "").strip()
    sanction.status_change = change
    sanction.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "status_change"])
    audit_record(
        action="sanction.approve",
        actor=actor,
        obj=sanction,
        fields={
            "type": sanction.sanction_type.code,
            "amount_vnd": sanction.amount_vnd,
            "status_change": change.pk if change else None,
        },
        reason=sanction.decision_reason,
    )
    # the operator's systems hear of it once this commits (codes and amounts only: core.webhooks)
    events.publish(
        "sanction.approved",
        {
            "sanction": sanction.pk,
            "kind": sanction.sanction_type.kind,
            "type": sanction.sanction_type.code,
            "target": sanction.sanction_type.target,
            "point": sanction.point.code,
            "agent": sanction.agent.code,
            "amount_vnd": sanction.amount_vnd,
            "status_change": change.pk if change else None,
        },
    )
    return sanction


@transaction.atomic
def sanction_reject(*, sanction: Sanction, actor: User, reason: str) -> Sanction:
    """PROPOSED -> REJECTED, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for rejecting this sanction.")})
    sanction = _locked_proposed(sanction, actor)
    sanction.status = SanctionStatus.REJECTED
    sanction.decided_by = actor
    sanction.decided_at = timezone.now()
    sanction.decision_reason = reason
    sanction.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        action="sanction.reject", actor=actor, obj=sanction, fields={"type": sanction.sanction_type.code}, reason=reason
    )
    return sanction
