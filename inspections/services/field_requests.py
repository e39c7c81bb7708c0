"""Changes the phone sends more than once: the `Idempotency-Key` header (contract with
static/js/inspection/*, issue 14).

Every POST of the phone's outbox carries `Idempotency-Key` (1-64 of [A-Za-z0-9-]; the phone uses UUIDs).
`request_claim` runs inside the transaction that does the change, before it:

- a new key: a FieldRequest row is inserted first; `request_answered` then stores the answer (200 or 400)
  in the same transaction. Any other outcome (an exception: 5xx, 403, 404) rolls the row back with the
  change, so a retry with the same key does the work;
- a key this user already sent for the same endpoint and task: the stored status and JSON body, and nothing
  is done again (no second photo, SIM, answer history or audit event);
- the same key on another task or endpoint: a conflict (HTTP 409).

Two requests with the same key at the same moment: the second INSERT waits on the unique index
(user, key) until the first commits, then fails and replays the first's answer (or, if the first rolled
back, does the work itself). Rows are deleted after FieldRequest.KEEP_DAYS by the nightly step
`request_keys_purge`.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User

from ..models import FieldRequest, InspectionTask

KEY_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")
# what is stored and replayed; any other answer is not kept
RECORDED_STATUSES = (200, 400)


@dataclass(frozen=True)
class Claim:
    """What to do with a request: `row` to do the work and record its answer in; `replay` (status, body) to
    answer again; `conflict` a message for HTTP 409."""

    row: FieldRequest | None = None
    replay: tuple[int, dict] | None = None
    conflict: str = ""


def key_is_valid(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key or ""))


def request_claim(
    *, user: User, key: str, endpoint: str, task: InspectionTask, path: str, clock_skew_s: float | None = None
) -> Claim:
    """Claim `key` for this change (call inside the transaction that makes it; see the module docstring)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("request_claim must run inside the change's transaction")
    try:
        with transaction.atomic():
            row = FieldRequest.objects.create(
                user=user, key=key, endpoint=endpoint, task=task, path=path[:200], clock_skew_s=clock_skew_s
            )
    except IntegrityError:
        # recorded earlier, or by a concurrent request that has committed by now (the INSERT waited for it)
        row = FieldRequest.objects.select_for_update().get(user=user, key=key)
    else:
        return Claim(row=row)
    if row.endpoint != endpoint or row.task_id != task.pk or row.path != path[:200]:
        return Claim(
            conflict=_(
                "This change's key (Idempotency-Key) was already used for another change (task #%(task)s): "
                "the phone must send each change with its own key."
            )
            % {"task": row.task_id}
        )
    if row.status is None:  # only seen without row locks (SQLite): the first is still at work
        return Claim(conflict=_("This change is still being processed: try again in a moment."))
    return Claim(replay=(row.status, row.body or {}))


def request_answered(*, row: FieldRequest, status: int, body: dict) -> bool:
    """Store the answer given for a claimed key (200 and 400 only); another status forgets the key so that a
    retry does the work. True when stored."""
    if status not in RECORDED_STATUSES:
        row.delete()
        return False
    row.status, row.body = status, body
    row.save(update_fields=["status", "body"])
    return True


def request_keys_purge(*, now: datetime | None = None, actor=None) -> dict:
    """The nightly step: delete the keys older than FieldRequest.KEEP_DAYS; the count for the night's record."""
    now = now or timezone.now()
    deleted, _rows = FieldRequest.objects.filter(created_at__lt=now - timedelta(days=FieldRequest.KEEP_DAYS)).delete()
    return {"deleted": deleted}
