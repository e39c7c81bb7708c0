"""Writes and audited actions on registrations."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.imports import parse_date
from core.models import User
from core.web import search_stash_purge

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


# --- a subscriber's requests (reports.subjects): correction and erasure ----------------------------

# The registrations.csv columns (DESIGN section 4) that hold the subscriber's own data: what a correction
# may set. The others (keys, SIM, point, times, photos, checks, status) are the operator's records.
CORRECTABLE_FIELDS = (
    "subscriber_name",
    "date_of_birth",
    "gender",
    "nationality",
    "id_doc_type",
    "id_doc_number",
    "id_issue_date",
    "id_issue_place",
    "address",
)
_DATE_FIELDS = ("date_of_birth", "id_issue_date")
# Erased by an anonymisation (DESIGN section 3), with what is derived from them in clear (name_key); the
# keyed document hash, its problem codes and the flags stay as compliance evidence.
ERASED_FIELDS = (
    "subscriber_name",
    "date_of_birth",
    "gender",
    "id_doc_number",
    "id_issue_date",
    "id_issue_place",
    "address",
)
_ERASED_VALUES = {
    "subscriber_name": "",
    "name_key": "",
    "date_of_birth": None,
    "gender": "",
    "id_doc_number": "",
    "id_issue_date": None,
    "id_issue_place": "",
    "address": "",
}
ANONYMISE_CHUNK = 1000


def correction_clean(changes: dict[str, str]) -> dict:
    """The values of a correction, parsed and checked as the importer checks a row (ValidationError per
    field): only CORRECTABLE_FIELDS, dates `YYYY-MM-DD`, gender M/F, nationality two letters, lengths."""
    if not changes:
        raise ValidationError(_("Give at least one field to correct."))
    errors, clean = {}, {}
    for name, raw in changes.items():
        value = (raw or "").strip() if isinstance(raw, str) or raw is None else raw
        if name not in CORRECTABLE_FIELDS:
            errors[name] = _("%(field)s cannot be corrected; allowed: %(allowed)s.") % {
                "field": name,
                "allowed": ", ".join(CORRECTABLE_FIELDS),
            }
            continue
        if name in _DATE_FIELDS:
            if value in ("", None):
                clean[name] = None
                continue
            try:
                clean[name] = value if isinstance(value, date) else parse_date(value)
            except ValueError:
                errors[name] = _("Not a date (YYYY-MM-DD).")
            continue
        value = str(value)
        if name == "gender" and value not in ("", "M", "F"):
            errors[name] = _("Gender is M, F or blank.")
            continue
        if name == "nationality":
            value = value.upper()
            if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
                errors[name] = _("Nationality is a two-letter country code (ISO 3166).")
                continue
        limit = Registration._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors[name] = _("Too long (at most %(max)d characters).") % {"max": limit}
            continue
        clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def registration_correct(
    *, registrations: Iterable[Registration], changes: dict[str, str], actor: User | None, reason: str, via: str = "web"
) -> list[str]:
    """Set the subscriber's fields on each registration, re-deriving what the rules read (name_key, the
    keyed document hash, the ID problem codes) as the importer does; the names of the fields set.

    One AuditEvent per registration names the fields, never the values. An anonymised registration
    cannot be corrected (there is nothing left to correct). The next check run judges the new values.
    """
    values = correction_clean(changes)
    registrations = list(registrations)
    if any(r.anonymised_at for r in registrations):
        raise ValidationError(_("A registration whose data was erased cannot be corrected."))
    for registration in registrations:
        for name, value in values.items():
            setattr(registration, name, value)
        registration.fill_derived()
        registration.save(
            update_fields=[*values, "name_key", "id_doc_hash", "id_number_issue", "id_dob_issue", "updated_at"]
        )
        audit_record(
            action="registration.correct",
            actor=actor,
            obj=registration,
            reason=reason,
            fields={"changed": sorted(values), "via": via},
        )
    return sorted(values)


@transaction.atomic
def registration_anonymise(*, registrations, actor: User | None, reason: str, via: str = "web", now=None) -> int:
    """Erase the subscriber's data from the registrations (DESIGN section 3); how many were anonymised.

    Erased: ERASED_FIELDS and name_key. Kept as compliance evidence: external_id, MSISDN, ICCID, channel,
    point, agent, registered_at, status, photo presence, portrait_sha256, the keyed document hash (with the
    document type and its problem codes) and every flag. `anonymised_at` marks it: the rules leave it alone
    from then on and its flags stay as they were (registrations.checks.runner); an import never writes the
    erased data back (registrations.imports.writers). Registrations already anonymised are skipped, so a
    re-run does nothing. One AuditEvent per chunk of up to ANONYMISE_CHUNK registrations lists their
    external ids and the fields erased, never a value. The searches kept in sessions are dropped on commit
    (core.web.search_stash_purge): none can hold an erased number or name.
    """
    now = now or timezone.now()
    if isinstance(registrations, models.QuerySet):
        ids = list(registrations.filter(anonymised_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(r.pk for r in registrations if r.anonymised_at is None)
    done = 0
    for start in range(0, len(ids), ANONYMISE_CHUNK):
        chunk = ids[start : start + ANONYMISE_CHUNK]
        rows = Registration.objects.filter(pk__in=chunk, anonymised_at__isnull=True)
        external_ids = list(rows.order_by("pk").values_list("external_id", flat=True))
        count = rows.update(**_ERASED_VALUES, anonymised_at=now, updated_at=now)
        done += count
        single = Registration.objects.get(pk=chunk[0]) if count == 1 else None
        audit_record(
            action="registration.anonymise",
            actor=actor,
            obj=single,
            object_type="" if single else Registration._meta.label_lower,
            reason=reason,
            fields={"erased": [*ERASED_FIELDS, "name_key"], "registrations": external_ids, "count": count, "via": via},
        )
    if done:
        transaction.on_commit(search_stash_purge)
    return done
