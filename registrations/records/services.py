"""Writes and audited actions on registrations."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core.audit import audit_record

from ..models import Registration
from .masking import REVEALED_FIELDS, revealed

REVEAL_PERMISSION = "core.reveal_personal_data"
REVEAL_REASON_MIN_LENGTH = 10


def registration_reveal(*, registration: Registration, actor, reason: str, channel: str = "web") -> dict:
    """The registration's unmasked personal data, for this response only; records one AuditEvent.

    The event names the fields shown and carries the reason, never the values. Callers fetch the
    registration through selectors.registration_get, so it is in the actor's provinces.
    """
    if not actor.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if len(reason) < REVEAL_REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": _("Give a reason of at least %(n)d characters.") % {"n": REVEAL_REASON_MIN_LENGTH}}
        )
    values = revealed(registration)
    audit_record(
        action="registration.reveal",
        actor=actor,
        obj=registration,
        reason=reason,
        fields={"revealed": [field for field in REVEALED_FIELDS if values[field] not in ("", None)], "via": channel},
    )
    return values
