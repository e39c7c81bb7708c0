"""The demo shows the ladder in every state: a case on every step, lists sent and to send, outcomes on time,
late and failed, a case closed by the operator's termination and one closed by a later import."""

import pytest

from agents.demo import seed_agents
from core.demo import ensure_demo_users
from enforcement.remediation.demo import seed_remediation
from enforcement.remediation.models import CaseStep, RemediationCase, Step
from inspections.demo import seed_inspections
from registrations.demo import seed_registrations

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_case_on_every_step_and_each_state():
    # given
    ensure_demo_users()
    seed_agents()
    seed_registrations()
    seed_inspections()
    # when
    seed_remediation()
    again = seed_remediation()
    # then
    open_cases = RemediationCase.objects.filter(status="OPEN")
    assert {c.current_step for c in open_cases} == set(Step.values)
    assert set(RemediationCase.objects.values_list("close_reason", flat=True)) >= {"TERMINATED", "RECORD_FIXED"}
    steps = list(CaseStep.objects.all())
    assert any(s.issue_id is None for s in steps)
    assert any(s.issue_id for s in steps)
    assert {s.on_time for s in steps} >= {True, False}
    assert any(s.outcome == "FAILED" for s in steps)
    assert again == "exists"
