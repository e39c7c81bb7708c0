"""Reads of the blacklist for pages and the flag page; all start from the user's province scope (the province of
the listed agent). Nothing here reads a value in clear: entries hold keyed hashes and masked forms only."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from core.models import AuditEvent
from core.scoping import access_object

from ..models import Agent, RegistrationPoint, Status
from .models import BlacklistEntry, BlacklistKey

HISTORY_LIMIT = 100


def entry_list(*, user):
    return BlacklistEntry.objects.for_user(user).select_related("province", "listed_by", "lifted_by")


def entry_get(*, user, pk) -> BlacklistEntry:
    """One entry the user may see; 404 for "not there" and "not yours" alike."""
    return access_object(entry_list(user=user), user, pk=pk)


def entry_keys(entry: BlacklistEntry) -> list[BlacklistKey]:
    """Tax code, then phones, then owners' documents; the agent's own before its points'."""
    order = list(BlacklistKey.Kind.values)
    keys = entry.keys.order_by("origin", "id")
    return sorted(keys, key=lambda k: (order.index(k.kind), k.origin != entry.agent_code))


def entry_history(entry: BlacklistEntry, limit: int = HISTORY_LIMIT) -> list[AuditEvent]:
    """The audit events about the entry (listed, lifted), newest first."""
    return list(
        AuditEvent.objects.filter(object_type=BlacklistEntry._meta.label_lower, object_id=str(entry.pk))
        .select_related("actor")
        .order_by("-id")[:limit]
    )


def agent_entries(*, user, agent: Agent) -> list[BlacklistEntry]:
    return list(entry_list(user=user).filter(agent=agent).order_by("-listed_at", "-id"))


@dataclass(frozen=True)
class Match:
    """One identity of an agent or point that an entry in force of another agent holds."""

    kind: str
    kind_label: str
    held_by: str  # "point" (the point's own) or "agent" (its agent's, or the agent's own)
    masked: str
    entry: BlacklistEntry | None  # None: an entry outside the reader's provinces (not shown)


def matches(*, user, agent: Agent | None = None, point: RegistrationPoint | None = None, at: datetime | None = None):
    """What BLACKLISTED_AGENT matched on an agent, or on a point (its own and its agent's identities), now."""
    at = at or timezone.now()
    if point is not None:
        agent = point.agent
    Kind = BlacklistKey.Kind
    mine = [
        (Kind.TAX_CODE, agent.tax_code_key, "agent"),
        (Kind.PHONE, agent.phone_key, "agent"),
        (Kind.OWNER_ID, agent.owner_id_doc_key, "agent"),
    ]
    if point is not None:
        mine += [(Kind.PHONE, point.phone_key, "point"), (Kind.OWNER_ID, point.owner_id_doc_key, "point")]
    mine = [(kind, key, held) for kind, key, held in mine if key]
    if not mine:
        return []
    condition = Q()
    for kind, key, _held in mine:
        condition |= Q(kind=kind, key=key)
    found = list(
        BlacklistKey.objects.filter(condition, entry__in=BlacklistEntry.objects.active(at).exclude(agent=agent))
        .select_related("entry")
        .order_by("kind", "entry__listed_at", "id")
    )
    visible = set(entry_list(user=user).filter(pk__in={key.entry_id for key in found}).values_list("pk", flat=True))
    result = []
    for key in found:
        for kind, value, held in mine:
            if (kind, value) == (key.kind, key.key):
                shown = key.entry if key.entry_id in visible else None
                result.append(Match(key.kind, Kind(key.kind).label, held, key.masked, shown))
    return result


def subjects_carrying(entry_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """The agents and the points, not terminated, that carry a key of these entries (kind with kind, as the rule
    BLACKLISTED_AGENT compares): an agent by its tax code, phone or owner's document; a point by its own phone or
    owner's document or by its agent's three. The entries' own agents and their points are left out (an entry never
    flags its own agent). Whatever the entries' state: a lifted entry's subjects are the ones to judge again.
    Three statements, whatever the number of entries (an import's terminations)."""
    entry_ids = list(entry_ids)
    keys: dict[str, set[str]] = {kind: set() for kind in BlacklistKey.Kind.values}
    for kind, key in BlacklistKey.objects.filter(entry_id__in=entry_ids).values_list("kind", "key"):
        keys[kind].add(key)
    if not any(keys.values()):
        return [], []
    own = BlacklistEntry.objects.filter(pk__in=entry_ids).values("agent_id")
    Kind = BlacklistKey.Kind
    agent_match = (
        Q(tax_code_key__in=keys[Kind.TAX_CODE])
        | Q(phone_key__in=keys[Kind.PHONE])
        | Q(owner_id_doc_key__in=keys[Kind.OWNER_ID])
    )
    point_match = (
        Q(phone_key__in=keys[Kind.PHONE])
        | Q(owner_id_doc_key__in=keys[Kind.OWNER_ID])
        | Q(agent__tax_code_key__in=keys[Kind.TAX_CODE])
        | Q(agent__phone_key__in=keys[Kind.PHONE])
        | Q(agent__owner_id_doc_key__in=keys[Kind.OWNER_ID])
    )
    terminated = Status.TERMINATED
    agents = Agent.objects.filter(agent_match).exclude(status=terminated).exclude(pk__in=own)
    points = RegistrationPoint.objects.filter(point_match).exclude(status=terminated).exclude(agent_id__in=own)
    return (
        sorted(agents.values_list("pk", flat=True)),
        sorted(points.values_list("pk", flat=True)),
    )
