"""The sanction ladder's services: the next rung for a finding at each boundary (the window's edge day, each
rung, the agent's ladder), never two suggestions for one finding, an officer's confirmation (a PROPOSED
sanction within its legal range that a manager approves) or dismissal, and changing the ladder."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agents.models import Status
from core.models import AuditEvent
from core.roles import Role
from enforcement.sanctions import selectors, services
from enforcement.sanctions.models import LadderVersion, NotNeeded, SanctionSuggestion, SuggestionStatus
from inspections.models import Sanction, SanctionStatus, SanctionType
from inspections.services import review
from inspections.services import sanctions as sanction_services
from tests.agents.factories import PointFactory
from tests.inspections.factories import make_finding, make_sanction, submitted_task

from .factories import local, sanctioned

pytestmark = pytest.mark.django_db

NOW = local(2026, 6, 15, 9, 0)


@pytest.fixture
def point():
    return PointFactory(province_code="001")


def suggest(finding):
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


# --- each rung ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "rung", "code", "amount"),
    [
        (0, 1, "warning", None),
        (1, 2, "fine-consumer-information", 10_000_000),
        (2, 3, "suspend-point", None),
        (3, 4, "terminate-point", None),
        (5, 4, "terminate-point", None),
    ],
)
def test_each_earlier_sanctioned_finding_at_the_point_climbs_one_rung(point, officer, earlier, rung, code, amount):
    # given: `earlier` findings at the point this spring, each sanctioned
    for day in range(earlier):
        sanctioned(point, local(2026, 3, 1 + day, 10, 0), actor=officer)
    finding = make_finding(point, created_at=NOW)
    # when
    suggestion = suggest(finding)
    # then
    assert (suggestion.ladder, suggestion.rung, suggestion.rung_count) == ("POINT", rung, 4)
    assert (suggestion.sanction_type.code, suggestion.amount_vnd) == (code, amount)
    assert suggestion.prior_count == earlier
    assert suggestion.status == SuggestionStatus.SUGGESTED


def test_a_fine_rung_starts_at_the_lowest_amount_of_its_legal_range(point, officer):
    sanctioned(point, local(2026, 5, 1, 10, 0), actor=officer)
    suggestion = suggest(make_finding(point, created_at=NOW))
    fine = SanctionType.objects.get(code="fine-consumer-information")
    assert suggestion.amount_vnd == fine.fine_min_vnd


# --- the window's edge ----------------------------------------------------------------------------------------


def test_a_finding_on_the_windows_first_day_counts(point, officer):
    # given: 365 days before 2026-06-15 is 2025-06-15, half a minute after local midnight
    earlier = sanctioned(point, local(2025, 6, 15, 0, 0, 30), actor=officer)
    # when
    suggestion = suggest(make_finding(point, created_at=NOW))
    # then
    assert (suggestion.rung, suggestion.prior_count) == (2, 1)
    assert suggestion.prior_findings == [[earlier.pk, "2025-06-15"]]


def test_a_finding_the_day_before_the_window_does_not_count(point, officer):
    # given: one second before local midnight of the window's first day
    sanctioned(point, local(2025, 6, 14, 23, 59, 59), actor=officer)
    # when
    suggestion = suggest(make_finding(point, created_at=NOW))
    # then
    assert (suggestion.rung, suggestion.prior_count) == (1, 0)


def test_the_window_is_the_ladders_setting(point, officer, manager):
    # given: a 30-day window; one finding 30 days before (counts), one 31 days before (does not)
    current = selectors.ladder_current()
    services.ladder_update(
        window_days=30,
        point_rungs=current.point_rungs,
        agent_rungs=current.agent_rungs,
        reason="Shorter memory",
        actor=manager,
    )
    sanctioned(point, local(2026, 5, 16, 8, 0), actor=officer)
    sanctioned(point, local(2026, 5, 15, 8, 0), actor=officer)
    # when
    suggestion = suggest(make_finding(point, created_at=NOW))
    # then
    assert (suggestion.prior_count, suggestion.window_days, suggestion.ladder_version.version) == (1, 30, 2)


# --- what counts ----------------------------------------------------------------------------------------------


def test_only_findings_with_an_approved_or_pending_sanction_count(point, officer):
    # given: an approved, a proposed, a rejected sanction, and a finding with none
    sanctioned(point, local(2026, 1, 5, 9, 0), actor=officer, status="APPROVED")
    sanctioned(point, local(2026, 2, 5, 9, 0), actor=officer, status="PROPOSED")
    sanctioned(point, local(2026, 3, 5, 9, 0), actor=officer, status="REJECTED")
    make_finding(point, created_at=local(2026, 4, 5, 9, 0))
    # when
    suggestion = suggest(make_finding(point, created_at=NOW))
    # then
    assert suggestion.prior_count == 2
    assert suggestion.sanction_type.code == "suspend-point"


def test_findings_of_the_same_inspection_are_not_repeats(point, officer):
    # given: a sanctioned finding of the same visit, found a moment before
    sibling = sanctioned(point, local(2026, 6, 15, 8, 59), actor=officer)
    # when
    suggestion = suggest(make_finding(point, created_at=NOW, task=sibling.task))
    # then
    assert (suggestion.rung, suggestion.prior_count) == (1, 0)


def test_later_findings_do_not_count(point, officer):
    sanctioned(point, local(2026, 6, 20, 9, 0), actor=officer)
    assert suggest(make_finding(point, created_at=NOW)).prior_count == 0


def test_findings_at_the_agents_other_points_climb_the_agent_ladder(point, officer):
    # given: two sanctioned findings at two other points of the same agent, none at this point
    for n in (1, 2):
        sanctioned(PointFactory(agent=point.agent), local(2026, n, 10, 9, 0), actor=officer)
    # when
    suggestion = suggest(make_finding(point, created_at=NOW))
    # then: the agent's third rung (a higher fine) beats the point's first (a warning)
    assert (suggestion.ladder, suggestion.rung, suggestion.rung_count) == ("AGENT", 3, 5)
    assert suggestion.sanction_type.code == "fine-private-information"
    assert suggestion.amount_vnd == 20_000_000


def test_another_agents_findings_do_not_count(point, officer):
    sanctioned(PointFactory(), local(2026, 3, 10, 9, 0), actor=officer)
    assert suggest(make_finding(point, created_at=NOW)).prior_count == 0


# --- nothing to suggest -----------------------------------------------------------------------------------------


def test_a_finding_that_already_has_a_sanction_gets_nothing_to_do(point, officer):
    finding = make_finding(point, created_at=NOW)
    make_sanction(point, status="PROPOSED", proposed_by=officer, finding=finding)
    suggestion = suggest(finding)
    assert (suggestion.status, suggestion.not_needed) == (SuggestionStatus.NOT_NEEDED, NotNeeded.ALREADY_SANCTIONED)


def test_suspending_a_point_already_suspended_is_not_suggested(point, officer):
    for day in (1, 2):
        sanctioned(point, local(2026, 4, day, 9, 0), actor=officer)
    point.status = Status.SUSPENDED
    point.save(update_fields=["status"])
    suggestion = suggest(make_finding(point, created_at=NOW))
    assert (suggestion.sanction_type.code, suggestion.status) == ("suspend-point", SuggestionStatus.NOT_NEEDED)
    assert suggestion.not_needed == NotNeeded.TARGET_ALREADY


# --- never twice ------------------------------------------------------------------------------------------------


def test_suggesting_again_for_the_same_finding_changes_nothing(point):
    # given
    finding = make_finding(point, created_at=NOW)
    first = services.suggestions_make(finding_ids=[finding.pk])
    # when
    second = services.suggestions_make(finding_ids=[finding.pk])
    # then
    assert (first["suggested"], second["suggested"], second["findings"]) == (1, 0, 0)
    assert SanctionSuggestion.objects.filter(finding=finding).count() == 1
    assert AuditEvent.objects.filter(action="sanction_ladder.suggest").count() == 1


def test_accepting_a_report_suggests_once_and_the_nightly_step_adds_nothing(
    inspector, officer, django_capture_on_commit_callbacks
):
    # given: a submitted report with two failed items
    task = submitted_task(inspector=inspector, failing=("camera", "folders-missing"))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        findings = review.report_accept(task=task, actor=officer)
    night = services.ladder_catch_up(now=findings[-1].created_at)
    # then
    assert SanctionSuggestion.objects.filter(finding__in=findings, status="SUGGESTED").count() == 2
    assert night == {"findings": 0, "suggested": 0, "not_needed": 0}


def test_the_nightly_step_catches_recent_findings_missed_and_leaves_old_ones(point):
    # given: findings made without the hook, 2 and 31 days before the night
    recent = make_finding(point, created_at=local(2026, 6, 13, 9, 0))
    old = make_finding(point, created_at=local(2026, 5, 15, 8, 0))
    # when
    summary = services.ladder_catch_up(now=NOW)
    again = services.ladder_catch_up(now=NOW)
    # then
    assert summary["suggested"] == 1
    assert again["findings"] == 0
    assert SanctionSuggestion.objects.filter(finding=recent).exists()
    assert not SanctionSuggestion.objects.filter(finding=old).exists()


def test_a_failing_ladder_never_undoes_the_acceptance(
    inspector, officer, django_capture_on_commit_callbacks, monkeypatch
):
    # given: the ladder breaks
    def broken(**kwargs):
        raise RuntimeError("ladder down")

    monkeypatch.setattr(services, "suggestions_make", broken)
    task = submitted_task(inspector=inspector, failing=("camera",))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        findings = review.report_accept(task=task, actor=officer)
    # then: the report is accepted, the nightly step will suggest
    task.refresh_from_db()
    assert task.status == "CLOSED"
    assert len(findings) == 1
    assert not SanctionSuggestion.objects.exists()


# --- confirming and approving ----------------------------------------------------------------------------------


@pytest.fixture
def fine_suggestion(point, officer):
    sanctioned(point, local(2026, 5, 1, 10, 0), actor=officer)
    return suggest(make_finding(point, created_at=NOW))


def test_an_officer_confirms_and_a_manager_approves_as_today(fine_suggestion, officer, manager):
    # when: the officer confirms the suggested fine at its default amount
    sanction = services.suggestion_confirm(
        suggestion=fine_suggestion, amount_vnd=fine_suggestion.amount_vnd, note="Second offence", actor=officer
    )
    # then: a PROPOSED sanction of the officer's
    fine_suggestion.refresh_from_db()
    assert (sanction.status, sanction.proposed_by, sanction.sanction_type.code) == (
        SanctionStatus.PROPOSED,
        officer,
        "fine-consumer-information",
    )
    assert (fine_suggestion.status, fine_suggestion.sanction) == (SuggestionStatus.CONFIRMED, sanction)
    assert AuditEvent.objects.filter(action="sanction_ladder.confirm", object_id=str(fine_suggestion.pk)).exists()
    # and the officer cannot approve it, a manager can
    with pytest.raises(PermissionDenied):
        sanction_services.sanction_approve(sanction=sanction, actor=officer)
    approved = sanction_services.sanction_approve(sanction=sanction, actor=manager)
    assert approved.status == SanctionStatus.APPROVED


@pytest.mark.parametrize("amount", [10_000_000, 20_000_000])
def test_the_officer_may_set_the_fine_anywhere_in_its_legal_range(fine_suggestion, officer, amount):
    sanction = services.suggestion_confirm(suggestion=fine_suggestion, amount_vnd=amount, note="ok", actor=officer)
    assert sanction.amount_vnd == amount


@pytest.mark.parametrize("amount", [9_999_999, 20_000_001, None])
def test_an_amount_outside_the_legal_range_is_refused_and_nothing_changes(fine_suggestion, officer, amount):
    with pytest.raises(ValidationError) as exc:
        services.suggestion_confirm(suggestion=fine_suggestion, amount_vnd=amount, note="ok", actor=officer)
    assert "amount_vnd" in exc.value.message_dict
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


def test_a_suggestion_is_confirmed_once(fine_suggestion, officer, make_user):
    services.suggestion_confirm(suggestion=fine_suggestion, amount_vnd=10_000_000, note="ok", actor=officer)
    with pytest.raises(ValidationError):
        services.suggestion_confirm(suggestion=fine_suggestion, amount_vnd=10_000_000, note="ok", actor=officer)
    assert Sanction.objects.filter(finding=fine_suggestion.finding).count() == 1


@pytest.mark.parametrize(("role", "provinces"), [(Role.AUDITOR, None), (Role.INSPECTOR, None), (Role.OFFICER, ["079"])])
def test_the_wrong_role_or_another_province_cannot_confirm_or_dismiss(fine_suggestion, make_user, role, provinces):
    user = make_user(role, provinces=provinces, username=f"x-{role}")
    with pytest.raises(PermissionDenied):
        services.suggestion_confirm(suggestion=fine_suggestion, amount_vnd=10_000_000, note="ok", actor=user)
    with pytest.raises(PermissionDenied):
        services.suggestion_dismiss(suggestion=fine_suggestion, reason="no", actor=user)
    fine_suggestion.refresh_from_db()
    assert fine_suggestion.status == SuggestionStatus.SUGGESTED


def test_dismissing_needs_a_reason_and_proposes_nothing(fine_suggestion, officer):
    with pytest.raises(ValidationError):
        services.suggestion_dismiss(suggestion=fine_suggestion, reason=" ", actor=officer)
    services.suggestion_dismiss(suggestion=fine_suggestion, reason="Paid already under another decision", actor=officer)
    fine_suggestion.refresh_from_db()
    assert (fine_suggestion.status, fine_suggestion.decided_by) == (SuggestionStatus.DISMISSED, officer)
    assert not Sanction.objects.filter(finding=fine_suggestion.finding).exists()


# --- changing the ladder ----------------------------------------------------------------------------------------


def change(actor, **overrides):
    current = selectors.ladder_current()
    values = {
        "window_days": current.window_days,
        "point_rungs": current.point_rungs,
        "agent_rungs": current.agent_rungs,
        "reason": "Board decision 12/2026",
        **overrides,
    }
    return services.ladder_update(actor=actor, **values)


@pytest.mark.parametrize("days", [1, 3650])
def test_a_manager_sets_the_window_within_its_bounds_as_a_new_version(manager, days):
    version = change(manager, window_days=days)
    assert (version.version, version.window_days, version.changed_by) == (2, days, manager)
    assert AuditEvent.objects.filter(action="sanction_ladder.change").count() == 1


@pytest.mark.parametrize("days", [0, 3651])
def test_a_window_outside_its_bounds_is_refused(manager, days):
    with pytest.raises(ValidationError) as exc:
        change(manager, window_days=days)
    assert "window_days" in exc.value.message_dict
    assert LadderVersion.objects.count() == 1


def test_a_ladder_out_of_order_is_refused(manager):
    with pytest.raises(ValidationError) as exc:
        change(manager, point_rungs=["suspend-point", "warning"])
    assert "point_rungs" in exc.value.message_dict


def test_a_change_needs_a_reason_and_a_difference(manager):
    with pytest.raises(ValidationError) as exc:
        change(manager, window_days=100, reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        change(manager)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_only_a_manager_changes_the_ladder(make_user, role):
    with pytest.raises(PermissionDenied):
        change(make_user(role, username=f"not-{role}"), window_days=100)


def test_a_confirmed_suspension_rung_suspends_the_point_once_a_manager_approves(point, officer, manager):
    # given: two earlier sanctioned findings: the third reaches the point's suspension
    for day in (1, 2):
        sanctioned(point, local(2026, 4, day, 9, 0), actor=officer)
    suggestion = suggest(make_finding(point, created_at=NOW))
    # when
    sanction = services.suggestion_confirm(suggestion=suggestion, amount_vnd=None, note="Third offence", actor=officer)
    sanction_services.sanction_approve(sanction=sanction, actor=manager)
    # then
    point.refresh_from_db()
    assert suggestion.sanction_type.code == "suspend-point"
    assert point.status == Status.SUSPENDED
