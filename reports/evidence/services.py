"""Writes of reports.evidence: asking for a pack, making it (a worker's job, or the command), downloading it.

A pack asked for on a page is a long job (core/runs.py): PENDING until a worker takes it (`PACKS.take`,
so a task delivered twice makes it once, and a pack whose worker died is taken over when the task comes
back), RUNNING with a heartbeat that carries its progress, then DONE or FAILED. A RUNNING pack whose
heartbeat stopped is marked FAILED ("the job stopped") by the page that shows it.

Every pack is written to a temporary file first and moved into place only once complete, so a failure
leaves nothing half-written.
"""

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.models import Agent, RegistrationPoint
from core.audit import audit_record
from core.runs import QueueUnavailable, RunKind, queue_unavailable_message, send_task

from . import packing, selectors
from .models import EvidencePack

logger = logging.getLogger(__name__)

PACKS = RunKind(model=EvidencePack)
PACK_TASK = "reports.evidence.make_pack_task"  # by name: the task module imports this one
PROGRESS_EVERY_SECONDS = 1.0

ACTION_REQUEST = "evidence_pack.request"
ACTION_GENERATE = "evidence_pack.generate"
ACTION_DOWNLOAD = "evidence_pack.download"
AUDIT_ACTIONS = {
    ACTION_REQUEST: gettext_lazy("Evidence pack requested"),
    ACTION_GENERATE: gettext_lazy("Evidence pack generated"),
    ACTION_DOWNLOAD: gettext_lazy("Evidence pack downloaded"),
}


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(packing.COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Written:
    result: packing.PackResult
    sha256: str
    size: int


# --- the command: a pack written straight to a file -----------------------------------------------------


def evidence_pack_write(
    *, subject: Agent | RegistrationPoint, target: Path, generated_by: str, language: str | None = None
) -> Written:
    """Write the pack of `subject` to `target` (every point: the command is not limited to provinces),
    through a temporary file in the same folder renamed at the end; audited. OSError when the folder
    cannot be written (nothing is left behind). `language`: see packing.write_pack (None: the site's)."""
    target = Path(target)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w+b") as fh:
            result = packing.write_pack(fh, subject=subject, generated_by=generated_by, language=language)
        sha, size = _sha256_of(temp), temp.stat().st_size
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    audit_record(
        action=ACTION_GENERATE,
        obj=subject,
        actor_label=generated_by,
        fields={"sha256": sha, "bytes": size, "files": len(result.files), "audit_head": result.audit_chain_head["id"]},
    )
    return Written(result=result, sha256=sha, size=size)


# --- the page: a pack made by a worker ------------------------------------------------------------------


def _queue_or_fail(pack_id: int) -> None:
    """Queue the pack's task; with the broker down the pack ends FAILED with the reason."""
    try:
        send_task(PACK_TASK, args=(pack_id,))
    except QueueUnavailable:
        EvidencePack.objects.filter(pk=pack_id, status=EvidencePack.Status.PENDING).update(
            status=EvidencePack.Status.FAILED, error=queue_unavailable_message(), finished_at=timezone.now()
        )


def waiting_packs(*, waiting_since) -> list:
    """The queue sweep's source (core.runs.requeue_waiting): packs still waiting for a worker since before
    `waiting_since`, each with how to send its task again."""
    pks = EvidencePack.objects.filter(status=EvidencePack.Status.PENDING, created_at__lt=waiting_since)
    return [(pk, lambda pk=pk: send_task(PACK_TASK, args=(pk,))) for pk in pks.values_list("pk", flat=True)]


def evidence_pack_request(*, subject: Agent | RegistrationPoint, actor) -> EvidencePack:
    """Ask for a pack of `subject` (one the actor may see); a worker makes it once this commits.

    Refused while another pack of the same subject is waiting or being made (ValidationError)."""
    is_agent = isinstance(subject, Agent)
    field = "agent" if is_agent else "point"
    with transaction.atomic():
        packs = list(
            EvidencePack.objects.select_for_update().filter(
                **{field: subject}, status__in=[EvidencePack.Status.PENDING, EvidencePack.Status.RUNNING]
            )
        )
        evidence_packs_mark_abandoned(packs)
        if EvidencePack.objects.filter(
            **{field: subject}, status__in=[EvidencePack.Status.PENDING, EvidencePack.Status.RUNNING]
        ).exists():
            raise ValidationError(_("An evidence pack of this subject is already being made; wait for it to finish."))
        agents = selectors.subject_agents(subject, user=actor)
        points = selectors.subject_points(subject, user=actor, agents=agents)
        pack = EvidencePack.objects.create(
            subject_type=EvidencePack.Subject.AGENT if is_agent else EvidencePack.Subject.POINT,
            **{field: subject},
            subject_code=subject.code,
            provinces=selectors.pack_provinces(subject, agents, points),
            created_by=actor,
        )
        audit_record(action=ACTION_REQUEST, actor=actor, obj=subject, fields={"pack": pack.pk})
        transaction.on_commit(lambda: _queue_or_fail(pack.pk))
    return pack


def evidence_pack_claim(pack_id: int) -> EvidencePack | None:
    """Mark a PENDING pack RUNNING for this worker (or take over one whose worker died); None otherwise."""
    taken = PACKS.take(
        pack_id,
        from_statuses=[EvidencePack.Status.PENDING],
        error="",
        progress=0,
        step="",
        finished_at=None,
        started_at=timezone.now(),
    )
    return EvidencePack.objects.select_related("agent", "point", "created_by").get(pk=pack_id) if taken else None


def evidence_packs_mark_abandoned(packs) -> int:
    """Mark FAILED the RUNNING packs among `packs` whose worker died (no sign of life in time)."""
    stale = [pack for pack in packs if PACKS.is_stale(pack)]
    if not stale:
        return 0
    return PACKS.mark_failed(
        stale, now=timezone.now(), reason=_("The job stopped: the worker making this pack died. Ask for a new one.")
    )


def _progress_reporter(pack: EvidencePack):
    last = [0.0]

    def report(step: str, percent: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_SECONDS and step == pack.step:
            return
        last[0] = now
        pack.step, pack.progress = step, percent
        PACKS.heartbeat(pack, values={"step": step, "progress": percent})

    return report


def evidence_pack_run(*, pack: EvidencePack) -> EvidencePack:
    """Make a claimed pack in this process: DONE with its stored file, or FAILED with the reason.

    In the requester's language (the header's switch kept on the account; blank: the site's, Vietnamese), as
    their pages are, not the worker's."""
    subject = pack.subject
    user = pack.created_by
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    temp = None
    try:
        with PACKS.keep_alive(pack.pk), tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as fh:
            temp = Path(fh.name)
            result = packing.write_pack(
                fh,
                subject=subject,
                user=user,
                generated_by=user.get_username() if user else "",
                progress=_progress_reporter(pack),
                language=language,
            )
        PACKS.heartbeat(pack, values={"step": EvidencePack.Step.STORE, "progress": 99})
        pack.sha256, pack.size_bytes = _sha256_of(temp), temp.stat().st_size
        with open(temp, "rb") as fh:
            pack.file.save(pack.file_name(), File(fh), save=False)
    except Exception as exc:
        logger.exception("Evidence pack %s failed", pack.pk)
        pack.status, pack.error = EvidencePack.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        pack.status, pack.progress, pack.step = EvidencePack.Status.DONE, 100, ""
        pack.counts, pack.audit_chain_head, pack.provinces = result.counts, result.audit_chain_head, result.provinces
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    pack.finished_at, pack.heartbeat_at = timezone.now(), None
    with transaction.atomic():
        pack.save()
        if pack.status == EvidencePack.Status.DONE:
            audit_record(
                action=ACTION_GENERATE,
                actor=user,
                obj=subject,
                fields={
                    "pack": pack.pk,
                    "sha256": pack.sha256,
                    "bytes": pack.size_bytes,
                    "audit_head": pack.audit_chain_head["id"],
                },  # fmt: skip
            )
    return pack


def evidence_pack_download(*, pack: EvidencePack, actor):
    """Open a DONE pack's file for a user who may see it (the view checked), audited."""
    if pack.status != EvidencePack.Status.DONE or not pack.file:
        raise ValidationError(_("This evidence pack is not ready."))
    handle = pack.file.open("rb")
    audit_record(
        action=ACTION_DOWNLOAD,
        actor=actor,
        obj=pack.subject,
        fields={"pack": pack.pk, "sha256": pack.sha256},
    )
    return handle
