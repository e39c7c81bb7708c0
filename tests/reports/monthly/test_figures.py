"""Each figure of the monthly report against a hand-counted month (tests/reports/monthly/scene.py)."""

import pytest

from reports.monthly.figures import METRIC_CODES, Month, compute_figures, compute_trend
from tests.reports.monthly import scene

RULES = (
    "PREACTIVATED",
    "ACTIVATED_UNREGISTERED",
    "INCOMPLETE_RECORD",
    "MISSING_PHOTOS",
    "INVALID_ID_NUMBER",
    "ID_DOB_MISMATCH",
    "UNDERAGE",
    "POPULATION_MISMATCH",
    "UNVERIFIED_IDENTITY",
    "EXCESS_SIMS_PER_ID",
    "UNAUTHORISED_POINT",
    "OUTSIDE_HOURS",
    "REUSED_PORTRAIT",
    "CONFLICTING_IDENTITY",
    "REGISTRATION_BURST",
    "BLACKLISTED_AGENT",  # issue 16: its subjects are agents and points, counted by their flag's first_seen
)


def test_metric_codes_are_the_contract_in_order():
    assert (
        "registrations",
        "registrations_cancelled",
        "activations",
        *(f"flagged.{rule}" for rule in RULES),
        "flagged_any",
        "points_active",
        "agents_active",
        "inspections_due",
        "inspections_done",
        "findings",
        "sanctions_approved",
        "fines_vnd",
        "corrective_actions_due",
        "corrective_actions_done_on_time",
        "subject_requests_received",
        "subject_requests_on_time",
        "remediation_cases_opened",
        "remediation_cases.REMINDER",
        "remediation_cases.SUSPEND_OUTGOING",
        "remediation_cases.ONE_WAY_BLOCK",
        "remediation_cases.TWO_WAY_BLOCK",
        "remediation_cases.TERMINATION",
        "remediation_steps_on_time",
        "remediation_steps_late",
        "campaigns_open",
        "campaign_cases.REVERIFIED",
        "campaign_cases.CORRECTED",
        "campaign_cases.TERMINATED",
        "campaign_cases.PENDING",
        "campaign_cases.WITHDRAWN",
    ) == METRIC_CODES


def test_month_boundaries_are_local_midnights():
    month = Month.parse("2026-03")
    assert month.start.isoformat() == "2026-03-01T00:00:00+07:00"
    assert month.end.isoformat() == "2026-04-01T00:00:00+07:00"
    assert str(Month.parse("2026-12").next) == "2027-01"
    assert str(Month.parse("2026-01").previous) == "2025-12"


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "2026/03", "", "march", "2026-00"])
def test_a_bad_month_is_refused(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(text)


@pytest.mark.django_db
@pytest.mark.parametrize("provinces", list(scene.EXPECTED), ids=lambda p: ",".join(p) or "all")
def test_each_figure_matches_the_hand_count(provinces, hanoi_point, saigon_point, officer):
    # given a month with rows on both sides of each boundary
    scene.build(hanoi_point, saigon_point, officer)

    # when
    figures = compute_figures(Month.parse(scene.MONTH), provinces)

    # then
    expected = dict.fromkeys(METRIC_CODES, 0) | scene.EXPECTED[provinces]
    assert list(figures) == list(METRIC_CODES)
    assert figures == expected


@pytest.mark.django_db
def test_both_provinces_add_up_to_all_but_the_app_and_unplaced_rows(hanoi_point, saigon_point, officer):
    scene.build(hanoi_point, saigon_point, officer)
    month = Month.parse(scene.MONTH)

    both = compute_figures(month, ["079", "001"])
    everything = compute_figures(month)

    assert both["registrations"] == everything["registrations"] - 1  # the APP registration
    assert both["activations"] == everything["activations"] - 1  # the SIM nobody registered
    assert both["flagged.ACTIVATED_UNREGISTERED"] == 0
    assert both["subject_requests_received"] == everything["subject_requests_received"] - 1


@pytest.mark.django_db
def test_the_trend_counts_twelve_months_ending_with_the_month(hanoi_point, saigon_point, officer):
    scene.build(hanoi_point, saigon_point, officer)

    trend = compute_trend(Month.parse("2026-04"))

    assert [str(row["month"]) for row in trend][0] == "2025-05"
    assert [str(row["month"]) for row in trend][-1] == "2026-04"
    by_month = {str(row["month"]): row for row in trend}
    assert by_month["2026-03"]["flagged.PREACTIVATED"] == 1
    assert by_month["2026-03"]["flagged.UNVERIFIED_IDENTITY"] == 0  # resolved
    assert sum(row["flagged.PREACTIVATED"] for row in trend) == 1
