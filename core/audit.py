"""The audit trail: one call records one hash-chained event.

Tamper evidence, in three parts:
- each event's hash is an HMAC (AUDIT_HMAC_KEY, a secret kept out of the database) of its content and
  the previous event's hash: someone who can write the table cannot edit an event and recompute the
  hashes after it;
- the chain's head (id and hash of each new event) is also written outside the table, as it commits:
  appended to AUDIT_ANCHOR_FILE (and logged at DEBUG to the `sim_agent_watch.audit` logger: one line per
  event is noise on the console at INFO), so removing the newest events, or all of them, is found by
  `verify_audit`;
- the database refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE of the table (migrations 0003, 0006).
"""

import json
import logging
import os
from base64 import urlsafe_b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .middleware import client_ip, current_request
from .models import AuditEvent, AuditVerification
from .runs import QueueUnavailable, RunBusy, RunKind, queue_unavailable_message, send_task

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
    anchor_log.debug("audit head %s %s", event_id, event_hash)
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


# --- checking the chain (manage.py verify_audit and the audit page's "Verify the chain") ---------------

# What a check found wrong, as a code (stored on an AuditVerification) and in words (pages, the command).
PROBLEMS = {
    "link": _("its link to the previous event does not match (an event was removed or altered)"),
    "unsigned": _("it is not signed with the audit key although earlier events are (it was forged)"),
    "unknown_key": _("it is signed with audit key %(key)s, which this server does not have"),
    "edited": _("its content does not match its hash (the event was edited)"),
    "replaced": _("its hash differs from the one anchored outside the database (it was replaced)"),
    "truncated": _(
        "events up to #%(anchor)s were recorded but the trail ends at #%(last)s (the newest events were removed)"
    ),
    "emptied": _("events up to #%(anchor)s were recorded but the trail ends empty (the newest events were removed)"),
}


@dataclass
class ChainCheck:
    """What one walk of the chain found: events checked, anchors compared, and the first broken event."""

    checked: int
    anchors: int
    broken: object = None  # an AuditEvent, an AnchorGap, or None when intact
    problem: str = ""  # a key of PROBLEMS
    params: dict = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.broken is None

    @property
    def why(self) -> str:
        return problem_message(self.problem, self.params)


def problem_message(problem: str, params: dict | None = None) -> str:
    """A stored problem code in the reader's language."""
    if not problem:
        return ""
    text = PROBLEMS.get(problem)
    if text is None:
        return problem
    return str(text) % (params or {})


def check_chain(
    *, anchors: dict[int, str] | None = None, chunk_size: int = 5000, progress: Callable[[int], None] | None = None
) -> ChainCheck:
    """Walk the chain in order, checking each link, each keyed hash and every anchor kept outside the table.

    `anchors`: default every head kept outside the table (`all_anchors`: the anchor file and the sources apps
    register, e.g. heads stored in nightly runs). Each must name an event that is still there with the same
    hash: an anchor past the last event means the newest events were removed. `progress(checked)` is called
    after each `chunk_size` events (a job's heartbeat).
    """
    anchors = all_anchors() if anchors is None else anchors
    expected_prev = GENESIS
    checked = 0
    keyed = False
    last = None

    def broken(event, problem, **params):
        return ChainCheck(checked, len(anchors), event, problem, params)

    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return broken(event, "link")
        if event.key_id:
            keyed = True
        elif keyed:
            return broken(event, "unsigned")
        try:
            expected_hash = event.compute_hash()
        except KeyError:
            return broken(event, "unknown_key", key=event.key_id)
        if expected_hash != event.hash:
            return broken(event, "edited")
        anchored = anchors.get(event.pk)
        if anchored is not None and anchored != event.hash:
            return broken(event, "replaced")
        expected_prev = event.hash
        checked += 1
        last = event
        if progress is not None and checked % chunk_size == 0:
            progress(checked)
    newest_anchor = max(anchors, default=0)
    if newest_anchor > (last.pk if last else 0):
        gap = AnchorGap(newest_anchor, anchors[newest_anchor])
        if last is None:
            return broken(gap, "emptied", anchor=newest_anchor)
        return broken(gap, "truncated", anchor=newest_anchor, last=last.pk)
    return ChainCheck(checked, len(anchors))


def verify_chain(chunk_size: int = 5000, anchors: dict[int, str] | None = None):
    """(rows checked, first broken event or None, what is wrong) against `anchors` (default: the anchor file)."""
    result = check_chain(anchors=file_anchors() if anchors is None else anchors, chunk_size=chunk_size)
    return result.checked, result.broken, result.why


class AnchorGap:
    """Stands for an anchored event that is no longer in the table (for verify_audit's message)."""

    def __init__(self, pk: int, hash_: str):
        self.pk, self.hash = pk, hash_
        self.created_at = None
        self.action = "(removed)"


# --- "Verify the chain" as a job (core.runs), started from the audit page -----------------------------

VERIFY_PERMISSION = "core.run_auditverification"
VERIFY_TASK = "core.verify_audit_task"  # by name: the task module imports this one


def _busy_message(run) -> str:
    if run is None:
        return str(_("A verification of the audit trail is already running."))
    return str(_("A verification of the audit trail is already running (#%(id)s).") % {"id": run.pk})


class VerificationBusy(RunBusy):
    """A verification is running (its heartbeat is recent): a second one would only repeat it."""


VERIFICATIONS = RunKind(
    model=AuditVerification,
    lock_key=0x5A_56_45_52,  # "ZVER": serialises claims, not runs
    busy_error=VerificationBusy,
    busy_message=_busy_message,
)


def running_verification() -> AuditVerification | None:
    return AuditVerification.objects.filter(VERIFICATIONS.live_filter()).order_by("-id").first()


def audit_verification_start(*, actor) -> AuditVerification:
    """Record a verification asked by `actor` and queue it once committed.

    Refuses (VerificationBusy) while one is running. With the broker down the row is kept, FAILED with a
    message that says so (core.runs.send_task gives up within about two seconds): its page shows it.
    """
    if not actor.has_perm(VERIFY_PERMISSION):
        raise PermissionDenied
    if running_verification() is not None:
        raise VERIFICATIONS.busy()
    with transaction.atomic():
        run = AuditVerification.objects.create(requested_by=actor, requested_at=timezone.now())
        transaction.on_commit(lambda: _queue_or_fail(run))
    return run


def _queue_or_fail(run: AuditVerification) -> None:
    try:
        send_task(VERIFY_TASK, args=(run.pk,))
    except QueueUnavailable:
        AuditVerification.objects.filter(pk=run.pk, status=AuditVerification.Status.PENDING).update(
            status=AuditVerification.Status.FAILED, finished_at=timezone.now(), error=queue_unavailable_message()
        )


def audit_verification_run(*, verification_id: int) -> AuditVerification | None:
    """Run a queued verification: the check of `manage.py verify_audit`, its result stored and audited.

    Safe to run twice: a verification already done is left as it is.
    """
    pending = AuditVerification.Status.PENDING
    with VERIFICATIONS.exclusive() as claim:

        def start(now):
            AuditVerification.objects.filter(pk=verification_id, status=pending).update(
                status=AuditVerification.Status.RUNNING, started_at=now, heartbeat_at=now
            )
            return AuditVerification.objects.select_related("requested_by").get(pk=verification_id)

        try:
            run = claim(start)
        except VerificationBusy as exc:
            AuditVerification.objects.filter(pk=verification_id, status=pending).update(
                status=AuditVerification.Status.FAILED, finished_at=timezone.now(), error=str(exc)
            )
            return None
        if run.status != AuditVerification.Status.RUNNING:
            return run
        try:
            result = check_chain(progress=lambda n: _progress(run, n))
        except Exception as exc:
            _finish(run, status=AuditVerification.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000])
            raise
        run.checked, run.anchors, run.intact = result.checked, result.anchors, result.intact
        if not result.intact:
            run.broken_event_id = result.broken.pk
            run.broken_event_at = result.broken.created_at
            run.broken_action = "" if isinstance(result.broken, AnchorGap) else result.broken.action[:64]
            run.problem, run.problem_params = result.problem, result.params
        _finish(run, status=AuditVerification.Status.DONE)
    return run


def _progress(run: AuditVerification, checked: int) -> None:
    run.checked = checked
    VERIFICATIONS.heartbeat(run, fields=["checked"])


def _finish(run: AuditVerification, *, status: str, error: str = "") -> None:
    run.status, run.error = status, error
    run.finished_at = run.heartbeat_at = timezone.now()
    with transaction.atomic():
        run.save(
            update_fields=[
                "status",
                "error",
                "finished_at",
                "heartbeat_at",
                "checked",
                "anchors",
                "intact",
                "broken_event_id",
                "broken_event_at",
                "broken_action",
                "problem",
                "problem_params",
            ]
        )
        audit_record(
            action="audit.verify",
            actor=run.requested_by,
            obj=run,
            fields={
                "status": status,
                "intact": run.intact,
                "checked": run.checked,
                "anchors": run.anchors,
                "broken_event": run.broken_event_id,
                "problem": run.problem,
            },
            reason=error,
        )


# --- actions and objects in words (issue 12) ----------------------------------------------------------

# The core's own actions; every other app registers its own from its AppConfig.ready() (core.registry).
CORE_ACTION_LABELS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Sign-in failed"),
    "user.create": _("Account created"),
    "user.change": _("Role, provinces or details changed"),
    "user.access_change": _("Role or provinces changed (admin)"),
    "user.password_set": _("Password set"),
    "user.token_issue": _("API token issued"),
    "user.token_revoke": _("API token revoked"),
    "crypto.rotate": _("Encryption keys rotated"),
    "audit.export": _("Audit trail exported"),
    "audit.verify": _("Audit trail verified"),
}

# Object types that name no model: what they stand for (a label, or the model they mean).
OBJECT_TYPE_LABELS = {"core.crypto": _("Personal data encryption keys")}
OBJECT_TYPE_ALIASES = {"agents.agents": "agents.agent", "agents.points": "agents.registrationpoint"}


def action_label(code: str) -> str:
    """An action code in the reader's language; the code itself only for an action nobody registered."""
    from .registry import AUDIT_ACTION_LABELS

    label = AUDIT_ACTION_LABELS.get(code)
    return str(label) if label else code


def object_type_label(object_type: str) -> str:
    """An event's object type ("agents.registrationpoint") as its model's name in the reader's language."""
    if not object_type:
        return ""
    if object_type in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[object_type])
    try:
        model = apps.get_model(OBJECT_TYPE_ALIASES.get(object_type, object_type))
    except (LookupError, ValueError):
        return object_type
    return capfirst(str(model._meta.verbose_name))
