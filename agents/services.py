"""Every write to agents and points: validated, atomic, audited, with status history. A create, a real change or
a status change of an agent or a point is announced to the after-write hooks once committed (agents.hooks:
registrations judges BLACKLISTED_AGENT for it at once, issue 16)."""

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import mask
from core.imports import ImportFileError
from core.models import ImportJob
from core.runs import QueueUnavailable, RunKind, queue_unavailable_message, send_task
from core.texts import system_text

from . import importers, texts
from .blacklist.services import blacklist_on_termination
from .hooks import agents_written
from .models import Agent, RegistrationPoint, Status, StatusChange
from .validators import (
    normalise_phone,
    normalise_tax_code,
    validate_coordinates,
    validate_hours,
    validate_owner_doc,
    validate_parent,
    validate_window,
)

logger = logging.getLogger(__name__)

AGENT_FIELDS = (
    "code",
    "name",
    "kind",
    "parent",
    "tax_code",
    "phone",
    "province",
    "contract_no",
    "owner_id_doc_type",
    "owner_id_doc_number",
    "authorised_from",
    "authorised_until",
)
POINT_FIELDS = (
    "code",
    "agent",
    "name",
    "kind",
    "address",
    "province",
    "latitude",
    "longitude",
    "opens_at",
    "closes_at",
    "phone",
    "owner_id_doc_type",
    "owner_id_doc_number",
    "authorised_from",
    "authorised_until",
)
# Personal data: an audit row keeps only a masked form (core.crypto.mask) of these.
PERSONAL_FIELDS = {"owner_id_doc_number"}
# Allowed moves; TERMINATED is final.
TRANSITIONS = {
    Status.ACTIVE: {Status.SUSPENDED, Status.TERMINATED},
    Status.SUSPENDED: {Status.ACTIVE, Status.TERMINATED},
    Status.TERMINATED: set(),
}


def _snapshot(obj, fields) -> dict:
    return {
        f: mask(getattr(obj, f) or "", 0, 2)
        if f in PERSONAL_FIELDS
        else _as_text(getattr(obj, f + "_id", None) or getattr(obj, f) or "")
        for f in fields
    }


def _as_text(value) -> str:
    # The database gives 21.02850 back for 21.0285: the same coordinate, not a change.
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _validate_update(obj, fields: set[str], checks) -> None:
    """Validate what an update changes: the given fields, and each cross-field rule (`checks`: pairs of
    the fields a rule reads and the rule) that reads one of them. A problem of another stored field (a
    tax code from before a stricter rule, say) does not refuse a change that does not touch it; a full
    edit (the page's form gives every field) still validates everything."""
    exclude = [f.name for f in obj._meta.concrete_fields if f.name not in fields]
    errors: dict = {}
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for reads, check in checks:
        if fields & set(reads):
            try:
                check()
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
    if not errors:  # as full_clean(): uniqueness once the fields themselves are right
        try:
            obj.validate_unique(exclude=exclude)
            obj.validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _agent_checks(agent: Agent):
    return (
        (
            ("authorised_from", "authorised_until"),
            lambda: validate_window(agent.authorised_from, agent.authorised_until),
        ),
        (("parent",), lambda: validate_parent(agent, agent.parent) if agent.parent_id else None),
        _owner_check(agent),
    )


def _owner_check(obj):
    return (
        ("owner_id_doc_type", "owner_id_doc_number"),
        lambda: validate_owner_doc(obj.owner_id_doc_type, obj.owner_id_doc_number),
    )


def _point_checks(point: RegistrationPoint):
    return (
        (
            ("authorised_from", "authorised_until"),
            lambda: validate_window(point.authorised_from, point.authorised_until),
        ),
        (("latitude", "longitude"), lambda: validate_coordinates(point.latitude, point.longitude)),
        (("opens_at", "closes_at"), lambda: validate_hours(point.opens_at, point.closes_at)),
        _owner_check(point),
    )


def _record_initial_status(obj, *, actor, source):
    kwargs = {"agent": obj} if isinstance(obj, Agent) else {"point": obj}
    StatusChange.objects.create(
        **kwargs,
        changed_at=timezone.now(),
        from_status="",
        to_status=obj.status,
        actor=actor,
        source=source,
        reason=system_text(texts.CREATED),
    )


@transaction.atomic
def agent_create(*, actor, source=StatusChange.Source.APP, status=Status.ACTIVE, **data) -> Agent:
    data["tax_code"] = normalise_tax_code(data.get("tax_code", ""))
    data["phone"] = normalise_phone(data.get("phone", ""))
    agent = Agent(status=status, **data)
    agent.full_clean()
    agent.save()
    _record_initial_status(agent, actor=actor, source=source)
    audit_record(action="agent.create", actor=actor, obj=agent, fields=_snapshot(agent, AGENT_FIELDS))
    if agent.status == Status.TERMINATED:  # created terminated (the API, a migration from another system)
        blacklist_on_termination(agent_ids=[agent.pk], reason=system_text(texts.CREATED_TERMINATED), actor=actor)
    agents_written(agent_ids=[agent.pk], actor=actor)  # judged against the blacklist once committed (issue 16)
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, actor, **data) -> Agent:
    if "tax_code" in data:
        data["tax_code"] = normalise_tax_code(data["tax_code"])
    if "phone" in data:
        data["phone"] = normalise_phone(data["phone"])
    before = _snapshot(agent, AGENT_FIELDS)
    for field, value in data.items():
        if field not in AGENT_FIELDS:
            raise ValueError(f"agent_update cannot set {field!r}")
        setattr(agent, field, value)
    _validate_update(agent, set(data), _agent_checks(agent))
    after = _snapshot(agent, AGENT_FIELDS)
    changed = {f: [before[f], after[f]] for f in AGENT_FIELDS if before[f] != after[f]}
    if changed:
        agent.save(update_fields=[*data.keys(), "updated_at"])
        audit_record(action="agent.update", actor=actor, obj=agent, fields=changed)
        agents_written(agent_ids=[agent.pk], actor=actor)
    return agent


@transaction.atomic
def point_create(*, actor, source=StatusChange.Source.APP, status=Status.ACTIVE, **data) -> RegistrationPoint:
    data["phone"] = normalise_phone(data.get("phone", ""))
    point = RegistrationPoint(status=status, **data)
    point.full_clean()
    point.save()
    _record_initial_status(point, actor=actor, source=source)
    audit_record(action="point.create", actor=actor, obj=point, fields=_snapshot(point, POINT_FIELDS))
    agents_written(point_ids=[point.pk], actor=actor)
    return point


@transaction.atomic
def point_update(*, point: RegistrationPoint, actor, **data) -> RegistrationPoint:
    if "phone" in data:
        data["phone"] = normalise_phone(data["phone"])
    before = _snapshot(point, POINT_FIELDS)
    for field, value in data.items():
        if field not in POINT_FIELDS:
            raise ValueError(f"point_update cannot set {field!r}")
        setattr(point, field, value)
    _validate_update(point, set(data), _point_checks(point))
    after = _snapshot(point, POINT_FIELDS)
    changed = {f: [before[f], after[f]] for f in POINT_FIELDS if before[f] != after[f]}
    if changed:
        point.save(update_fields=[*data.keys(), "updated_at"])
        audit_record(action="point.update", actor=actor, obj=point, fields=changed)
        agents_written(point_ids=[point.pk], actor=actor)
    return point


def _change_status(obj, *, to_status, reason, actor, source, at=None, judge=True) -> StatusChange:
    """Move `obj` to `to_status` (locked, validated, in the history, audited). Every status change of an agent or a
    point comes here (the pages, the API, an approved sanction), and each one is announced to the after-write hooks
    (BLACKLISTED_AGENT judged once it commits: a terminated subject is not judged, so its flag resolves).
    `judge` False: the caller announces it (a cascade: the agent's own announcement covers its points)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for this status change.")})
    # Judge the move on the stored status, locked, not on a copy that may be stale (a cascade, another user).
    obj.status = type(obj)._default_manager.select_for_update().values_list("status", flat=True).get(pk=obj.pk)
    if to_status not in TRANSITIONS[Status(obj.status)]:
        raise ValidationError(
            {
                "status": _("Cannot change status from %(from)s to %(to)s.")
                % {"from": Status(obj.status).label, "to": Status(to_status).label}
            }
        )
    change = StatusChange.objects.create(
        **({"agent": obj} if isinstance(obj, Agent) else {"point": obj}),
        changed_at=at or timezone.now(),
        from_status=obj.status,
        to_status=to_status,
        reason=reason,
        actor=actor,
        source=source,
    )
    obj.status = to_status
    obj.save(update_fields=["status", "updated_at"])
    kind = "agent" if isinstance(obj, Agent) else "point"
    action = {Status.ACTIVE: "reinstate", Status.SUSPENDED: "suspend", Status.TERMINATED: "terminate"}[to_status]
    audit_record(
        action=f"{kind}.{action}",
        actor=actor,
        obj=obj,
        reason=reason,
        fields={"from": change.from_status, "to": to_status},
    )
    if kind == "agent" and to_status == Status.TERMINATED:
        # every path that terminates an agent comes here (the app, the API, an approved sanction)
        blacklist_on_termination(agent_ids=[obj.pk], reason=reason, actor=actor, at=change.changed_at)
    if judge:
        agents_written(**{f"{kind}_ids": [obj.pk]}, actor=actor)
    return change


def _cascade_to_points(agent, *, to_status, reason, actor, source) -> int:
    done = 0
    eligible = [s for s, targets in TRANSITIONS.items() if to_status in targets]
    points = agent.points.filter(status__in=eligible)
    if actor is not None:
        # a user limited to some provinces changes only the points it can see
        points = points.for_user(actor)
    for point in points.select_for_update():
        # judged with the agent: an agent's judgement covers all its points (agents.hooks)
        _change_status(point, to_status=to_status, reason=reason, actor=actor, source=source, judge=False)
        done += 1
    return done


@transaction.atomic
def agent_suspend(
    *, agent: Agent, reason: str, actor, include_points: bool = False, source=StatusChange.Source.APP
) -> int:
    """Suspend the agent (and, if asked, its active points); returns how many points followed."""
    _change_status(agent, to_status=Status.SUSPENDED, reason=reason, actor=actor, source=source)
    if include_points:
        return _cascade_to_points(agent, to_status=Status.SUSPENDED, reason=reason, actor=actor, source=source)
    return 0


@transaction.atomic
def agent_terminate(
    *, agent: Agent, reason: str, actor, include_points: bool = False, source=StatusChange.Source.APP
) -> int:
    _change_status(agent, to_status=Status.TERMINATED, reason=reason, actor=actor, source=source)
    if include_points:
        return _cascade_to_points(agent, to_status=Status.TERMINATED, reason=reason, actor=actor, source=source)
    return 0


@transaction.atomic
def agent_reinstate(*, agent: Agent, reason: str, actor, source=StatusChange.Source.APP) -> None:
    # Points stay as they are: each one is reinstated on its own merits.
    _change_status(agent, to_status=Status.ACTIVE, reason=reason, actor=actor, source=source)


@transaction.atomic
def point_suspend(*, point: RegistrationPoint, reason: str, actor, source=StatusChange.Source.APP) -> None:
    _change_status(point, to_status=Status.SUSPENDED, reason=reason, actor=actor, source=source)


@transaction.atomic
def point_terminate(*, point: RegistrationPoint, reason: str, actor, source=StatusChange.Source.APP) -> None:
    _change_status(point, to_status=Status.TERMINATED, reason=reason, actor=actor, source=source)


@transaction.atomic
def point_reinstate(*, point: RegistrationPoint, reason: str, actor, source=StatusChange.Source.APP) -> None:
    agent_status = Agent.objects.values_list("status", flat=True).get(pk=point.agent_id)  # not a stale copy
    if agent_status != Status.ACTIVE:
        raise ValidationError(
            {
                "status": _("The point's agent is %(status)s: reinstate the agent first.")
                % {"status": Status(agent_status).label.lower()}
            }
        )
    _change_status(point, to_status=Status.ACTIVE, reason=reason, actor=actor, source=source)


# --- imports of agents.csv and points.csv ---
#
# An upload is stored as one PENDING ImportJob per file and run by a worker (agents.tasks), agents
# before points, so points whose agent is in the same upload import in one go. Each file imports in one
# transaction (all or nothing, see agents.importers): a job therefore shows no row-by-row progress, only
# waiting, running and its outcome; its heartbeat is set when a worker takes it. A job whose worker died
# is RUNNING with an old heartbeat: it is marked FAILED (`import_jobs_mark_abandoned`, called by the
# pages) and its transaction rolled back with the process, so nothing of it was written.

IMPORT_KINDS = {"agents": importers.import_agents, "points": importers.import_points}
MAX_STORED_WARNINGS = 500
# A file within AGENTS_UPLOAD_MAX_BYTES imports in well under a minute; ten minutes without a result
# means the worker running it died.
IMPORT_JOBS = RunKind(model=ImportJob, stale_after=timedelta(minutes=10))


IMPORT_TASK = "agents.run_import_task"  # by name: the task module imports this one


def _queue_or_fail(job_ids: list[int]) -> None:
    """Queue the jobs' task; with the broker down the jobs end FAILED with the reason (nothing imported)."""
    try:
        send_task(IMPORT_TASK, args=(job_ids,))
    except QueueUnavailable:
        ImportJob.objects.filter(pk__in=job_ids, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.FAILED, error=queue_unavailable_message(), finished_at=timezone.now()
        )


def waiting_import_jobs(*, waiting_since) -> list:
    """The queue sweep's source (core.runs.requeue_waiting): agents and points uploads still waiting for a
    worker since before `waiting_since`, sent again together, agents first, as they were queued."""
    pks = list(
        ImportJob.objects.filter(kind__in=IMPORT_KINDS, status=ImportJob.Status.PENDING, created_at__lt=waiting_since)
        .order_by("id")
        .values_list("pk", "kind")
    )
    pks = [pk for pk, kind in sorted(pks, key=lambda row: (list(IMPORT_KINDS).index(row[1]), row[0]))]
    if not pks:
        return []
    return [("-".join(map(str, pks)), lambda: send_task(IMPORT_TASK, args=(pks,)))]


def import_jobs_submit(*, uploads: dict[str, Any], actor) -> list[ImportJob]:
    """Store each uploaded file (kind -> django File) as a PENDING job and queue one task that runs them
    in order (agents first) once the jobs are committed."""
    with transaction.atomic():
        jobs = []
        for kind in IMPORT_KINDS:  # agents, then points
            upload = uploads.get(kind)
            if upload is None:
                continue
            job = ImportJob(kind=kind, file_name=upload.name[:255], created_by=actor)
            job.source_file.save(f"{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv", upload, save=False)
            job.save()
            jobs.append(job)
        ids = [job.pk for job in jobs]
        transaction.on_commit(lambda: _queue_or_fail(ids))
    return jobs


def import_job_claim(job_id: int) -> ImportJob | None:
    """Mark a PENDING job RUNNING for this worker (or take over one whose worker died); None otherwise."""
    claimed = IMPORT_JOBS.take(
        job_id,
        from_statuses=[ImportJob.Status.PENDING],
        queryset=ImportJob.objects.filter(kind__in=IMPORT_KINDS),
        error="",
        finished_at=None,
        started_at=timezone.now(),
    )
    return ImportJob.objects.get(pk=job_id) if claimed else None


def import_jobs_mark_abandoned(jobs) -> int:
    """Mark FAILED the RUNNING agents/points jobs among `jobs` whose worker died (no result in time)."""
    stale = [job for job in jobs if job.kind in IMPORT_KINDS and IMPORT_JOBS.is_stale(job)]
    if not stale:
        return 0
    return IMPORT_JOBS.mark_failed(
        stale, now=timezone.now(), reason=_("The worker running this import stopped; nothing of it was written.")
    )


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Import a claimed job's stored file in this process and record the outcome on the job: DONE with
    counts, warnings and a rejects file, or FAILED with the reason (nothing written: one transaction)."""
    # reasons and warnings in the uploader's language (the header's switch; blank: the site's), not the worker's
    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    try:
        with job.source_file.open("rb") as binary, translation.override(language):
            result = IMPORT_KINDS[job.kind](binary, actor=job.created_by, file_name=job.file_name)
    except ImportFileError as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        job.status, job.error = ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        _record_result(job, result)
    job.finished_at, job.heartbeat_at = timezone.now(), None
    job.save()
    return job


def _record_result(job: ImportJob, result) -> None:
    job.status = ImportJob.Status.DONE
    job.created, job.updated, job.unchanged, job.rejected = (
        result.created,
        result.updated,
        result.unchanged,
        result.rejected,
    )
    job.total_rows = job.processed_rows = result.total
    job.warnings = [[line, text] for line, text in result.warnings[:MAX_STORED_WARNINGS]]
    if result.rejects:
        job.rejects_file.save(
            f"{job.kind}-{job.pk}.rejects.csv", ContentFile(result.rejects_csv().encode()), save=False
        )
