"""Reviewing flags: confirm or dismiss, with a reason, in bulk or one at a time.

A review is one transaction: the flags are locked, every transition is checked before anything is
written, then each flag gets a FlagEvent (its history) and an AuditEvent (the regulator's trail; one per
flag, so each carries the flag's province and an auditor limited to some provinces sees exactly the
reviews of flags in them).
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from .models import Flag, FlagEvent, FlagStatus

REVIEW_PERMISSION = "registrations.review_flag"
REVIEW_STATUSES = (FlagStatus.CONFIRMED, FlagStatus.DISMISSED)
# A resolved flag's condition no longer holds: there is nothing to confirm or dismiss. A reviewed flag may
# be reviewed again the other way (a second look), with its own reason; the history keeps both.
ALLOWED_FROM = {
    FlagStatus.CONFIRMED: {FlagStatus.OPEN, FlagStatus.DISMISSED},
    FlagStatus.DISMISSED: {FlagStatus.OPEN, FlagStatus.CONFIRMED},
}
MAX_BULK = 500
REASON_MAX_LENGTH = 2000


def _ids(flags: Iterable) -> list[int]:
    ids = []
    for flag in flags:
        pk = flag.pk if isinstance(flag, Flag) else flag
        try:
            ids.append(int(pk))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"ids": _("Not a flag id: %(value)s.") % {"value": pk}}) from exc
    return list(dict.fromkeys(ids))


@transaction.atomic
def flags_review(*, flags: Iterable, to_status: str, reason: str, actor) -> list[Flag]:
    """Confirm or dismiss `flags` (Flag objects or ids) with a reason; all or nothing.

    Only flags the actor may see can be reviewed: an id outside its provinces is refused exactly like an
    id that does not exist. Raises PermissionDenied without the review permission (auditors), and
    ValidationError for a missing reason, an unknown id or a transition that is not allowed.
    """
    if not actor.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied
    if to_status not in REVIEW_STATUSES:
        raise ValidationError({"status": _("A flag can be confirmed or dismissed, nothing else.")})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this decision.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": REASON_MAX_LENGTH}})
    ids = _ids(flags)
    if not ids:
        raise ValidationError({"ids": _("Select at least one flag.")})
    if len(ids) > MAX_BULK:
        raise ValidationError({"ids": _("At most %(n)d flags at a time.") % {"n": MAX_BULK}})

    locked = list(
        Flag.objects.for_user(actor)
        .filter(pk__in=ids)
        .select_related("rule", "point")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    missing = sorted(set(ids) - {flag.pk for flag in locked})
    if missing:
        raise ValidationError(
            {"ids": _("No such flag in your provinces: %(ids)s.") % {"ids": ", ".join(map(str, missing))}}
        )
    refused = [flag for flag in locked if flag.status not in ALLOWED_FROM[to_status]]
    if refused:
        label = FlagStatus(to_status).label.lower()
        raise ValidationError(
            {
                "status": _("These flags cannot be %(action)s: %(flags)s.")
                % {
                    "action": label,
                    "flags": ", ".join(f"#{f.pk} ({FlagStatus(f.status).label.lower()})" for f in refused),
                }
            }
        )

    now = timezone.now()
    FlagEvent.objects.bulk_create(
        FlagEvent(flag=flag, at=now, actor=actor, from_status=flag.status, to_status=to_status, reason=reason)
        for flag in locked
    )
    Flag.objects.filter(pk__in=[flag.pk for flag in locked]).update(
        status=to_status, reviewer=actor, reviewed_at=now, reason=reason
    )
    action = "flag.confirm" if to_status == FlagStatus.CONFIRMED else "flag.dismiss"
    for flag in locked:
        audit_record(
            action=action,
            actor=actor,
            obj=flag,
            reason=reason,
            fields={
                "rule": flag.rule.code,
                "subject_type": flag.subject_type,
                "subject_id": flag.subject_id,
                "status": [flag.status, to_status],
                "bulk": len(locked),
            },
        )
        flag.status, flag.reviewer, flag.reviewed_at, flag.reason = to_status, actor, now, reason
    return locked
