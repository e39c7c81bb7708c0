"""The reviewer's task page (issue 14): the "Visit integrity" panel in English and Vietnamese (numbers in the
reader's format, no raw codes), phone and server times, a weak visit accepted through the page only with a
reason, who sees the panel; the thresholds on the risk policy page."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from inspections.models import RiskPolicy, TaskStatus
from inspections.services.integrity import LABELS
from tests.agents.factories import PointFactory
from tests.inspections.factories import ReportFactory, TaskFactory, add_photo, submitted_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def page(client, task):
    return client.get(reverse("inspections:task_detail", args=[task.pk]))


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def far_task(inspector):
    """A submitted visit checked in 1,234 m from the point, with a camera photo taken during the visit."""
    task = submitted_task(inspector=inspector, point=PointFactory(province_code="001"), checkin_distance_m=1234.0)
    photo = add_photo(task.report)
    photo.source = "camera"
    photo.taken_at = task.report.checkin_device_at + dt.timedelta(minutes=3)
    photo.save()
    return task


def test_the_reviewer_sees_the_panel_with_each_signal_in_words(client, officer, far_task):
    client.force_login(officer)
    html = page(client, far_task).content.decode()
    assert 'data-testid="integrity"' in html
    text = visible_text(html)
    assert "Visit integrity" in text
    assert "1,234 m from the point" in text
    assert "expected: at most 200 m from the point" in text
    assert "1 of 1 photo" in text
    assert 'data-testid="signal-checkin_distance" data-state="weak"' in html
    assert 'data-testid="signal-time_on_site" data-state="ok"' in html
    assert re.search(r"Score \d+/100", text)
    # codes are attributes for tests, never words on the page
    for code in LABELS:
        assert code not in text
    assert 'data-testid="weak-needs-reason"' in html


def test_the_panel_in_vietnamese_writes_numbers_the_vietnamese_way(client, officer, far_task):
    officer.language = "vi"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    html = page(client, far_task).content.decode()
    assert '<html lang="vi"' in html
    assert "1.234 m" in visible_text(html)
    assert "1,234 m" not in visible_text(html)


def test_phone_and_server_times_are_shown(client, officer, far_task):
    # given: an answer and a SIM with their phone times
    report = far_task.report
    typed = dt.datetime(2026, 11, 3, 9, 41, tzinfo=dt.UTC)  # 16:41 in Vietnam
    report.answers.filter(item__code="camera").update(answered_device_at=typed)
    report.sims.create(iccid="8984049912345678901", recorded_device_at=typed + dt.timedelta(minutes=1))
    client.force_login(officer)
    # when
    html = page(client, far_task).content.decode()
    # then
    for testid in ("checkin-times", "checkout-times", "submitted-times", "photo-facts"):
        assert f'data-testid="{testid}"' in html
    assert "on the phone:" in html
    assert "answered on the phone 2026-11-03 16:41" in html
    assert "on the phone: 2026-11-03 16:42" in html
    photo = report.photos.get()
    assert photo.sha256[:12] in html


def test_a_weak_visit_is_accepted_through_the_page_only_with_a_reason(client, officer, far_task):
    client.force_login(officer)
    url = reverse("inspections:task_review", args=[far_task.pk])
    # when: accepted without a reason
    refused = client.post(url, {"decision": "accept", "note": ""})
    # then
    assert refused.status_code == 400
    assert "weak integrity signals" in refused.content.decode()
    far_task.refresh_from_db()
    assert far_task.status == TaskStatus.SUBMITTED
    # when: with a reason
    accepted = client.post(url, {"decision": "accept", "note": "GPS drift in the market hall"})
    assert accepted.status_code == 302
    far_task.refresh_from_db()
    assert far_task.status == TaskStatus.CLOSED
    html = page(client, far_task).content.decode()
    assert "GPS drift in the market hall" in html
    assert 'data-testid="integrity-at-review"' in html
    assert AuditEvent.objects.get(action="inspection.accept").reason == "GPS drift in the market hall"


def test_a_clean_visit_is_accepted_through_the_page_without_a_reason(client, officer, inspector):
    task = submitted_task(inspector=inspector, point=PointFactory(province_code="001"))
    client.force_login(officer)
    html = page(client, task).content.decode()
    assert 'data-testid="weak-needs-reason"' not in html
    assert "Score 100/100" in html
    response = client.post(reverse("inspections:task_review", args=[task.pk]), {"decision": "accept", "note": ""})
    assert response.status_code == 302


def test_an_auditor_of_the_province_sees_the_panel_but_no_review(client, auditor, far_task):
    client.force_login(auditor)
    html = page(client, far_task).content.decode()
    assert 'data-testid="integrity"' in html
    assert 'data-testid="review-form"' not in html


def test_the_panel_is_not_shown_outside_the_readers_provinces(client, make_user, far_task):
    client.force_login(make_user(Role.OFFICER, provinces=["079"], username="saigon"))
    assert page(client, far_task).status_code == 404


def test_the_inspector_does_not_reach_the_office_page(client, inspector, far_task):
    client.force_login(inspector)
    assert page(client, far_task).status_code == 403


def test_no_panel_before_the_report_is_sent(client, officer, inspector):
    task = TaskFactory(inspector=inspector, point=PointFactory(province_code="001"))
    ReportFactory(task=task)
    client.force_login(officer)
    assert 'data-testid="integrity"' not in page(client, task).content.decode()


# --- the thresholds on the risk policy page -----------------------------------------------------


def test_the_policy_page_lists_the_visit_thresholds(client, officer):
    client.force_login(officer)
    html = client.get(reverse("inspections:policy")).content.decode()
    assert "Visit integrity" in html
    assert "visit: most photos per visit" in html.lower()


def test_a_manager_changes_a_visit_threshold_as_a_new_policy_version(client, manager):
    client.force_login(manager)
    policy = RiskPolicy.current()
    form = client.get(reverse("inspections:policy")).context["form"]
    data = {name: form.initial[name] for name in form.Meta.fields}
    data |= {"integrity_max_speed_kmh": 90, "max_photos_per_visit": 20, "reason": "Rural roads"}
    response = client.post(reverse("inspections:policy"), data)
    assert response.status_code == 302
    changed = RiskPolicy.current()
    assert (changed.integrity_max_speed_kmh, changed.max_photos_per_visit) == (90, 20)
    assert changed.version == policy.version + 1
    event = AuditEvent.objects.get(action="risk.policy_update")
    assert event.fields["changes"]["integrity_max_speed_kmh"] == {"from": 120, "to": 90}
    assert event.reason == "Rural roads"


def test_a_photo_cap_of_zero_is_refused(client, manager):
    client.force_login(manager)
    form = client.get(reverse("inspections:policy")).context["form"]
    data = {name: form.initial[name] for name in form.Meta.fields} | {"max_photos_per_visit": 0}
    response = client.post(reverse("inspections:policy"), data)
    assert response.status_code == 200
    assert 'data-testid="error-max_photos_per_visit"' in response.content.decode()
