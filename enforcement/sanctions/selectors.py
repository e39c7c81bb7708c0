"""Reads of the sanction ladder: the current ladder and its versions, suggestions (scoped by the user's
provinces), and where findings stand on the ladder, counted in a fixed number of queries for any number of
findings."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from core.scoping import access_object
from inspections.models import Finding, Sanction, SanctionStatus, SanctionType

from . import ladder as arithmetic
from .models import LadderKind, LadderVersion, SanctionSuggestion, SuggestionStatus

# a finding counts as an earlier offence when it has a sanction approved, or proposed and not (yet) rejected
COUNTING = (SanctionStatus.APPROVED, SanctionStatus.PROPOSED)


def ladder_current() -> LadderVersion | None:
    return LadderVersion.objects.order_by("-version").first()


def ladder_versions():
    return LadderVersion.objects.select_related("changed_by").order_by("-version")


def ladder_types(version: LadderVersion | None = None, codes=None) -> dict[str, SanctionType]:
    """code -> SanctionType for the version's rungs (or `codes`)."""
    if codes is None:
        codes = set(version.point_rungs) | set(version.agent_rungs) if version else set()
    return {t.code: t for t in SanctionType.objects.filter(code__in=set(codes))}


def ladder_in_words(version: LadderVersion, types: dict | None = None) -> dict[str, list]:
    """{"POINT": [SanctionType or the code if it left the catalogue, ...], "AGENT": [...]}"""
    types = types if types is not None else ladder_types(version)
    return {kind: [types.get(code, code) for code in version.rungs(kind)] for kind in LadderKind.values}


def suggestion_list(*, user):
    return SanctionSuggestion.objects.for_user(user).select_related(
        "point", "agent", "sanction_type", "finding", "sanction", "decided_by"
    )


def suggestion_get(*, user, pk) -> SanctionSuggestion:
    return access_object(
        suggestion_list(user=user).select_related("ladder_version", "finding__task", "point__agent"), user, pk=pk
    )


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


@dataclass(frozen=True)
class Position:
    """Where one finding stands: the rung chosen (and its type), with the other ladder's for the record."""

    finding_id: int
    reached: arithmetic.Reached
    sanction_type: SanctionType | None  # None: the rung's code has left the catalogue
    window_days: int
    version: LadderVersion

    @property
    def rung(self) -> int:
        return self.reached.index + 1

    @property
    def prior_count(self) -> int:
        return len(self.reached.prior)


def _earlier(row, finding) -> bool:
    """Found before `finding`, at an earlier inspection: the findings of one visit are not repeats of each other."""
    return row["task_id"] != finding.task_id and (row["created_at"], row["pk"]) < (finding.created_at, finding.pk)


def ladder_positions(findings: list[Finding], version: LadderVersion | None = None) -> dict[int, Position]:
    """finding id -> Position, for findings with `point` and `point.agent` loaded. Two queries for any
    number of findings: the ladder's sanction types, and the earlier sanctioned findings of their agents
    within the widest window."""
    version = version or ladder_current()
    if version is None or not findings or not version.point_rungs or not version.agent_rungs:
        return {}
    types = ladder_types(version)
    starts = {f.pk: arithmetic.window_start(local_day(f.created_at), version.window_days) for f in findings}
    earliest = timezone.make_aware(dt.datetime.combine(min(starts.values()), dt.time.min))
    latest = max(f.created_at for f in findings)
    counted = (
        Finding.objects.filter(
            point__agent_id__in={f.point.agent_id for f in findings}, created_at__gte=earliest, created_at__lte=latest
        )
        .filter(Exists(Sanction.objects.filter(finding=OuterRef("pk"), status__in=COUNTING)))
        .order_by("created_at", "pk")
        .values("pk", "task_id", "point_id", "point__agent_id", "created_at")
    )
    by_agent = defaultdict(list)
    for row in counted:
        by_agent[row["point__agent_id"]].append(row)
    positions = {}
    for finding in findings:
        prior = [
            (row["pk"], local_day(row["created_at"]))
            for row in by_agent[finding.point.agent_id]
            if _earlier(row, finding) and local_day(row["created_at"]) >= starts[finding.pk]
        ]
        at_point = [
            (row["pk"], local_day(row["created_at"]))
            for row in by_agent[finding.point.agent_id]
            if row["point_id"] == finding.point_id
            and _earlier(row, finding)
            and local_day(row["created_at"]) >= starts[finding.pk]
        ]
        point_codes, agent_codes = version.point_rungs, version.agent_rungs
        point = arithmetic.Reached(
            LadderKind.POINT, arithmetic.rung_index(len(at_point), len(point_codes)), len(point_codes), at_point
        )
        agent = arithmetic.Reached(
            LadderKind.AGENT, arithmetic.rung_index(len(prior), len(agent_codes)), len(agent_codes), prior
        )
        point_type, agent_type = types.get(point_codes[point.index]), types.get(agent_codes[agent.index])
        if point_type is None or agent_type is None:
            reached, chosen = (point, point_type) if agent_type is None else (agent, agent_type)
        else:
            reached, chosen = arithmetic.choose(point, agent, point_type, agent_type)
        positions[finding.pk] = Position(finding.pk, reached, chosen, version.window_days, version)
    return positions


# --- where a point or an agent stands (the sections on their pages) -----------------------------------------

OPEN_SUGGESTIONS_SHOWN = 10


@dataclass(frozen=True)
class Standing:
    """Where a point or an agent stands on the ladder today: what a new finding would count and reach.

    The rung counts every earlier finding with a sanction in the window, as a suggestion would (for an agent,
    at all its points); the lists hold only what the user may see, `hidden` the counted findings outside the
    user's provinces."""

    version: LadderVersion
    since: dt.date  # the first local day the window counts
    findings: list  # counted findings the user may see, newest first, each with `counting_sanctions`
    hidden: int
    own: arithmetic.Reached  # the subject's own ladder (the point's, or the agent's)
    next: arithmetic.Reached  # the ladder a new finding would follow (the heavier of the two)
    next_type: SanctionType | None  # None: the rung's code has left the catalogue
    next_amount: int | None  # a fine's default amount (its lowest)
    # agent page: [(point code, Reached, SanctionType, target_already)] where a point's own ladder is heavier
    heavier_points: list
    suggestions: list  # open suggestions (awaiting an officer), newest first, at most OPEN_SUGGESTIONS_SHOWN
    suggestion_count: int
    # the status the next rung's target already has, when the rung (a suspension or termination) would change
    # nothing: a new finding would get "nothing to suggest", as suggestions_make decides (ladder.target_already)
    target_already: str = ""

    @property
    def window_days(self) -> int:
        return self.version.window_days


def _reach(kind: str, prior: list, codes: list[str]) -> arithmetic.Reached:
    return arithmetic.Reached(kind, arithmetic.rung_index(len(prior), len(codes)), len(codes), prior)


def _heavier(point: arithmetic.Reached, agent: arithmetic.Reached, types: dict, version) -> tuple:
    """(Reached, SanctionType or None) of the ladder a new finding would follow, as `ladder_positions` chooses."""
    point_type = types.get(version.point_rungs[point.index])
    agent_type = types.get(version.agent_rungs[agent.index])
    if point_type is None or agent_type is None:
        return (point, point_type) if agent_type is None else (agent, agent_type)
    return arithmetic.choose(point, agent, point_type, agent_type)


def ladder_standing(*, user, point=None, agent=None, now: dt.datetime | None = None) -> Standing | None:
    """The standing of `point` (its point ladder, and its agent's) or of `agent` (its agent ladder), both already
    fetched within the user's provinces. A fixed number of queries whatever the number of findings: the
    ladder, its types, the counted findings of the agent, the visible ones with their sanctions, the open
    suggestions. A rung that would suspend or terminate a point or agent already in that state says so
    (`target_already`, and the fourth item of `heavier_points`): a new finding would get "nothing to suggest",
    as suggestions_make decides. None when no ladder is set."""
    version = ladder_current()
    if version is None or not version.point_rungs or not version.agent_rungs:
        return None
    now = now or timezone.now()
    types = ladder_types(version)
    since = arithmetic.window_start(local_day(now), version.window_days)
    agent_id = point.agent_id if point is not None else agent.pk
    counted = list(
        Finding.objects.filter(
            point__agent_id=agent_id,
            created_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)),
            created_at__lte=now,
        )
        .filter(Exists(Sanction.objects.filter(finding=OuterRef("pk"), status__in=COUNTING)))
        .order_by("created_at", "pk")
        .values_list("pk", "point_id", "point__code", "created_at", "point__status")
    )
    at_agent = [(pk, local_day(at)) for pk, _p, _c, at, _s in counted]
    agent_reached = _reach(LadderKind.AGENT, at_agent, version.agent_rungs)
    heavier_points = []
    if point is not None:
        at_point = [(pk, local_day(at)) for pk, point_id, _c, at, _s in counted if point_id == point.pk]
        own = _reach(LadderKind.POINT, at_point, version.point_rungs)
        reached, next_type = _heavier(own, agent_reached, types, version)
        already = arithmetic.target_already(next_type, point_status=point.status, agent_status=point.agent.status)
        subject_ids = [pk for pk, _day in at_point]
    else:
        own = agent_reached
        reached, next_type = agent_reached, types.get(version.agent_rungs[agent_reached.index])
        # the agent ladder suspends or terminates the agent only (ladder_errors)
        already = arithmetic.target_already(next_type, point_status=None, agent_status=agent.status)
        by_point = defaultdict(list)
        point_status = {}
        for pk, point_id, code, at, status in counted:
            by_point[(point_id, code)].append((pk, local_day(at)))
            point_status[point_id] = status
        for (point_id, code), prior in sorted(by_point.items(), key=lambda item: item[0][1]):
            point_reached = _reach(LadderKind.POINT, prior, version.point_rungs)
            chosen, chosen_type = _heavier(point_reached, agent_reached, types, version)
            if chosen.ladder == LadderKind.POINT and chosen_type is not None and chosen_type != next_type:
                point_already = arithmetic.target_already(
                    chosen_type, point_status=point_status[point_id], agent_status=agent.status
                )
                heavier_points.append((code, chosen, chosen_type, point_already))
        subject_ids = [pk for pk, _day in at_agent]
    visible = list(
        Finding.objects.for_user(user)
        .filter(pk__in=subject_ids)
        .select_related("point", "answer__item", "sim")
        .prefetch_related(
            Prefetch(
                "sanctions",
                queryset=Sanction.objects.filter(status__in=COUNTING)
                .select_related("sanction_type", "ladder_suggestion")
                .order_by("proposed_at", "pk"),
                to_attr="counting_sanctions",
            )
        )
        .order_by("-created_at", "-pk")
    )
    subject = {"point": point} if point is not None else {"agent": agent}
    open_suggestions = SanctionSuggestion.objects.for_user(user).filter(status=SuggestionStatus.SUGGESTED, **subject)
    shown = list(
        open_suggestions.select_related("sanction_type", "point", "finding").order_by("-created_at", "-pk")[
            : OPEN_SUGGESTIONS_SHOWN + 1
        ]
    )
    suggestion_count = len(shown) if len(shown) <= OPEN_SUGGESTIONS_SHOWN else open_suggestions.count()
    return Standing(
        version=version,
        since=since,
        findings=visible,
        hidden=len(subject_ids) - len(visible),
        own=own,
        next=reached,
        next_type=next_type,
        next_amount=arithmetic.default_amount(next_type) if next_type is not None else None,
        heavier_points=heavier_points,
        suggestions=shown[:OPEN_SUGGESTIONS_SHOWN],
        suggestion_count=suggestion_count,
        target_already=already,
    )
