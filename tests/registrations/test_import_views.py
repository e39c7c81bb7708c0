"""The import upload page, the job page with its htmx progress fragment, rejects download: roles and ownership."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import ImportJob
from core.roles import Role
from registrations.imports import services as importers
from registrations.imports import writers
from registrations.imports.rows import ACTIVATION_COLUMNS, REGISTRATION_COLUMNS
from registrations.models import Activation, Registration
from tests.agents.factories import PointFactory
from tests.registrations.test_importers import csv_file, iccid, reg

pytestmark = pytest.mark.django_db

UPLOAD = reverse("registrations:import")


def upload(rows, columns=REGISTRATION_COLUMNS, name="registrations.csv"):
    return SimpleUploadedFile(name, csv_file(columns, rows).getvalue(), content_type="text/csv")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # uploaded files and rejects files go to a directory of the test's own
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def point(db):
    return PointFactory(code="P1", province_code="079")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OFFICER, 200),
        (Role.MANAGER, 200),
        (Role.INTEGRATION, 200),
        (Role.INSPECTOR, 403),
        (Role.AUDITOR, 403),
    ],
)
def test_upload_page_is_for_roles_that_import(client, users_by_role, role, status):
    client.force_login(users_by_role[role])
    assert client.get(UPLOAD).status_code == status


def test_upload_page_needs_a_signed_in_user(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_uploading_a_file_queues_the_import_and_shows_its_page(
    client, officer, point, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    # when (tasks run in-process in tests, once the job is committed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            UPLOAD, {"kind": "registrations", "file": upload([reg(), reg(external_id="R2", msisdn="12")])}
        )
    # then
    job = ImportJob.objects.get()
    # queued once, on commit (the other callbacks anchor the audit events of the request)
    assert [c.__qualname__ for c in callbacks].count("import_job_submit.<locals>.<lambda>") == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("registrations:import_detail", args=[job.pk])
    assert (job.kind, job.created_by, job.status, job.file_name) == (
        "registrations",
        officer,
        "DONE",
        "registrations.csv",
    )
    assert job.source_file.name.startswith("imports/")
    assert Registration.objects.get().external_id == "R1"
    page = client.get(response["Location"])
    text = page.content.decode()
    assert 'data-testid="import-progress"' in text
    assert "hx-trigger" not in text  # finished: the fragment no longer polls
    assert reverse("registrations:import_rejects", args=[job.pk]) in text
    rejects = client.get(reverse("registrations:import_rejects", args=[job.pk]))
    body = b"".join(rejects.streaming_content).decode()
    assert body.splitlines()[1].startswith("3,msisdn '12' is not a Vietnamese mobile number.,R2,12")


def test_an_activations_file_is_imported_as_activations(client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)
    rows = [{"iccid": iccid(1), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00"}]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"kind": "activations", "file": upload(rows, ACTIVATION_COLUMNS, "activations.csv")})
    assert ImportJob.objects.get().kind == "activations"
    assert Activation.objects.count() == 1


def test_a_file_without_the_columns_is_refused_on_the_form(client, officer):
    client.force_login(officer)
    response = client.post(UPLOAD, {"kind": "activations", "file": upload([reg()])})
    assert response.status_code == 200
    assert "Missing columns: activated_at." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_running_job_polls_its_progress_every_second(client, officer):
    job = ImportJob.objects.create(
        kind="registrations", file_name="big.csv", created_by=officer, status="RUNNING", total_rows=1000
    )
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=250)
    client.force_login(officer)
    fragment = client.get(reverse("registrations:import_progress", args=[job.pk]))
    text = fragment.content.decode()
    assert fragment.status_code == 200
    assert f'hx-get="{reverse("registrations:import_progress", args=[job.pk])}"' in text
    assert 'hx-trigger="every 1s"' in text
    assert 'value="25"' in text
    assert "250 of 1,000 rows (25%)" in text


@pytest.mark.parametrize("name", ["import_detail", "import_progress", "import_rejects"])
def test_a_job_out_of_the_users_reach_is_a_404(client, make_user, manager, name):
    # a manager of every province uploaded it: it may hold any province's rows, so not for a Hà Nội officer
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", created_by=manager, status="DONE")
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    assert client.get(reverse(f"registrations:{name}", args=[job.pk])).status_code == 404
    assert client.get(reverse(f"registrations:{name}", args=[job.pk + 100])).status_code == 404


def test_an_agents_import_job_is_not_shown_here(client, officer):
    job = ImportJob.objects.create(kind="agents", file_name="a.csv", created_by=officer, status="DONE")
    client.force_login(officer)
    assert client.get(reverse("registrations:import_detail", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("name", ["import_detail", "import_progress"])
def test_job_pages_are_forbidden_to_roles_that_do_not_import(client, auditor, name):
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", created_by=auditor, status="DONE")
    client.force_login(auditor)
    assert client.get(reverse(f"registrations:{name}", args=[job.pk])).status_code == 403


def test_a_failed_upload_can_be_resumed_from_its_page(
    client, officer, point, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    monkeypatch.setattr(writers.SqliteWriter, "write", _boom)
    monkeypatch.setattr(writers.PostgresWriter, "write", _boom)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"kind": "registrations", "file": upload([reg()])})
    job = ImportJob.objects.get()
    assert job.status == "FAILED"
    page = client.get(reverse("registrations:import_detail", args=[job.pk])).content.decode()
    assert "database went away" in page
    assert reverse("registrations:import_resume", args=[job.pk]) in page
    # when
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registrations:import_resume", args=[job.pk]))
    # then
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "DONE"
    assert Registration.objects.count() == 1


def test_a_finished_job_cannot_be_resumed(client, officer):
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", created_by=officer, status="DONE")
    client.force_login(officer)
    response = client.post(reverse("registrations:import_resume", args=[job.pk]), follow=True)
    assert "Only a failed or abandoned import of an uploaded file can be resumed." in response.content.decode()


def _boom(self, rows, *args, **kwargs):
    raise RuntimeError("database went away")


def test_an_abandoned_upload_can_be_resumed_from_its_page(client, officer, point, django_capture_on_commit_callbacks):
    # given an upload whose worker died mid-run: RUNNING, and no sign of life for longer than STALE_AFTER
    job = importers.import_job_create(kind="registrations", actor=officer, file_name="r.csv", upload=upload([reg()]))
    stale = timezone.now() - importers.STALE_AFTER * 2
    ImportJob.objects.filter(pk=job.pk).update(status="RUNNING", heartbeat_at=stale, started_at=stale)
    client.force_login(officer)
    page = client.get(reverse("registrations:import_detail", args=[job.pk])).content.decode()
    assert reverse("registrations:import_resume", args=[job.pk]) in page
    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registrations:import_resume", args=[job.pk]))
    # then
    job.refresh_from_db()
    assert job.status == "DONE"
    assert Registration.objects.count() == 1


def test_a_live_running_job_offers_no_resume(client, officer):
    job = importers.import_job_create(kind="registrations", actor=officer, file_name="r.csv", upload=upload([reg()]))
    ImportJob.objects.filter(pk=job.pk).update(status="RUNNING", heartbeat_at=timezone.now())
    client.force_login(officer)
    page = client.get(reverse("registrations:import_detail", args=[job.pk])).content.decode()
    assert reverse("registrations:import_resume", args=[job.pk]) not in page
    assert 'hx-trigger="every 1s"' in page
