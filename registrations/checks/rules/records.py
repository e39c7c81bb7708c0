"""The subscriber record itself: INCOMPLETE_RECORD, MISSING_PHOTOS, POPULATION_MISMATCH, UNVERIFIED_IDENTITY,
UNDERAGE (DESIGN section 5). These judge every registration, cancelled ones included."""

from datetime import datetime, timedelta

from .sql import REG, Query, instant, under_age

_SELECT = f"SELECT r.id AS subject_id, r.point_id, r.agent_id FROM {REG} r"  # noqa: S608


def incomplete_record(params: dict, now: datetime) -> Query:
    """Any of name, date of birth, document type, number, issue date, address blank.

    Blank text is stored as "" (the importer strips values; the encrypted number and address stay ""
    when blank). A number that is nothing but separators ("--", ". .") is blank once normalised: it has
    no document key (id_doc_hash NULL) although type and number are given, and counts as blank too, so
    a record escapes neither this rule nor the document rules.
    """
    # written as the condition of the partial index reg_incomplete_idx, so that the index answers it
    return Query(
        f"""{_SELECT}
        WHERE (r.subscriber_name = '' OR r.date_of_birth IS NULL OR r.id_doc_type = '' OR r.id_doc_number = ''
               OR r.id_doc_hash IS NULL OR r.id_issue_date IS NULL OR r.address = '')
        """
    )


def missing_photos(params: dict, now: datetime) -> Query:
    """No portrait; a CCCD/CMND without both sides; a passport without its front (other types: portrait only)."""
    # written as the condition of the partial index reg_photos_idx, so that the index answers it
    return Query(
        f"""{_SELECT}
        WHERE (NOT r.has_portrait OR (NOT r.has_id_front AND r.id_doc_type IN ('CCCD', 'CMND'))
               OR (NOT r.has_id_back AND r.id_doc_type IN ('CCCD', 'CMND'))
               OR (NOT r.has_id_front AND r.id_doc_type = 'PASSPORT'))
        """
    )


def population_mismatch(params: dict, now: datetime) -> Query:
    return Query(f"{_SELECT} WHERE r.population_check = 'MISMATCH'")


def unverified_identity(params: dict, now: datetime) -> Query:
    """PENDING or NOT_CHECKED and registered strictly more than grace_hours before the run's start."""
    cutoff = now - timedelta(hours=params["grace_hours"])
    return Query(
        f"{_SELECT} WHERE r.population_check IN ('PENDING', 'NOT_CHECKED') AND r.registered_at < %s",
        (instant(cutoff),),
    )


def underage(params: dict, now: datetime) -> Query:
    """Fewer than min_age completed years on the local date of registered_at; no date of birth: not judged."""
    younger = under_age("r.registered_at", "r.date_of_birth", params["min_age"])
    return Query(f"{_SELECT} WHERE r.date_of_birth IS NOT NULL AND {younger}")
