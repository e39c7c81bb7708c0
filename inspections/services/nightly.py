"""The nightly chain started from its page: queued for a worker once the request's transaction commits."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.models import User
from core.runs import send_task

from .. import selectors
from ..models import NightlyRun
from ..risk import CHANGE_POLICY_PERMISSION
from ..tasks import nightly_chain_task

# running the chain by hand is part of managing the schedule: the policy's managers do it
RUN_NIGHTLY_PERMISSION = CHANGE_POLICY_PERMISSION


class NightlyRunInProgress(Exception):
    """A nightly run is in progress (and not stale): the caller shows it rather than queueing another."""

    def __init__(self, run: NightlyRun):
        self.run = run
        super().__init__(f"The nightly run of {run.night} is in progress.")


def nightly_run_queue(*, actor: User) -> None:
    """Queue the chain for today's night (trigger PAGE, started by `actor`) once the transaction commits.

    Refuses with NightlyRunInProgress while a live run exists. Nothing is written here: the task claims
    the night's NightlyRun (its lock refuses a second run that slipped past this check) and the run's
    end is audited with `actor`. With the broker down, core.runs.QueueUnavailable reaches the caller.
    """
    if not actor.has_perm(RUN_NIGHTLY_PERMISSION):
        raise PermissionDenied
    running = selectors.nightly_running()
    if running is not None:
        raise NightlyRunInProgress(running)
    night, user_id = timezone.localdate().isoformat(), actor.pk
    # on commit: a worker must not look for rows of a transaction that may still roll back
    transaction.on_commit(
        lambda: send_task(nightly_chain_task, kwargs={"night": night, "trigger": "PAGE", "user_id": user_id})
    )
