"""The ladder's nightly step (core.registry.register_nightly_step): suggestions for findings missed."""

from django.utils.translation import gettext as _


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
