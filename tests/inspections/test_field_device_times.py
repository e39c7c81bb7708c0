"""Times from the phone (issue 14): each change carries `device_time` (when the inspector did it, maybe
offline) and the header `X-Device-Clock` (the phone's clock as it sent); the server keeps the device times
beside its own, the largest clock gap per report, each photo's source and SHA-256, and refuses a device
time it cannot read or one more than a day ahead. Photos: a cap per photo and per visit, with a clear 400."""

import datetime as dt
import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from inspections.models import Answer, InspectionReport, Photo, RiskPolicy, SimFound
from inspections.services import fieldwork
from tests.inspections.factories import NEAR, TINY_JPEG, answer_all_with_photos, jpeg_upload
from tests.registrations.factories import iccid_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

ICT = dt.timezone(dt.timedelta(hours=7))


def iso(moment: dt.datetime) -> str:
    """As the phone writes it: local offset, milliseconds."""
    return moment.astimezone(ICT).isoformat(timespec="milliseconds")


def send(client, name, task, body=None, *, clock=None):
    headers = {"X-Device-Clock": clock} if clock else {}
    return client.post(
        reverse(f"inspections:{name}", args=[task.pk]),
        data=json.dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


# --- device times are stored beside the server's -------------------------------------------------


def test_check_in_keeps_the_phone_time_the_server_time_and_the_clock_gap(phone, task):
    # given: checked in offline an hour ago, sent now from a phone whose clock is 10 minutes behind
    now = timezone.now()
    tapped = now - dt.timedelta(hours=1, minutes=10)
    # when
    response = send(
        phone, "field_checkin", task, {**NEAR, "device_time": iso(tapped)}, clock=iso(now - dt.timedelta(minutes=10))
    )
    # then
    assert response.status_code == 200
    report = InspectionReport.objects.get(task=task)
    assert report.checkin_device_at == tapped.replace(microsecond=tapped.microsecond // 1000 * 1000)
    assert abs((report.checkin_at - now).total_seconds()) < 30
    assert 595 <= report.clock_skew_s <= 630
    event = AuditEvent.objects.get(action="inspection.check_in")
    assert event.fields["device_at"].startswith(iso(tapped)[:19])
    assert 595 <= event.fields["clock_skew_s"] <= 630


def test_the_report_keeps_the_largest_clock_gap_either_way(phone, report):
    now = timezone.now()
    send(phone, "field_remarks", report.task, {"remarks": "a"}, clock=iso(now - dt.timedelta(minutes=3)))
    send(phone, "field_remarks", report.task, {"remarks": "b"}, clock=iso(now - dt.timedelta(minutes=1)))
    report.refresh_from_db()
    assert 175 <= report.clock_skew_s <= 200  # 3 min behind, the larger
    send(phone, "field_remarks", report.task, {"remarks": "c"}, clock=iso(now + dt.timedelta(minutes=8)))
    report.refresh_from_db()
    assert -480 <= report.clock_skew_s <= -450  # 8 min ahead: negative


def test_each_answer_keeps_the_phone_time_of_its_last_change(phone, report):
    typed = timezone.now() - dt.timedelta(minutes=20)
    send(phone, "field_answers", report.task, {"answers": {"camera": "YES"}, "device_time": iso(typed)})
    answer = Answer.objects.get(report=report, item__code="camera")
    assert abs((answer.answered_device_at - typed).total_seconds()) < 0.01
    assert answer.answered_at > answer.answered_device_at


def test_a_photo_keeps_when_it_was_taken_its_source_and_the_hash_of_its_stored_bytes(phone, report):
    taken = timezone.now() - dt.timedelta(minutes=5)
    response = phone.post(
        reverse("inspections:field_photo", args=[report.task.pk]),
        {"file": jpeg_upload(), "source": "camera", "device_time": iso(taken), "client_id": "p-1"},
    )
    assert response.status_code == 200
    photo = Photo.objects.get(report=report)
    assert (photo.source, abs((photo.taken_at - taken).total_seconds()) < 0.01) == ("camera", True)
    with photo.file.open("rb") as stored:
        assert photo.sha256 == hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(TINY_JPEG).hexdigest()
    assert response.json()["sha256"] == photo.sha256


def test_a_gallery_photo_is_recorded_as_such(phone, report):
    phone.post(reverse("inspections:field_photo", args=[report.task.pk]), {"file": jpeg_upload(), "source": "gallery"})
    assert Photo.objects.get(report=report).source == "gallery"


def test_an_unknown_photo_source_is_refused(phone, report):
    response = phone.post(
        reverse("inspections:field_photo", args=[report.task.pk]), {"file": jpeg_upload(), "source": "scanner"}
    )
    assert response.status_code == 400
    assert "source" in response.json()["errors"]
    assert not Photo.objects.exists()


def test_a_sim_checkout_and_submit_keep_their_phone_times(phone, report):
    answer_all_with_photos(report)
    base = timezone.now() - dt.timedelta(minutes=30)
    typed, out, sent = (base + dt.timedelta(minutes=n) for n in (5, 20, 21))
    send(phone, "field_sim", report.task, {"iccid": iccid_for(2), "device_time": iso(typed)})
    send(phone, "field_checkout", report.task, {**NEAR, "device_time": iso(out)})
    assert send(phone, "field_submit", report.task, {"device_time": iso(sent)}).status_code == 200
    report.refresh_from_db()
    sim = SimFound.objects.get(report=report)
    assert abs((sim.recorded_device_at - typed).total_seconds()) < 0.01
    assert abs((report.checkout_device_at - out).total_seconds()) < 0.01
    assert abs((report.submitted_device_at - sent).total_seconds()) < 0.01
    assert report.checkout_at > report.checkout_device_at


def test_submit_without_a_check_out_checks_out_at_the_submit_phone_time(phone, report):
    answer_all_with_photos(report)
    sent = timezone.now() - dt.timedelta(minutes=2)
    send(phone, "field_submit", report.task, {"device_time": iso(sent)})
    report.refresh_from_db()
    assert report.checkout_device_at == report.submitted_device_at


def test_older_pages_without_device_time_or_clock_still_work(phone, task):
    response = send(phone, "field_checkin", task, NEAR)
    assert response.status_code == 200
    report = InspectionReport.objects.get(task=task)
    assert (report.checkin_device_at, report.clock_skew_s) == (None, None)


# --- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T10:00:00+07:00", "2026-12-07T10:15:03", 12345])
def test_an_unreadable_device_time_is_refused_with_a_clear_message(phone, task, value):
    # a time without its offset is unreadable too: it could be any zone
    response = send(phone, "field_checkin", task, {**NEAR, "device_time": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "device_time"
    assert "could not be read" in body["error"]
    assert not InspectionReport.objects.exists()


def test_a_device_time_more_than_a_day_ahead_is_refused(phone, task):
    ahead = timezone.now() + dt.timedelta(days=1, minutes=1)
    response = send(phone, "field_checkin", task, {**NEAR, "device_time": iso(ahead)})
    assert response.status_code == 400
    assert response.json()["code"] == "device_time_ahead"
    assert "more than a day ahead" in response.json()["error"]


def test_a_device_time_just_under_a_day_ahead_is_kept(phone, task):
    ahead = timezone.now() + dt.timedelta(hours=23, minutes=59)
    assert send(phone, "field_checkin", task, {**NEAR, "device_time": iso(ahead)}).status_code == 200


def test_an_unreadable_clock_header_is_ignored(phone, task):
    response = send(phone, "field_checkin", task, NEAR, clock="not a time")
    assert response.status_code == 200
    assert InspectionReport.objects.get(task=task).clock_skew_s is None


def test_device_stamp_reads_utc_z_and_offsets():
    received = dt.datetime(2026, 12, 7, 3, 15, 10, tzinfo=dt.UTC)
    stamp = fieldwork.device_stamp(
        device_time="2026-12-07T10:15:03.120+07:00", device_clock="2026-12-07T03:15:00Z", received=received
    )
    assert stamp.at == dt.datetime(2026, 12, 7, 3, 15, 3, 120000, tzinfo=dt.UTC)
    assert stamp.skew_s == 10.0
    with pytest.raises(ValidationError):
        fieldwork.device_stamp(device_time="2026-12-08T03:15:11Z", device_clock=None, received=received)
    assert fieldwork.device_stamp(device_time="2026-12-08T03:15:10Z", device_clock=None, received=received).at


# --- photo caps ----------------------------------------------------------------------------------


def test_a_visit_holds_at_most_the_policys_number_of_photos(phone, report):
    # given: a cap of 2 photos per visit
    RiskPolicy.objects.update_or_create(pk=1, defaults={"max_photos_per_visit": 2})
    url = reverse("inspections:field_photo", args=[report.task.pk])
    assert phone.post(url, {"file": jpeg_upload(), "client_id": "a"}).status_code == 200
    assert phone.post(url, {"file": jpeg_upload(), "client_id": "b"}).status_code == 200
    # when: a third
    response = phone.post(url, {"file": jpeg_upload(), "client_id": "c"})
    # then: a message the phone shows, not a silent loss
    assert response.status_code == 400
    assert response.json()["code"] == "photo_limit"
    assert response.json()["error"] == "This visit already has 2 photos: remove one to add another."
    assert Photo.objects.filter(report=report).count() == 2
    # and a retry of a photo already stored still gets its answer
    assert phone.post(url, {"file": jpeg_upload(), "client_id": "b"}).status_code == 200


def test_the_default_cap_is_30_photos_and_8_mb_each():
    assert RiskPolicy.current().max_photos_per_visit == 30
    assert fieldwork.MAX_PHOTO_BYTES == 8 * 1024 * 1024


def test_a_photo_over_the_size_cap_is_refused_with_a_clear_message(phone, report, monkeypatch):
    monkeypatch.setattr(fieldwork, "MAX_PHOTO_BYTES", len(TINY_JPEG) - 1)
    response = phone.post(reverse("inspections:field_photo", args=[report.task.pk]), {"file": jpeg_upload()})
    assert response.status_code == 400
    assert response.json()["code"] == "photo_too_large"
    assert "larger than" in response.json()["error"]
    assert not Photo.objects.exists()


def test_a_photo_just_at_the_size_cap_is_kept(phone, report, monkeypatch):
    monkeypatch.setattr(fieldwork, "MAX_PHOTO_BYTES", len(TINY_JPEG))
    response = phone.post(reverse("inspections:field_photo", args=[report.task.pk]), {"file": jpeg_upload()})
    assert response.status_code == 200
