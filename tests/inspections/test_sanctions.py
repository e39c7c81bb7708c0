"""Sanctions (services.sanctions): proposing from the catalogue (fines within their legal range), approval by a
manager who did not propose (four eyes), and the effect of an approved suspension or termination on the
point's or agent's status through the agents' services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from agents.models import Status, StatusChange
from core.models import AuditEvent
from core.roles import Role
from inspections.models import Sanction, SanctionStatus, SanctionType
from inspections.services import sanctions as services
from tests.agents.factories import PointFactory
from tests.inspections.factories import make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PointFactory()


@pytest.fixture
def finding(point):
    return make_finding(point)


@pytest.fixture
def other_manager(make_user):
    return make_user(Role.MANAGER, username="second-manager")


def stype(code):
    return SanctionType.objects.get(code=code)


def propose(finding, actor, code="warning", amount=None, note="Pre-activated SIMs on the counter"):
    return services.sanction_propose(
        finding=finding, sanction_type=stype(code), amount_vnd=amount, note=note, actor=actor
    )


# --- proposing ----------------------------------------------------------------------------------


def test_an_officer_proposes_a_fine_within_its_legal_range(officer, finding):
    # when
    sanction = propose(finding, officer, "fine-preactivated-sims", 35_000_000)
    # then
    assert (sanction.status, sanction.amount_vnd, sanction.proposed_by) == (
        SanctionStatus.PROPOSED,
        35_000_000,
        officer,
    )
    assert (sanction.point, sanction.agent) == (finding.point, finding.point.agent)
    assert AuditEvent.objects.filter(action="sanction.propose", object_id=str(sanction.pk)).exists()


@pytest.mark.parametrize("amount", [29_999_999, 40_000_001, None])
def test_a_fine_outside_its_range_or_without_an_amount_is_refused(officer, finding, amount):
    with pytest.raises(ValidationError) as exc:
        propose(finding, officer, "fine-preactivated-sims", amount)
    assert "amount_vnd" in exc.value.message_dict
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", "Số tiền phải từ 30.000.000\u00a0₫ đến 40.000.000\u00a0₫ ("),
        ("en", "The amount must be between 30,000,000\u00a0₫ and 40,000,000\u00a0₫ ("),
    ],
)
def test_the_legal_range_of_a_refused_fine_is_written_in_the_readers_language(officer, finding, language, expected):
    # when
    with translation.override(language), pytest.raises(ValidationError) as exc:
        propose(finding, officer, "fine-preactivated-sims", 29_999_999)
    # then: grouped as the reader groups numbers (core.numbers, the `vnd` filter), with the currency sign once
    (message,) = exc.value.message_dict["amount_vnd"]
    assert message.startswith(expected)
    assert "VND" not in message


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "Số tiền phải từ 5.000.000\u00a0₫ trở lên ("), ("en", "The amount must be at least 5,000,000\u00a0₫ (")],
)
def test_a_fine_without_an_upper_bound_names_its_lowest_amount(officer, finding, language, expected):
    stype("fine-preactivated-sims").__class__.objects.filter(code="fine-preactivated-sims").update(
        fine_min_vnd=5_000_000, fine_max_vnd=None
    )
    with translation.override(language), pytest.raises(ValidationError) as exc:
        propose(finding, officer, "fine-preactivated-sims", 4_999_999)
    assert exc.value.message_dict["amount_vnd"][0].startswith(expected)
    assert propose(finding, officer, "fine-preactivated-sims", 900_000_000).amount_vnd == 900_000_000


@pytest.mark.parametrize("amount", [30_000_000, 40_000_000])
def test_the_ends_of_the_range_are_allowed(officer, finding, amount):
    assert propose(finding, officer, "fine-preactivated-sims", amount).amount_vnd == amount


@pytest.mark.parametrize("code", ["warning", "suspend-point", "terminate-agent"])
def test_only_fines_carry_an_amount(officer, finding, code):
    with pytest.raises(ValidationError) as exc:
        propose(finding, officer, code, 1_000_000)
    assert "amount_vnd" in exc.value.message_dict


def test_grounds_are_required(officer, finding):
    with pytest.raises(ValidationError) as exc:
        propose(finding, officer, note=" ")
    assert "note" in exc.value.message_dict


def test_a_retired_sanction_type_cannot_be_proposed(officer, finding):
    SanctionType.objects.filter(code="warning").update(active=False)
    with pytest.raises(ValidationError) as exc:
        propose(finding, officer)
    assert "sanction_type" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSPECTOR])
def test_only_staff_propose(make_user, finding, role):
    with pytest.raises(PermissionDenied):
        propose(finding, make_user(role))


def test_an_officer_of_another_province_cannot_propose(make_user, finding):
    with pytest.raises(PermissionDenied):
        propose(finding, make_user(Role.OFFICER, provinces=["079"]))


# --- approving and rejecting --------------------------------------------------------------------


def test_a_manager_approves_an_officers_proposal(officer, manager, finding):
    # given
    sanction = propose(finding, officer, "fine-preactivated-sims", 30_000_000)
    # when
    services.sanction_approve(sanction=sanction, actor=manager, note="Agreed")
    # then
    sanction.refresh_from_db()
    assert (sanction.status, sanction.decided_by, sanction.decision_reason) == (
        SanctionStatus.APPROVED,
        manager,
        "Agreed",
    )
    assert sanction.status_change is None  # a fine changes no status
    assert AuditEvent.objects.filter(action="sanction.approve", object_id=str(sanction.pk)).exists()


def test_the_proposer_cannot_approve_their_own_sanction(manager, finding):
    # given
    sanction = propose(finding, manager)
    # when
    with pytest.raises(ValidationError) as exc:
        services.sanction_approve(sanction=sanction, actor=manager)
    # then
    assert exc.value.code == "four_eyes"
    assert "another manager" in exc.value.messages[0]
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.PROPOSED


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_only_managers_decide(make_user, manager, finding, role):
    sanction = propose(finding, manager)
    with pytest.raises(PermissionDenied):
        services.sanction_approve(sanction=sanction, actor=make_user(role))
    with pytest.raises(PermissionDenied):
        services.sanction_reject(sanction=sanction, actor=make_user(role), reason="no")


def test_a_manager_of_another_province_cannot_decide(officer, make_user, finding):
    sanction = propose(finding, officer)
    with pytest.raises(PermissionDenied):
        services.sanction_approve(sanction=sanction, actor=make_user(Role.MANAGER, provinces=["079"]))


def test_a_decided_sanction_is_not_decided_again(officer, manager, other_manager, finding):
    sanction = propose(finding, officer)
    services.sanction_reject(sanction=sanction, actor=manager, reason="Too harsh for a first time")
    with pytest.raises(ValidationError, match="already been decided"):
        services.sanction_approve(sanction=sanction, actor=other_manager)


def test_reject_needs_a_reason_and_records_it(officer, manager, finding):
    sanction = propose(finding, officer)
    with pytest.raises(ValidationError):
        services.sanction_reject(sanction=sanction, actor=manager, reason="")
    services.sanction_reject(sanction=sanction, actor=manager, reason="Too harsh for a first time")
    sanction.refresh_from_db()
    assert (sanction.status, sanction.decision_reason) == (SanctionStatus.REJECTED, "Too harsh for a first time")


# --- the effect of approval on status -----------------------------------------------------------


def test_approved_point_suspension_suspends_the_point_with_history(officer, manager, point, finding):
    # given
    sanction = propose(finding, officer, "suspend-point")
    # when
    services.sanction_approve(sanction=sanction, actor=manager)
    # then
    point.refresh_from_db()
    sanction.refresh_from_db()
    assert point.status == Status.SUSPENDED
    change = sanction.status_change
    assert (change.point, change.to_status, change.source, change.actor) == (
        point,
        Status.SUSPENDED,
        StatusChange.Source.SANCTION,
        manager,
    )
    assert f"Sanction #{sanction.pk}" in change.reason
    point.agent.refresh_from_db()
    assert point.agent.status == Status.ACTIVE


def test_the_status_change_of_an_approved_sanction_reads_in_the_readers_language(officer, manager, point, finding):
    # given: the reason is stored in English, with the catalogue type's English name
    from django.utils import translation

    from core.texts import show_system_text

    sanction = propose(finding, officer, "suspend-point")
    sanction = services.sanction_approve(sanction=sanction, actor=manager)
    change = StatusChange.objects.get(pk=sanction.status_change_id)
    kind = sanction.sanction_type
    assert kind.name_en in change.reason
    # when
    with translation.override("vi"):
        shown_vi = show_system_text(change.reason)
    with translation.override("en"):
        shown_en = show_system_text(change.reason)
    # then: the Vietnamese reader sees the Vietnamese name, the English reader the stored text
    assert kind.name_vi in shown_vi
    assert kind.name_en not in shown_vi
    assert shown_en == change.reason


def test_approved_agent_suspension_suspends_the_agent_and_its_points(officer, manager, point, finding):
    # given
    sibling = PointFactory(agent=point.agent)
    sanction = propose(finding, officer, "suspend-agent")
    # when
    services.sanction_approve(sanction=sanction, actor=manager)
    # then
    sanction.refresh_from_db()
    for obj in (point.agent, point, sibling):
        obj.refresh_from_db()
        assert obj.status == Status.SUSPENDED
    assert sanction.status_change.agent == point.agent


@pytest.mark.parametrize(("code", "kind"), [("terminate-point", "point"), ("terminate-agent", "agent")])
def test_approved_termination_terminates_the_target(officer, manager, point, finding, code, kind):
    sanction = propose(finding, officer, code)
    services.sanction_approve(sanction=sanction, actor=manager)
    target = point if kind == "point" else point.agent
    target.refresh_from_db()
    assert target.status == Status.TERMINATED


def test_a_target_already_suspended_is_a_clear_error_and_nothing_changes(officer, manager, point, finding):
    # given
    point.status = Status.SUSPENDED
    point.save(update_fields=["status"])
    sanction = propose(finding, officer, "suspend-point")
    changes = StatusChange.objects.count()
    # when
    with pytest.raises(ValidationError, match="already suspended"):
        services.sanction_approve(sanction=sanction, actor=manager)
    # then
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.PROPOSED
    assert sanction.decided_by is None
    assert StatusChange.objects.count() == changes


def test_a_move_the_agents_services_refuse_is_a_clear_error_and_nothing_changes(officer, manager, point, finding):
    # given: a terminated point cannot be suspended
    point.status = Status.TERMINATED
    point.save(update_fields=["status"])
    sanction = propose(finding, officer, "suspend-point")
    # when
    with pytest.raises(ValidationError, match="cannot be made suspended"):
        services.sanction_approve(sanction=sanction, actor=manager)
    # then
    point.refresh_from_db()
    sanction.refresh_from_db()
    assert point.status == Status.TERMINATED
    assert sanction.status == SanctionStatus.PROPOSED
    assert not StatusChange.objects.filter(source=StatusChange.Source.SANCTION).exists()


def test_a_rejected_suspension_changes_no_status(officer, manager, point, finding):
    sanction = propose(finding, officer, "suspend-point")
    services.sanction_reject(sanction=sanction, actor=manager, reason="Corrected on the spot")
    point.refresh_from_db()
    assert point.status == Status.ACTIVE
