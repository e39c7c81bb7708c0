"""registrations.imports: when a registration was cancelled (Registration.cancelled_at), and an anonymised
registration's erased data never written back by a later import. Both writers: PostgreSQL's upsert and the
bulk_create one SQLite uses (which runs on PostgreSQL too)."""

import datetime as dt

import pytest
from django.utils import timezone

from registrations.imports import services as import_services
from registrations.imports import writers
from registrations.models import Registration
from registrations.records.services import registration_anonymise
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.test_importers import import_regs, reg

pytestmark = pytest.mark.django_db
REGISTERED = dt.datetime(2026, 3, 1, 2, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(params=["postgres", "bulk"], autouse=True)
def writer(request, monkeypatch):
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        return "sqlite"
    if request.param == "bulk":
        monkeypatch.setattr(import_services, "writer_for", writers.SqliteWriter)
    return request.param


@pytest.fixture(autouse=True)
def point(db):
    return PointFactory(code="P1", agent=AgentFactory(code="A1", province_code="079"))


def stored() -> Registration:
    return Registration.objects.get(external_id="R1")


def test_first_stored_cancelled_counts_from_registered_at():
    import_regs(reg(status="CANCELLED"))
    assert stored().cancelled_at == REGISTERED


def test_active_has_no_cancellation_time():
    import_regs(reg())
    assert stored().cancelled_at is None


def test_becoming_cancelled_records_the_import_time_and_a_repeat_keeps_it():
    import_regs(reg())
    before = timezone.now()
    import_regs(reg(status="CANCELLED"))
    cancelled_at = stored().cancelled_at
    assert cancelled_at >= before
    # a later import of the row, changed in another field, keeps the first cancellation time
    import_regs(reg(status="CANCELLED", clerk_code="NV99"))
    assert stored().cancelled_at == cancelled_at


def test_reactivated_clears_the_cancellation_time():
    import_regs(reg(status="CANCELLED"))
    import_regs(reg(status="ACTIVE"))
    assert stored().cancelled_at is None


def test_an_anonymised_registration_keeps_its_data_erased_on_reimport():
    # given an imported registration, anonymised
    import_regs(reg())
    registration_anonymise(registrations=Registration.objects.all(), actor=None, reason="test")
    hash_before = stored().id_doc_hash
    # when the operator's file is imported again with a change (cancelled now)
    import_regs(reg(status="CANCELLED"))
    # then the status moves, the erased data does not come back
    r = stored()
    assert r.status == "CANCELLED"
    assert r.cancelled_at is not None
    assert (r.subscriber_name, r.name_key, r.id_doc_number, r.address, r.id_issue_place) == ("", "", "", "", "")
    assert (r.date_of_birth, r.id_issue_date, r.gender) == (None, None, "")
    assert r.id_doc_hash == hash_before
    assert r.anonymised_at is not None


# --- the optional cancelled_at column -------------------------------------------------------------


def import_with_column(*rows: dict):
    from registrations.imports.rows import REGISTRATION_COLUMNS
    from registrations.imports.services import import_file
    from tests.registrations.test_importers import csv_file

    return import_file(csv_file([*REGISTRATION_COLUMNS, "cancelled_at"], list(rows)), kind="registrations")


def test_the_cancelled_at_column_gives_the_time():
    import_with_column(reg(status="CANCELLED", cancelled_at="2026-05-02T10:00:00+07:00"))
    assert stored().cancelled_at == dt.datetime(2026, 5, 2, 3, 0, tzinfo=dt.UTC)


def test_the_cancelled_at_column_on_a_status_change_and_blank():
    import_with_column(reg(cancelled_at=""))
    assert stored().cancelled_at is None
    import_with_column(reg(status="CANCELLED", cancelled_at="2026-06-01T00:00:00Z"))
    assert stored().cancelled_at == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    # blank in a later file: the time recorded stays
    import_with_column(reg(status="CANCELLED", cancelled_at="", clerk_code="NV77"))
    assert stored().cancelled_at == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def test_the_cancelled_at_column_is_ignored_on_an_active_row():
    import_with_column(reg(status="ACTIVE", cancelled_at="2026-06-01T00:00:00Z"))
    assert stored().cancelled_at is None


def test_an_unreadable_cancelled_at_rejects_the_row():
    from registrations.imports.rejects import rejects_rows

    job = import_with_column(reg(status="CANCELLED", cancelled_at="yesterday"))
    assert job.rejected == 1
    assert "cancelled_at" in rejects_rows(job)[0]["reason"]
    assert rejects_rows(job)[0]["cancelled_at"] == "yesterday"
    assert not Registration.objects.exists()
