"""After agents or points were written, or a blacklist entry was listed or lifted: the hooks higher apps registered
(core.registry.AGENTS_WRITTEN_HOOKS; registrations judges BLACKLISTED_AGENT for the subjects given, issue 16),
called once the write commits.

Every write path that creates an agent or a point or changes one calls `agents_written` inside its transaction:
agents.services (the pages, the API, the demo; status changes too, an approved sanction's among them, a cascade
to an agent's points once for the agent) and agents.importers (agents.csv, points.csv, once per file with every
id written). Writes of fields the rule does not read (risk scores, inspection dates, an imported agent's parent)
do not call it. Every listing and lifting of a blacklist entry calls it too (agents.blacklist.services, cause
BLACKLIST_CHANGED), with the agents and points that carry one of the entry's keys: they were not written, but what
they are judged against changed. The hooks run after the commit, in this process (a rolled-back write announces
nothing), and a hook that fails is logged: the write stands, and the next check run judges what the hook did not.
"""

import logging
from collections.abc import Iterable

from django.db import transaction

from core.registry import AGENTS_SAVED, AGENTS_WRITTEN_HOOKS

logger = logging.getLogger(__name__)


def agents_written(
    *, agent_ids: Iterable[int] = (), point_ids: Iterable[int] = (), actor=None, cause: str = AGENTS_SAVED
) -> None:
    """Call the registered hooks with these ids once the current transaction commits (at once outside one).
    `cause`: AGENTS_SAVED (these were written) or BLACKLIST_CHANGED (an entry they carry a key of changed)."""
    agents, points = sorted(set(agent_ids)), sorted(set(point_ids))
    if not (agents or points) or not AGENTS_WRITTEN_HOOKS:
        return

    def run_hooks():
        for name, hook in list(AGENTS_WRITTEN_HOOKS.items()):
            try:
                hook(agent_ids=agents, point_ids=points, actor=actor, cause=cause)
            except Exception:  # the write has committed; the next check run catches up
                logger.exception(
                    "After-write hook %r (%s) failed for %d agents, %d points", name, cause, len(agents), len(points)
                )

    transaction.on_commit(run_hooks)
