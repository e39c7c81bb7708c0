"""Every registrations/activations upload has a size limit, named in the refusal (issue 11, item 5)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ImportJob
from tests.registrations.test_importers import reg
from tests.registrations.test_ingest_api import REGISTRATIONS, api, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_upload_page_refuses_a_file_over_the_limit(client, officer, settings):
    settings.REGISTRATIONS_UPLOAD_MAX_BYTES = 100
    client.force_login(officer)
    file = SimpleUploadedFile("r.csv", upload([reg(), reg(external_id="R2")]).read())
    response = client.post(reverse("registrations:import"), {"kind": "registrations", "file": file})
    assert response.status_code == 200
    assert "files up to 100\xa0bytes can be uploaded here" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_api_refuses_a_file_over_the_limit(integration, settings):
    settings.REGISTRATIONS_UPLOAD_MAX_BYTES = 100
    response = api(integration).post(REGISTRATIONS, {"file": upload([reg(), reg(external_id="R2")])})
    assert response.status_code == 400
    assert "files up to 100\xa0bytes" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


def test_api_refuses_a_json_body_over_the_limit_with_413(integration, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"rows": [reg(external_id=f"R{i}") for i in range(20)]})
    response = api(integration).generic("POST", REGISTRATIONS, body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than 1000\xa0bytes" in response.json()["detail"]
    assert not ImportJob.objects.exists()
