"""An incremental run's watermark waits for the transactions in flight (issue 15).

A registration written by a transaction that took its change number before a run's watermark was read and
committed after must be read by the next incremental run, not passed over until the next full run. Real
concurrent sessions on PostgreSQL: the writer is a thread with a connection of its own.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from registrations.checks import incremental as inc
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag, Registration
from tests.agents.factories import PointFactory
from tests.registrations.factories import RegistrationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the change marks are PostgreSQL triggers"),
]


class Writer(threading.Thread):
    """Writes an incomplete registration in a transaction it holds open until `release` is set."""

    def __init__(self, point):
        super().__init__(daemon=True)
        self.point = point
        self.written = threading.Event()
        self.release = threading.Event()
        self.committed = threading.Event()
        self.registration_id = None
        self.change_seq = None

    def run(self):
        try:
            with transaction.atomic():
                registration = RegistrationFactory(point=self.point, subscriber_name="")  # INCOMPLETE_RECORD
                registration.refresh_from_db(fields=["change_seq"])
                self.registration_id, self.change_seq = registration.pk, registration.change_seq
                self.written.set()
                self.release.wait(30)
            self.committed.set()
        finally:
            connections.close_all()


@pytest.fixture
def point(provinces_loaded):
    return PointFactory()


def test_the_watermark_waits_for_a_transaction_in_flight_and_then_covers_its_rows(point, settings):
    settings.CHECKS_INFLIGHT_WAIT_SECONDS = 20
    writer = Writer(point)
    writer.start()
    assert writer.written.wait(10)
    threading.Timer(1.0, writer.release.set).start()  # commits while the watermark waits
    with connection.cursor() as cursor:
        mark = inc.watermark(cursor)
    assert writer.committed.is_set()  # returned only once the writer had committed
    writer.join(10)
    assert "unsettled" not in mark
    assert mark["seq"] >= writer.change_seq  # the run that reads after the mark sees the row


def test_a_watermark_whose_wait_times_out_is_unsettled(point, settings):
    settings.CHECKS_INFLIGHT_WAIT_SECONDS = 0.5
    writer = Writer(point)
    writer.start()
    assert writer.written.wait(10)
    try:
        with connection.cursor() as cursor:
            mark = inc.watermark(cursor)
    finally:
        writer.release.set()
        writer.join(10)
    assert mark == {"unsettled": True}


def test_the_grace_before_the_wait_is_a_setting(point, settings, monkeypatch):
    slept = []
    monkeypatch.setattr(inc.time, "sleep", slept.append)
    settings.CHECKS_INFLIGHT_GRACE_SECONDS = 0.25
    with connection.cursor() as cursor:
        mark = inc.watermark(cursor)
    assert slept[:1] == [0.25]
    assert set(mark) == {"seq", "status_change"}


def test_a_row_committed_after_an_unsettled_run_is_judged_by_the_next_incremental_run(point, settings):
    run_checks(trigger=CheckRun.Trigger.COMMAND)  # the full baseline
    settings.CHECKS_INFLIGHT_WAIT_SECONDS = 0.5
    writer = Writer(point)
    writer.start()
    assert writer.written.wait(10)
    later = RegistrationFactory(point=point)  # committed now, with a higher change number than the writer's
    later.refresh_from_db(fields=["change_seq"])
    assert later.change_seq > writer.change_seq
    try:
        unsettled = run_checks(trigger=CheckRun.Trigger.COMMAND, incremental=True)
    finally:
        writer.release.set()
        writer.join(10)
    assert unsettled.watermark.get("unsettled") is True
    assert not Flag.objects.filter(registration_id=writer.registration_id).exists()  # not committed then

    after = run_checks(trigger=CheckRun.Trigger.COMMAND, incremental=True)

    assert after.watermark["mode"] == "incremental"
    assert Registration.objects.filter(pk=writer.registration_id).exists()
    assert Flag.objects.filter(registration_id=writer.registration_id, rule__code="INCOMPLETE_RECORD").exists()


def test_a_transaction_in_another_database_is_not_waited_for(point, settings):
    import psycopg

    settings.CHECKS_INFLIGHT_WAIT_SECONDS = 0.5
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=False,
    ) as other:
        other.execute("CREATE TEMPORARY TABLE inflight_probe (a int)")
        other.execute("INSERT INTO inflight_probe VALUES (1)")  # holds a transaction id, in the postgres database
        with connection.cursor() as cursor:
            mark = inc.watermark(cursor)
        other.rollback()
    assert "unsettled" not in mark
