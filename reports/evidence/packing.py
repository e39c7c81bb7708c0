"""Writing an evidence pack: a ZIP streamed entry by entry, each entry hashed as it is written.

Memory stays bounded whatever the agent's size: rows come from querysets read with
`iterator(chunk_size=CHUNK)` and go through csv.writer straight into the ZIP entry (zipfile's
`open(..., "w")`), files (photos, evidence) are copied in blocks, and the manifest keeps one line per
file, not the files. Personal data of subscribers is masked (registrations.records.masking) before it
is written; nothing in clear ever reaches the ZIP.
"""

import csv
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.utils import timezone

from agents.models import Agent
from core.audit import audit_head
from registrations.records.masking import masked

from . import selectors
from .pack_readme import readme

CHUNK = 2000
COPY_BLOCK = 1024 * 1024
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"


def _text(value) -> str:
    """A cell: aware times in local time with their offset (ISO 8601), dates ISO, None blank."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _user(user) -> str:
    return user.get_username() if user is not None else ""


class _Entry:
    """One ZIP entry being written: counts and hashes the bytes on their way in."""

    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        if isinstance(data, str):  # csv.writer writes text
            data = data.encode("utf-8")
        self.sha.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)


class PackWriter:
    """A ZIP being written to a seekable binary file, with the list of its entries for the manifest."""

    def __init__(self, fileobj, *, stamp: datetime):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.date_time = timezone.localtime(stamp).timetuple()[:6]
        self.files: list[dict] = []

    @contextmanager
    def entry(self, path: str, *, compress: bool = True, large: bool = False):
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w", force_zip64=large) as raw:
            sink = _Entry(raw)
            yield sink
        self.files.append({"path": path, "sha256": sink.sha.hexdigest(), "bytes": sink.size})

    def csv(self, path: str, header: list[str], rows: Iterable[Iterable]) -> int:
        count = 0
        with self.entry(path, large=True) as sink:
            writer = csv.writer(sink, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([_text(value) for value in row])
                count += 1
        return count

    def json(self, path: str, data) -> None:
        with self.entry(path) as sink:
            sink.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n")

    def text(self, path: str, body: str) -> None:
        with self.entry(path) as sink:
            sink.write(body)

    def copy(self, path: str, fileobj, *, size: int | None = None) -> None:
        with self.entry(path, compress=False, large=size is None or size > 2**31 - 1) as sink:
            while block := fileobj.read(COPY_BLOCK):
                sink.write(block)

    def abort(self) -> None:
        """Give up a pack that failed half-way (the caller removes its file)."""
        with suppress(Exception):
            self.zip.close()

    def finish(self, **extra) -> None:
        """SHA256SUMS (for `sha256sum -c`), then manifest.json covering every other file, then close."""
        lines = "".join(f"{f['sha256']}  {f['path']}\n" for f in self.files)
        self.text(CHECKSUMS, lines)
        manifest = {"files": list(self.files), **extra}
        body = json.dumps(manifest, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"
        with self.zip.open(zipfile.ZipInfo(MANIFEST, date_time=self.date_time), "w") as raw:
            raw.write(body.encode("utf-8"))
        self.zip.close()


# --- what goes in ---------------------------------------------------------------------------------------

AGENT_COLUMNS = [
    "code", "name", "kind", "parent_code", "tax_code", "phone", "province_code", "status", "contract_no",
    "authorised_from", "authorised_until", "risk_score", "risk_tier",
]  # fmt: skip
POINT_COLUMNS = [
    "code", "agent_code", "name", "kind", "address", "province_code", "latitude", "longitude", "opens_at",
    "closes_at", "status", "authorised_from", "authorised_until", "risk_score", "risk_tier",
    "last_inspection_on", "next_inspection_on",
]  # fmt: skip
STATUS_COLUMNS = ["subject_type", "subject_code", "changed_at", "from_status", "to_status", "reason", "source", "actor"]
FLAG_COLUMNS = [
    "id", "rule", "severity", "status", "subject_type", "subject_key", "point_code", "agent_code", "first_seen",
    "last_seen", "resolved_at", "rule_version", "reviewer", "reviewed_at", "reason", "registered_at",
    "msisdn_masked", "subscriber_name_masked", "birth_year", "id_doc_type", "id_doc_number_masked",
    "address_masked",
]  # fmt: skip
FLAG_EVENT_COLUMNS = ["flag_id", "at", "from_status", "to_status", "actor", "reason", "check_run_id"]
TASK_COLUMNS = ["task_id", "point_code", "kind", "status", "due_date", "inspector", "created_at", "closed_at",
                "report", "photos"]  # fmt: skip
FINDING_COLUMNS = ["id", "task_id", "point_code", "kind", "severity", "description", "legal_basis", "status",
                   "created_at", "resolved_at"]  # fmt: skip
SANCTION_COLUMNS = [
    "id", "finding_id", "point_code", "agent_code", "sanction_code", "sanction_name", "kind", "target",
    "legal_basis", "amount_vnd", "status", "proposal_note", "proposed_by", "proposed_at", "decided_by",
    "decided_at", "decision_reason",
]  # fmt: skip
ACTION_COLUMNS = [
    "id", "finding_id", "point_code", "description", "owner", "due_date", "status", "created_by", "created_at",
    "evidence_note", "evidence_at", "evidence_file", "follow_up_task_id", "verified_at", "verified_by",
]  # fmt: skip
AUDIT_COLUMNS = ["id", "created_at", "actor", "action", "object_type", "object_id", "object_repr", "province_code",
                 "fields", "reason", "key_id", "prev_hash", "hash"]  # fmt: skip


def _point_row(p) -> list:
    return [
        p.code, p.agent.code, p.name, p.kind, p.address, p.province_id, p.latitude, p.longitude,
        p.opens_at.strftime("%H:%M") if p.opens_at else "", p.closes_at.strftime("%H:%M") if p.closes_at else "",
        p.status, p.authorised_from, p.authorised_until, p.risk_score, p.risk_tier, p.last_inspection_on,
        p.next_inspection_on,
    ]  # fmt: skip


def _agent_row(a) -> list:
    return [a.code, a.name, a.kind, a.parent.code if a.parent_id else "", a.tax_code, a.phone, a.province_id,
            a.status, a.contract_no, a.authorised_from, a.authorised_until, a.risk_score, a.risk_tier]  # fmt: skip


def agent_record(agent: Agent) -> dict:
    return {
        "code": agent.code,
        "name": agent.name,
        "kind": agent.kind,
        "parent_code": agent.parent.code if agent.parent_id else "",
        "tax_code": agent.tax_code,
        "phone": agent.phone,
        "province_code": agent.province_id,
        "status": agent.status,
        "contract_no": agent.contract_no,
        "authorised_from": agent.authorised_from,
        "authorised_until": agent.authorised_until,
        "risk_score": agent.risk_score,
        "risk_tier": agent.risk_tier,
        "risk_factors": agent.risk_factors,
        "risk_scored_at": _text(agent.risk_scored_at),
        "created_at": _text(agent.created_at),
        "updated_at": _text(agent.updated_at),
    }


def point_record(point) -> dict:
    record = dict(zip(POINT_COLUMNS, (_text(v) for v in _point_row(point)), strict=True))
    record["agent_name"] = point.agent.name
    record["risk_factors"] = point.risk_factors
    record["created_at"], record["updated_at"] = _text(point.created_at), _text(point.updated_at)
    return record


def _flag_row(f) -> list:
    reg = f.registration
    if reg is not None:
        key, m = reg.external_id, masked(reg)
        personal = [reg.registered_at, m.msisdn, m.subscriber_name, m.birth_year, reg.id_doc_type,
                    m.id_doc_number, m.address]  # fmt: skip
    else:
        if f.activation_id:
            key = f.activation.iccid
        elif f.subject_type == "agent" and f.agent_id:  # BLACKLISTED_AGENT on an agent: its code, as export_flags
            key = f.agent.code
        else:
            key = f.point.code if f.point_id else str(f.subject_id)
        personal = [""] * 7
    return [
        f.pk, f.rule.code, f.severity, f.status, f.subject_type, key, f.point.code if f.point_id else "",
        f.agent.code if f.agent_id else "", f.first_seen, f.last_seen, f.resolved_at, f.rule_version,
        _user(f.reviewer), f.reviewed_at, f.reason, *personal,
    ]  # fmt: skip


def _sanction_row(s, language: str) -> list:
    t = s.sanction_type
    return [
        s.pk, s.finding_id, s.point.code, s.agent.code, t.code, t.name(language), t.kind, t.target, t.legal_basis,
        s.amount_vnd, s.status, s.proposal_note, _user(s.proposed_by), s.proposed_at, _user(s.decided_by),
        s.decided_at, s.decision_reason,
    ]  # fmt: skip


def _audit_row(e) -> list:
    fields = json.dumps(e.fields, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return [e.pk, e.created_at, e.actor_label, e.action, e.object_type, e.object_id, e.object_repr,
            e.province_code, fields, e.reason, e.key_id, e.prev_hash, e.hash]  # fmt: skip


def _suffix(name: str) -> str:
    return PurePath(name or "").suffix.lower()[:8]


@dataclass
class PackResult:
    files: list[dict]
    counts: dict
    provinces: list[str]
    generated_at: datetime
    audit_chain_head: dict
    missing: list[str] = field(default_factory=list)


class _Progress:
    """Units of work done out of a total counted at the start, reported to `callback(step, percent)`."""

    def __init__(self, total: int, callback: Callable | None):
        self.total, self.done, self.callback, self.step = max(total, 1), 0, callback, ""

    def start(self, step: str) -> None:
        self.step = step
        self.report()

    def add(self, units: int = 1) -> None:
        self.done += units
        if self.done % 500 == 0:
            self.report()

    def report(self) -> None:
        if self.callback is not None:
            self.callback(self.step, min(99, self.done * 100 // self.total))


def write_pack(
    fileobj,
    *,
    subject,
    generated_by: str,
    user=None,
    progress: Callable | None = None,
    language: str | None = None,
) -> PackResult:
    """Write the pack of `subject` (an Agent or a RegistrationPoint) as a ZIP into `fileobj`.

    `user`: the person asking (the pack holds only the points in their provinces); None for the command
    (every point). `progress(step, percent)` is called as the work advances. `language` ("vi" or "en"; None:
    the site's, Vietnamese): the language of the texts the pack takes from bilingual records (the checklist
    questions of the inspection reports), named in manifest.json and README.txt.
    """
    language = "vi" if (language or settings.LANGUAGE_CODE).startswith("vi") else "en"
    head = audit_head()  # first: every event the pack holds is at or before it
    generated_at = timezone.now()
    agents = selectors.subject_agents(subject, user=user)
    points = selectors.subject_points(subject, user=user, agents=agents)
    flag_qs = selectors.flags(agents, points)
    task_qs = selectors.tasks(points)
    audit_qs = selectors.audit_events(agents, points, up_to=head["id"])
    total = flag_qs.count() + task_qs.count() + audit_qs.count() + selectors.corrective_actions(points).count()
    tracker = _Progress(total, progress)
    pack = PackWriter(fileobj, stamp=generated_at)
    counts: dict[str, int] = {}
    missing: set[str] = set()
    is_agent = isinstance(subject, Agent)
    provinces = selectors.pack_provinces(subject, agents, points)

    try:
        tracker.start("RECORD")
        about = {
            "head": head,
            "generated_at": generated_at,
            "generated_by": generated_by,
            "provinces": provinces,
            "language": language,
        }
        pack.text("README.txt", readme(subject, **about))
        if is_agent:
            pack.json("agent.json", agent_record(subject))
            sub_agents = (_agent_row(a) for a in agents.exclude(pk=subject.pk).iterator(CHUNK))
            counts["sub_agents"] = pack.csv("sub_agents.csv", AGENT_COLUMNS, sub_agents)
            counts["points"] = pack.csv("points.csv", POINT_COLUMNS, (_point_row(p) for p in points.iterator(CHUNK)))
        else:
            pack.json("point.json", point_record(subject))
            counts["points"] = 1
        changes = selectors.status_changes(agents, points).iterator(CHUNK)
        counts["status_changes"] = pack.csv(
            "status_history.csv",
            STATUS_COLUMNS,
            (
                [
                    "AGENT" if c.agent_id else "POINT",
                    (c.agent or c.point).code,
                    c.changed_at,
                    c.from_status,
                    c.to_status,
                    c.reason,
                    c.source,
                    _user(c.actor),
                ]  # fmt: skip
                for c in changes
            ),
        )

        tracker.start("FLAGS")

        def flag_rows():
            for f in selectors.flag_rows(flag_qs).iterator(CHUNK):
                tracker.add()
                yield _flag_row(f)

        counts["flags"] = pack.csv("flags.csv", FLAG_COLUMNS, flag_rows())
        events = selectors.flag_events(flag_qs).iterator(CHUNK)
        counts["flag_events"] = pack.csv(
            "flag_events.csv",
            FLAG_EVENT_COLUMNS,
            ([e.flag_id, e.at, e.from_status, e.to_status, _user(e.actor), e.reason, e.check_run_id] for e in events),
        )

        tracker.start("INSPECTIONS")
        counts["inspections"], counts["photos"] = _write_inspections(pack, task_qs, tracker, missing, language)

        tracker.start("OUTCOMES")
        _write_outcomes(pack, agents, points, tracker, counts, missing, language)

        tracker.start("AUDIT")

        def audit_rows():
            for e in audit_qs.iterator(CHUNK):
                tracker.add()
                yield _audit_row(e)

        counts["audit_events"] = pack.csv("audit_events.csv", AUDIT_COLUMNS, audit_rows())
        if missing:
            counts["missing_files"] = len(missing)
            pack.csv("missing_files.csv", ["path_in_pack"], ([m] for m in sorted(missing)))
        pack.finish(
            generated_at=generated_at.isoformat(), generated_by=generated_by, audit_chain_head=head, language=language
        )
    except BaseException:
        pack.abort()
        raise
    return PackResult(
        files=pack.files,
        counts=counts,
        provinces=provinces,
        generated_at=generated_at,
        audit_chain_head=head,
        missing=sorted(missing),
    )


def _copy_stored(pack: PackWriter, path: str, stored, missing: set[str]) -> None:
    """Copy a stored file (photo, evidence) into the pack; a file gone from storage is listed as missing."""
    try:
        size = stored.size
        fh = stored.open("rb")
    except (OSError, ValueError):
        missing.add(path)
        return
    with fh:  # a read error from here on fails the whole pack: never a half-copied entry
        pack.copy(path, fh, size=size)


def _write_inspections(
    pack: PackWriter, task_qs, tracker: _Progress, missing: set[str], language: str
) -> tuple[int, int]:
    """inspections/<task>/report.json with photos/ beside it, then inspections.csv (one row per task).

    zipfile writes one entry at a time, so the index is a second pass over the tasks rather than a list
    kept in memory."""
    photo_count = 0
    for task in task_qs.iterator(CHUNK):
        tracker.add()
        folder = f"inspections/{task.pk}"
        data = {"task": _task_data(task), "report": None}
        report = task.report if hasattr(task, "report") else None
        if report is not None:
            data["report"] = _report_data(report, language)
            photos = []
            for photo in selectors.photos(task).iterator(CHUNK):
                path = f"{folder}/photos/{photo.pk}{_suffix(photo.file.name)}"
                _copy_stored(pack, path, photo.file, missing)
                copied = path not in missing
                photos.append(
                    {
                        "path": path if copied else None,
                        "missing": not copied,
                        "item": photo.item.code if photo.item else "",
                        "content_type": photo.content_type,
                        "sha256_at_upload": photo.sha256,
                        "bytes_at_upload": photo.size,
                        "uploaded_at": _text(photo.uploaded_at),
                    }
                )
                photo_count += copied
            data["report"]["photos"] = photos
        pack.json(f"{folder}/report.json", data)
    rows = (
        [
            t.pk,
            t.point.code,
            t.kind,
            t.status,
            t.due_date,
            _user(t.inspector),
            t.created_at,
            t.closed_at,
            f"inspections/{t.pk}/report.json",
            t.photo_count,
        ]  # fmt: skip
        for t in task_qs.annotate(photo_count=Count("report__photos")).iterator(CHUNK)
    )
    return pack.csv("inspections.csv", TASK_COLUMNS, rows), photo_count


def _task_data(task) -> dict:
    return {
        "id": task.pk,
        "point_code": task.point.code,
        "kind": task.kind,
        "status": task.status,
        "due_date": task.due_date,
        "reason": task.reason,
        "flags": list(task.flags.values_list("pk", flat=True)),
        "inspector": _user(task.inspector),
        "created_by": _user(task.created_by),
        "created_at": _text(task.created_at),
        "assigned_at": _text(task.assigned_at),
        "closed_at": _text(task.closed_at),
        "events": [
            {"at": _text(e.at), "from": e.from_status, "to": e.to_status, "actor": _user(e.actor), "reason": e.reason}
            for e in task.events.select_related("actor").order_by("at", "id")
        ],
    }


def _report_data(report, language: str) -> dict:
    return {
        "checklist_version": str(report.template),
        "inspector": _user(report.inspector),
        "checkin_at": _text(report.checkin_at),
        "checkin_latitude": report.checkin_latitude,
        "checkin_longitude": report.checkin_longitude,
        "checkin_accuracy_m": report.checkin_accuracy_m,
        "checkin_distance_m": report.checkin_distance_m,
        "location_note": report.location_note,
        "checkout_at": _text(report.checkout_at),
        "checkout_latitude": report.checkout_latitude,
        "checkout_longitude": report.checkout_longitude,
        "remarks": report.remarks,
        "submitted_at": _text(report.submitted_at),
        "reviewed_at": _text(report.reviewed_at),
        "reviewed_by": _user(report.reviewed_by),
        "review_outcome": report.review_outcome,
        "return_reason": report.return_reason,
        "answers": [
            {
                "item": a.item.code,
                "question": a.item.question(language),  # the other language's when this one is blank
                "value": a.value,
                "note": a.note,
                "failed": a.failed,
                "answered_at": _text(a.answered_at),
            }  # fmt: skip
            for a in report.answers.select_related("item").order_by("item__position", "id")
        ],
        "sims_found": [
            {"iccid": s.iccid, "check_digit_correct": s.luhn_valid, "note": s.note, "recorded_at": _text(s.recorded_at)}
            for s in report.sims.order_by("id")
        ],
    }


def _write_outcomes(
    pack: PackWriter, agents, points, tracker: _Progress, counts: dict, missing: set[str], language: str
) -> None:
    found = selectors.findings(points).iterator(CHUNK)
    counts["findings"] = pack.csv(
        "findings.csv",
        FINDING_COLUMNS,
        (
            [
                f.pk,
                f.task_id,
                f.point.code,
                f.kind,
                f.severity,
                f.description,
                f.legal_basis,
                f.status,
                f.created_at,
                f.resolved_at,
            ]
            for f in found
        ),  # fmt: skip
    )
    sanctions = selectors.sanctions(agents, points).iterator(CHUNK)
    counts["sanctions"] = pack.csv("sanctions.csv", SANCTION_COLUMNS, (_sanction_row(s, language) for s in sanctions))
    # evidence files first, then the CSV naming them: zipfile writes one entry at a time
    evidence = 0
    for a in selectors.corrective_actions(points).exclude(evidence_file="").iterator(CHUNK):
        path = f"evidence/{a.pk}{_suffix(a.evidence_file.name)}"
        _copy_stored(pack, path, a.evidence_file, missing)
        evidence += path not in missing

    def action_rows():
        for a in selectors.corrective_actions(points).iterator(CHUNK):
            tracker.add()
            path = f"evidence/{a.pk}{_suffix(a.evidence_file.name)}" if a.evidence_file else ""
            yield [a.pk, a.finding_id, a.point.code, a.description, a.owner, a.due_date, a.status, _user(a.created_by),
                   a.created_at, a.evidence_note, a.evidence_at, "" if path in missing else path, a.follow_up_task_id,
                   a.verified_at, _user(a.verified_by)]  # fmt: skip

    counts["corrective_actions"] = pack.csv("corrective_actions.csv", ACTION_COLUMNS, action_rows())
    counts["evidence_files"] = evidence
