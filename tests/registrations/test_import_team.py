"""Import jobs are the team's records, scoped by province (issue 13): a manager no longer gets 404 on an
officer's job, colleagues see each other's loads and rejected rows within their provinces, and nobody sees
a job that may hold rows of a province outside theirs."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from core.models import ImportJob
from core.roles import Role

pytestmark = pytest.mark.django_db


def job_of(user, kind="registrations"):
    job = ImportJob.objects.create(kind=kind, file_name="nightly.csv", created_by=user, status=ImportJob.Status.DONE)
    job.rejects_file.save("rejects.csv", ContentFile(b"line,reason\n3,unknown point\n"), save=True)
    return job


@pytest.fixture
def team(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return {
        "hanoi": make_user(Role.OFFICER, provinces=["001"]),
        "hanoi_colleague": make_user(Role.OFFICER, provinces=["001"]),
        "saigon": make_user(Role.OFFICER, provinces=["079"]),
        "both": make_user(Role.OFFICER, provinces=["001", "079"]),
        "everywhere": make_user(Role.OFFICER),
        "manager": make_user(Role.MANAGER),
        "integration": make_user(Role.INTEGRATION),
    }


@pytest.mark.parametrize(
    ("viewer", "uploader", "sees"),
    [
        ("manager", "hanoi", True),  # the manager of every province sees the officer's job
        ("hanoi_colleague", "hanoi", True),  # a colleague of the same province
        ("both", "hanoi", True),  # a colleague whose provinces include the uploader's
        ("hanoi", "both", False),  # the uploader could write Sài Gòn rows: not for a Hà Nội user
        ("saigon", "hanoi", False),
        ("hanoi", "everywhere", False),  # an all-provinces upload may hold any province's rows
        ("integration", "hanoi", False),  # integration: write-only for personal data, its own jobs only
        ("hanoi", "hanoi", True),
    ],
)
def test_who_sees_whose_import_job(client, team, viewer, uploader, sees):
    # given
    job = job_of(team[uploader])
    client.force_login(team[viewer])
    # when
    detail = client.get(reverse("registrations:import_detail", args=[job.pk]))
    rejects = client.get(reverse("registrations:import_rejects", args=[job.pk]))
    page = client.get(reverse("registrations:import"))
    # then: the job, its rejected rows and the list agree
    expected = 200 if sees else 404
    assert (detail.status_code, rejects.status_code) == (expected, expected)
    assert page.status_code == 200
    assert (job.pk in [j.pk for j in page.context["recent"]]) is sees


def test_integration_reads_only_its_own_jobs_through_the_api(client, team):
    from rest_framework.test import APIClient

    own, other = job_of(team["integration"]), job_of(team["manager"])
    api = APIClient()
    api.force_authenticate(team["integration"])
    assert api.get(reverse("api:import_job_detail", args=[own.pk])).status_code == 200
    assert api.get(reverse("api:import_job_detail", args=[other.pk])).status_code == 404


def test_agents_import_jobs_follow_the_same_rule(client, team):
    job = job_of(team["hanoi"], kind="agents")
    client.force_login(team["hanoi_colleague"])
    assert client.get(reverse("agents:import_rejects", args=[job.pk])).status_code == 200
    client.force_login(team["saigon"])
    assert client.get(reverse("agents:import_rejects", args=[job.pk])).status_code == 404


def test_the_jobs_list_names_the_uploader_and_the_kind_in_words(client, team):
    job_of(team["hanoi"], kind="activations")
    client.force_login(team["manager"])
    html = client.get(reverse("registrations:import")).content.decode()
    assert team["hanoi"].username in html
    assert "Activations" in html
    assert ">activations<" not in html
