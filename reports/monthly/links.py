"""Where each figure drills down to: the existing list pages, filtered to the month (and one province)."""

from urllib.parse import urlencode

from django.urls import reverse

from .figures import Month


def drill_links(month: Month, provinces: list[str]) -> dict[str, str]:
    """{metric code: URL of the rows behind it}. A list filters one province at a time: with several
    provinces the link shows every province the reader may see (their own scope still applies)."""
    first, last = month.first_day.isoformat(), month.last_day.isoformat()
    one = {"province": provinces[0]} if len(provinces) == 1 else {}

    def url(name: str, **params) -> str:
        return f"{reverse(name)}?{urlencode({k: v for k, v in params.items() if v is not None})}"

    regs = {"registered_from": first, "registered_to": last, **one}
    links = {
        "registrations": url("registrations:registration_list", **regs),
        "registrations_cancelled": url("registrations:registration_list", **regs, status="CANCELLED"),
        "flagged_any": url(
            "registrations:flag_list", status="", live="true", subject_from=first, subject_to=last, **one
        ),
        "points_active": url("agents:point_list", status="ACTIVE", **one),
        "agents_active": url("agents:agent_list", status="ACTIVE", **one),
        "inspections_due": url(
            "inspections:task_list", status="all", cancelled="false", due_from=first, due_to=last, **one
        ),
        "inspections_done": url("inspections:task_list", status="CLOSED", closed_from=first, closed_to=last, **one),
        "findings": url("inspections:finding_list", found_from=first, found_to=last, **one),
        "sanctions_approved": url(
            "inspections:sanction_list", status="APPROVED", decided_from=first, decided_to=last, **one
        ),
        "fines_vnd": url(
            "inspections:sanction_list", status="APPROVED", kind="FINE", decided_from=first, decided_to=last, **one
        ),
        "corrective_actions_due": url("inspections:action_list", due_from=first, due_to=last, **one),
        "corrective_actions_done_on_time": url(
            "inspections:action_list", status="VERIFIED", due_from=first, due_to=last, **one
        ),
    }
    from registrations.checks.rules import CODES

    for code in CODES:
        links[f"flagged.{code}"] = url(
            "registrations:flag_list", rule=code, status="", live="true", subject_from=first, subject_to=last, **one
        )
    links.update(_enforcement_links(url, first, last, one))
    return links


def _enforcement_links(url, first: str, last: str, one: dict) -> dict[str, str]:
    """The remediation ladder's and the campaigns' figures (issue 16): each list counts exactly the figure's
    rows. The on-time and late figures count case steps (a case may have several due in a month), so they
    open the case step list, not the case list."""
    from enforcement.campaigns.progress import Progress
    from enforcement.remediation.models import STEP_POSITION

    cases = "enforcement:remediation_case_list"
    steps = {"due_from": first, "due_to": last, **one}
    links = {"remediation_cases_opened": url(cases, opened_from=first, opened_to=last, **one)}
    for step in sorted(STEP_POSITION, key=STEP_POSITION.get):
        links[f"remediation_cases.{step}"] = url(cases, due_step=step, **steps)
    links["remediation_steps_on_time"] = url("enforcement:remediation_step_list", handled="ON_TIME", **steps)
    links["remediation_steps_late"] = url("enforcement:remediation_step_list", handled="LATE", **steps)
    links["campaigns_open"] = url("enforcement:campaign_list", open_on=last, **one)
    for bucket in Progress.values:
        links[f"campaign_cases.{bucket}"] = url(
            cases, progress=bucket, campaign_open_from=first, campaign_open_to=last, **one
        )
    return links
