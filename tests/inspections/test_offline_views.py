"""The field app's service worker, manifest and offline page (inspections/views/offline.py, issue 14)."""

import json

import pytest
from django.urls import reverse

from core.roles import Role
from inspections.views import offline

pytestmark = pytest.mark.django_db


def test_the_worker_is_served_in_the_scope_of_the_field_pages_with_its_settings(client):
    # when
    response = client.get(reverse("inspections:field_service_worker"))

    # then: JavaScript from /inspections/my-tasks/, allowed that scope, never kept stale, nothing personal
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response.request["PATH_INFO"] == "/inspections/my-tasks/sw.js"
    assert response["Service-Worker-Allowed"] == "/inspections/my-tasks/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    first_line, rest = body.split("\n", 1)
    config = json.loads(first_line.removeprefix("self.FIELD_APP = ").removesuffix(";"))
    assert config["scope"] == "/inspections/my-tasks/"
    assert config["offline"] == reverse("inspections:field_offline")
    assert config["photos"] == "/inspections/photos/"
    assert "/static/js/inspection/main.js" in config["assets"]
    assert "/static/css/field.css" in config["assets"]
    assert not any(asset.endswith("/sw.js") for asset in config["assets"])
    assert 'addEventListener("fetch"' in rest


def test_the_version_changes_with_a_release_and_with_any_file_it_keeps(settings, monkeypatch):
    # given
    settings.FIELD_APP_RELEASE = "a"
    first = offline.worker_settings()["version"]

    # when / then: another release name
    settings.FIELD_APP_RELEASE = "b"
    assert offline.worker_settings()["version"] != first

    # when / then: a file's content changes
    settings.FIELD_APP_RELEASE = "a"
    real_read = offline._read
    monkeypatch.setattr(offline, "_read", lambda name: real_read(name) + (b"//" if name == "css/app.css" else b""))
    assert offline.worker_settings()["version"] != first


def test_the_manifest_is_in_the_readers_language_with_its_icons(client, make_user):
    # given: an inspector who reads English
    inspector = make_user(Role.INSPECTOR)
    inspector.language = "en"
    inspector.save(update_fields=["language"])
    client.force_login(inspector)

    # when
    response = client.get(reverse("inspections:field_manifest"))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == data["scope"] == "/inspections/my-tasks/"
    assert data["lang"] == "en"
    assert data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])


def test_the_offline_page_holds_no_personal_data_and_links_my_tasks(client, make_user):
    # given: a signed-in inspector (the worker keeps the page with the inspector's cookies)
    client.force_login(make_user(Role.INSPECTOR, username="nguyen.van.a"))

    # when
    response = client.get(reverse("inspections:field_offline"))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "nguyen.van.a" not in html
    assert reverse("inspections:my_tasks") in html
    assert 'data-testid="offline-page"' in html


def test_an_inspectors_pages_carry_the_field_app_and_others_do_not(client, make_user):
    # given
    inspector = make_user(Role.INSPECTOR)
    officer = make_user(Role.OFFICER)

    # when / then: an inspector's page links the manifest and the app's settings
    client.force_login(inspector)
    html = client.get(reverse("inspections:my_tasks")).content.decode()
    assert f'<link rel="manifest" href="{reverse("inspections:field_manifest")}">' in html
    assert 'id="field-app"' in html
    assert "js/inspection/field-app.js" in html

    # and: an officer's do not
    client.force_login(officer)
    html = client.get(reverse("home")).content.decode()
    assert 'rel="manifest"' not in html
    assert "field-app.js" not in html
