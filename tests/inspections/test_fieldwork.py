"""The inspector's side of the state machine and what each fieldwork service records: check-in with its
distance rule, answers by kind (idempotent), photos through the storage (type, size, retries), SIMs found
(check digit, matching), check-out and submit; only the assigned inspector, only in the right status."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.models import AuditEvent
from core.roles import Role
from inspections.models import Answer, ChecklistTemplate, InspectionReport, Photo, SimFound, TaskEvent, TaskStatus
from inspections.services import fieldwork
from registrations.models import RegistrationStatus
from tests.agents.factories import PointFactory
from tests.inspections.factories import (
    FAR,
    NEAR,
    TINY_JPEG,
    TaskFactory,
    add_photo,
    answer_all,
    answer_all_with_photos,
    current_checklist,
    jpeg_upload,
)
from tests.registrations.factories import ActivationFactory, RegistrationFactory, iccid_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

# Hoàn Kiếm (the factories' point in 001) and places near and far from it.
POINT_LAT, POINT_LON = Decimal("21.02450"), Decimal("105.85720")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32


@pytest.fixture
def other_inspector(make_user):
    return make_user(Role.INSPECTOR, provinces=["001"], username="other-inspector")


def refreshed(task):
    task.refresh_from_db()
    return task


# --- check-in ---


def test_check_in_near_the_point_starts_the_inspection_on_the_current_checklist(task, inspector):
    # when
    report = fieldwork.inspection_check_in(task=task, inspector=inspector, **NEAR)

    # then
    assert refreshed(task).status == TaskStatus.IN_PROGRESS
    assert report.template == current_checklist()
    assert report.checkin_latitude == Decimal("21.024800")
    assert report.checkin_accuracy_m == 12
    assert 30 < report.checkin_distance_m < 50
    assert report.location_note == ""
    assert TaskEvent.objects.filter(task=task, to_status=TaskStatus.IN_PROGRESS, actor=inspector).exists()
    event = AuditEvent.objects.get(action="inspection.check_in")
    assert event.fields["distance_m"] == report.checkin_distance_m
    assert event.province_code == "001"


def test_check_in_far_from_the_point_needs_a_reason(task, inspector):
    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_check_in(task=task, inspector=inspector, **FAR)

    # then
    assert refused.value.error_dict["location_note"][0].code == "too_far"
    assert "from the point (more than 200 m)" in refused.value.messages[0]
    assert refreshed(task).status == TaskStatus.ASSIGNED
    assert not InspectionReport.objects.exists()


def test_check_in_far_from_the_point_with_a_reason_is_allowed_and_keeps_the_distance(task, inspector):
    # when
    report = fieldwork.inspection_check_in(
        task=task, inspector=inspector, location_note="The point moved across the street", **FAR
    )

    # then
    assert report.checkin_distance_m > 200
    assert report.location_note == "The point moved across the street"
    assert refreshed(task).status == TaskStatus.IN_PROGRESS


def test_check_in_just_inside_200_m_needs_no_reason(task, inspector):
    # given: about 190 m north of the point
    position = {"latitude": float(POINT_LAT) + 190 / 111_195, "longitude": float(POINT_LON)}

    # when
    report = fieldwork.inspection_check_in(task=task, inspector=inspector, **position)

    # then
    assert 185 < report.checkin_distance_m <= 200


def test_check_in_without_a_position_needs_a_reason(task, inspector):
    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_check_in(task=task, inspector=inspector)

    # then
    assert refused.value.error_dict["location_note"][0].code == "location_note_required"


def test_check_in_without_a_position_but_with_a_reason_is_allowed(task, inspector):
    # when
    report = fieldwork.inspection_check_in(task=task, inspector=inspector, location_note="Location refused")

    # then
    assert report.checkin_latitude is None
    assert report.checkin_distance_m is None
    assert refreshed(task).status == TaskStatus.IN_PROGRESS


def test_check_in_at_a_point_without_coordinates_records_no_distance(inspector):
    # given
    task = TaskFactory(point=PointFactory(latitude=None, longitude=None), inspector=inspector)

    # when
    report = fieldwork.inspection_check_in(task=task, inspector=inspector, **NEAR)

    # then
    assert report.checkin_distance_m is None


@pytest.mark.parametrize(
    "position",
    [{"latitude": 21.0}, {"latitude": 91, "longitude": 105}, {"latitude": 21, "longitude": 105, "accuracy_m": -1}],
)
def test_check_in_refuses_a_broken_position(task, inspector, position):
    with pytest.raises(ValidationError):
        fieldwork.inspection_check_in(task=task, inspector=inspector, location_note="x", **position)


def test_only_the_assigned_inspector_checks_in(task, other_inspector):
    with pytest.raises(PermissionDenied):
        fieldwork.inspection_check_in(task=task, inspector=other_inspector, **NEAR)
    assert refreshed(task).status == TaskStatus.ASSIGNED


def test_an_officer_cannot_check_in_even_on_a_task_in_scope(task, officer):
    with pytest.raises(PermissionDenied):
        fieldwork.inspection_check_in(task=task, inspector=officer, **NEAR)


@pytest.mark.parametrize("status", [TaskStatus.IN_PROGRESS, TaskStatus.SUBMITTED, TaskStatus.RETURNED, "CANCELLED"])
def test_check_in_only_from_assigned(inspector, status):
    # given
    task = TaskFactory(inspector=inspector, status=status)

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_check_in(task=task, inspector=inspector, **NEAR)

    # then
    assert refused.value.code == "not_assigned"
    assert refreshed(task).status == status


def test_check_in_without_a_checklist_in_use_is_refused_and_changes_nothing(task, inspector):
    # given
    ChecklistTemplate.objects.update(is_current=False)

    # when
    with pytest.raises(ValidationError, match="No checklist is in use"):
        fieldwork.inspection_check_in(task=task, inspector=inspector, **NEAR)

    # then
    assert refreshed(task).status == TaskStatus.ASSIGNED


# --- answers ---


def test_answers_are_saved_by_kind_and_marked_failed(report, inspector):
    # when
    changed = fieldwork.answers_save(
        report=report,
        inspector=inspector,
        answers={
            "camera": {"value": "no", "note": "Broken since March"},
            "signboard": {"value": "YES"},
            "folders-missing": {"value": "3"},
        },
    )

    # then
    assert len(changed) == 3
    answers = {a.item.code: a for a in report.answers.select_related("item")}
    assert (answers["camera"].value, answers["camera"].failed, answers["camera"].note) == (
        "NO",
        True,
        "Broken since March",
    )
    assert (answers["signboard"].value, answers["signboard"].failed) == ("YES", False)
    assert (answers["folders-missing"].value, answers["folders-missing"].failed) == ("3", True)
    event = AuditEvent.objects.get(action="inspection.answers")
    assert event.fields["answers"]["camera"] == {"value": "NO", "failed": True}


def test_a_number_is_stored_as_typed_and_zero_passes(report, inspector):
    # when
    fieldwork.answers_save(report=report, inspector=inspector, answers={"folders-missing": {"value": " 0 "}})

    # then
    answer = report.answers.get()
    assert (answer.value, answer.failed) == ("0", False)


def test_saving_the_same_answers_twice_changes_nothing(report, inspector):
    # given
    answers = {"camera": {"value": "NO", "note": "Broken"}, "software": {"value": "YES"}}
    fieldwork.answers_save(report=report, inspector=inspector, answers=answers)
    before = list(report.answers.values_list("id", "value", "note", "answered_at"))
    events = AuditEvent.objects.count()

    # when
    changed = fieldwork.answers_save(report=report, inspector=inspector, answers=answers)

    # then
    assert changed == []
    assert list(report.answers.values_list("id", "value", "note", "answered_at")) == before
    assert AuditEvent.objects.count() == events


def test_an_answer_without_a_note_keeps_the_saved_note(report, inspector):
    # given
    fieldwork.answers_save(report=report, inspector=inspector, answers={"camera": {"value": "NO", "note": "Broken"}})

    # when
    fieldwork.answers_save(report=report, inspector=inspector, answers={"camera": {"value": "YES"}})

    # then
    assert report.answers.values_list("value", "note").get() == ("YES", "Broken")


def test_a_blank_answer_without_a_note_removes_it(report, inspector):
    # given
    fieldwork.answers_save(report=report, inspector=inspector, answers={"folders-missing": {"value": "2"}})

    # when
    fieldwork.answers_save(report=report, inspector=inspector, answers={"folders-missing": {"value": "", "note": ""}})

    # then
    assert not report.answers.exists()


def test_bad_values_and_unknown_codes_are_refused_clearly_and_nothing_is_saved(report, inspector):
    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.answers_save(
            report=report,
            inspector=inspector,
            answers={
                "camera": {"value": "maybe"},
                "folders-missing": {"value": "three"},
                "no-such-item": {"value": "YES"},
                "software": {"value": "YES"},
            },
        )

    # then
    errors = refused.value.message_dict
    assert set(errors) == {"camera", "folders-missing", "no-such-item"}
    assert errors["camera"] == ["Answer yes, no or not applicable."]
    assert errors["folders-missing"] == ["Enter a number."]
    assert "No item no-such-item in this checklist" in errors["no-such-item"][0]
    assert not Answer.objects.exists()


def test_only_the_assigned_inspector_answers(report, other_inspector):
    with pytest.raises(PermissionDenied):
        fieldwork.answers_save(report=report, inspector=other_inspector, answers={"camera": {"value": "NO"}})
    assert not Answer.objects.exists()


@pytest.mark.parametrize("status", [TaskStatus.SUBMITTED, TaskStatus.CLOSED, TaskStatus.CANCELLED])
def test_answers_cannot_change_once_sent_or_closed(report, inspector, status):
    # given
    report.task.status = status
    report.task.save(update_fields=["status"])

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.answers_save(report=report, inspector=inspector, answers={"camera": {"value": "NO"}})

    # then
    assert refused.value.code == "not_editable"


def test_answers_of_a_returned_task_can_change_again(report, inspector):
    # given
    report.task.status = TaskStatus.RETURNED
    report.task.save(update_fields=["status"])

    # when
    fieldwork.answers_save(report=report, inspector=inspector, answers={"camera": {"value": "YES"}})

    # then
    assert report.answers.get().value == "YES"


def test_remarks_are_saved_once_and_audited_when_they_change(report, inspector):
    # when
    fieldwork.remarks_save(report=report, inspector=inspector, remarks="  Staff were cooperative. ")
    fieldwork.remarks_save(report=report, inspector=inspector, remarks="Staff were cooperative.")

    # then
    report.refresh_from_db()
    assert report.remarks == "Staff were cooperative."
    assert AuditEvent.objects.filter(action="inspection.remarks").count() == 1


# --- photos ---


def test_a_jpeg_photo_is_stored_through_the_storage_with_its_size_type_and_hash(report, inspector):
    # when
    photo = fieldwork.photo_add(
        report=report, inspector=inspector, file=jpeg_upload("IMG_2024 Nguyen Van A.jpg"), item_code="signboard"
    )

    # then
    assert photo.item.code == "signboard"
    assert (photo.content_type, photo.size) == ("image/jpeg", len(TINY_JPEG))
    assert len(photo.sha256) == 64
    assert photo.file.name.startswith("inspections/photo/")
    assert photo.file.name.endswith(".jpg")
    assert "Nguyen" not in photo.file.name  # the original name may hold personal data
    assert default_storage.exists(photo.file.name)
    with default_storage.open(photo.file.name, "rb") as stored:
        assert stored.read() == TINY_JPEG
    assert AuditEvent.objects.filter(action="inspection.photo_add", fields__photo=photo.pk).exists()


@pytest.mark.parametrize(("content", "content_type"), [(PNG, "image/png"), (WEBP, "image/webp")])
def test_png_and_webp_are_recognised_by_their_bytes(report, inspector, content, content_type):
    # when: the name says JPEG; the bytes decide
    photo = fieldwork.photo_add(report=report, inspector=inspector, file=ContentFile(content, name="x.jpg"))

    # then
    assert photo.content_type == content_type
    assert photo.item is None


@pytest.mark.parametrize("content", [GIF, b"%PDF-1.7 not a photo", b"<svg></svg>"])
def test_other_files_are_refused(report, inspector, content):
    with pytest.raises(ValidationError, match="Send a JPEG, PNG or WebP photo"):
        fieldwork.photo_add(report=report, inspector=inspector, file=ContentFile(content, name="photo.jpg"))
    assert not Photo.objects.exists()


def test_a_photo_over_8_mb_is_refused(report, inspector):
    # given
    big = ContentFile(TINY_JPEG[:4] + b"\x00" * (8 * 1024 * 1024), name="big.jpg")

    # when / then
    with pytest.raises(ValidationError, match="larger than 8 MB"):
        fieldwork.photo_add(report=report, inspector=inspector, file=big)
    assert not Photo.objects.exists()


def test_a_photo_of_exactly_8_mb_is_accepted(report, inspector):
    # given
    content = TINY_JPEG + b"\x00" * (8 * 1024 * 1024 - len(TINY_JPEG))

    # when
    photo = fieldwork.photo_add(report=report, inspector=inspector, file=ContentFile(content, name="p.jpg"))

    # then
    assert photo.size == 8 * 1024 * 1024


def test_a_retried_upload_with_the_same_client_id_is_stored_once(report, inspector):
    # given
    first = fieldwork.photo_add(report=report, inspector=inspector, file=jpeg_upload(), client_id="c0ffee-1")

    # when
    again = fieldwork.photo_add(report=report, inspector=inspector, file=jpeg_upload(), client_id="c0ffee-1")

    # then
    assert again.pk == first.pk
    assert Photo.objects.count() == 1
    assert AuditEvent.objects.filter(action="inspection.photo_add").count() == 1


def test_a_photo_on_an_unknown_item_is_refused(report, inspector):
    with pytest.raises(ValidationError, match="No item nope in this checklist"):
        fieldwork.photo_add(report=report, inspector=inspector, file=jpeg_upload(), item_code="nope")


def test_only_the_assigned_inspector_adds_photos(report, other_inspector):
    with pytest.raises(PermissionDenied):
        fieldwork.photo_add(report=report, inspector=other_inspector, file=jpeg_upload())


def test_removing_a_photo_deletes_its_row_and_file(report, inspector, django_capture_on_commit_callbacks):
    # given
    photo = add_photo(report, "signboard")
    name = photo.file.name

    # when
    with django_capture_on_commit_callbacks(execute=True):
        fieldwork.photo_remove(photo=photo, inspector=inspector)

    # then
    assert not Photo.objects.exists()
    assert not default_storage.exists(name)
    assert AuditEvent.objects.filter(action="inspection.photo_remove").exists()


def test_photos_cannot_change_once_submitted(report, inspector):
    # given
    photo = add_photo(report, "signboard")
    report.task.status = TaskStatus.SUBMITTED
    report.task.save(update_fields=["status"])

    # when / then
    with pytest.raises(ValidationError):
        fieldwork.photo_add(report=report, inspector=inspector, file=jpeg_upload())
    with pytest.raises(ValidationError):
        fieldwork.photo_remove(photo=photo, inspector=inspector)
    assert Photo.objects.count() == 1


# --- SIMs found ---


def test_a_sim_found_is_matched_to_its_registration_and_activation(report, inspector):
    # given: registered after the SIM was already active (pre-activated)
    registration = RegistrationFactory(point=report.task.point)
    activation = ActivationFactory(
        iccid=registration.iccid, activated_at=registration.registered_at - dt.timedelta(days=3)
    )

    # when
    sim = fieldwork.sim_add(report=report, inspector=inspector, iccid=registration.iccid, note="In the drawer")

    # then
    assert (sim.registration, sim.activation, sim.luhn_valid, sim.note) == (
        registration,
        activation,
        True,
        "In the drawer",
    )
    assert AuditEvent.objects.get(action="inspection.sim_add").fields["registration"] == registration.pk


def test_a_sim_found_prefers_the_registration_that_is_not_cancelled(report, inspector):
    # given
    active = RegistrationFactory(iccid=iccid_for(77))
    RegistrationFactory(
        iccid=iccid_for(77),
        status=RegistrationStatus.CANCELLED,
        registered_at=active.registered_at + dt.timedelta(days=1),
    )

    # when
    sim = fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid_for(77))

    # then
    assert sim.registration == active


def test_an_unknown_sim_is_recorded_without_matches(report, inspector):
    # when
    sim = fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid_for(4242))

    # then
    assert sim.registration is None
    assert sim.activation is None


def test_an_iccid_typed_with_spaces_is_stored_as_digits(report, inspector):
    # given
    iccid = iccid_for(5)
    typed = " ".join(iccid[i : i + 4] for i in range(0, len(iccid), 4))

    # when
    sim = fieldwork.sim_add(report=report, inspector=inspector, iccid=typed)

    # then
    assert sim.iccid == iccid


def test_an_iccid_with_a_wrong_check_digit_is_refused_clearly(report, inspector):
    # given
    good = iccid_for(9)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.sim_add(report=report, inspector=inspector, iccid=bad)

    # then
    assert refused.value.error_dict["iccid"][0].code == "iccid_check_digit"
    assert "check digit" in refused.value.messages[0]
    assert not SimFound.objects.exists()


@pytest.mark.parametrize("iccid", ["", "12345", "8984047000000000000123", "89840470000000000ab"])
def test_an_iccid_of_the_wrong_shape_is_refused(report, inspector, iccid):
    with pytest.raises(ValidationError, match="19 or 20 digits"):
        fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid)


def test_the_same_iccid_twice_is_one_row(report, inspector):
    # given
    fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid_for(1))

    # when
    fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid_for(1), note="Second box")

    # then
    assert report.sims.values_list("iccid", "note").get() == (iccid_for(1), "Second box")
    assert AuditEvent.objects.filter(action="inspection.sim_add").count() == 1


def test_a_sim_recorded_by_mistake_is_removed_and_a_retry_is_harmless(report, inspector):
    # given
    fieldwork.sim_add(report=report, inspector=inspector, iccid=iccid_for(2))

    # when
    removed = fieldwork.sim_remove(report=report, inspector=inspector, iccid=iccid_for(2))
    again = fieldwork.sim_remove(report=report, inspector=inspector, iccid=iccid_for(2))

    # then
    assert (removed, again) == (True, False)
    assert not SimFound.objects.exists()


def test_only_the_assigned_inspector_records_sims(report, other_inspector):
    with pytest.raises(PermissionDenied):
        fieldwork.sim_add(report=report, inspector=other_inspector, iccid=iccid_for(3))


# --- check-out and submit ---


def test_check_out_records_time_and_position_once(report, inspector):
    # when
    fieldwork.inspection_check_out(report=report, inspector=inspector, **NEAR)
    report.refresh_from_db()
    first = report.checkout_at
    fieldwork.inspection_check_out(report=report, inspector=inspector, **FAR)

    # then
    report.refresh_from_db()
    assert report.checkout_at == first
    assert report.checkout_latitude == Decimal("21.024800")
    assert AuditEvent.objects.filter(action="inspection.check_out").count() == 1


def test_submit_sends_a_complete_report_for_review_and_checks_out(report, inspector):
    # given
    answer_all_with_photos(report, failing=("camera",))

    # when
    fieldwork.inspection_submit(task=report.task, inspector=inspector, remarks="All seen.")

    # then
    report.refresh_from_db()
    assert refreshed(report.task).status == TaskStatus.SUBMITTED
    assert report.submitted_at is not None
    assert report.checkout_at is not None
    assert report.remarks == "All seen."
    assert TaskEvent.objects.filter(task=report.task, to_status=TaskStatus.SUBMITTED, actor=inspector).exists()
    assert AuditEvent.objects.filter(action="inspection.submitted").exists()


def test_submit_without_remarks_keeps_the_saved_remarks(report, inspector):
    # given
    answer_all_with_photos(report)
    fieldwork.remarks_save(report=report, inspector=inspector, remarks="Typed earlier")

    # when
    fieldwork.inspection_submit(task=report.task, inspector=inspector)

    # then
    report.refresh_from_db()
    assert report.remarks == "Typed earlier"


def test_submit_lists_the_items_not_answered(report, inspector):
    # given
    answer_all_with_photos(report)
    report.answers.filter(item__code__in=["camera", "software"]).delete()

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_submit(task=report.task, inspector=inspector)

    # then
    positions = {i.code: i.position for i in report.template.items.all()}
    assert refused.value.messages == [
        f"Item {positions['camera']} is not answered.",
        f"Item {positions['software']} is not answered.",
    ]
    assert refreshed(report.task).status == TaskStatus.IN_PROGRESS


def test_submit_needs_a_photo_on_each_item_that_requires_one(report, inspector):
    # given
    answer_all(report)

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_submit(task=report.task, inspector=inspector)

    # then
    needing = report.template.items.filter(requires_photo=True)
    assert refused.value.messages == [f"Item {item.position} needs a photo." for item in needing]


def test_submit_of_a_returned_task_sends_it_again(report, inspector):
    # given
    answer_all_with_photos(report)
    report.task.status = TaskStatus.RETURNED
    report.task.save(update_fields=["status"])

    # when
    fieldwork.inspection_submit(task=report.task, inspector=inspector)

    # then
    assert refreshed(report.task).status == TaskStatus.SUBMITTED
    assert TaskEvent.objects.get(task=report.task, to_status=TaskStatus.SUBMITTED).from_status == TaskStatus.RETURNED


@pytest.mark.parametrize("status", [TaskStatus.ASSIGNED, TaskStatus.SUBMITTED, TaskStatus.CLOSED, TaskStatus.CANCELLED])
def test_submit_only_from_in_progress_or_returned(report, inspector, status):
    # given
    answer_all_with_photos(report)
    report.task.status = status
    report.task.save(update_fields=["status"])

    # when
    with pytest.raises(ValidationError) as refused:
        fieldwork.inspection_submit(task=report.task, inspector=inspector)

    # then
    assert refused.value.code == "not_submittable"
    assert refreshed(report.task).status == status


def test_only_the_assigned_inspector_submits(report, other_inspector):
    # given
    answer_all_with_photos(report)

    # when / then
    with pytest.raises(PermissionDenied):
        fieldwork.inspection_submit(task=report.task, inspector=other_inspector)
    assert refreshed(report.task).status == TaskStatus.IN_PROGRESS


def test_the_whole_visit_through_the_services(task, inspector):
    # given
    registration = RegistrationFactory(point=task.point)

    # when
    report = fieldwork.inspection_check_in(task=task, inspector=inspector, **NEAR)
    answers = {}
    for item in report.template.items.all():
        passing = "YES" if item.failing_answer == "NO" else "NO"
        answers[item.code] = {"value": "0" if item.answer_kind == "NUMBER" else passing}
    answers["camera"] = {"value": "NO", "note": "No camera"}
    fieldwork.answers_save(report=report, inspector=inspector, answers=answers)
    for item in report.template.items.filter(requires_photo=True):
        fieldwork.photo_add(report=report, inspector=inspector, file=jpeg_upload(), item_code=item.code)
    fieldwork.sim_add(report=report, inspector=inspector, iccid=registration.iccid)
    fieldwork.inspection_submit(task=task, inspector=inspector, remarks="Done")

    # then
    assert refreshed(task).status == TaskStatus.SUBMITTED
    assert list(report.answers.filter(failed=True).values_list("item__code", flat=True)) == ["camera"]
    assert report.sims.get().registration == registration


def test_a_sim_registered_in_another_province_or_the_app_reads_as_no_match(report, inspector):
    # given SIMs registered in TP HCM and in the app, each with an activation
    saigon = RegistrationFactory(point=PointFactory(province_code="079"), iccid=iccid_for(9001))
    app = RegistrationFactory(app=True, iccid=iccid_for(9002))
    for registration in (saigon, app):
        ActivationFactory(iccid=registration.iccid, msisdn=registration.msisdn)

    # when the inspector of a Hà Nội task records them
    sims = [fieldwork.sim_add(report=report, inspector=inspector, iccid=r.iccid) for r in (saigon, app)]

    # then neither the registration nor that subscriber's activation is revealed, as for an unknown SIM
    assert [(s.registration, s.activation) for s in sims] == [(None, None), (None, None)]
    assert [e.fields["registration"] for e in AuditEvent.objects.filter(action="inspection.sim_add")] == [None, None]


def test_an_unregistered_sim_still_shows_its_activation(report, inspector):
    # given a SIM active on the network and registered nowhere (the pre-activated SIM an inspector seeks)
    activation = ActivationFactory(iccid=iccid_for(9003))

    # when
    sim = fieldwork.sim_add(report=report, inspector=inspector, iccid=activation.iccid)

    # then
    assert (sim.registration, sim.activation) == (None, activation)
