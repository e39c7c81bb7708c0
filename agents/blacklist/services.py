"""Writes to the blacklist: listing on termination (every path), listing by hand, lifting. Each is atomic
and audited; the audit rows name the agent and the kinds of keys, never a value (nor a masked one).

`blacklist_on_termination` is called by every path that makes an agent TERMINATED: agents.services
(the app, the API, and inspections' approved termination sanctions, which go through it) and the agents
import (agents.importers), for many agents at once.

Every listing and lifting has the agents and points that carry one of the entry's keys judged by BLACKLISTED_AGENT
once it commits (`blacklist_judge`: the after-write hooks of agents.hooks, cause BLACKLIST_CHANGED; registrations
records the rule for just those subjects), so a match is flagged, and a flag that held only through a lifted
entry resolved, without waiting for the next check run. A listing or lifting that rolls back judges nothing.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.registry import BLACKLIST_CHANGED
from core.scoping import user_can_see_province

from ..hooks import agents_written
from ..models import Agent
from . import keys as k
from . import selectors
from .models import BlacklistEntry, BlacklistKey

VIEW_PERMISSION = "agents.view_blacklistentry"
ADD_PERMISSION = "agents.add_blacklistentry"
LIFT_PERMISSION = "agents.lift_blacklistentry"


def expiry_from(listed_at: datetime, years: int | None = None) -> datetime:
    """The same instant `years` (BLACKLIST_YEARS) later; 29 February ends on 1 March of a common year."""
    years = settings.BLACKLIST_YEARS if years is None else years
    try:
        return listed_at.replace(year=listed_at.year + years)
    except ValueError:  # 29 February
        return listed_at.replace(year=listed_at.year + years, month=3, day=1)


def _identity_keys(agent: Agent) -> list[BlacklistKey]:
    """The agent's keys and its points' (phone, owner), one per distinct (kind, key)."""
    found: dict[tuple[str, str], BlacklistKey] = {}

    def add(kind, key, masked, origin):
        if key and (kind, key) not in found:
            found[kind, key] = BlacklistKey(kind=kind, key=key, masked=masked[:64], origin=origin)

    Kind = BlacklistKey.Kind
    add(Kind.TAX_CODE, agent.tax_code_key, k.masked_tax_code(agent.tax_code), agent.code)
    add(Kind.PHONE, agent.phone_key, k.masked_phone(agent.phone), agent.code)
    add(
        Kind.OWNER_ID,
        agent.owner_id_doc_key,
        k.masked_owner(agent.owner_id_doc_type, agent.owner_id_doc_number),
        agent.code,
    )
    for point in agent.points.order_by("code"):
        add(Kind.PHONE, point.phone_key, k.masked_phone(point.phone), point.code)
        add(
            Kind.OWNER_ID,
            point.owner_id_doc_key,
            k.masked_owner(point.owner_id_doc_type, point.owner_id_doc_number),
            point.code,
        )
    return list(found.values())


def _list(agent: Agent, *, source: str, reason: str, actor, at: datetime, years: int | None = None) -> BlacklistEntry:
    entry = BlacklistEntry.objects.create(
        agent=agent,
        agent_code=agent.code,
        agent_name=agent.name[:200],
        province_id=agent.province_id,
        source=source,
        reason=reason,
        listed_at=at,
        expires_at=expiry_from(at, years),
        listed_by=actor,
    )
    identity = _identity_keys(agent)
    for key in identity:
        key.entry = entry
    BlacklistKey.objects.bulk_create(identity)
    audit_record(
        action="blacklist.list",
        actor=actor,
        obj=entry,
        reason=reason,
        fields={
            "agent": agent.code,
            "source": source,
            "expires_at": entry.expires_at,
            "keys": sorted(key.kind for key in identity),
        },
    )
    return entry


def _has_active(agent_ids: Iterable[int], at: datetime) -> set[int]:
    return set(
        BlacklistEntry.objects.active(at).filter(agent_id__in=list(agent_ids)).values_list("agent_id", flat=True)
    )


def blacklist_judge(*, entries: Iterable[BlacklistEntry], actor=None) -> None:
    """Once the transaction commits, judge BLACKLISTED_AGENT for the agents and points (not terminated) that carry
    a key of these entries, just listed or lifted: one hook call with every id, however many entries."""
    entry_ids = [entry.pk for entry in entries]
    if not entry_ids:
        return
    agent_ids, point_ids = selectors.subjects_carrying(entry_ids)
    agents_written(agent_ids=agent_ids, point_ids=point_ids, actor=actor, cause=BLACKLIST_CHANGED)


@transaction.atomic
def blacklist_on_termination(
    *, agent_ids: Iterable[int], reason: str, actor=None, at: datetime | None = None, judge: bool = True
) -> list[BlacklistEntry]:
    """List each given (terminated) agent that has no active entry yet; the entries made. No permission
    check: the termination itself was the authorised act. `judge` False: the caller calls `blacklist_judge`
    itself, once for many calls (an import lists agent by agent, each with its line's reason)."""
    at = at or timezone.now()
    agent_ids = set(agent_ids)
    listed = _has_active(agent_ids, at)
    agents = Agent.objects.filter(pk__in=agent_ids - listed).order_by("code")
    entries = [
        _list(agent, source=BlacklistEntry.Source.TERMINATION, reason=reason, actor=actor, at=at) for agent in agents
    ]
    if judge:
        blacklist_judge(entries=entries, actor=actor)
    return entries


def may_add(user) -> bool:
    return user.has_perm(ADD_PERMISSION)


def may_lift(user) -> bool:
    return user.has_perm(LIFT_PERMISSION)


@transaction.atomic
def blacklist_add(*, agent: Agent, reason: str, actor, years: int | None = None) -> BlacklistEntry:
    """A manager lists an agent by hand (any status), for `years` (BLACKLIST_YEARS) from now."""
    if not may_add(actor) or not user_can_see_province(actor, agent.province_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for listing this agent.")
    if years is not None and not 1 <= years <= 10:
        errors["years"] = _("List for 1 to 10 years.")
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    now = timezone.now()
    if _has_active([agent.pk], now):
        errors["agent"] = _("This agent is already on the blacklist.")
    if errors:
        raise ValidationError(errors)
    entry = _list(agent, source=BlacklistEntry.Source.MANUAL, reason=reason, actor=actor, at=now, years=years)
    blacklist_judge(entries=[entry], actor=actor)
    return entry


@transaction.atomic
def blacklist_lift(*, entry: BlacklistEntry, reason: str, actor) -> BlacklistEntry:
    """A manager lifts an active entry with a reason: from now on it matches nothing (the subjects carrying its
    keys are judged again once this commits: their flags resolve unless another entry still matches)."""
    if not may_lift(actor) or not user_can_see_province(actor, entry.province_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for lifting this entry.")})
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    now = timezone.now()
    state = entry.state_at(now)
    if state == BlacklistEntry.State.LIFTED:
        raise ValidationError({"reason": _("This entry was already lifted.")})
    if state == BlacklistEntry.State.EXPIRED:
        raise ValidationError({"reason": _("This entry has expired: there is nothing to lift.")})
    entry.lifted_at, entry.lifted_by, entry.lift_reason = now, actor, reason
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(action="blacklist.lift", actor=actor, obj=entry, reason=reason, fields={"agent": entry.agent_code})
    blacklist_judge(entries=[entry], actor=actor)
    return entry
