"""The phone's outbox sends each change with an `Idempotency-Key`: a change sent again (the answer was lost)
gets the same answer and is not done twice (no second photo, SIM, answer history row or audit event); the
same key on another task or endpoint is a conflict; a key is kept only for answers 200 and 400, so a change
that failed is done on its retry; old keys go at night (issue 14)."""

import datetime as dt
import json
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.registry import NIGHTLY_STEPS
from core.roles import Role
from inspections.models import Answer, FieldRequest, InspectionReport, Photo, SimFound, TaskStatus
from inspections.services import field_requests, fieldwork
from tests.agents.factories import PointFactory
from tests.inspections.factories import (
    NEAR,
    TINY_JPEG,
    ReportFactory,
    TaskFactory,
    add_photo,
    answer_all_with_photos,
    jpeg_upload,
)
from tests.registrations.factories import iccid_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def key() -> str:
    return str(uuid.uuid4())


def send(client, name, task, body=None, *, idem=None, args=()):
    headers = {"Idempotency-Key": idem} if idem else {}
    return client.post(
        reverse(f"inspections:{name}", args=[task.pk, *args]),
        data=json.dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


def send_photo(client, task, *, idem=None, **fields):
    headers = {"Idempotency-Key": idem} if idem else {}
    return client.post(
        reverse("inspections:field_photo", args=[task.pk]), {"file": jpeg_upload(), **fields}, headers=headers
    )


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- a change sent again is answered again, not done again -----------------------------------------


def test_a_photo_sent_again_with_its_key_is_stored_once_and_answered_the_same(phone, report):
    # given: a photo without client id (so only the key can recognise it)
    the_key = key()
    first = send_photo(phone, report.task, idem=the_key, source="camera")
    # when: the phone did not hear the answer and sends it again
    again = send_photo(phone, report.task, idem=the_key, source="camera")
    # then
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Photo.objects.filter(report=report).count() == 1
    assert events("inspection.photo_add") == 1


def test_without_a_key_the_same_photo_twice_is_two_photos(phone, report):
    # the key is what recognises a retry of a photo sent without client id (older pages kept working)
    send_photo(phone, report.task)
    send_photo(phone, report.task)
    assert Photo.objects.filter(report=report).count() == 2


def test_a_checkin_sent_again_is_one_check_in(phone, task):
    the_key = key()
    first = send(phone, "field_checkin", task, NEAR, idem=the_key)
    again = send(phone, "field_checkin", task, NEAR, idem=the_key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert InspectionReport.objects.filter(task=task).count() == 1
    assert events("inspection.check_in") == 1
    assert task.events.filter(to_status=TaskStatus.IN_PROGRESS).count() == 1


def test_answers_sent_again_write_no_second_history_row(phone, report):
    # given: "camera" answered NO, then changed to YES by a later change
    the_key = key()
    first = send(phone, "field_answers", report.task, {"answers": {"camera": "NO"}}, idem=the_key)
    send(phone, "field_answers", report.task, {"answers": {"camera": "YES"}}, idem=key())
    # when: the first change arrives again (a late retry)
    again = send(phone, "field_answers", report.task, {"answers": {"camera": "NO"}}, idem=the_key)
    # then: answered as the first time, and the later answer stands
    assert again.json() == first.json() == {"ok": True, "changed": ["camera"]}
    assert Answer.objects.get(report=report, item__code="camera").value == "YES"
    assert events("inspection.answers") == 2


def test_a_sim_sent_again_is_one_sim_and_one_event(phone, report):
    the_key = key()
    first = send(phone, "field_sim", report.task, {"iccid": iccid_for(7)}, idem=the_key)
    again = send(phone, "field_sim", report.task, {"iccid": iccid_for(7)}, idem=the_key)
    assert again.json() == first.json()
    assert SimFound.objects.filter(report=report).count() == 1
    assert events("inspection.sim_add") == 1


def test_a_removal_sent_again_after_the_sim_was_added_back_does_not_remove_it(phone, report):
    # given: a SIM removed (key R), then added again
    send(phone, "field_sim", report.task, {"iccid": iccid_for(7)}, idem=key())
    removal = key()
    send(phone, "field_sim_remove", report.task, {"iccid": iccid_for(7)}, idem=removal)
    send(phone, "field_sim", report.task, {"iccid": iccid_for(7)}, idem=key())
    # when: the removal arrives again
    again = send(phone, "field_sim_remove", report.task, {"iccid": iccid_for(7)}, idem=removal)
    # then: the same answer, and the SIM is still there
    assert again.status_code == 200
    assert SimFound.objects.filter(report=report).count() == 1
    assert events("inspection.sim_remove") == 1


def test_a_photo_removal_sent_again_is_one_event(phone, report):
    photo = add_photo(report)
    the_key = key()
    first = send(phone, "field_photo_remove", report.task, idem=the_key, args=[photo.pk])
    again = send(phone, "field_photo_remove", report.task, idem=the_key, args=[photo.pk])
    assert first.status_code == again.status_code == 200
    assert events("inspection.photo_remove") == 1


def test_remarks_checkout_and_submit_sent_again_are_done_once(phone, report):
    answer_all_with_photos(report)
    keys = {name: key() for name in ("field_remarks", "field_checkout", "field_submit")}
    bodies = {"field_remarks": {"remarks": "Clean point"}, "field_checkout": NEAR, "field_submit": {}}
    answers = {}
    for name in keys:
        answers[name] = send(phone, name, report.task, bodies[name], idem=keys[name])
    for name in keys:
        again = send(phone, name, report.task, bodies[name], idem=keys[name])
        assert (again.status_code, again.json()) == (answers[name].status_code, answers[name].json())
    assert answers["field_submit"].json()["status"] == TaskStatus.SUBMITTED
    assert events("inspection.remarks") == 1
    assert events("inspection.check_out") == 1
    assert events("inspection.submitted") == 1


# --- what is kept, what is not ---------------------------------------------------------------------


def test_a_refusal_is_kept_and_answered_again(phone, report):
    # given: a change refused (400): an item that is not in the checklist
    the_key = key()
    first = send(phone, "field_answers", report.task, {"answers": {"nope": "YES"}}, idem=the_key)
    assert first.status_code == 400
    # when: the same key comes again, even with another body
    again = send(phone, "field_answers", report.task, {"answers": {"camera": "YES"}}, idem=the_key)
    # then: the same refusal; nothing written
    assert (again.status_code, again.json()) == (400, first.json())
    assert not Answer.objects.filter(report=report).exists()


def test_a_change_that_failed_is_done_when_sent_again(inspector, report, monkeypatch):
    # given: the server fails (500) while adding a SIM
    phone = Client(raise_request_exception=False)
    phone.force_login(inspector)
    real = fieldwork.sim_add
    calls = []

    def failing_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(fieldwork, "sim_add", failing_once)
    the_key = key()
    assert send(phone, "field_sim", report.task, {"iccid": iccid_for(3)}, idem=the_key).status_code == 500
    assert not FieldRequest.objects.filter(key=the_key).exists()
    # when: the phone retries with the same key
    again = send(phone, "field_sim", report.task, {"iccid": iccid_for(3)}, idem=the_key)
    # then: the work is done this time
    assert again.status_code == 200
    assert SimFound.objects.filter(report=report).count() == 1
    assert FieldRequest.objects.get(key=the_key).status == 200


def test_the_same_key_on_another_endpoint_is_a_conflict(phone, report):
    the_key = key()
    send(phone, "field_remarks", report.task, {"remarks": "x"}, idem=the_key)
    response = send(phone, "field_sim", report.task, {"iccid": iccid_for(4)}, idem=the_key)
    assert response.status_code == 409
    assert response.json()["code"] == "key_conflict"
    assert "already used for another change" in response.json()["error"]
    assert not SimFound.objects.exists()


def test_the_same_key_on_another_task_is_a_conflict(phone, inspector, report):
    other = ReportFactory(task=TaskFactory(point=PointFactory(province_code="001"), inspector=inspector))
    the_key = key()
    send(phone, "field_sim", report.task, {"iccid": iccid_for(4)}, idem=the_key)
    response = send(phone, "field_sim", other.task, {"iccid": iccid_for(4)}, idem=the_key)
    assert response.status_code == 409
    assert not SimFound.objects.filter(report=other).exists()


def test_keys_belong_to_their_user(make_user, report):
    # given: another inspector sending the same key on their own task
    other_inspector = make_user(Role.INSPECTOR, provinces=["001"], username="other")
    other = ReportFactory(task=TaskFactory(point=PointFactory(province_code="001"), inspector=other_inspector))
    mine, theirs = Client(), Client()
    mine.force_login(report.task.inspector)
    theirs.force_login(other_inspector)
    the_key = key()
    # when
    send(mine, "field_sim", report.task, {"iccid": iccid_for(5)}, idem=the_key)
    response = send(theirs, "field_sim", other.task, {"iccid": iccid_for(5)}, idem=the_key)
    # then: two changes, each done
    assert response.status_code == 200
    assert SimFound.objects.count() == 2


def test_a_key_for_a_task_that_is_not_yours_is_a_404_before_anything(make_user, report):
    stranger = make_user(Role.INSPECTOR, provinces=["001"], username="stranger")
    client = Client()
    client.force_login(stranger)
    response = send(client, "field_sim", report.task, {"iccid": iccid_for(5)}, idem=key())
    assert response.status_code == 404
    assert not FieldRequest.objects.exists()


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "ключ", "a_b"])
def test_a_malformed_key_is_refused(phone, report, bad):
    response = phone.post(
        reverse("inspections:field_sim", args=[report.task.pk]),
        data=json.dumps({"iccid": iccid_for(6)}),
        content_type="application/json",
        headers={"Idempotency-Key": bad},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_key"
    assert not SimFound.objects.exists()


def test_the_key_row_records_endpoint_task_status_and_answer(phone, report, inspector):
    the_key = key()
    response = send(phone, "field_sim", report.task, {"iccid": iccid_for(8)}, idem=the_key)
    row = FieldRequest.objects.get(key=the_key)
    assert (row.user, row.endpoint, row.task_id, row.status) == (inspector, "field_sim", report.task.pk, 200)
    assert row.body == response.json()


# --- old keys ------------------------------------------------------------------------------------


def test_keys_older_than_30_days_are_deleted_at_night(inspector, task):
    now = timezone.now()
    old = FieldRequest.objects.create(user=inspector, key="old", endpoint="field_sim", path="/x", task=task)
    recent = FieldRequest.objects.create(user=inspector, key="recent", endpoint="field_sim", path="/x", task=task)
    FieldRequest.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=30, seconds=1))
    FieldRequest.objects.filter(pk=recent.pk).update(created_at=now - dt.timedelta(days=29, hours=23))
    step = next(s for s in NIGHTLY_STEPS if s.name == "field_request_keys")
    assert step.run is field_requests.request_keys_purge
    # when
    summary = step.run(now=now, actor=None)
    # then
    assert summary == {"deleted": 1}
    assert list(FieldRequest.objects.values_list("key", flat=True)) == ["recent"]


# --- two requests with the same key at the same moment ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_two_concurrent_requests_with_the_same_key_do_the_work_once(
    provinces_loaded, inspector, task, monkeypatch, settings, tmp_path
):
    """PostgreSQL only: the second INSERT of (user, key) waits for the first transaction, then replays it."""
    settings.MEDIA_ROOT = tmp_path / "media-concurrent"
    from inspections.catalogue import load_catalogue

    load_catalogue()
    report = ReportFactory(task=task)
    real = fieldwork.photo_add
    inside = threading.Event()

    def slow_photo_add(**kwargs):
        inside.set()
        photo = real(**kwargs)
        threading.Event().wait(0.8)  # hold the transaction open while the other request arrives
        return photo

    monkeypatch.setattr(fieldwork, "photo_add", slow_photo_add)
    the_key = key()
    answers = {}

    def post(name):
        try:
            client = Client()
            client.force_login(inspector)
            answers[name] = client.post(
                reverse("inspections:field_photo", args=[report.task.pk]),
                {"file": jpeg_upload(), "source": "camera"},
                headers={"Idempotency-Key": the_key},
            )
        finally:
            connections.close_all()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    first.join(20)
    second.join(20)
    # then: one photo, one event, the same answer twice
    assert answers["first"].status_code == answers["second"].status_code == 200
    assert answers["first"].json() == answers["second"].json()
    assert answers["second"]["Idempotent-Replayed"] == "true"  # it waited for the first, then replayed it
    assert Photo.objects.filter(report=report).count() == 1
    assert AuditEvent.objects.filter(action="inspection.photo_add").count() == 1
    assert len(TINY_JPEG) == Photo.objects.get(report=report).size
