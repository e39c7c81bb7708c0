"""The inspector's phone pages and the JSON endpoints its script calls: each role, in scope and out of scope
(another inspector's task answers 404 like a task that does not exist; staff and auditors get 403), the
groups of "My tasks", the task page in each status, clear JSON errors, and the photo files."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from inspections.models import InspectionReport, Photo, SimFound, TaskStatus
from tests.agents.factories import PointFactory
from tests.inspections.factories import (
    FAR,
    NEAR,
    TINY_JPEG,
    ReportFactory,
    TaskFactory,
    add_photo,
    answer_all_with_photos,
    answer_item,
    jpeg_upload,
)
from tests.registrations.factories import RegistrationFactory, iccid_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

STAFF_AND_AUDITORS = [Role.OFFICER, Role.MANAGER, Role.AUDITOR]
ENDPOINTS = [
    "field_checkin",
    "field_answers",
    "field_remarks",
    "field_photo",
    "field_sim",
    "field_sim_remove",
    "field_checkout",
    "field_submit",
]


@pytest.fixture
def task(inspector):
    return TaskFactory(point=PointFactory(province_code="001", name="Điểm Tràng Tiền"), inspector=inspector)


@pytest.fixture
def other_inspector(make_user):
    return make_user(Role.INSPECTOR, provinces=["001"], username="other-inspector")


@pytest.fixture
def as_inspector(client, inspector):
    client.force_login(inspector)
    return client


def post_json(client, name, task, body=None):
    return client.post(
        reverse(f"inspections:{name}", args=[task.pk]), data=json.dumps(body or {}), content_type="application/json"
    )


def refreshed(obj):
    obj.refresh_from_db()
    return obj


# --- who may open what ---


def test_an_inspector_lands_on_my_tasks(as_inspector):
    response = as_inspector.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("inspections:my_tasks")


@pytest.mark.parametrize("role", [*STAFF_AND_AUDITORS, Role.INTEGRATION])
def test_only_field_inspectors_use_the_phone_pages(client, make_user, task, role):
    # given
    client.force_login(make_user(role))

    # when / then
    assert client.get(reverse("inspections:my_tasks")).status_code == 403
    assert client.get(reverse("inspections:task_work", args=[task.pk])).status_code == 403


@pytest.mark.parametrize("role", [*STAFF_AND_AUDITORS, Role.INTEGRATION])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_staff_and_auditors_do_not_use_the_field_endpoints(client, make_user, report, role, name):
    # given
    client.force_login(make_user(role))

    # when
    response = post_json(client, name, report.task, {"iccid": iccid_for(1), "answers": {"camera": "NO"}})

    # then
    assert response.status_code == 403
    assert refreshed(report.task).status == TaskStatus.IN_PROGRESS


def test_anonymous_users_are_sent_to_sign_in(client, task):
    response = client.get(reverse("inspections:task_work", args=[task.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_my_tasks_shows_only_my_tasks(as_inspector, task, other_inspector):
    # given
    theirs = TaskFactory(point=PointFactory(province_code="001"), inspector=other_inspector)
    unassigned = TaskFactory(point=PointFactory(province_code="001"))

    # when
    response = as_inspector.get(reverse("inspections:my_tasks"))

    # then
    shown = [t.pk for _key, _title, tasks in response.context["sections"] for t in tasks]
    assert shown == [task.pk]
    assert f'data-testid="task-{theirs.pk}"' not in response.content.decode()
    assert f'data-testid="task-{unassigned.pk}"' not in response.content.decode()


def test_another_inspectors_task_answers_404_like_a_missing_one(client, other_inspector, task):
    # given
    client.force_login(other_inspector)

    # when / then
    assert client.get(reverse("inspections:task_work", args=[task.pk])).status_code == 404
    assert client.get(reverse("inspections:task_work", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ENDPOINTS)
def test_another_inspectors_task_answers_404_on_every_endpoint(client, other_inspector, report, name):
    # given
    client.force_login(other_inspector)

    # when
    response = post_json(client, name, report.task, {"answers": {"camera": "NO"}, "iccid": iccid_for(1)})

    # then
    assert response.status_code == 404
    assert not report.answers.exists()
    assert not report.sims.exists()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoints_take_posts_only(as_inspector, report, name):
    assert as_inspector.get(reverse(f"inspections:{name}", args=[report.task.pk])).status_code == 405


def test_endpoints_need_the_csrf_token(inspector, task):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)

    # when
    response = post_json(client, "field_checkin", task, NEAR)

    # then
    assert response.status_code == 403
    assert refreshed(task).status == TaskStatus.ASSIGNED


def test_endpoints_accept_the_token_the_page_gives(inspector, task):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)
    page = client.get(reverse("inspections:task_work", args=[task.pk]))
    token = page.context["config"]["csrf"]

    # when
    response = client.post(
        reverse("inspections:field_checkin", args=[task.pk]),
        data=json.dumps(NEAR),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    # then
    assert response.status_code == 200
    assert refreshed(task).status == TaskStatus.IN_PROGRESS


# --- My tasks ---


def test_my_tasks_groups_overdue_today_upcoming_and_returned(as_inspector, inspector):
    # given
    today = timezone.localdate()
    overdue = TaskFactory(inspector=inspector, due_date=today - dt.timedelta(days=2))
    due_today = TaskFactory(inspector=inspector, due_date=today)
    upcoming = TaskFactory(inspector=inspector, due_date=today + dt.timedelta(days=5))
    returned = ReportFactory(task=TaskFactory(inspector=inspector, due_date=today - dt.timedelta(days=9))).task
    returned.status = TaskStatus.RETURNED
    returned.save(update_fields=["status"])
    sent = ReportFactory(task=TaskFactory(inspector=inspector)).task
    sent.status = TaskStatus.SUBMITTED
    sent.save(update_fields=["status"])

    # when
    response = as_inspector.get(reverse("inspections:my_tasks"))

    # then
    groups = {key: [t.pk for t in tasks] for key, _title, tasks in response.context["sections"]}
    assert groups == {
        "overdue": [overdue.pk],
        "today": [due_today.pk],
        "upcoming": [upcoming.pk],
        "returned": [returned.pk],
    }
    assert [t.pk for t in response.context["sent"]] == [sent.pk]
    html = response.content.decode()
    for heading in ("Overdue", "Today", "Upcoming", "Returned to you", "Sent for review"):
        assert heading in html


def test_each_card_has_the_address_and_a_maps_link_to_the_coordinates(as_inspector, task):
    # when
    html = as_inspector.get(reverse("inspections:my_tasks")).content.decode()

    # then
    assert task.point.name in html
    assert task.point.code in html
    assert task.point.address in html
    assert "https://www.google.com/maps/search/?api=1&amp;query=21.024500%2C105.857200" in html


def test_the_maps_link_falls_back_to_the_address(as_inspector, inspector):
    # given
    TaskFactory(inspector=inspector, point=PointFactory(latitude=None, longitude=None, address="12 Hàng Bài"))

    # when
    html = as_inspector.get(reverse("inspections:my_tasks")).content.decode()

    # then
    assert "query=12+H%C3%A0ng+B%C3%A0i%2C+" in html


def test_my_tasks_says_so_when_there_is_nothing_to_do(as_inspector):
    assert (
        "No open inspection tasks are assigned to you."
        in as_inspector.get(reverse("inspections:my_tasks")).content.decode()
    )


# --- the task page ---


def test_an_assigned_task_opens_on_the_check_in_step_with_the_checklist_ready(as_inspector, task):
    # when
    response = as_inspector.get(reverse("inspections:task_work", args=[task.pk]))

    # then
    html = response.content.decode()
    assert response.context["editable"]
    assert not response.context["checked_in"]
    assert "Check in here" in html
    assert 'capture="environment"' in html
    assert 'accept="image/*"' in html
    assert response.context["config"]["point"] == {"latitude": 21.0245, "longitude": 105.8572}
    assert response.context["config"]["max_distance_m"] == 200
    assert len(response.context["items"]) == response.context["checklist"].items.count()


def test_a_task_in_progress_shows_the_saved_answers_photos_and_sims(as_inspector, report):
    # given
    answer_item(report, "camera", "NO", note="Broken")
    photo = add_photo(report, "signboard")
    registration = RegistrationFactory(point=report.task.point)
    SimFound.objects.create(report=report, iccid=registration.iccid, registration=registration)

    # when
    html = as_inspector.get(reverse("inspections:task_work", args=[report.task.pk])).content.decode()

    # then
    assert 'value="NO" data-value checked' in html
    assert "Broken" in html
    assert reverse("inspections:photo", args=[photo.pk]) in html
    assert registration.iccid in html
    assert f"Registered as {registration.external_id}" in html
    assert "at this point" in html


def test_a_returned_task_shows_the_reason_and_is_editable_again(as_inspector, report, officer):
    # given
    answer_all_with_photos(report)
    report.task.status = TaskStatus.RETURNED
    report.task.save(update_fields=["status"])
    report.return_reason = "Photograph the signboard from the street"
    report.reviewed_by = officer
    report.reviewed_at = timezone.now()
    report.save()

    # when
    response = as_inspector.get(reverse("inspections:task_work", args=[report.task.pk]))

    # then
    html = response.content.decode()
    assert response.context["editable"]
    assert 'data-testid="return-reason"' in html
    assert "Photograph the signboard from the street" in html
    assert "Send the report again" in html


def test_a_submitted_task_is_read_only(as_inspector, report):
    # given
    answer_all_with_photos(report, failing=("camera",))
    report.task.status = TaskStatus.SUBMITTED
    report.task.save(update_fields=["status"])
    report.submitted_at = timezone.now()
    report.save()

    # when
    response = as_inspector.get(reverse("inspections:task_work", args=[report.task.pk]))

    # then
    html = response.content.decode()
    assert not response.context["editable"]
    assert "Sent for review on" in html
    assert "inspection/main.js" not in html
    assert "data-photo-remove" not in html


def test_the_task_page_runs_a_constant_number_of_queries(as_inspector, report, django_assert_max_num_queries):
    # given
    answer_all_with_photos(report)
    for n in range(5):
        SimFound.objects.create(report=report, iccid=iccid_for(n), registration=RegistrationFactory(iccid=iccid_for(n)))

    # when / then
    with django_assert_max_num_queries(20):
        assert as_inspector.get(reverse("inspections:task_work", args=[report.task.pk])).status_code == 200


# --- the JSON endpoints ---


def test_check_in_endpoint_starts_the_inspection(as_inspector, task):
    # when
    response = post_json(as_inspector, "field_checkin", task, NEAR)

    # then
    assert response.status_code == 200
    data = response.json()
    assert data["ok"]
    assert data["status"] == "IN_PROGRESS"
    assert 30 < data["checkin"]["distance_m"] < 50
    assert refreshed(task).status == TaskStatus.IN_PROGRESS


def test_check_in_endpoint_says_too_far_with_a_400_and_the_task_status(as_inspector, task):
    # when
    response = post_json(as_inspector, "field_checkin", task, FAR)

    # then
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False
    assert data["code"] == "too_far"
    assert "more than 200 m" in data["error"]
    assert data["status"] == "ASSIGNED"


def test_check_in_twice_answers_400_with_the_new_status(as_inspector, task):
    # given: the first check-in got through but the phone did not hear back
    post_json(as_inspector, "field_checkin", task, NEAR)

    # when
    response = post_json(as_inspector, "field_checkin", task, NEAR)

    # then
    assert response.status_code == 400
    assert response.json()["status"] == "IN_PROGRESS"
    assert InspectionReport.objects.count() == 1


def test_answers_endpoint_saves_and_reports_errors_by_item_code(as_inspector, report):
    # when
    ok = post_json(as_inspector, "field_answers", report.task, {"answers": {"camera": {"value": "NO", "note": "x"}}})
    bad = post_json(as_inspector, "field_answers", report.task, {"answers": {"software": {"value": "perhaps"}}})

    # then
    assert ok.status_code == 200
    assert ok.json()["changed"] == ["camera"]
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"software": ["Answer yes, no or not applicable."]}
    assert list(report.answers.values_list("item__code", "value", "failed")) == [("camera", "NO", True)]


@pytest.mark.parametrize("body", [{}, {"answers": []}, {"answers": {"camera": {"value": ["NO"]}}}])
def test_answers_endpoint_refuses_a_malformed_body(as_inspector, report, body):
    response = post_json(as_inspector, "field_answers", report.task, body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_answers_endpoint_refuses_a_body_that_is_not_json(as_inspector, report):
    response = as_inspector.post(
        reverse("inspections:field_answers", args=[report.task.pk]), data="{", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_answers_before_check_in_are_refused(as_inspector, task):
    response = post_json(as_inspector, "field_answers", task, {"answers": {"camera": "NO"}})
    assert response.status_code == 400
    assert response.json()["code"] == "not_checked_in"


def test_answers_to_a_submitted_task_are_refused_with_its_status(as_inspector, report):
    # given
    report.task.status = TaskStatus.SUBMITTED
    report.task.save(update_fields=["status"])

    # when
    response = post_json(as_inspector, "field_answers", report.task, {"answers": {"camera": "NO"}})

    # then
    assert response.status_code == 400
    assert response.json()["status"] == "SUBMITTED"
    assert not report.answers.exists()


def test_remarks_endpoint_saves_the_remarks(as_inspector, report):
    response = post_json(as_inspector, "field_remarks", report.task, {"remarks": "Clerk absent"})
    assert response.status_code == 200
    assert refreshed(report).remarks == "Clerk absent"


def test_photo_endpoint_stores_the_upload_once_per_client_id(as_inspector, report):
    # given
    url = reverse("inspections:field_photo", args=[report.task.pk])
    body = {"item_code": "signboard", "client_id": "4f0c2a9e-1d2b-4c1f-9a77-0b6f3e1d2c3a"}

    # when
    first = as_inspector.post(url, {**body, "file": jpeg_upload()})
    again = as_inspector.post(url, {**body, "file": jpeg_upload()})

    # then
    assert first.status_code == again.status_code == 200
    photo = Photo.objects.get()
    assert first.json()["id"] == again.json()["id"] == photo.pk
    assert reverse("inspections:photo", args=[photo.pk]) in first.json()["html"]
    assert photo.item.code == "signboard"


def test_photo_endpoint_refuses_what_is_not_a_photo(as_inspector, report):
    # given
    fake = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>", content_type="image/jpeg")

    # when
    response = as_inspector.post(reverse("inspections:field_photo", args=[report.task.pk]), {"file": fake})

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["Send a JPEG, PNG or WebP photo."]}
    assert not Photo.objects.exists()


def test_photo_endpoint_refuses_a_bad_client_id(as_inspector, report):
    response = as_inspector.post(
        reverse("inspections:field_photo", args=[report.task.pk]), {"file": jpeg_upload(), "client_id": "../../x"}
    )
    assert response.status_code == 400
    assert "client_id" in response.json()["errors"]


def test_photo_remove_endpoint_removes_it_and_a_retry_is_harmless(as_inspector, report):
    # given
    photo = add_photo(report, "signboard")
    url = reverse("inspections:field_photo_remove", args=[report.task.pk, photo.pk])

    # when
    first = as_inspector.post(url)
    again = as_inspector.post(url)

    # then
    assert first.status_code == again.status_code == 200
    assert not Photo.objects.exists()


def test_photo_remove_endpoint_cannot_reach_another_reports_photo(as_inspector, report, other_inspector):
    # given
    theirs = add_photo(ReportFactory(task=TaskFactory(inspector=other_inspector)), "signboard")

    # when
    response = as_inspector.post(reverse("inspections:field_photo_remove", args=[report.task.pk, theirs.pk]))

    # then: nothing of theirs is touched
    assert response.status_code == 200
    assert Photo.objects.filter(pk=theirs.pk).exists()


def test_sim_endpoint_records_the_match_and_refuses_a_wrong_check_digit(as_inspector, report):
    # given
    registration = RegistrationFactory(point=report.task.point)
    bad = registration.iccid[:-1] + str((int(registration.iccid[-1]) + 1) % 10)

    # when
    ok = post_json(as_inspector, "field_sim", report.task, {"iccid": registration.iccid, "note": "drawer"})
    refused = post_json(as_inspector, "field_sim", report.task, {"iccid": bad})

    # then
    assert ok.status_code == 200
    assert f"Registered as {registration.external_id}" in ok.json()["html"]
    assert refused.status_code == 400
    assert refused.json()["code"] == "iccid_check_digit"
    assert report.sims.get().registration == registration


def test_sim_remove_endpoint_removes_the_sim(as_inspector, report):
    # given
    SimFound.objects.create(report=report, iccid=iccid_for(3))

    # when
    response = post_json(as_inspector, "field_sim_remove", report.task, {"iccid": iccid_for(3)})

    # then
    assert response.status_code == 200
    assert not report.sims.exists()


def test_checkout_endpoint_records_the_check_out(as_inspector, report):
    response = post_json(as_inspector, "field_checkout", report.task, NEAR)
    assert response.status_code == 200
    assert refreshed(report).checkout_at is not None


def test_submit_endpoint_sends_the_report_and_leads_back_to_my_tasks(as_inspector, report):
    # given
    answer_all_with_photos(report)

    # when
    response = post_json(as_inspector, "field_submit", report.task, {"remarks": "Fine"})

    # then
    assert response.status_code == 200
    assert response.json()["redirect"] == reverse("inspections:my_tasks")
    assert refreshed(report.task).status == TaskStatus.SUBMITTED
    assert refreshed(report).remarks == "Fine"
    follow = as_inspector.get(reverse("inspections:my_tasks"))
    assert "sent for review" in follow.content.decode()


def test_submit_endpoint_lists_what_is_missing(as_inspector, report):
    # when
    response = post_json(as_inspector, "field_submit", report.task, {})

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "incomplete"
    assert len(response.json()["errors"]["__all__"]) == report.template.items.count()
    assert refreshed(report.task).status == TaskStatus.IN_PROGRESS


def test_submit_endpoint_refuses_an_assigned_task(as_inspector, task):
    response = post_json(as_inspector, "field_submit", task, {})
    assert response.status_code == 400
    assert refreshed(task).status == TaskStatus.ASSIGNED


# --- photo files ---


def photo_response(client, photo):
    return client.get(reverse("inspections:photo", args=[photo.pk]))


def test_the_inspector_gets_their_photo_privately_with_its_type(as_inspector, report):
    # given
    photo = add_photo(report, "signboard")

    # when
    response = photo_response(as_inspector, photo)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == TINY_JPEG


@pytest.mark.parametrize("role", STAFF_AND_AUDITORS)
def test_staff_and_auditors_of_the_province_see_the_photo(client, make_user, report, role):
    # given
    photo = add_photo(report, "signboard")
    client.force_login(make_user(role, provinces=["001"]))

    # when / then
    assert photo_response(client, photo).status_code == 200


@pytest.mark.parametrize("role", STAFF_AND_AUDITORS)
def test_staff_and_auditors_of_other_provinces_get_404(client, make_user, report, role):
    # given
    photo = add_photo(report, "signboard")
    client.force_login(make_user(role, provinces=["079"]))

    # when / then
    assert photo_response(client, photo).status_code == 404


def test_another_inspector_gets_404_for_the_photo(client, other_inspector, report):
    # given
    photo = add_photo(report, "signboard")
    client.force_login(other_inspector)

    # when / then
    assert photo_response(client, photo).status_code == 404


def test_integration_accounts_get_no_photos(client, integration, report):
    photo = add_photo(report, "signboard")
    client.force_login(integration)
    assert photo_response(client, photo).status_code == 403


def test_a_photo_whose_file_is_gone_answers_404(as_inspector, report):
    # given
    photo = add_photo(report, "signboard")
    photo.file.storage.delete(photo.file.name)

    # when / then
    assert photo_response(as_inspector, photo).status_code == 404


def test_anonymous_users_get_no_photo(client, report):
    photo = add_photo(report, "signboard")
    assert photo_response(client, photo).status_code == 302
