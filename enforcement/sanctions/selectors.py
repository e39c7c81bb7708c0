"""Reads of the sanction ladder: the current ladder and its versions, suggestions (scoped by the user's
provinces), and where findings stand on the ladder, counted in a fixed number of queries for any number of
findings."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.scoping import access_object
from inspections.models import Finding, Sanction, SanctionStatus, SanctionType

from . import ladder as arithmetic
from .models import LadderKind, LadderVersion, SanctionSuggestion

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
