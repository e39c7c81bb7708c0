"""Issue 11 item 9: security headers (CSP, Permissions-Policy), no-store on personal data, the real client
address behind a trusted reverse proxy (audit trail and lockout)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from core.middleware import client_ip
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


# --- Content-Security-Policy and Permissions-Policy ---------------------------------------------------


def test_pages_carry_a_csp_without_inline_script(client, officer):
    client.force_login(officer)
    policy = client.get(reverse("agents:agent_list"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["style-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_the_login_page_carries_it_too(client):
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]


def test_geolocation_and_camera_are_denied_outside_the_field_pages(client, officer):
    client.force_login(officer)
    policy = client.get(reverse("agents:agent_list"))["Permissions-Policy"]
    assert "geolocation=()" in policy
    assert "camera=()" in policy


def test_the_field_pages_may_use_geolocation_and_camera(client, inspector):
    client.force_login(inspector)
    policy = client.get(reverse("inspections:my_tasks"))["Permissions-Policy"]
    assert "geolocation=(self)" in policy
    assert "camera=(self)" in policy
    assert "microphone=()" in policy


# --- Cache-Control: no-store ------------------------------------------------------------------------------


def _no_store(response) -> bool:
    value = response.get("Cache-Control", "")
    return "no-store" in value and "private" in value


@pytest.fixture
def records():
    point = PointFactory(code="P1", agent=AgentFactory(code="A1", province_code="001"))
    registration = RegistrationFactory(point=point, external_id="R1")
    flag = make_flag("MISSING_PHOTOS", registration=registration)
    return registration, flag


@pytest.mark.parametrize(
    "url",
    [
        lambda r, f, u: reverse("reports:dashboard"),  # the manager's home page
        lambda r, f, u: reverse("registrations:registration_list"),
        lambda r, f, u: reverse("registrations:registration_detail", args=[r.pk]),
        lambda r, f, u: reverse("registrations:flag_list"),
        lambda r, f, u: reverse("registrations:flag_detail", args=[f.pk]),
        lambda r, f, u: reverse("registrations:flag_export"),
        lambda r, f, u: reverse("core:audit_list"),
        lambda r, f, u: reverse("core:user_list"),
        lambda r, f, u: reverse("core:user_detail", args=[u.pk]),
        lambda r, f, u: reverse("inspections:task_list"),
    ],
)
def test_pages_with_personal_data_are_not_stored(client, manager, records, url):
    client.force_login(manager)
    response = client.get(url(*records, manager))
    assert response.status_code == 200
    assert _no_store(response)


@pytest.mark.parametrize("name", ["api:registration_list", "api:flag_list", "api:me"])
def test_api_answers_are_not_stored(manager, records, name):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get(reverse(name))
    assert response.status_code == 200
    assert _no_store(response)


def test_a_view_that_sets_its_own_cache_control_keeps_it(client, officer):
    from django.http import HttpResponse

    from core.middleware import NoStoreMiddleware

    def view(request):
        response = HttpResponse("photo")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    request = RequestFactory().get("/")
    request.user = officer
    assert NoStoreMiddleware(view)(request)["Cache-Control"] == "private, max-age=3600"


# --- the client's address behind a reverse proxy ---------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_a_trusted_proxy_gives_the_forwarded_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"


def test_a_spoofed_left_entry_is_not_taken(settings):
    # the client wrote "1.2.3.4" itself; our proxy appended the address it saw
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_an_untrusted_caller_cannot_spoof_the_header(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("198.51.100.7", "10.0.0.5")) == "198.51.100.7"


def test_a_garbage_header_from_a_proxy_falls_back_to_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(_request("10.0.0.2", "not-an-ip")) == "10.0.0.2"


def _fail_login(client, remote, forwarded):
    return client.post(
        reverse("login"),
        {"username": "officer", "password": "wrong-password"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_lockout_keys_on_the_forwarded_client_behind_a_trusted_proxy(client, officer, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail_login(client, "10.0.0.2", "203.0.113.9")
    # then the attacker is locked out, another client behind the same proxy is not
    assert _fail_login(client, "10.0.0.2", "203.0.113.9").status_code == 429
    assert _fail_login(client, "10.0.0.2", "203.0.113.10").status_code == 200


def test_lockout_ignores_the_header_from_an_untrusted_caller(client, officer, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail_login(client, "198.51.100.7", f"203.0.113.{n}")
    # a new X-Forwarded-For on every try did not escape the lockout
    assert _fail_login(client, "198.51.100.7", "203.0.113.99").status_code == 429


def test_the_audit_trail_records_the_forwarded_client(client, manager, integration, settings):
    from core.models import AuditEvent

    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    client.force_login(manager)
    client.post(
        reverse("core:user_token", args=[integration.pk, "issue"]),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AuditEvent.objects.get(action="user.token_issue").ip == "203.0.113.9"
