"""Integration API for imports: CSV upload (background job), JSON rows (at once), job status; roles, scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import ImportJob
from core.roles import Role
from registrations.imports.api.views import MAX_JSON_ROWS
from registrations.imports.rows import ACTIVATION_COLUMNS, REGISTRATION_COLUMNS
from registrations.models import Activation, Registration
from tests.agents.factories import PointFactory
from tests.registrations.test_importers import csv_file, iccid, reg

pytestmark = pytest.mark.django_db

REGISTRATIONS = "/api/v1/imports/registrations/"
ACTIVATIONS = "/api/v1/imports/activations/"


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def upload(rows, columns=REGISTRATION_COLUMNS):
    return SimpleUploadedFile("registrations.csv", csv_file(columns, rows).getvalue(), content_type="text/csv")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # uploaded files and rejects files go to a directory of the test's own
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def point(db):
    return PointFactory(code="P1", province_code="079")


def test_a_csv_file_becomes_a_background_job(integration, point, django_capture_on_commit_callbacks):
    client = api(integration)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTRATIONS, {"file": upload([reg(), reg(external_id="R2", msisdn="1")])})
    # then
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "registrations"
    assert body["status"] == "PENDING"
    assert response["Location"] == body["status_url"] == f"http://testserver/api/v1/imports/{body['id']}/"
    status = client.get(body["status_url"]).json()
    assert (status["status"], status["created"], status["rejected"], status["percent"]) == ("DONE", 1, 1, 100)
    rejects = client.get(status["rejects_url"])
    assert rejects.status_code == 200
    assert rejects["Content-Type"] == "text/csv"
    assert b"msisdn '1' is not a Vietnamese mobile number." in b"".join(rejects.streaming_content)
    assert Registration.objects.get().external_id == "R1"


def test_a_csv_file_without_the_columns_is_a_400(integration):
    response = api(integration).post(ACTIVATIONS, {"file": upload([reg()])})
    assert response.status_code == 400
    assert response.json() == {"file": ["Missing columns: activated_at."]}
    assert not ImportJob.objects.exists()


def test_json_rows_are_imported_at_once_with_rejects_by_position(integration, point):
    rows = [
        reg(),
        {**reg(external_id="R2"), "msisdn": "1"},
        {**reg(external_id="R3"), "has_portrait": True, "has_id_back": 0, "extra": "ignored"},
        {"external_id": "R4"},
    ]
    # when
    response = api(integration).post(REGISTRATIONS, {"rows": rows}, format="json")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    job = body["job"]
    assert (job["status"], job["created"], job["rejected"], job["processed_rows"]) == ("DONE", 2, 2, 4)
    assert body["rejects"] == [
        {"line": 2, "reason": "msisdn '1' is not a Vietnamese mobile number.", "key": "R2"},
        {"line": 4, "reason": "Missing channel.", "key": "R4"},
    ]
    r3 = Registration.objects.get(external_id="R3")
    assert (r3.has_portrait, r3.has_id_back) == (True, False)
    # the same rows again change nothing
    again = api(integration).post(REGISTRATIONS, {"rows": rows}, format="json").json()["job"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_json_activations(integration):
    rows = [{"iccid": iccid(1), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00+07:00"}]
    response = api(integration).post(ACTIVATIONS, {"rows": rows}, format="json")
    assert response.status_code == 200
    assert response.json()["job"]["created"] == 1
    assert Activation.objects.get().msisdn == "+84912345678"


def test_ten_thousand_rows_are_accepted_and_one_more_is_a_400(integration):
    rows = [{"iccid": iccid(i), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00"} for i in range(10_001)]
    client = api(integration)
    # when too many
    response = client.post(ACTIVATIONS, {"rows": rows}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {"rows": [f"At most {MAX_JSON_ROWS:,} rows per request; send a CSV file for more."]}
    assert not ImportJob.objects.exists()
    # when exactly the limit
    response = client.post(ACTIVATIONS, {"rows": rows[:MAX_JSON_ROWS]}, format="json")
    assert response.status_code == 200
    assert response.json()["job"]["created"] == MAX_JSON_ROWS == Activation.objects.count()


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"rows": []}, "No rows."),
        ({"rows": "R1,0912345678"}, "Expected a list of rows."),
        ({"rows": [["R1"]]}, "Row 1 is not an object."),
        ({"rows": [{"external_id": {"nested": 1}}]}, "Row 1, column 'external_id': expected a text"),
        ({}, "No file was submitted."),
    ],
)
def test_malformed_requests_are_400s(integration, payload, error):
    response = api(integration).post(REGISTRATIONS, payload, format="json")
    assert response.status_code == 400
    assert error in str(response.json())


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.INTEGRATION, 200), (Role.OFFICER, 200), (Role.MANAGER, 200), (Role.AUDITOR, 403), (Role.INSPECTOR, 403)],
)
def test_who_may_push(users_by_role, role, status):
    rows = [{"iccid": iccid(1), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00"}]
    assert api(users_by_role[role]).post(ACTIVATIONS, {"rows": rows}, format="json").status_code == status


def test_anonymous_callers_are_401():
    assert APIClient().post(ACTIVATIONS, {"rows": []}, format="json").status_code == 401
    assert APIClient().get("/api/v1/imports/1/").status_code == 401


def test_another_accounts_job_is_a_404(integration, officer):
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", created_by=officer, status="DONE")
    client = api(integration)
    assert client.get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert client.get(f"/api/v1/imports/{job.pk}/rejects/").status_code == 404
    assert api(officer).get(f"/api/v1/imports/{job.pk}/").status_code == 200
    assert api(officer).get(f"/api/v1/imports/{job.pk}/rejects/").status_code == 404  # it rejected nothing


def test_an_account_limited_to_provinces_pushes_only_to_their_points(make_user, point):
    # given an integration account for 001 only, and P1 in 079
    PointFactory(code="H1", province_code="001")
    user = make_user(Role.INTEGRATION, provinces=["001"])
    rows = [reg(external_id="HN", point_code="H1"), reg(external_id="HCM", point_code="P1")]
    # when
    body = api(user).post(REGISTRATIONS, {"rows": rows}, format="json").json()
    # then
    assert body["rejects"] == [{"line": 2, "reason": "Unknown point code 'P1'.", "key": "HCM"}]
    assert list(Registration.objects.values_list("external_id", flat=True)) == ["HN"]


def test_the_status_shows_no_personal_data(integration, point):
    body = api(integration).post(REGISTRATIONS, {"rows": [reg()]}, format="json").json()["job"]
    assert "079190123456" not in str(body)
    assert "Lê Lợi" not in str(body)
    assert set(body) >= {"id", "status", "processed_rows", "total_rows", "percent", "rate", "eta_seconds"}


def test_activation_columns_are_documented():
    assert ACTIVATION_COLUMNS == ["iccid", "msisdn", "activated_at"]
