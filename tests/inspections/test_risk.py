"""Risk scores and tiers of points and agents (DESIGN section 5, last paragraph), and the policy's service."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agents.models import RegistrationPoint
from core.models import AuditEvent
from inspections.models import RiskPolicy, SanctionType
from inspections.risk import policy_update, rescore, tier_for
from registrations.models import FlagStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import make_finding, make_sanction
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy():
    """Numbers that make each part easy to read: the flags part is the plain sum of flag weights (a floor of
    1,000 registrations), and time without inspection adds nothing unless a test says so."""
    policy = RiskPolicy.current()
    policy.min_registrations = 1000
    policy.flag_cap = Decimal(60)
    policy.weight_per_month_uninspected = Decimal(0)
    policy.save()
    return policy


def scored(obj):
    obj.refresh_from_db()
    return obj.risk_score


def regs(point, n, **kwargs):
    return [RegistrationFactory(point=point, **kwargs) for _ in range(n)]


# --- flags ------------------------------------------------------------------------------------------


def test_each_open_or_confirmed_flag_adds_its_severity_weight(policy):
    # given
    point = PointFactory()
    r1, r2, r3 = regs(point, 3)
    make_flag("PREACTIVATED", registration=r1)  # critical: 10
    rescore()
    assert scored(point) == Decimal(10)
    # when
    make_flag("MISSING_PHOTOS", registration=r2, status=FlagStatus.CONFIRMED)  # high: 4
    make_flag("UNDERAGE", registration=r3)  # medium: 1
    rescore()
    # then
    assert scored(point) == Decimal(15)


@pytest.mark.parametrize("status", [FlagStatus.DISMISSED, FlagStatus.RESOLVED])
def test_dismissed_and_resolved_flags_do_not_count(policy, status):
    point = PointFactory()
    (reg,) = regs(point, 1)
    make_flag("PREACTIVATED", registration=reg, status=status)
    rescore()
    assert scored(point) == 0


def test_a_flag_last_seen_before_the_window_does_not_count(policy):
    point = PointFactory()
    old, recent = regs(point, 2)
    make_flag("PREACTIVATED", registration=old, last_seen=timezone.now() - dt.timedelta(days=91))
    make_flag("PREACTIVATED", registration=recent, last_seen=timezone.now() - dt.timedelta(days=89))
    rescore()
    assert scored(point) == Decimal(10)


def test_more_registrations_at_the_point_lower_the_flags_part(policy):
    # given: the same flag at two points, one with twice the registrations (above a floor of 2)
    policy.min_registrations, policy.flag_cap = 2, Decimal(100_000)
    policy.save()
    small, busy = PointFactory(), PointFactory()
    make_flag("MISSING_PHOTOS", registration=regs(small, 2)[0])
    make_flag("MISSING_PHOTOS", registration=regs(busy, 4)[0])
    # when
    rescore()
    # then: weight 4 per 1,000 registrations
    assert scored(small) == Decimal(2000)
    assert scored(busy) == Decimal(1000)


def test_registrations_before_the_window_do_not_dilute_the_flags(policy):
    policy.min_registrations, policy.flag_cap = 2, Decimal(100_000)
    policy.save()
    point = PointFactory()
    make_flag("MISSING_PHOTOS", registration=regs(point, 2)[0])
    regs(point, 6, registered_at=timezone.now() - dt.timedelta(days=120))
    rescore()
    assert scored(point) == Decimal(2000)


def test_a_quiet_point_is_counted_per_the_registrations_floor_not_per_its_few_registrations(policy):
    policy.min_registrations = 200
    policy.save()
    point = PointFactory()
    make_flag("MISSING_PHOTOS", registration=regs(point, 1)[0])
    rescore()
    assert scored(point) == Decimal(20)  # 4 * 1000 / 200, not 4 * 1000 / 1


def test_the_flags_part_is_capped(policy):
    point = PointFactory()
    for reg in regs(point, 7):
        make_flag("PREACTIVATED", registration=reg)
    rescore()
    point.refresh_from_db()
    assert point.risk_score == Decimal(60)
    assert point.risk_factors["flags"]["capped"] is True
    assert point.risk_factors["flags"]["weighted"] == 70


# --- inspections: findings and sanctions --------------------------------------------------------------


def test_failed_items_and_sims_found_add_their_severity_weight_times_the_failed_item_weight(policy):
    policy.weight_failed_item = Decimal(2)
    policy.save()
    point = PointFactory()
    make_finding(point, severity="high")  # 4 * 2
    rescore()
    assert scored(point) == Decimal(8)
    make_finding(point, kind="SIM_FOUND", severity="critical")  # 10 * 2
    rescore()
    point.refresh_from_db()
    assert point.risk_score == Decimal(28)
    assert point.risk_factors["findings"]["failed_items"] == 1
    assert point.risk_factors["findings"]["sims_found"] == 1


def test_findings_before_the_window_do_not_count(policy):
    point = PointFactory()
    make_finding(point, severity="critical", created_at=timezone.now() - dt.timedelta(days=366))
    rescore()
    assert scored(point) == 0


def test_approved_sanctions_add_their_risk_weight_and_proposed_or_rejected_ones_do_not(policy, officer):
    # given: the catalogue's written warning weighs 3, a fine more
    point = PointFactory()
    warning = SanctionType.objects.get(code="warning").risk_weight
    make_sanction(point, code="warning", proposed_by=officer)
    make_sanction(point, code="warning", status="PROPOSED", proposed_by=officer)
    make_sanction(point, code="warning", status="REJECTED", proposed_by=officer)
    # when
    rescore()
    # then (each sanction also brings its finding: high, weight 4)
    point.refresh_from_db()
    assert point.risk_factors["sanctions"] == {"score": int(warning), "count": 1, "window_days": 365}
    assert point.risk_score == warning + 3 * 4


def test_a_sanction_approved_before_the_window_does_not_count(policy, officer):
    point = PointFactory()
    make_sanction(point, proposed_by=officer, decided_at=timezone.now() - dt.timedelta(days=400))
    rescore()
    point.refresh_from_db()
    assert point.risk_factors["sanctions"]["count"] == 0


# --- time since the last inspection -------------------------------------------------------------------


def test_each_whole_month_without_inspection_adds_up_to_the_cap(policy):
    # given
    policy.weight_per_month_uninspected = Decimal(2)
    policy.save()
    today = timezone.localdate()
    fresh = PointFactory(last_inspection_on=today - dt.timedelta(days=29))
    recent = PointFactory(last_inspection_on=today - dt.timedelta(days=30))
    older = PointFactory(last_inspection_on=today - dt.timedelta(days=119))
    ancient = PointFactory(last_inspection_on=today - dt.timedelta(days=3000))
    # when
    rescore()
    # then
    assert scored(fresh) == 0
    assert scored(recent) == Decimal(2)
    assert scored(older) == Decimal(6)  # 3 whole months
    assert scored(ancient) == Decimal(24)  # 12 months at most


def test_a_never_inspected_point_counts_from_when_it_was_created(policy):
    policy.weight_per_month_uninspected = Decimal(1)
    policy.save()
    point = PointFactory()
    RegistrationPoint.objects.filter(pk=point.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    rescore()
    point.refresh_from_db()
    assert point.risk_score == Decimal(2)
    assert point.risk_factors["uninspected"]["never"] is True


# --- tiers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "tier"),
    [("40", "HIGH"), ("39.99", "MEDIUM"), ("15", "MEDIUM"), ("14.99", "LOW"), ("0", "LOW"), ("900", "HIGH")],
)
def test_tiers_start_at_their_thresholds(policy, score, tier):
    assert tier_for(Decimal(score), policy) == tier


@pytest.mark.parametrize(("weight", "tier"), [("40", "HIGH"), ("39.99", "MEDIUM"), ("15", "MEDIUM"), ("14.99", "LOW")])
def test_rescore_puts_a_point_at_a_threshold_in_that_tier(policy, officer, weight, tier):
    # given: a sanction that weighs exactly the score (its finding weighs nothing)
    policy.weight_failed_item = Decimal(0)
    policy.save()
    SanctionType.objects.filter(code="warning").update(risk_weight=Decimal(weight))
    point = PointFactory()
    make_sanction(point, proposed_by=officer)
    # when
    rescore()
    # then
    point.refresh_from_db()
    assert (point.risk_score, point.risk_tier) == (Decimal(weight), tier)


def test_edited_thresholds_move_the_tiers(policy, officer):
    policy.weight_failed_item = Decimal(0)
    policy.save()
    point = PointFactory()
    make_sanction(point, proposed_by=officer)  # 3
    rescore()
    point.refresh_from_db()
    assert point.risk_tier == "LOW"
    policy.medium_from, policy.high_from = Decimal(1), Decimal(3)
    policy.save()
    rescore()
    point.refresh_from_db()
    assert point.risk_tier == "HIGH"


# --- what is stored -------------------------------------------------------------------------------------


def test_the_factors_keep_each_part_and_its_inputs(policy):
    # given
    policy.weight_per_month_uninspected = Decimal(1)
    policy.save()
    point = PointFactory(last_inspection_on=timezone.localdate() - dt.timedelta(days=45))
    r1, r2, _r3 = regs(point, 3)
    make_flag("PREACTIVATED", registration=r1)
    make_flag("MISSING_PHOTOS", registration=r2)
    make_finding(point, severity="medium")
    # when
    rescore()
    # then
    point.refresh_from_db()
    factors = point.risk_factors
    assert factors["flags"] == {
        "score": 14,
        "by_severity": {"critical": 1, "high": 1},
        "weighted": 14,
        "registrations": 3,
        "per": 1000,
        "window_days": 90,
        "capped": False,
    }
    assert factors["findings"]["score"] == 1
    assert factors["findings"]["by_severity"] == {"medium": 1}
    assert factors["uninspected"] == {
        "score": 1,
        "months": 1,
        "since": point.last_inspection_on.isoformat(),
        "never": False,
        "cap_months": 12,
    }
    assert factors["total"] == 16
    assert factors["tier"] == "MEDIUM"
    assert point.risk_score == Decimal(16)
    assert point.risk_scored_at is not None


def test_a_second_rescore_writes_nothing(policy):
    point = PointFactory()
    make_flag("PREACTIVATED", registration=regs(point, 1)[0])
    first = rescore()
    point.refresh_from_db()
    scored_at = point.risk_scored_at
    # when
    second = rescore()
    # then
    assert first["points"]["changed"] == 1
    assert second["points"] == {"scored": 1, "changed": 0, "tiers": {"HIGH": 0, "MEDIUM": 0, "LOW": 1}}
    point.refresh_from_db()
    assert point.risk_scored_at == scored_at


def test_rescore_is_audited_with_its_counts(policy):
    PointFactory()
    rescore()
    event = AuditEvent.objects.get(action="risk.rescore")
    assert event.fields["points"]["scored"] == 1
    assert event.fields["agents"]["scored"] == 1


# --- agents -----------------------------------------------------------------------------------------------


def test_an_agent_is_scored_over_all_of_its_points(policy, officer):
    # given: two points of one agent, and a point of another agent
    policy.weight_failed_item = Decimal(1)
    policy.save()
    agent = AgentFactory()
    a, b = PointFactory(agent=agent), PointFactory(agent=agent)
    other = PointFactory()
    make_flag("PREACTIVATED", registration=regs(a, 1)[0])
    make_flag("MISSING_PHOTOS", registration=regs(b, 1)[0])
    make_flag("PREACTIVATED", registration=regs(other, 1)[0])
    make_finding(b, severity="high")
    # when
    rescore()
    # then: flags 10 + 4, finding 4
    agent.refresh_from_db()
    assert agent.risk_score == Decimal(18)
    assert agent.risk_factors["flags"]["registrations"] == 2
    assert agent.risk_factors["findings"]["failed_items"] == 1
    assert scored(a) == Decimal(10)
    assert scored(b) == Decimal(8)


def test_an_agent_counts_sanctions_on_itself_and_on_its_points(policy, officer):
    policy.weight_failed_item = Decimal(0)
    policy.save()
    agent = AgentFactory()
    point = PointFactory(agent=agent)
    make_sanction(point, code="warning", proposed_by=officer)
    make_sanction(point, code="warning", proposed_by=officer)
    rescore()
    agent.refresh_from_db()
    warning = SanctionType.objects.get(code="warning").risk_weight
    assert agent.risk_factors["sanctions"]["count"] == 2
    assert agent.risk_score == 2 * warning


def test_an_agent_is_uninspected_since_the_latest_inspection_of_any_of_its_points(policy):
    policy.weight_per_month_uninspected = Decimal(1)
    policy.save()
    today = timezone.localdate()
    agent = AgentFactory()
    PointFactory(agent=agent, last_inspection_on=today - dt.timedelta(days=300))
    PointFactory(agent=agent, last_inspection_on=today - dt.timedelta(days=60))
    rescore()
    agent.refresh_from_db()
    assert agent.risk_score == Decimal(2)
    assert agent.risk_factors["uninspected"]["since"] == (today - dt.timedelta(days=60)).isoformat()


# --- the policy -------------------------------------------------------------------------------------------


def test_a_manager_changes_the_policy_as_a_new_version_with_the_changes_audited(manager):
    # given
    before = RiskPolicy.current()
    # when
    policy = policy_update(actor=manager, values={"high_from": Decimal(50), "cadence_high_days": 20}, reason="tighter")
    # then
    assert (policy.high_from, policy.cadence_high_days, policy.version) == (Decimal(50), 20, before.version + 1)
    assert policy.updated_by == manager
    event = AuditEvent.objects.get(action="risk.policy_update")
    assert event.fields["changes"] == {
        "high_from": {"from": "40.00", "to": "50"},
        "cadence_high_days": {"from": 30, "to": 20},
    }
    assert event.reason == "tighter"
    assert event.actor == manager


def test_saving_the_policy_unchanged_writes_nothing(manager):
    before = RiskPolicy.current()
    policy = policy_update(actor=manager, values={"high_from": before.high_from})
    assert policy.version == before.version
    assert not AuditEvent.objects.filter(action="risk.policy_update").exists()


def test_the_medium_tier_must_start_below_the_high_tier(manager):
    with pytest.raises(ValidationError) as caught:
        policy_update(actor=manager, values={"medium_from": Decimal(40), "high_from": Decimal(40)})
    assert "medium_from" in caught.value.message_dict
    assert RiskPolicy.current().version == 1


def test_cadence_must_not_be_longer_for_a_higher_tier(manager):
    with pytest.raises(ValidationError) as caught:
        policy_update(actor=manager, values={"cadence_high_days": 120})
    assert "cadence_medium_days" in caught.value.message_dict


def test_an_officer_cannot_change_the_policy(officer):
    with pytest.raises(PermissionDenied):
        policy_update(actor=officer, values={"high_from": Decimal(50)})
