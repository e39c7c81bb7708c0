"""The ladder's nightly step (core.registry.register_nightly_step): suggestions for findings missed; and its
part of the daily digest: the suggestions awaiting an officer."""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import DigestSection

DIGEST_LIMIT = 10


def ladder_step(*, now, actor=None) -> dict:
    from .services import ladder_catch_up

    return ladder_catch_up(now=now, actor=actor)


def ladder_step_lines(summary: dict) -> list[tuple[str, str]]:
    """The step's summary in words on the nightly run page."""
    return [
        (_("Findings without a suggestion"), str(summary.get("findings", 0))),
        (_("Suggestions made"), str(summary.get("suggested", 0))),
        (_("Nothing to suggest"), str(summary.get("not_needed", 0))),
    ]


def waiting_digest_section(*, user, now) -> DigestSection | None:
    """Suggestions awaiting an officer within the user's provinces, oldest first (officers and managers)."""
    from . import selectors
    from .models import SuggestionStatus
    from .services import PROPOSE_PERMISSION

    if not user.has_perm(PROPOSE_PERMISSION) or not user.has_perm("enforcement.view_sanctionsuggestion"):
        return None
    waiting = (
        selectors.suggestion_list(user=user).filter(status=SuggestionStatus.SUGGESTED).order_by("created_at", "pk")
    )
    count = waiting.count()
    if not count:
        return None
    items = tuple(
        _("#%(id)s %(point)s: %(sanction)s (rung %(rung)s of %(rungs)s), suggested %(day)s")
        % {
            "id": s.pk,
            "point": s.point.code,
            "sanction": s.sanction_type.name(),
            "rung": s.rung,
            "rungs": s.rung_count,
            "day": timezone.localdate(s.created_at).isoformat(),
        }
        for s in waiting[:DIGEST_LIMIT]
    )
    return DigestSection(
        title=_("Sanction suggestions awaiting an officer"),
        count=count,
        items=items,
        url_name="enforcement:suggestion_list",
    )
