"""Issue 11 item 7: a C0 control character (NUL and the like) anywhere in a request answers 400, never 500.

One layer refuses it (core.middleware.InputCleaningMiddleware) before any view runs: query strings, form
fields, uploaded file names and JSON bodies, on pages, exports and the API alike.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core.models import ImportJob
from tests.agents.factories import AgentFactory

pytestmark = pytest.mark.django_db

MESSAGE = "control character"

PAGES_WITH_FILTERS = [
    ("home", "?q=%00"),
    ("agents:agent_list", "?name=%00"),
    ("agents:point_list", "?q=a%00b"),
    ("agents:agent_export", "?province=%01"),
    ("agents:point_export", "?status=%1f"),
    ("registrations:flag_list", "?rule=%00"),
    ("registrations:flag_export", "?point=%00"),
    ("registrations:checkrun_list", "?x%00=1"),
    ("inspections:task_list", "?status=%00"),
    ("core:audit_list", "?action=%00"),
]


@pytest.mark.parametrize(("url_name", "query"), PAGES_WITH_FILTERS)
def test_a_control_character_in_a_query_string_is_refused(client, manager, url_name, query):
    client.force_login(manager)
    response = client.get(reverse(url_name) + query)
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()


@pytest.mark.parametrize("query", ["?q=tab%09ok", "?q=line%0Aok", "?q=%C3%A0"])
def test_tab_newline_and_letters_pass(client, manager, query):
    client.force_login(manager)
    assert client.get(reverse("agents:agent_list") + query).status_code == 200


def test_the_page_answers_in_the_users_language(client, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "vi"
    with translation.override("vi"):
        response = client.get(reverse("agents:agent_list") + "?name=%00", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert '<html lang="vi"' in response.content.decode()


def test_a_control_character_in_a_form_field_is_refused(client, manager):
    client.force_login(manager)
    response = client.post(reverse("agents:agent_create"), {"code": "A\x00", "name": "x"})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()


def test_registration_search_by_post_is_refused(client, officer):
    client.force_login(officer)
    response = client.post(reverse("registrations:registration_list"), {"msisdn": "0912\x00345678"})
    assert response.status_code == 400


def test_an_uploaded_file_name_never_carries_a_control_character(client, manager, settings, tmp_path):
    """Django's multipart parser already drops non-printable characters from file names (the middleware
    still checks the names it is given, for any other parser): the name that reaches the job is clean."""
    settings.MEDIA_ROOT = tmp_path
    client.force_login(manager)
    upload = SimpleUploadedFile("agents\x00\x07.csv", b"code,name\n", content_type="text/csv")
    response = client.post(reverse("agents:import"), {"kind": "agents", "file": upload})
    assert response.status_code in (200, 302)
    assert not any(ord(ch) < 32 for job in ImportJob.objects.all() for ch in job.file_name)


@pytest.fixture
def api(officer):
    client = APIClient()
    client.force_authenticate(officer)
    return client


def _assert_json_400(response):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert MESSAGE in response.json()["detail"]


def test_api_create_with_a_nul_in_a_field(api):
    _assert_json_400(api.post("/api/v1/agents/", {"code": "AG\x00", "name": "n"}, format="json"))


def test_api_patch_with_a_nul_in_a_field(api):
    agent = AgentFactory(code="AG-1", province_code="001")
    _assert_json_400(api.patch(f"/api/v1/agents/{agent.pk}/", {"name": "bad\x00name"}, format="json"))


def test_api_nul_in_a_json_key(api):
    _assert_json_400(api.post(reverse("api:flag_review"), {"ids\x00": [1], "to_status": "CONFIRMED"}, format="json"))


def test_api_flags_review(api):
    body = {"ids": [1], "to_status": "CONFIRMED", "reason": "seen\x00"}
    _assert_json_400(api.post(reverse("api:flag_review"), body, format="json"))


def test_api_ingest_json_rows(api, integration):
    api.force_authenticate(integration)
    rows = [{"external_id": "R1", "msisdn": "0912345678", "subscriber_name": "A\x00B"}]
    _assert_json_400(api.post(reverse("api:import_registrations"), rows, format="json"))


def test_api_registration_search(api):
    _assert_json_400(api.post(reverse("api:registration_search"), {"msisdn": "\x000912345678"}, format="json"))


def test_api_query_string(api):
    _assert_json_400(api.get(reverse("api:flag_list") + "?rule=%00"))
