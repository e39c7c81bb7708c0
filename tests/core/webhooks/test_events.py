"""The business events this issue publishes, as the operator's system receives them: "flags.critical_raised"
when a check run raises or reopens critical flags, "sanction.approved" when a manager approves a sanction.
Codes, ids and counts only; nothing when the work rolls back or there is nothing to tell."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import WebhookDelivery
from inspections.models import SanctionType
from inspections.services import sanctions
from registrations.checks import runner
from registrations.models import CheckRun, Flag, Registration
from tests.agents.factories import PointFactory
from tests.inspections.factories import make_finding
from tests.registrations.factories import ActivationFactory, RegistrationFactory

from .verify import verify

pytestmark = pytest.mark.django_db


def received(receiver, event_type):
    return [json.loads(r.body) for r in receiver.requests if json.loads(r.body)["type"] == event_type]


def run_checks(*codes):
    return runner.run_checks(codes=list(codes), trigger=CheckRun.Trigger.COMMAND)


def test_a_check_run_announces_its_new_critical_flags_with_counts_per_rule_and_ids(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    # given two activations nobody registered (critical) and a registration without photos (high)
    endpoint, secret = endpoint_for(receiver.url, events=["flags.critical_raised"])
    ActivationFactory.create_batch(2, activated_at=timezone.now() - timedelta(days=2))
    RegistrationFactory(has_portrait=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = run_checks("ACTIVATED_UNREGISTERED", "MISSING_PHOTOS")
    # then
    (message,) = received(receiver, "flags.critical_raised")
    critical = sorted(Flag.objects.filter(rule__code="ACTIVATED_UNREGISTERED").values_list("pk", flat=True))
    assert message["data"] == {
        "check_run": run.pk,
        "status": "DONE",
        "counts": {"ACTIVATED_UNREGISTERED": 2},
        "total": 2,
        "flag_ids": critical,
        "more": False,
    }
    assert Flag.objects.filter(rule__code="MISSING_PHOTOS").exists()  # raised, but not critical: not told
    verify(secret, receiver.requests[0].headers, receiver.requests[0].body)


def test_a_rerun_that_raises_nothing_new_announces_nothing(receiver, endpoint_for, django_capture_on_commit_callbacks):
    # given
    endpoint_for(receiver.url, events=["flags.critical_raised"])
    ActivationFactory(activated_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        run_checks("ACTIVATED_UNREGISTERED")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run_checks("ACTIVATED_UNREGISTERED")
    # then
    assert len(received(receiver, "flags.critical_raised")) == 1


def test_at_most_a_thousand_flag_ids_are_sent_and_the_counts_stay_complete(
    receiver, endpoint_for, django_capture_on_commit_callbacks, monkeypatch
):
    # given a limit of 2 ids (the real one is 1,000) and 3 new critical flags
    monkeypatch.setattr(runner, "CRITICAL_IDS_MAX", 2)
    assert runner.CRITICAL_IDS_MAX == 2
    endpoint_for(receiver.url, events=["flags.critical_raised"])
    ActivationFactory.create_batch(3, activated_at=timezone.now() - timedelta(days=2))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run_checks("ACTIVATED_UNREGISTERED")
    # then
    (message,) = received(receiver, "flags.critical_raised")
    assert (message["data"]["total"], len(message["data"]["flag_ids"]), message["data"]["more"]) == (3, 2, True)


def test_an_approved_sanction_is_announced_with_codes_and_amount_only(
    receiver, endpoint_for, officer, manager, django_capture_on_commit_callbacks
):
    # given a fine proposed by an officer
    endpoint_for(receiver.url, events=["sanction.approved"])
    point = PointFactory()
    RegistrationFactory(point=point)
    sanction = sanctions.sanction_propose(
        finding=make_finding(point),
        sanction_type=SanctionType.objects.get(code="fine-preactivated-sims"),
        amount_vnd=35_000_000,
        note="Pre-activated SIMs on the counter",
        actor=officer,
    )
    assert received(receiver, "sanction.approved") == []
    # when a manager approves it
    with django_capture_on_commit_callbacks(execute=True):
        sanctions.sanction_approve(sanction=sanction, actor=manager, note="Agreed")
    # then
    (message,) = received(receiver, "sanction.approved")
    assert message["data"] == {
        "sanction": sanction.pk,
        "kind": "FINE",
        "type": "fine-preactivated-sims",
        "target": sanction.sanction_type.target,
        "point": point.code,
        "agent": point.agent.code,
        "amount_vnd": 35_000_000,
        "status_change": None,
    }
    # no personal data: nothing of the point's registrations' subscribers
    registration = Registration.objects.get(point=point)
    body = receiver.requests[0].body.decode()
    for personal in (registration.subscriber_name, registration.msisdn, registration.iccid):
        assert personal not in body


def test_a_refused_approval_announces_nothing(
    receiver, endpoint_for, manager, make_user, django_capture_on_commit_callbacks
):
    # given a sanction its manager proposed (four eyes: they may not approve it)
    endpoint_for(receiver.url, events=["sanction.approved"])
    sanction = sanctions.sanction_propose(
        finding=make_finding(PointFactory()),
        sanction_type=SanctionType.objects.get(code="warning"),
        note="Grounds",
        actor=manager,
    )
    # when
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        sanctions.sanction_approve(sanction=sanction, actor=manager)
    # then
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()
