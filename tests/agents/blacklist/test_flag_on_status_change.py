"""Issue 16 on status changes: suspending, reinstating or terminating an agent or a point judges BLACKLISTED_AGENT
for it at once, once the change commits, as every other write of an agent or a point does (agents.hooks), on
every path (the pages, the API, an approved sanction). A terminated subject is not judged by the rule (it is out
already), so terminating a flagged one resolves its flag at once. A change that rolls back judges nothing.

The subjects here are written straight into the database (the factories: no hook), so each starts as one the
rule matches but nobody judged yet: only the status change can raise its flag before a check run."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from agents import services as agent_services
from agents.models import Agent, RegistrationPoint, Status
from core import registry
from core.models import AuditEvent
from core.registry import AGENTS_SAVED
from inspections.models import Sanction, SanctionType
from inspections.services import sanctions as sanction_services
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag, FlagStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import make_finding

pytestmark = pytest.mark.django_db

CODE = "BLACKLISTED_AGENT"
TAX = "0100109106"
OTHER_TAX = "0101248141"
PHONE = "+84912345678"
OWNER = ("CCCD", "001090012345")


@pytest.fixture
def listed(officer) -> Agent:
    """A dealer terminated in the app (Hà Nội): its tax code, phone and owner's CCCD on the blacklist."""
    agent = AgentFactory(
        code="OLD-1", tax_code=TAX, phone=PHONE, owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1]
    )
    agent_services.agent_terminate(agent=agent, reason="Pre-activated SIMs", actor=officer)
    return agent


@pytest.fixture
def clean_agent() -> Agent:
    """An agent sharing nothing with the listed one."""
    return AgentFactory(code="AG-CLEAN", tax_code=OTHER_TAX, phone="+84987000111")


@pytest.fixture
def owner_back(listed, clean_agent) -> RegistrationPoint:
    """A point of the clean agent run by the listed dealer's owner (same CCCD), never judged."""
    return PointFactory(code="PT-BACK", agent=clean_agent, owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1])


def flags() -> set[tuple[str, int]]:
    return {
        (f.subject_type, f.subject_id)
        for f in Flag.objects.filter(rule__code=CODE, status__in=[FlagStatus.OPEN, FlagStatus.CONFIRMED])
    }


# --- the services -------------------------------------------------------------------------------------------


def test_suspending_a_point_whose_owner_is_blacklisted_raises_its_flag_at_once(
    officer, owner_back, django_capture_on_commit_callbacks
):
    # given: nothing flagged yet
    assert not Flag.objects.exists()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_suspend(point=owner_back, reason="Inspection pending", actor=officer)
    # then: flagged before any check run, the change's author on the judgement's audit row
    assert flags() == {("point", owner_back.pk)}
    assert not CheckRun.objects.exists()
    flag = Flag.objects.get(rule__code=CODE)
    (event,) = flag.events.all()
    assert (event.to_status, event.check_run_id) == (FlagStatus.OPEN, None)
    assert AuditEvent.objects.get(action="checks.on_save").actor_id == officer.pk


def test_reinstating_a_point_whose_owner_is_blacklisted_raises_its_flag_at_once(
    officer, owner_back, django_capture_on_commit_callbacks
):
    RegistrationPoint.objects.filter(pk=owner_back.pk).update(status=Status.SUSPENDED)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_reinstate(point=owner_back, reason="Back in order", actor=officer)
    assert flags() == {("point", owner_back.pk)}


def test_terminating_a_flagged_point_resolves_its_flag_at_once(officer, owner_back, django_capture_on_commit_callbacks):
    # given: the point flagged by a run
    run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert flags() == {("point", owner_back.pk)}
    # when
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_terminate(point=owner_back, reason="Closed for good", actor=officer)
    # then: a terminated point is not judged, so its flag is resolved now, not at the next run
    assert flags() == set()
    assert Flag.objects.get(rule__code=CODE).status == FlagStatus.RESOLVED
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert (run.results[CODE]["new"], run.results[CODE]["resolved"]) == (0, 0)


def test_suspending_an_agent_judges_it_with_its_points(officer, listed, django_capture_on_commit_callbacks):
    # given: an agent carrying the listed tax code, with a point, neither judged
    back = AgentFactory(code="AG-BACK", tax_code=TAX, phone="+84987000222")
    point = PointFactory(agent=back, phone="+84987000333")
    # when: the agent alone is suspended
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_suspend(agent=back, reason="Under review", actor=officer)
    # then: both flagged (a point matches through its agent's identities too)
    assert flags() == {("agent", back.pk), ("point", point.pk)}


def test_a_cascade_is_judged_once_for_the_agent_and_its_points(
    officer, listed, django_capture_on_commit_callbacks, monkeypatch
):
    # given: an agent with three points
    back = AgentFactory(code="AG-BACK", tax_code=TAX, phone="+84987000222")
    points = [PointFactory(agent=back, phone=f"+8498700030{i}").pk for i in range(3)]
    calls = []
    real = registry.AGENTS_WRITTEN_HOOKS[CODE]

    def spy(**kwargs):
        calls.append((kwargs["agent_ids"], kwargs["point_ids"], kwargs["cause"]))
        return real(**kwargs)

    monkeypatch.setitem(registry.AGENTS_WRITTEN_HOOKS, CODE, spy)
    # when: suspended with its points
    with django_capture_on_commit_callbacks(execute=True):
        followed = agent_services.agent_suspend(agent=back, reason="Under review", actor=officer, include_points=True)
    # then: one judgement of the agent covers the points that followed (its scope holds the agent's points)
    assert followed == 3
    assert calls == [([back.pk], [], AGENTS_SAVED)]
    assert flags() == {("agent", back.pk), *(("point", pk) for pk in points)}


def test_a_status_change_judges_only_its_subject(officer, owner_back, clean_agent, django_capture_on_commit_callbacks):
    # given: another point matching since before, never judged
    other = PointFactory(code="PT-OTHER", agent=clean_agent, phone=PHONE)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_suspend(point=owner_back, reason="Inspection pending", actor=officer)
    # then: the other point waits for the next run
    assert flags() == {("point", owner_back.pk)}
    run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert flags() == {("point", owner_back.pk), ("point", other.pk)}


def test_a_status_change_that_rolls_back_judges_nothing(officer, owner_back, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        agent_services.point_suspend(point=owner_back, reason="Inspection pending", actor=officer)
        raise RuntimeError("rolled back")
    owner_back.refresh_from_db()
    assert owner_back.status == Status.ACTIVE
    assert not Flag.objects.exists()


def test_a_refused_status_change_judges_nothing(officer, owner_back, django_capture_on_commit_callbacks):
    RegistrationPoint.objects.filter(pk=owner_back.pk).update(status=Status.TERMINATED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        agent_services.point_suspend(point=owner_back, reason="Inspection pending", actor=officer)
    assert not Flag.objects.exists()


# --- the pages, the API, a sanction -------------------------------------------------------------------------


def test_a_point_suspended_through_the_page_is_flagged_at_once(
    client, officer, owner_back, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agents:point_status", args=[owner_back.pk, "suspend"]),
            {"action": "suspend", "reason": "Inspection pending"},
        )
    assert response.status_code == 302
    assert flags() == {("point", owner_back.pk)}


def test_a_point_suspended_through_the_api_is_flagged_at_once(
    api, officer, owner_back, django_capture_on_commit_callbacks
):
    api.force_authenticate(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api:point_suspend", args=[owner_back.pk]), {"reason": "Inspection pending"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert flags() == {("point", owner_back.pk)}


def test_an_approved_suspension_sanction_flags_the_point_at_once(
    officer, manager, owner_back, django_capture_on_commit_callbacks
):
    # given: a suspension of the point proposed by an officer
    sanction = Sanction.objects.create(
        finding=make_finding(owner_back),
        sanction_type=SanctionType.objects.get(code="suspend-point"),
        point=owner_back,
        agent=owner_back.agent,
        status="PROPOSED",
        proposal_note="grounds",
        proposed_by=officer,
    )
    # when a manager approves it
    with django_capture_on_commit_callbacks(execute=True):
        sanction_services.sanction_approve(sanction=sanction, actor=manager)
    # then: suspended and flagged at once
    owner_back.refresh_from_db()
    assert owner_back.status == Status.SUSPENDED
    assert flags() == {("point", owner_back.pk)}
