"""What the operator reports back on the remediation ladder's steps (issue 16): the outcomes file or API
rows (external_id, step, outcome, done_at), run as an import job, rejects listed by line."""

import csv
import io
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_record
from core.imports import CsvStream, ImportFileError, check_upload_size, parse_datetime
from core.models import ImportJob
from core.runs import QueueUnavailable, queue_unavailable_message, send_task
from core.texts import system_text

from .models import CaseStep, Step
from .services import OPEN, OUTCOME_PERMISSION, Case, cases_close, scoped_steps

logger = logging.getLogger(__name__)

OUTCOMES_KIND = "remed_outcomes"
OUTCOMES_TASK = "enforcement.remediation_outcomes_task"
OUTCOME_COLUMNS = ["external_id", "step", "outcome", "done_at"]
MAX_API_OUTCOMES = 1000

# why an outcome row was not recorded: stored in English, shown in the reader's language (core.texts)
NO_EXTERNAL_ID = gettext_noop("external_id is missing.")
UNKNOWN_STEP = gettext_noop("Unknown step %(value)s.")
UNKNOWN_OUTCOME = gettext_noop("Unknown outcome %(value)s: DONE or FAILED.")
BAD_DONE_AT = gettext_noop("done_at is not a date and time (e.g. 2026-03-01T09:15:00+07:00).")
FUTURE_DONE_AT = gettext_noop("done_at is in the future.")
NO_SUCH_STEP = gettext_noop("No case of %(id)s has reached step %(step)s.")
REJECT_TEXTS = (NO_EXTERNAL_ID, UNKNOWN_STEP, UNKNOWN_OUTCOME, BAD_DONE_AT, FUTURE_DONE_AT, NO_SUCH_STEP)


# --- outcomes reported by the operator ----------------------------------------------------------------


def may_report(user) -> bool:
    return user.has_perm(OUTCOME_PERMISSION)


def outcomes_max_bytes() -> int:
    return int(getattr(settings, "REMEDIATION_OUTCOMES_MAX_BYTES", 5 * 1024 * 1024))


def outcomes_submit(*, actor, upload, file_name: str = "") -> ImportJob:
    """Store an outcomes CSV (external_id, step, outcome, done_at) as a job; its worker applies it. The file's
    size and header are checked here, so a wrong file is refused at once (ImportFileError)."""
    if not may_report(actor):
        raise PermissionDenied
    check_upload_size(upload, outcomes_max_bytes())
    try:
        CsvStream(upload, OUTCOME_COLUMNS)
    finally:
        upload.seek(0)
    with transaction.atomic():
        job = outcomes_job_create(actor=actor, upload=upload, file_name=file_name)
        transaction.on_commit(partial(_queue, job.pk))
    return job


def outcomes_job_create(*, actor, upload, file_name: str = "") -> ImportJob:
    """A PENDING outcomes job holding the file (the caller runs it: a worker, or the demo in-process)."""
    job = ImportJob(kind=OUTCOMES_KIND, file_name=(file_name or upload.name)[:255], created_by=actor)
    job.source_file.save(f"{OUTCOMES_KIND}-{timezone.now():%Y%m%d-%H%M%S}.csv", upload, save=False)
    job.save()
    audit_record(action="remediation.outcomes_upload", actor=actor, obj=job, fields={"file": job.file_name})
    return job


def outcomes_submit_rows(*, actor, rows: list[dict]) -> ImportJob:
    """The API's outcomes (a list of objects with the CSV's columns), run as a job like an uploaded file."""
    if not isinstance(rows, list) or not rows:
        raise ValidationError({"outcomes": _("Send a list of outcomes.")})
    if len(rows) > MAX_API_OUTCOMES:
        raise ValidationError({"outcomes": _("Send at most %(n)d outcomes at a time.") % {"n": MAX_API_OUTCOMES}})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(OUTCOME_COLUMNS)
    for row in rows:
        row = row if isinstance(row, dict) else {}
        writer.writerow([str(row.get(c) if row.get(c) is not None else "") for c in OUTCOME_COLUMNS])
    upload = ContentFile(buffer.getvalue().encode("utf-8"), name="api-outcomes.csv")
    return outcomes_submit(actor=actor, upload=upload, file_name="API")


def _queue(job_id: int) -> None:
    try:
        send_task(OUTCOMES_TASK, args=(job_id,))
    except QueueUnavailable:
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.FAILED, error=queue_unavailable_message(), finished_at=timezone.now()
        )


def _parse_outcome_row(row: dict, now: datetime) -> tuple[tuple | None, str]:
    external_id = (row.get("external_id") or "").strip()
    if not external_id:
        return None, system_text(NO_EXTERNAL_ID)
    step = (row.get("step") or "").strip().upper()
    if step not in Step.values:
        return None, system_text(UNKNOWN_STEP, value=step or "—")
    outcome = (row.get("outcome") or "").strip().upper()
    if outcome not in (CaseStep.Outcome.DONE, CaseStep.Outcome.FAILED):
        return None, system_text(UNKNOWN_OUTCOME, value=outcome or "—")
    try:
        done_at = parse_datetime(row.get("done_at"))
    except ValueError:
        return None, system_text(BAD_DONE_AT)
    if done_at > now + timedelta(minutes=5):
        return None, system_text(FUTURE_DONE_AT)
    return (external_id, step, outcome, done_at), ""


def outcomes_run(*, job_id: int, now: datetime | None = None) -> ImportJob | None:
    """Apply an outcomes job (once: a second message finds it taken). Per row: the case step of that
    registration's open (or latest) case gets the outcome and its time; rejects are listed per line."""
    now = now or timezone.now()
    taken = ImportJob.objects.filter(pk=job_id, kind=OUTCOMES_KIND, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not taken:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        _apply_outcomes(job, now)
    except Exception as exc:
        logger.exception("Outcomes job %s failed", job_id)
        job.status, job.error, job.finished_at = ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}", timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    return job


def _apply_outcomes(job: ImportJob, now: datetime) -> None:
    actor = job.created_by
    with job.source_file.open("rb") as binary:
        try:
            stream = CsvStream(binary, OUTCOME_COLUMNS)
        except ImportFileError as exc:
            job.status, job.error, job.finished_at = ImportJob.Status.FAILED, str(exc), timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            return
        parsed, rejects = [], []
        for line, row, problem in stream.rows():
            if problem:
                rejects.append((line, problem, row))
                continue
            values, reason = _parse_outcome_row(row, now)
            if values is None:
                rejects.append((line, reason, row))
            else:
                parsed.append((line, row, values))
    # the case steps named, in the uploader's provinces: one query for the whole file
    keys = {(values[0], values[1]) for _line, _row, values in parsed}
    found = {}
    steps = (
        scoped_steps(actor)
        .filter(case__registration__external_id__in={k[0] for k in keys})
        .select_related("case")
        .order_by("case__opened_at", "pk")
        .annotate(external_id=F("case__registration__external_id"))
    )
    for case_step in steps:
        found[(case_step.external_id, case_step.step)] = case_step  # the latest case's step wins
    changed, unchanged, terminated = {}, 0, set()
    for line, row, (external_id, step, outcome, done_at) in parsed:
        case_step = found.get((external_id, step))
        if case_step is None:
            rejects.append((line, system_text(NO_SUCH_STEP, id=external_id, step=step), row))
            continue
        if case_step.outcome == outcome and case_step.done_at == done_at:
            unchanged += 1
            continue
        case_step.outcome, case_step.done_at = outcome, done_at
        case_step.reported_at, case_step.report_job = now, job
        changed[case_step.pk] = case_step
        if step == Step.TERMINATION and outcome == CaseStep.Outcome.DONE and case_step.case.status == OPEN:
            terminated.add(case_step.case_id)
    with transaction.atomic():
        CaseStep.objects.bulk_update(list(changed.values()), ["outcome", "done_at", "reported_at", "report_job"])
        if terminated:
            cases_close(Case.objects.filter(pk__in=terminated, status=OPEN), Case.CloseReason.TERMINATED, now)
        job.updated, job.unchanged, job.rejected = len(changed), unchanged, len(rejects)
        job.total_rows = job.processed_rows = len(parsed) + len(rejects)
        if rejects:
            job.rejects_file.save(
                f"{OUTCOMES_KIND}-{job.pk}-rejects.csv", ContentFile(_rejects_csv(rejects)), save=False
            )
        job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
        job.save()
        audit_record(
            action="remediation.outcomes_apply",
            actor=actor,
            obj=job,
            fields={
                "updated": len(changed),
                "unchanged": unchanged,
                "rejected": len(rejects),
                "terminated": len(terminated),
            },
        )


def _rejects_csv(rejects) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", *OUTCOME_COLUMNS])
    for line, reason, row in sorted(rejects, key=lambda r: r[0]):
        writer.writerow([line, reason, *[(row or {}).get(c, "") for c in OUTCOME_COLUMNS]])
    return buffer.getvalue().encode("utf-8")


def rejects_of(job: ImportJob, limit: int = 200) -> list[dict]:
    if not job.rejects_file:
        return []
    with job.rejects_file.open("rb") as f:
        reader = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))
        return [row for _n, row in zip(range(limit), reader, strict=False)]
