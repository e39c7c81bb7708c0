"""Reads of reports.evidence: the packs a user may see, and everything a pack holds about its subject.

The pack's contents are read as querysets streamed with `iterator(chunk_size=...)`, so a large agent costs
one chunk of rows in memory at a time.

What an agent's pack covers: the agent, its sub-agents at any depth (the dealer tree: an enterprise such
as a retail chain is the parent of its provincial branches, which hold the points) and all their points,
limited to the provinces of the person who asks for it (the command: every province). A point's pack
covers the point alone.
"""

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from agents.models import Agent, RegistrationPoint, StatusChange
from core.models import AuditEvent
from inspections.models import CorrectiveAction, Finding, InspectionTask, Photo, Sanction
from registrations.models import Flag, FlagEvent

from .models import EvidencePack

LIST_LIMIT = 10


def packs_of(*, user, subject) -> list[EvidencePack]:
    """The latest packs of `subject` (an agent or a point the user may see) that the user may download."""
    field = "agent" if isinstance(subject, Agent) else "point"
    packs = EvidencePack.objects.for_user(user).filter(**{field: subject}).select_related("created_by")
    return [pack for pack in packs[: LIST_LIMIT * 3] if pack.visible_to(user)][:LIST_LIMIT]


def pack_get(*, user, pk) -> EvidencePack | None:
    """A pack the user may download, or None (the view answers 404 for "not there" and "not yours")."""
    pack = EvidencePack.objects.for_user(user).select_related("agent", "point").filter(pk=pk).first()
    return pack if pack is not None and pack.visible_to(user) else None


def evidence_audit_anchors() -> dict[int, str]:
    """{audit event id: hash}: the audit chain's head each pack recorded (core.audit.all_anchors)."""
    anchors = {}
    for head in EvidencePack.objects.exclude(audit_chain_head={}).values_list("audit_chain_head", flat=True).iterator():
        head = head or {}
        if isinstance(head.get("id"), int) and head["id"] > 0 and isinstance(head.get("hash"), str):
            anchors[head["id"]] = head["hash"]
    return anchors


# --- what a pack holds ------------------------------------------------------------------------------


def subject_agents(subject, *, user=None) -> QuerySet:
    """The agents a pack covers: none for a point; for an agent, itself and its descendants in the dealer
    tree (within `user`'s provinces when given; the subject itself the user may see)."""
    if isinstance(subject, RegistrationPoint):
        return Agent.objects.none()
    ids, level = {subject.pk}, {subject.pk}
    while level:  # one query per level of the tree; `- ids` stops at a cycle
        level = set(Agent.objects.filter(parent__in=level).values_list("pk", flat=True)) - ids
        ids |= level
    agents = Agent.objects.filter(pk__in=ids)
    if user is not None:
        agents = agents.for_user(user) | Agent.objects.filter(pk=subject.pk)
    return agents.select_related("parent", "province").order_by("code")


def subject_points(subject, *, user=None, agents: QuerySet | None = None) -> QuerySet:
    """The points a pack covers: the point itself, or every point of the covered agents (within `user`'s
    provinces when given: a pack never holds what its maker may not see)."""
    if isinstance(subject, RegistrationPoint):
        points = RegistrationPoint.objects.filter(pk=subject.pk)
    else:
        agents = agents if agents is not None else subject_agents(subject, user=user)
        points = RegistrationPoint.objects.filter(agent__in=agents.values("pk"))
    if user is not None:
        points = points.for_user(user)
    return points.select_related("agent", "province").order_by("code")


def pack_provinces(subject, agents: QuerySet, points: QuerySet) -> list[str]:
    codes = {
        subject.province_id,
        *agents.values_list("province_id", flat=True),
        *points.values_list("province_id", flat=True),
    }
    return sorted(code for code in codes if code)


def status_changes(agents: QuerySet, points: QuerySet) -> QuerySet:
    where = Q(point__in=points.values("pk")) | Q(agent__in=agents.values("pk"))
    return StatusChange.objects.filter(where).select_related("agent", "point", "actor").order_by("changed_at", "id")


def flags(agents: QuerySet, points: QuerySet) -> QuerySet:
    """The flags at the points and those on the agents themselves (no point)."""
    return Flag.objects.filter(Q(point__in=points.values("pk")) | Q(agent__in=agents.values("pk"), point__isnull=True))


def flag_rows(flag_qs: QuerySet) -> QuerySet:
    return flag_qs.select_related("rule", "registration", "activation", "point", "agent", "reviewer").order_by("id")


def flag_events(flag_qs: QuerySet) -> QuerySet:
    return FlagEvent.objects.filter(flag__in=flag_qs.values("pk")).select_related("actor").order_by("flag_id", "id")


def tasks(points: QuerySet) -> QuerySet:
    return (
        InspectionTask.objects.filter(point__in=points.values("pk"))
        .select_related("point", "inspector", "created_by", "report")
        .order_by("id")
    )


def photos(task: InspectionTask) -> QuerySet:
    return Photo.objects.filter(report__task=task).select_related("item").order_by("id")


def findings(points: QuerySet) -> QuerySet:
    return Finding.objects.filter(point__in=points.values("pk")).select_related("point").order_by("id")


def sanctions(agents: QuerySet, points: QuerySet) -> QuerySet:
    return (
        Sanction.objects.filter(Q(point__in=points.values("pk")) | Q(agent__in=agents.values("pk")))
        .select_related("point", "agent", "sanction_type", "proposed_by", "decided_by")
        .order_by("id")
    )


def corrective_actions(points: QuerySet) -> QuerySet:
    return (
        CorrectiveAction.objects.filter(point__in=points.values("pk"))
        .select_related("point", "created_by", "follow_up_task")
        .order_by("id")
    )


def _ids(queryset: QuerySet):
    """The rows' primary keys as text: AuditEvent.object_id is a string."""
    return queryset.annotate(object_key=Cast("pk", CharField())).values("object_key")


def audit_events(agents: QuerySet, points: QuerySet, *, up_to: int) -> QuerySet:
    """Audit events about the subject, its points and the objects the pack holds, up to event `up_to`
    (the chain's head taken when the pack was made), oldest first: one query with subqueries, never a
    list of ids in memory."""
    task_qs = InspectionTask.objects.filter(point__in=points.values("pk"))
    flag_qs = flags(agents, points)
    about = (
        Q(object_type="agents.agent", object_id__in=_ids(agents))
        | Q(object_type="agents.registrationpoint", object_id__in=_ids(points))
        | Q(object_type="registrations.flag", object_id__in=_ids(flag_qs))
        | Q(object_type="inspections.inspectiontask", object_id__in=_ids(task_qs))
        | Q(object_type="inspections.inspectionreport", object_id__in=_ids(task_qs.filter(report__isnull=False)))
        | Q(object_type="inspections.photo", object_id__in=_ids(Photo.objects.filter(report__task__in=task_qs)))
        | Q(object_type="inspections.finding", object_id__in=_ids(findings(points)))
        | Q(object_type="inspections.sanction", object_id__in=_ids(sanctions(agents, points)))
        | Q(object_type="inspections.correctiveaction", object_id__in=_ids(corrective_actions(points)))
        | Q(object_type="agents.statuschange", object_id__in=_ids(status_changes(agents, points)))
    )
    return AuditEvent.objects.filter(about, id__lte=up_to).order_by("id")
