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
    return links
