"""Deliveries: sent by a worker after commit to a real HTTP endpoint (a local server), signed, retried with
backoff, given up on; never sent from a rolled-back transaction. Celery runs in-process (tests/conftest.py)."""

import json
import socket
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core import events
from core.models import WebhookAttempt, WebhookDelivery
from core.runs import requeue_key, requeue_waiting
from core.webhooks import services
from core.webhooks.services import MAX_ATTEMPTS, RETRY_DELAYS

from .verify import verify

pytestmark = pytest.mark.django_db

Status, Outcome, Error = WebhookDelivery.Status, WebhookAttempt.Outcome, WebhookAttempt.Error


def test_a_test_message_reaches_the_endpoint_signed_once_the_request_commits(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given
    endpoint, secret = endpoint_for(receiver.url)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
        assert receiver.requests == []  # nothing is sent before the commit
    # then
    (request,) = receiver.requests
    assert request.path == "/hooks/saw"
    assert request.headers["content-type"] == "application/json"
    verify(secret, request.headers, request.body)
    assert request.headers["webhook-id"] == delivery.message_id
    payload = json.loads(request.body)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint"] == endpoint.pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.DELIVERED, 1, None)
    attempt = delivery.attempt_rows.get()
    assert (attempt.number, attempt.status_code, attempt.outcome, attempt.error) == (1, 200, Outcome.DELIVERED, "")
    assert attempt.duration_ms >= 0


def test_a_rolled_back_transaction_sends_nothing(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given
    endpoint, _secret = endpoint_for(receiver.url)

    def work():
        services.endpoint_test(actor=hook_manager, endpoint=endpoint)
        events.publish("sanction.approved", {"sanction": 1})
        raise RuntimeError("rolled back")

    # when: a test message and a business event, in a transaction that rolls back
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        work()
    # then
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_failing_endpoint_is_tried_again_after_1_5_30_minutes_2_and_8_hours_then_given_up(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given an endpoint that always answers 503
    receiver.default = 503
    endpoint, secret = endpoint_for(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    delivery.refresh_from_db()
    delays = []
    # when each retry is made when it comes due (and not a second earlier)
    while delivery.status == Status.PENDING:
        due, last = delivery.next_attempt_at, delivery.attempt_rows.order_by("number").last().started_at
        delays.append(due - last)
        assert services.delivery_send(delivery_id=delivery.pk, now=due - timedelta(seconds=1)) is None
        delivery = services.delivery_send(delivery_id=delivery.pk, now=due)
    # then
    assert (
        delays
        == list(RETRY_DELAYS)
        == [
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=8),
        ]
    )
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, MAX_ATTEMPTS, None)
    assert MAX_ATTEMPTS == 6
    assert len(receiver.requests) == 6
    outcomes = list(delivery.attempt_rows.order_by("number").values_list("outcome", "status_code", "error"))
    assert outcomes == [(Outcome.RETRY, 503, Error.HTTP)] * 5 + [(Outcome.GAVE_UP, 503, Error.HTTP)]
    # every attempt carries the same message id and body, signed with its own timestamp
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 6
    for request in receiver.requests:
        verify(secret, request.headers, request.body, now=int(request.headers["webhook-timestamp"]))
    # and a given-up delivery is not tried again
    assert services.delivery_send(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=1)) is None


@pytest.mark.parametrize(
    ("answers", "status", "outcomes"),
    [
        ([204], Status.DELIVERED, [Outcome.DELIVERED]),
        ([299], Status.DELIVERED, [Outcome.DELIVERED]),
        ([404], Status.FAILED, [Outcome.GAVE_UP]),
        ([400], Status.FAILED, [Outcome.GAVE_UP]),
        ([410], Status.FAILED, [Outcome.GAVE_UP]),
        ([302], Status.FAILED, [Outcome.GAVE_UP]),  # a redirect is not followed
        ([408, 200], Status.DELIVERED, [Outcome.RETRY, Outcome.DELIVERED]),
        ([429, 200], Status.DELIVERED, [Outcome.RETRY, Outcome.DELIVERED]),
        ([500, 201], Status.DELIVERED, [Outcome.RETRY, Outcome.DELIVERED]),
        ([502, 404], Status.FAILED, [Outcome.RETRY, Outcome.GAVE_UP]),
    ],
)
def test_2xx_delivers_408_429_and_5xx_retry_other_answers_give_up(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks, answers, status, outcomes
):
    # given
    receiver.answers = list(answers)
    endpoint, _secret = endpoint_for(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    delivery.refresh_from_db()
    # when
    if delivery.status == Status.PENDING:
        delivery = services.delivery_send(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    # then
    assert delivery.status == status
    assert list(delivery.attempt_rows.order_by("number").values_list("outcome", flat=True)) == outcomes
    assert [r.path for r in receiver.requests] == ["/hooks/saw"] * len(answers)


def test_no_answer_in_time_is_retried(
    receiver, endpoint_for, hook_manager, settings, django_capture_on_commit_callbacks
):
    # given an endpoint slower than the timeout
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 1.0
    endpoint, _secret = endpoint_for(receiver.url)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    # then
    delivery.refresh_from_db()
    attempt = delivery.attempt_rows.get()
    assert (attempt.status_code, attempt.error, attempt.outcome) == (None, Error.TIMEOUT, Outcome.RETRY)
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at == attempt.started_at + timedelta(minutes=1)


def test_a_network_error_is_retried_and_its_reason_logged(
    endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given a port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint, _secret = endpoint_for(f"http://127.0.0.1:{port}/hooks")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    # then
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.error, attempt.outcome) == (None, Error.NETWORK, Outcome.RETRY)
    assert "refused" in attempt.error_detail.lower()


def test_a_second_message_for_a_delivery_sends_nothing(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given a delivered message
    endpoint, _secret = endpoint_for(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    # when its task arrives again
    from core.webhooks.tasks import webhook_deliver_task

    assert webhook_deliver_task.delay(delivery.pk).get() == ""
    # then
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1


def test_a_disabled_endpoint_gets_no_events_but_still_its_test_message(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given
    endpoint, _secret = endpoint_for(receiver.url, enabled=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("sanction.approved", {"sanction": 8})
        services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    # then
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["webhook.test"]
    assert not WebhookDelivery.objects.filter(event_type="sanction.approved").exists()


def test_a_waiting_message_of_an_endpoint_disabled_since_is_not_sent(receiver, endpoint_for, hook_manager):
    # given a message recorded while the endpoint was enabled, whose task has not run yet
    endpoint, _secret = endpoint_for(receiver.url)
    services.deliveries_for_event("sanction.approved", {"sanction": 7})
    delivery = WebhookDelivery.objects.get()
    services.endpoint_update(
        actor=hook_manager,
        endpoint=endpoint,
        name=endpoint.name,
        url=endpoint.url,
        event_types=endpoint.event_types,
        enabled=False,
    )
    # when its task runs
    services.delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.CANCELLED, 0)
    assert receiver.requests == []


def test_the_beat_sweep_queues_each_due_retry_once(
    receiver, endpoint_for, hook_manager, django_capture_on_commit_callbacks
):
    # given a message whose first attempt failed
    receiver.answers = [503]
    endpoint, _secret = endpoint_for(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    assert services.deliveries_send_due() == 0  # not due yet
    # when its retry comes due (a minute after its first attempt)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        queued_at=now - timedelta(minutes=1, seconds=1), next_attempt_at=now - timedelta(seconds=1)
    )
    sent = services.deliveries_send_due()
    # then it is sent (by the worker: Celery runs in-process here), once
    assert sent == 1
    assert len(receiver.requests) == 2
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert services.deliveries_send_due() == 0


def test_a_message_the_queue_lost_is_sent_again_by_the_queue_sweep(receiver, endpoint_for, hook_manager):
    # given a message whose task never reached a worker (its on-commit send did not happen)
    endpoint, _secret = endpoint_for(receiver.url)
    delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=ten_minutes_ago, queued_at=ten_minutes_ago, next_attempt_at=ten_minutes_ago
    )
    cache.delete(requeue_key("webhook deliveries", delivery.pk))
    try:
        # when
        sent = requeue_waiting()
    finally:
        cache.delete(requeue_key("webhook deliveries", delivery.pk))
    # then
    assert sent["webhook deliveries"] == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert len(receiver.requests) == 1


def test_a_delivery_whose_worker_died_while_sending_is_taken_over(receiver, endpoint_for, hook_manager):
    # given a delivery a worker took 2 minutes ago and never finished
    endpoint, _secret = endpoint_for(receiver.url)
    delivery = services.endpoint_test(actor=hook_manager, endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(seconds=30)
    )
    # then within its lease nobody else takes it; after it, the next message does
    assert services.delivery_send(delivery_id=delivery.pk) is None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=2))
    assert services.delivery_send(delivery_id=delivery.pk).status == Status.DELIVERED
    assert len(receiver.requests) == 1
