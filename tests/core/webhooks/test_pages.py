"""Webhook pages: managers with every province manage endpoints (secret shown once, stored encrypted, every
change audited without it); a manager limited to a province and auditors read; others are refused."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import events
from core.models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.roles import Role
from core.webhooks import services
from core.webhooks.demo import seed_webhooks

pytestmark = pytest.mark.django_db

FORM = {"name": "SOC", "url": "https://soc.example.vn/hooks/saw", "event_types": ["sanction.approved"], "enabled": "on"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored_secret(endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM core_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()[0]


def test_a_manager_with_every_province_creates_an_endpoint_and_sees_its_secret_once(hook_manager):
    # given
    client = client_for(hook_manager)
    # when
    response = client.post(reverse("core:webhook_create"), FORM)
    # then
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert (endpoint.name, endpoint.url, endpoint.event_types, endpoint.enabled) == (
        "SOC",
        "https://soc.example.vn/hooks/saw",
        ["sanction.approved"],
        True,
    )
    assert endpoint.secret == secret
    assert stored_secret(endpoint).startswith("v1:")  # encrypted at rest
    assert secret not in stored_secret(endpoint)
    # never shown again, never in the audit trail
    page = client.get(reverse("core:webhook_detail", args=[endpoint.pk])).content.decode()
    assert secret not in page
    event = AuditEvent.objects.get(action="webhook.create")
    assert event.object_id == str(endpoint.pk)
    assert secret not in str(event.fields)
    assert event.fields["url"] == FORM["url"]


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://soc.example.vn/hooks", False),
        ("http://10.0.0.5:8080/hooks", False),
        ("ftp://soc.example.vn/hooks", True),
        ("javascript:alert(1)", True),
        ("soc.example.vn/hooks", True),
        ("https://user:secret@soc.example.vn/hooks", True),
        ("https://user@soc.example.vn/hooks", True),
        ("https://soc.example.vn/ho oks", True),
    ],
)
def test_only_http_and_https_urls_without_credentials_are_accepted(hook_manager, url, refused):
    response = client_for(hook_manager).post(reverse("core:webhook_create"), {**FORM, "url": url})
    assert response.status_code == (400 if refused else 200)
    assert WebhookEndpoint.objects.exists() is not refused
    if refused:
        assert "url" in response.context["form"].errors


def test_an_endpoint_needs_an_event(hook_manager):
    response = client_for(hook_manager).post(reverse("core:webhook_create"), {**FORM, "event_types": []})
    assert response.status_code == 400
    assert "event_types" in response.context["form"].errors


def test_the_form_lists_every_event_registered_at_run_time(hook_manager, monkeypatch):
    # given an event another app registers (remediation lists, campaigns: another helper's)
    monkeypatch.setitem(events.EVENT_TYPES, "remediation.list_ready", "Remediation list ready")
    # when
    html = client_for(hook_manager).get(reverse("core:webhook_create")).content.decode()
    # then
    for code in ("flags.critical_raised", "sanction.approved", "remediation.list_ready"):
        assert f'value="{code}"' in html
    assert "Remediation list ready" in html
    assert "New critical flags" in html


def test_editing_and_disabling_are_audited_with_before_and_after(hook_manager):
    # given
    endpoint, secret = services.endpoint_create(
        actor=hook_manager, name="SOC", url="https://a.example.vn/h", event_types=["sanction.approved"]
    )
    # when
    response = client_for(hook_manager).post(
        reverse("core:webhook_edit", args=[endpoint.pk]),
        {"name": "SOC", "url": "https://b.example.vn/h", "event_types": ["sanction.approved"]},
    )
    # then
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.enabled) == ("https://b.example.vn/h", False)
    event = AuditEvent.objects.get(action="webhook.update")
    assert event.fields["changed"] == ["enabled", "url"]
    assert event.fields["before"] == {"enabled": True, "url": "https://a.example.vn/h"}
    assert event.fields["after"] == {"enabled": False, "url": "https://b.example.vn/h"}
    assert secret not in str(event.fields)


def test_rotating_the_secret_shows_the_new_one_once_and_audits_without_it(hook_manager):
    # given
    endpoint, old = services.endpoint_create(
        actor=hook_manager, name="SOC", url="https://a.example.vn/h", event_types=["sanction.approved"]
    )
    # when
    response = client_for(hook_manager).post(reverse("core:webhook_rotate", args=[endpoint.pk]))
    # then
    assert response.status_code == 200
    new = response.context["secret"]
    endpoint.refresh_from_db()
    assert new != old
    assert endpoint.secret == new
    assert new in response.content.decode()
    event = AuditEvent.objects.get(action="webhook.rotate_secret")
    assert new not in str(event.fields)
    assert old not in str(event.fields)


def test_the_test_button_queues_a_test_message_and_is_audited(hook_manager):
    # given
    endpoint, _secret = services.endpoint_create(
        actor=hook_manager, name="SOC", url="http://127.0.0.1:9/h", event_types=["sanction.approved"]
    )
    # when (the message is sent by a worker once the request commits: tests/core/webhooks/test_delivery.py)
    response = client_for(hook_manager).post(reverse("core:webhook_test", args=[endpoint.pk]))
    # then
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_type, delivery.status) == (endpoint, "webhook.test", "PENDING")
    assert AuditEvent.objects.filter(action="webhook.test", object_id=str(endpoint.pk)).exists()


def test_a_hanoi_manager_reads_but_may_not_change_endpoints(hanoi_manager, hook_manager):
    # given
    endpoint, _secret = services.endpoint_create(
        actor=hook_manager, name="SOC", url="http://127.0.0.1:9/h", event_types=["sanction.approved"]
    )
    client = client_for(hanoi_manager)
    audit_rows = AuditEvent.objects.count()
    # then: reads
    listing = client.get(reverse("core:webhook_list"))
    assert listing.status_code == 200
    assert reverse("core:webhook_create") not in listing.content.decode()
    assert "only a manager with access to every province" in listing.content.decode()
    detail = client.get(reverse("core:webhook_detail", args=[endpoint.pk]))
    assert detail.status_code == 200
    assert reverse("core:webhook_rotate", args=[endpoint.pk]) not in detail.content.decode()
    # and is refused every change
    assert client.get(reverse("core:webhook_create")).status_code == 403
    assert client.post(reverse("core:webhook_create"), FORM).status_code == 403
    assert client.get(reverse("core:webhook_edit", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("core:webhook_edit", args=[endpoint.pk]), FORM).status_code == 403
    assert client.post(reverse("core:webhook_rotate", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("core:webhook_test", args=[endpoint.pk])).status_code == 403
    assert WebhookEndpoint.objects.count() == 1
    assert not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.count() == audit_rows
    with pytest.raises(services.PermissionDenied):
        services.endpoint_rotate_secret(actor=hanoi_manager, endpoint=endpoint)


@pytest.mark.parametrize(
    ("role", "reads"),
    [(Role.AUDITOR, True), (Role.OFFICER, False), (Role.INSPECTOR, False), (Role.INTEGRATION, False)],
)
def test_auditors_read_and_other_roles_are_refused(make_user, hook_manager, role, reads):
    # given
    endpoint, _secret = services.endpoint_create(
        actor=hook_manager, name="SOC", url="http://127.0.0.1:9/h", event_types=["sanction.approved"]
    )
    client = client_for(make_user(role, username=f"who-{role.value}"))
    # then
    expected = 200 if reads else 403
    assert client.get(reverse("core:webhook_list")).status_code == expected
    assert client.get(reverse("core:webhook_detail", args=[endpoint.pk])).status_code == expected
    assert client.post(reverse("core:webhook_test", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("core:webhook_create"), FORM).status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_the_navigation_offers_webhooks_to_managers_and_auditors_only(hook_manager, hanoi_manager, auditor, officer):
    for user, shown in ((hook_manager, True), (hanoi_manager, True), (auditor, True), (officer, False)):
        html = client_for(user).get(reverse("core:audit_list") if shown else reverse("home"), follow=True)
        assert (reverse("core:webhook_list") in html.content.decode()) is shown, user.username


def test_the_delivery_log_shows_events_attempts_codes_and_errors_but_no_message_data(auditor):
    # given the demo endpoint and its log
    seed_webhooks()
    endpoint = WebhookEndpoint.objects.get()
    # when
    response = client_for(auditor).get(reverse("core:webhook_detail", args=[endpoint.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "delivery-log" in html
    for words in ("Test message", "New critical flags", "Sanction approved", "Delivered", "Gave up", "Waiting"):
        assert words in html, words
    for words in ("status 503", "status 204", "status 404", "no answer", "No answer in time", "Connection refused"):
        assert words in html, words
    assert "10.000 ms" in html or "10,000 ms" in html
    # the messages' data never reaches the page
    for data in ("PREACTIVATED", "flag_ids", "DEMO"):
        assert data not in html, data


def test_seeding_twice_gives_the_same_demo_endpoint_and_log():
    first = seed_webhooks()
    counts = (WebhookEndpoint.objects.count(), WebhookDelivery.objects.count())
    second = seed_webhooks()
    assert (first, second) == ("created", "exists")
    assert (WebhookEndpoint.objects.count(), WebhookDelivery.objects.count()) == counts == (1, 4)
    assert WebhookEndpoint.objects.get().enabled is False


def test_the_delivery_log_runs_the_same_queries_whatever_its_length(auditor, hook_manager):
    # given an endpoint with one message, then with many
    endpoint, _secret = services.endpoint_create(
        actor=hook_manager, name="SOC", url="http://127.0.0.1:9/h", event_types=["sanction.approved"]
    )
    client = client_for(auditor)
    url = reverse("core:webhook_detail", args=[endpoint.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def message_with_attempts():
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
        for number in (1, 2):
            WebhookAttempt.objects.create(
                delivery=delivery, number=number, started_at=delivery.created_at, status_code=503, outcome="RETRY"
            )

    message_with_attempts()
    few = queries()
    for _ in range(5):
        message_with_attempts()
    # then
    assert queries() == few
