"""A subscriber's request to see, correct or delete their data (DESIGN section 3), step by step.

record -> acknowledge -> verify identity -> carry out (or reject with a reason at any open step). Each
step is one atomic, audited function; the audit rows name the request, its kind, the step and counts,
never an MSISDN, an ID number or any value of the subscriber's data.

Due dates:
- acknowledge within 2 working days: Monday to Friday after the local date received (public holidays
  are not modelled, so a holiday counts as a working day: the due date errs on the early side);
- complete within 15 **calendar** days of the local date received. Decree 13/2023/ND-CP states the time
  limits of a data subject's requests in elapsed time (hours and days), not in working days, so the
  stricter calendar reading is taken.

Scope (DESIGN section 2): a request covers every registration of the subscriber, whatever its province.
A user limited to some provinces handles only requests whose registrations all lie in their provinces;
the others (some registration elsewhere, or in no province, or none found) need a user with every
province, and the limited user cannot tell which of these it is (see selectors).
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import normalise_id_number, pii_hash, portrait_text
from core.models import Province, User
from core.scoping import province_scope
from registrations.imports.rows import REGISTRATION_COLUMNS
from registrations.models import Registration, RegistrationStatus
from registrations.records import services as records
from registrations.validators import normalise_msisdn

from .models import SubjectRequest

ACK_WORKING_DAYS = 2
COMPLETE_DAYS = 15
REASON_MIN_LENGTH = 5
HANDLE_PERMISSION = "reports.change_subjectrequest"
CREATE_PERMISSION = "reports.add_subjectrequest"
OPEN_STATUSES = (SubjectRequest.Status.RECEIVED, SubjectRequest.Status.ACKNOWLEDGED, SubjectRequest.Status.VERIFIED)

# What a SEE export holds per registration, in this order (the CSV's columns): the section-4 columns (the import
# contract, with the agent beside the point), then
# what the operator derived or recorded about it.
EXPORT_COLUMNS = (
    *REGISTRATION_COLUMNS[: REGISTRATION_COLUMNS.index("point_code") + 1],
    "agent_code",
    *REGISTRATION_COLUMNS[REGISTRATION_COLUMNS.index("point_code") + 1 :],
    "cancelled_at",
    "anonymised_at",
)


# --- due dates ------------------------------------------------------------------------------------


def add_working_days(day: date, days: int) -> date:
    """`days` working days (Monday-Friday) after `day`."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_dates(received_at: datetime) -> tuple[date, date]:
    """(acknowledge by, complete by) for a request received at `received_at` (local dates)."""
    received = timezone.localdate(received_at)
    return add_working_days(received, ACK_WORKING_DAYS), received + timedelta(days=COMPLETE_DAYS)


# --- finding the subscriber -----------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    """How a subscriber is identified: an E.164 MSISDN and/or an ID document (type + keyed hash).

    The keyed hash in hex (core.crypto.pii_hash), as SubjectRequest keeps it: a request is never joined with
    registrations in SQL, its key is a parameter of the lookup (as bytes, the registrations' column)."""

    msisdn: str = ""
    id_doc_type: str = ""
    id_doc_hash: str = ""

    def registrations(self):
        """Every registration of the subscriber, in every province (callers check the scope)."""
        match = Q(pk__in=[])
        if self.msisdn:
            match |= Q(msisdn=self.msisdn)
        if self.id_doc_hash:
            match |= Q(id_doc_hash=bytes.fromhex(self.id_doc_hash))
        return Registration.objects.filter(match).select_related("point", "agent").order_by("registered_at", "id")


def subscriber_identify(*, msisdn: str = "", id_doc_type: str = "", id_doc_number: str = "") -> Subscriber:
    """The subscriber a request names; ValidationError per field for a bad or missing identification.

    The ID number is only hashed (the registrations' keyed hash), never kept."""
    msisdn, id_doc_type, id_doc_number = (msisdn or "").strip(), (id_doc_type or "").strip(), id_doc_number or ""
    errors = {}
    e164 = ""
    if msisdn:
        e164 = normalise_msisdn(msisdn) or ""
        if not e164:
            errors["msisdn"] = _("Not a Vietnamese mobile number.")
    if bool(id_doc_type) != bool(normalise_id_number(id_doc_number)):
        key = "id_doc_number" if id_doc_type else "id_doc_type"
        errors[key] = _("Give both the ID document type and its number.")
    if not msisdn and not id_doc_type and not normalise_id_number(id_doc_number):
        errors["msisdn"] = _("Give the subscriber's MSISDN or ID document (type and number).")
    if errors:
        raise ValidationError(errors)
    return Subscriber(msisdn=e164, id_doc_type=id_doc_type, id_doc_hash=pii_hash(id_doc_type, id_doc_number))


def _subscriber_of(request: SubjectRequest) -> Subscriber:
    return Subscriber(msisdn=request.msisdn, id_doc_type=request.id_doc_type, id_doc_hash=request.id_doc_hash)


def _within_reach(user, registrations: list[Registration]) -> bool:
    if user is None:  # the system (a command run without --user, the nightly chain): every province
        return True
    scope = province_scope(user)
    if scope is None:
        return True
    return bool(registrations) and all(r.point_id and r.point.province_id in scope for r in registrations)


def _match(request: SubjectRequest) -> list[Registration]:
    """The subscriber's registrations now, with the request's provinces brought up to date."""
    found = list(_subscriber_of(request).registrations())
    request.registrations_matched = len(found)
    request.outside_provinces = any(r.point_id is None for r in found)
    request.save(update_fields=["registrations_matched", "outside_provinces"])
    request.provinces.set(
        Province.objects.filter(code__in={r.point.province_id for r in found if r.point_id is not None})
    )
    return found


def _reason(reason: str, *, required: bool, min_length: int = REASON_MIN_LENGTH) -> str:
    reason = " ".join((reason or "").split())
    if required and len(reason) < min_length:
        raise ValidationError({"reason": _("Give a reason of at least %(n)d characters.") % {"n": min_length}})
    return reason


def _audit(request: SubjectRequest, action: str, actor: User | None, *, reason: str = "", **fields) -> None:
    audit_record(
        action=action,
        actor=actor,
        obj=request,
        reason=reason,
        fields={"kind": request.kind, "status": request.status, **fields},
    )


# --- the steps ------------------------------------------------------------------------------------


@transaction.atomic
def subject_request_create(
    *,
    kind: str,
    actor: User | None,
    msisdn: str = "",
    id_doc_type: str = "",
    id_doc_number: str = "",
    reason: str = "",
    received_at: datetime | None = None,
) -> SubjectRequest:
    """Record a request; its registrations are matched now (all provinces) and its due dates set."""
    if kind not in SubjectRequest.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of request.")})
    subscriber = subscriber_identify(msisdn=msisdn, id_doc_type=id_doc_type, id_doc_number=id_doc_number)
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"received_at": _("A request cannot be received in the future.")})
    ack_due, due = due_dates(received_at)
    request = SubjectRequest.objects.create(
        kind=kind,
        msisdn=subscriber.msisdn,
        id_doc_type=subscriber.id_doc_type,
        id_doc_hash=subscriber.id_doc_hash,
        received_at=received_at,
        ack_due=ack_due,
        due=due,
        reason=_reason(reason, required=False),
        created_by=actor,
    )
    _match(request)
    _audit(
        request,
        "subject_request.create",
        actor,
        reason=request.reason,
        registrations=request.registrations_matched,
        by_msisdn=bool(subscriber.msisdn),
        by_id_document=bool(subscriber.id_doc_hash),
    )
    return request


def _require_open(request: SubjectRequest, *allowed: str) -> None:
    if request.status not in allowed:
        raise ValidationError(
            _("This request is %(status)s: that step is not possible now.") % {"status": request.get_status_display()}
        )


def _lock(request: SubjectRequest) -> SubjectRequest:
    return SubjectRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def subject_request_acknowledge(
    *, request: SubjectRequest, actor: User | None, now: datetime | None = None
) -> SubjectRequest:
    request = _lock(request)
    _require_open(request, SubjectRequest.Status.RECEIVED)
    request.acknowledged_at = now or timezone.now()
    request.status = SubjectRequest.Status.ACKNOWLEDGED
    request.save(update_fields=["acknowledged_at", "status"])
    _audit(
        request,
        "subject_request.acknowledge",
        actor,
        late=timezone.localdate(request.acknowledged_at) > request.ack_due,
    )
    return request


@transaction.atomic
def subject_request_verify(
    *, request: SubjectRequest, actor: User | None, method: str, now: datetime | None = None
) -> SubjectRequest:
    """Record how the subscriber's identity was checked, and by whom (the actor)."""
    request = _lock(request)
    _require_open(request, SubjectRequest.Status.RECEIVED, SubjectRequest.Status.ACKNOWLEDGED)
    method = " ".join((method or "").split())
    if len(method) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"method": _("Say how the identity was checked (at least %(n)d characters).") % {"n": REASON_MIN_LENGTH}}
        )
    now = now or timezone.now()
    if request.acknowledged_at is None:  # checked at once: that acknowledges it too
        request.acknowledged_at = now
    request.verified_at, request.verified_by = now, actor
    request.identity_method = method[:200]
    request.status = SubjectRequest.Status.VERIFIED
    request.save(update_fields=["acknowledged_at", "verified_at", "verified_by", "identity_method", "status"])
    _audit(request, "subject_request.verify", actor, method=request.identity_method)
    return request


@transaction.atomic
def subject_request_reject(
    *, request: SubjectRequest, actor: User | None, reason: str, now: datetime | None = None
) -> SubjectRequest:
    request = _lock(request)
    _require_open(request, *OPEN_STATUSES)
    reason = _reason(reason, required=True)
    request.status = SubjectRequest.Status.REJECTED
    request.completed_at, request.completed_by = now or timezone.now(), actor
    request.outcome = reason
    request.save(update_fields=["status", "completed_at", "completed_by", "outcome"])
    _audit(request, "subject_request.reject", actor, reason=reason)
    return request


@transaction.atomic
def subject_request_carry_out(
    *, request: SubjectRequest, actor: User | None, changes: dict[str, str] | None = None, via: str = "web", now=None
) -> SubjectRequest:
    """Do what the request asks, on every registration of the subscriber; the request is then DONE.

    SEE: nothing changes; the data is downloaded afterwards (subject_request_export, audited each time).
    CORRECT: `changes` (section-4 field -> value) through registrations.records.services.registration_correct.
    DELETE: registrations.records.services.registration_anonymise.
    The registrations are matched again now: one added since the request was recorded is covered too, and
    an actor limited to some provinces must still reach all of them.
    """
    request = _lock(request)
    _require_open(request, SubjectRequest.Status.VERIFIED)
    found = _match(request)
    if not _within_reach(actor, found):
        raise PermissionDenied
    now = now or timezone.now()
    reason = _("Subscriber request #%(id)s") % {"id": request.pk}
    extra = {}
    if request.kind == SubjectRequest.Kind.CORRECT:
        if not found:
            raise ValidationError(_("No registration of this subscriber was found: there is nothing to correct."))
        request.changed_fields = records.registration_correct(
            registrations=found, changes=changes or {}, actor=actor, reason=reason, via=via
        )
        extra["changed"] = request.changed_fields
    elif request.kind == SubjectRequest.Kind.DELETE:
        count = records.registration_anonymise(registrations=found, actor=actor, reason=reason, via=via, now=now)
        extra["anonymised"] = count
    # the outcome of a completed request is its kind, status and counts, put in words where it is shown;
    # `outcome` holds only a rejection's reason
    request.status = SubjectRequest.Status.DONE
    request.completed_at, request.completed_by = now, actor
    request.save(update_fields=["status", "completed_at", "completed_by", "changed_fields"])
    _audit(
        request,
        "subject_request.carry_out",
        actor,
        registrations=len(found),
        on_time=timezone.localdate(now) <= request.due,
        via=via,
        **extra,
    )
    return request


# --- SEE: the subscriber's data -------------------------------------------------------------------


def _export_row(r: Registration) -> dict:
    return {
        "external_id": r.external_id,
        "msisdn": r.msisdn,
        "iccid": r.iccid,
        "channel": r.channel,
        "point_code": r.point.code if r.point_id else "",
        "agent_code": r.agent.code if r.agent_id else "",
        "clerk_code": r.clerk_code,
        "subscriber_name": r.subscriber_name,
        "date_of_birth": r.date_of_birth,
        "gender": r.gender,
        "nationality": r.nationality,
        "id_doc_type": r.id_doc_type,
        "id_doc_number": r.id_doc_number,
        "id_issue_date": r.id_issue_date,
        "id_issue_place": r.id_issue_place,
        "address": r.address,
        "registered_at": r.registered_at,
        "has_portrait": r.has_portrait,
        "has_id_front": r.has_id_front,
        "has_id_back": r.has_id_back,
        "portrait_sha256": portrait_text(r.portrait_sha256),
        "population_check": r.population_check,
        "status": r.status,
        "cancelled_at": r.cancelled_at,
        "anonymised_at": r.anonymised_at,
    }


def subject_data(*, request: SubjectRequest) -> dict:
    """The subscriber's data as a JSON-ready dict (the registrations as they are now)."""
    rows = [_export_row(r) for r in _subscriber_of(request).registrations()]
    return {
        "request": request.pk,
        "generated_at": timezone.now(),
        "registrations": json.loads(json.dumps(rows, cls=DjangoJSONEncoder)),
    }


def subject_request_export(
    *, request: SubjectRequest, actor: User | None, fmt: str, via: str = "web"
) -> tuple[str, str]:
    """(content, content type) of a SEE request's data as JSON or CSV; audited (the format, the count).

    Only a SEE request that was carried out (DONE) gives its data, to an actor who reaches every one of the
    subscriber's registrations."""
    if fmt not in ("json", "csv"):
        raise ValidationError({"fmt": _("Choose JSON or CSV.")})
    if request.kind != SubjectRequest.Kind.SEE or request.status != SubjectRequest.Status.DONE:
        raise ValidationError(_("Only a completed request to see the data can be downloaded."))
    found = list(_subscriber_of(request).registrations())
    if not _within_reach(actor, found):
        raise PermissionDenied
    data = subject_data(request=request)
    audit_record(
        action="subject_request.export",
        actor=actor,
        obj=request,
        fields={"format": fmt, "registrations": len(data["registrations"]), "via": via},
    )
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder), "application/json; charset=utf-8"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(data["registrations"])
    return buffer.getvalue(), "text/csv; charset=utf-8"


# --- the command: a request verified by the back office, carried out at once ---------------------


@transaction.atomic
def subject_request_run(
    *,
    kind: str,
    actor: User | None,
    reason: str,
    msisdn: str = "",
    id_doc_type: str = "",
    id_doc_number: str = "",
    changes: dict[str, str] | None = None,
) -> SubjectRequest:
    """`manage.py subject_request`: record, acknowledge, verify (by the back office) and carry out in one
    transaction; a ValidationError (bad field, bad value, no registration found) leaves nothing written."""
    reason = _reason(reason, required=True, min_length=1)
    if kind == SubjectRequest.Kind.CORRECT:
        records.correction_clean(changes or {})  # before anything is recorded
    request = subject_request_create(
        kind=kind, actor=actor, msisdn=msisdn, id_doc_type=id_doc_type, id_doc_number=id_doc_number, reason=reason
    )
    if not request.registrations_matched:
        raise ValidationError(_("No registration matches this MSISDN or ID document."))
    subject_request_acknowledge(request=request, actor=actor)
    subject_request_verify(request=request, actor=actor, method=_("Verified by the back office (command line)"))
    return subject_request_carry_out(request=request, actor=actor, changes=changes, via="command")


# --- retention ------------------------------------------------------------------------------------


def years_before(moment: datetime, years: int) -> datetime:
    """The same local time `years` years earlier (29 February -> 28 February)."""
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year - years)
    except ValueError:
        return local.replace(year=local.year - years, day=28)


def retention_due(*, now: datetime | None = None, years: int | None = None):
    """Registrations cancelled more than RETENTION_YEARS ago and not yet anonymised.

    "Cancelled when" is Registration.cancelled_at (registrations.imports sets it); a cancelled registration
    without one (stored before it was recorded) counts from its registered_at, the earliest it can have
    been cancelled."""
    years = settings.RETENTION_YEARS if years is None else years
    cutoff = years_before(now or timezone.now(), years)
    return Registration.objects.filter(
        Q(cancelled_at__lt=cutoff) | Q(cancelled_at__isnull=True, registered_at__lt=cutoff),
        status=RegistrationStatus.CANCELLED,
        anonymised_at__isnull=True,
    )


def retention_apply(*, actor: User | None = None, now: datetime | None = None, dry_run: bool = False) -> dict:
    """Anonymise the registrations retention_due gives; {"due": n, "anonymised": n, "dry_run": bool, ...}.

    A dry run writes nothing (not even an audit row). A re-run finds nothing left to do."""
    now = now or timezone.now()
    years = settings.RETENTION_YEARS
    due = retention_due(now=now, years=years)
    count = due.count()
    summary = {"years": years, "cutoff": years_before(now, years).isoformat(), "due": count, "dry_run": dry_run}
    if dry_run:
        return {**summary, "anonymised": 0}
    done = 0
    if count:
        reason = _("Retention: cancelled more than %(n)d years ago") % {"n": years}
        done = records.registration_anonymise(registrations=due, actor=actor, reason=reason, via="retention", now=now)
    audit_record(action="retention.apply", actor=actor, fields={**summary, "anonymised": done})
    return {**summary, "anonymised": done}
