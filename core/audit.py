"""The audit trail: one call records one hash-chained event."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .middleware import client_ip, current_request
from .models import AuditEvent

GENESIS = "0" * 64
# pg_advisory_xact_lock key: serialises writers so each row links to the true previous one.
_CHAIN_LOCK = 0x5A_41_55_44  # "ZAUD"


def audit_record(
    *,
    action: str,
    actor=None,
    obj=None,
    fields: dict | None = None,
    reason: str = "",
    province_code: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_label: str = "",
    request=None,
) -> AuditEvent:
    request = request if request is not None else current_request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        province_code = province_code or _province_of(obj)
    # Store exactly what JSON gives back, so the hash recomputes the same after a read.
    clean_fields = json.loads(json.dumps(fields or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor=actor,
            actor_label=(actor_label or (actor.get_username() if actor else ""))[:150],
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            province_code=province_code or "",
            fields=clean_fields,
            reason=reason,
            ip=client_ip(request),
            prev_hash=last or GENESIS,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def _province_of(obj) -> str:
    path = getattr(type(obj), "scope_province_field", "")
    if not path:
        return ""
    *relations, last = path.split("__")
    value = obj
    for relation in relations:
        value = getattr(value, relation, None)
        if value is None:
            return ""
    code = getattr(value, last + "_id", None) or getattr(value, last, None)
    return str(code) if code else ""


def verify_chain(chunk_size: int = 5000):
    """Walk the chain in order; return (rows checked, first broken event or None, what is wrong)."""
    expected_prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return checked, event, "its link to the previous event does not match (an event was removed or altered)"
        if event.compute_hash() != event.hash:
            return checked, event, "its content does not match its hash (the event was edited)"
        expected_prev = event.hash
        checked += 1
    return checked, None, ""
