"""The ladder's position and grounds in the reader's language (stored as numbers and ids, shown as words)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from agents.models import Status
from core.numbers import grouped
from core.templatetags.display import day
from inspections.models import SanctionTarget

from .models import LadderKind

# the reason of the default ladder (migration 0003), stored in English and shown in the reader's language
DEFAULT_LADDER_REASON = gettext_noop("Default ladder: warning, fine within its legal range, suspension, termination.")


def nothing_to_suggest(*, sanction_type, already: str) -> str:
    """Why the ladder would suggest nothing on a new finding (suggestions_make's "nothing to suggest"): the rung's
    suspension or termination of a point or agent already in that state (ladder.target_already)."""
    words = {"sanction": sanction_type.name()}
    agent = sanction_type.target == SanctionTarget.AGENT
    if already == Status.TERMINATED:
        if agent:
            return _("the agent is already terminated, so its rung (%(sanction)s) would change nothing.") % words
        return _("the point is already terminated, so its rung (%(sanction)s) would change nothing.") % words
    if agent:
        return _("the agent is already suspended, so its rung (%(sanction)s) would change nothing.") % words
    return _("the point is already suspended, so its rung (%(sanction)s) would change nothing.") % words


def nothing_at_point(already: str) -> str:
    """A point's own ladder on the agent's page, whose rung would change nothing: the words instead of its rung."""
    if already == Status.TERMINATED:
        return _("nothing to suggest (the point is already terminated)")
    return _("nothing to suggest (the point is already suspended)")


def position_summary(*, ladder: str, rung: int, rung_count: int, prior_count: int, window_days: int) -> str:
    """ "Rung 2 of 4 of the point ladder, based on 1 earlier finding with a sanction in the last 365 days" """
    words = {
        "rung": rung,
        "rungs": rung_count,
        "count": grouped(prior_count),
        "days": grouped(window_days),
    }
    if ladder == LadderKind.AGENT:
        return (
            ngettext(
                "Rung %(rung)s of %(rungs)s of the agent ladder, based on %(count)s earlier finding with a "
                "sanction at the agent's points in the last %(days)s days",
                "Rung %(rung)s of %(rungs)s of the agent ladder, based on %(count)s earlier findings with a "
                "sanction at the agent's points in the last %(days)s days",
                prior_count,
            )
            % words
        )
    return (
        ngettext(
            "Rung %(rung)s of %(rungs)s of the point ladder, based on %(count)s earlier finding with a sanction "
            "at this point in the last %(days)s days",
            "Rung %(rung)s of %(rungs)s of the point ladder, based on %(count)s earlier findings with a sanction "
            "at this point in the last %(days)s days",
            prior_count,
        )
        % words
    )


def prior_list(prior: list) -> str:
    """ "#12 (15/06/2025), #15 (10/02/2026)" from [[id, "YYYY-MM-DD"], ...] or [(id, date), ...]."""
    parts = []
    for pk, found in prior:
        found = dt.date.fromisoformat(found) if isinstance(found, str) else found
        parts.append(f"#{pk} ({day(found)})")
    return ", ".join(parts)


def suggestion_summary(suggestion) -> str:
    return position_summary(
        ladder=suggestion.ladder,
        rung=suggestion.rung,
        rung_count=suggestion.rung_count,
        prior_count=suggestion.prior_count,
        window_days=suggestion.window_days,
    )


def grounds(suggestion) -> str:
    """The grounds an officer starts from when confirming: the ladder's position and the findings counted."""
    lines = [
        _("Sanction ladder (version %(version)s): %(summary)s.")
        % {"version": suggestion.ladder_version.version, "summary": suggestion_summary(suggestion)}
    ]
    if suggestion.prior_findings:
        lines.append(_("Earlier findings: %(list)s.") % {"list": prior_list(suggestion.prior_findings)})
    lines.append(
        _("This finding: #%(id)s (%(day)s).")
        % {"id": suggestion.finding_id, "day": day(timezone.localdate(suggestion.finding.created_at))}
    )
    return "\n".join(lines)
