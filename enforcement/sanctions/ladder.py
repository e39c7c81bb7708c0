"""The ladder's arithmetic, pure (no database): which rung a count reaches, which ladder wins, the window's
first day, and whether an ordered list of sanction types is a sensible ladder."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agents.models import Status
from inspections.models import SanctionKind, SanctionTarget

# A ladder climbs: a rung is never milder than the one below it.
KIND_RANK = {SanctionKind.WARNING: 0, SanctionKind.FINE: 1, SanctionKind.SUSPENSION: 2, SanctionKind.TERMINATION: 3}
STATUS_KINDS = (SanctionKind.SUSPENSION, SanctionKind.TERMINATION)


def rung_index(prior: int, rung_count: int) -> int:
    """0-based: no earlier finding is the first rung; past the top, the top rung again."""
    return min(max(prior, 0), rung_count - 1)


def window_start(found_on: dt.date, window_days: int) -> dt.date:
    """The first local day that counts: a finding on exactly `window_days` days before counts, one a day older
    does not ("in the last W days" includes its edge day)."""
    return found_on - dt.timedelta(days=window_days)


def severity(sanction_type) -> tuple[int, int]:
    """How heavy a sanction type is: its kind first, then its lowest fine."""
    return KIND_RANK[SanctionKind(sanction_type.kind)], sanction_type.fine_min_vnd or 0


def default_amount(sanction_type) -> int | None:
    """A fine's amount starts at the lowest of its legal range; the officer may raise it within the range."""
    if sanction_type.kind != SanctionKind.FINE:
        return None
    return sanction_type.fine_min_vnd if sanction_type.fine_min_vnd is not None else sanction_type.fine_max_vnd


@dataclass(frozen=True)
class Reached:
    ladder: str  # LadderKind
    index: int  # 0-based
    rung_count: int
    prior: list  # the counted earlier findings


def choose(point: Reached, agent: Reached, point_type, agent_type) -> tuple[Reached, object]:
    """The point's rung, unless the agent's is strictly heavier (an agent with repeat findings at several
    points climbs its own ladder)."""
    if severity(agent_type) > severity(point_type):
        return agent, agent_type
    return point, point_type


def target_already(sanction_type, *, point_status: str | None, agent_status: str | None) -> str:
    """The status its target already has when a suspension or termination would change nothing ("TERMINATED",
    or "SUSPENDED" for a suspension of a suspended point or agent); "" when the sanction would be suggested.
    A warning or a fine is always suggested, whatever the status. None: the status is not known (not judged)."""
    if sanction_type is None or sanction_type.kind not in STATUS_KINDS:
        return ""
    status = agent_status if sanction_type.target == SanctionTarget.AGENT else point_status
    if status == Status.TERMINATED:
        return Status.TERMINATED.value
    if sanction_type.kind == SanctionKind.SUSPENSION and status == Status.SUSPENDED:
        return Status.SUSPENDED.value
    return ""


def ladder_errors(kind: str, codes: list[str], types: dict) -> list[str]:
    """What is wrong with `codes` as the `kind` ladder ("POINT"/"AGENT"); `types`: code -> SanctionType."""
    return [message for _rung, message in ladder_errors_by_rung(kind, codes, types)]


def ladder_errors_by_rung(kind: str, codes: list[str], types: dict) -> list[tuple[int, str]]:
    """As `ladder_errors`, each with the rung (1-based) it is about: 1 for the ladder as a whole."""
    from .models import MAX_RUNGS, LadderKind

    errors = []
    if not codes:
        return [(1, _("A ladder needs at least one rung."))]
    if len(codes) > MAX_RUNGS:
        errors.append((MAX_RUNGS, _("A ladder has at most %(n)s rungs.") % {"n": MAX_RUNGS}))
    target = SanctionTarget.AGENT if kind == LadderKind.AGENT else SanctionTarget.POINT
    previous = None
    for number, code in enumerate(codes, start=1):
        sanction_type = types.get(code)
        if sanction_type is None:
            errors.append(
                (number, _("Rung %(n)s: %(code)s is not in the sanction catalogue.") % {"n": number, "code": code})
            )
            previous = None
            continue
        words = {"n": number, "name": sanction_type.name()}
        if not sanction_type.active:
            errors.append((number, _("Rung %(n)s: %(name)s is no longer in use.") % words))
        if sanction_type.kind in STATUS_KINDS and sanction_type.target != target:
            errors.append(
                (
                    number,
                    _("Rung %(n)s: %(name)s applies to %(target)s, not to this ladder's subject.")
                    % {**words, "target": sanction_type.get_target_display().lower()},
                )
            )
        if previous is not None:
            if previous.kind == SanctionKind.TERMINATION:
                errors.append((number, _("Rung %(n)s: nothing can follow a termination.") % words))
            elif severity(sanction_type) < severity(previous):
                errors.append(
                    (
                        number,
                        _("Rung %(n)s: %(name)s is milder than the rung below it (%(below)s).")
                        % {**words, "below": previous.name()},
                    )
                )
        previous = sanction_type
    return errors
