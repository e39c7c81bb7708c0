"""The audit trail: one call records one hash-chained event.

Tamper evidence, in three parts:
- each event's hash is an HMAC (AUDIT_HMAC_KEY, a secret kept out of the database) of its content and
  the previous event's hash: someone who can write the table cannot edit an event and recompute the
  hashes after it;
- the chain's head (id and hash of each new event) is also written outside the table, as it commits:
  appended to AUDIT_ANCHOR_FILE and logged to the `sim_agent_watch.audit` logger (send it to syslog in
  production), so removing the newest events, or all of them, is found by `verify_audit`;
- the database refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE of the table (migrations 0003, 0006).
"""

import json
import logging
import os
from base64 import urlsafe_b64decode
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .middleware import client_ip, current_request
from .models import AuditEvent

anchor_log = logging.getLogger("sim_agent_watch.audit")

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
            key_id=active_key_id(),
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        transaction.on_commit(lambda: _anchor(event.pk, event.hash))
    return event


# --- keys -------------------------------------------------------------------------------------------


@cache
def _keys(setting: str) -> tuple[str, dict[str, bytes]]:
    """(active key id, {key id: key}) from `kid:base64key[,oldkid:oldkey...]`; the first key signs."""
    keys: dict[str, bytes] = {}
    for item in setting.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid or not encoded:
            raise ImproperlyConfigured("AUDIT_HMAC_KEY must be 'keyid:base64key[,oldid:oldkey...]'.")
        key = urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(key) < 32:
            raise ImproperlyConfigured(f"AUDIT_HMAC_KEY {kid!r} must be at least 32 bytes.")
        keys[kid[:16]] = key
    return next(iter(keys)), keys


def active_key_id() -> str:
    return _keys(settings.AUDIT_HMAC_KEY)[0]


def chain_key(key_id: str) -> bytes:
    """The key named `key_id`; KeyError when this server does not have it."""
    return _keys(settings.AUDIT_HMAC_KEY)[1][key_id]


# --- anchors: the head outside the table ------------------------------------------------------------


def _anchor(event_id: int, event_hash: str) -> None:
    anchor_log.info("audit head %s %s", event_id, event_hash)
    path = settings.AUDIT_ANCHOR_FILE
    if not path:
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One short line per write in append mode: lines from several processes do not interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, f"{event_id} {event_hash}\n".encode("ascii"))
        finally:
            os.close(fd)
    except OSError:  # never fail the action being audited; verify_audit will miss this one anchor
        anchor_log.exception("Could not append audit event %s to %s", event_id, path)


def audit_head() -> dict:
    """The chain's newest event as an anchor to keep elsewhere (a nightly run, a report, an evidence pack):
    {"id", "hash"}, or {"id": 0, "hash": GENESIS} for an empty trail."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    return head or {"id": 0, "hash": GENESIS}


def all_anchors() -> dict[int, str]:
    """Every head kept outside the table: the anchor file's and those the apps keep (core.registry)."""
    from .registry import AUDIT_ANCHOR_SOURCES

    anchors = file_anchors()
    for _label, source in AUDIT_ANCHOR_SOURCES:
        anchors.update(source())
    return anchors


def file_anchors(path: str | None = None) -> dict[int, str]:
    """{event id: hash} from the anchor file (missing file: none)."""
    path = settings.AUDIT_ANCHOR_FILE if path is None else path
    anchors: dict[int, str] = {}
    if not path or not os.path.exists(path):
        return anchors
    with open(path, encoding="ascii", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                anchors[int(parts[0])] = parts[1]
    return anchors


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


def verify_chain(chunk_size: int = 5000, anchors: dict[int, str] | None = None):
    """Walk the chain in order; return (rows checked, first broken event or None, what is wrong).

    Besides each link and hash, every anchor kept outside the table (the anchor file, or `anchors`
    given by the caller, e.g. heads stored in nightly runs) must name an event that is still there with
    the same hash: an anchor past the last event means the newest events were removed.
    """
    anchors = file_anchors() if anchors is None else anchors
    expected_prev = GENESIS
    checked = 0
    keyed = False
    last = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return checked, event, "its link to the previous event does not match (an event was removed or altered)"
        if event.key_id:
            keyed = True
        elif keyed:
            return checked, event, "it is not signed with the audit key although earlier events are (it was forged)"
        try:
            expected_hash = event.compute_hash()
        except KeyError:
            return checked, event, f"it is signed with audit key {event.key_id!r}, which this server does not have"
        if expected_hash != event.hash:
            return checked, event, "its content does not match its hash (the event was edited)"
        anchored = anchors.get(event.pk)
        if anchored is not None and anchored != event.hash:
            return checked, event, "its hash differs from the one anchored outside the database (it was replaced)"
        expected_prev = event.hash
        checked += 1
        last = event
    newest_anchor = max(anchors, default=0)
    if newest_anchor > (last.pk if last else 0):
        ends = f"at #{last.pk}" if last else "empty"
        why = f"events up to #{newest_anchor} were recorded but the trail ends {ends} (the newest events were removed)"
        return checked, AnchorGap(newest_anchor, anchors[newest_anchor]), why
    return checked, None, ""


class AnchorGap:
    """Stands for an anchored event that is no longer in the table (for verify_audit's message)."""

    def __init__(self, pk: int, hash_: str):
        self.pk, self.hash = pk, hash_
        self.created_at = None
        self.action = "(removed)"
