"""The ladder's clock: which steps a case climbs and when each is due, from the policy (pure functions, no
database), and the same due times as ORM expressions for the set-based statements of services.py.

Times compare as instants: a step is due at `due_at` and reached by a run at `now` when `due_at <= now`.
Days are whole days of 24 hours from the clock's start (the start is an instant; Asia/Ho_Chi_Minh has no
daylight saving, so "15 days later" is the same local time 15 local days later).
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import ExpressionWrapper, F, Value

from .models import STEP_POSITION, TRACK_STEPS, LadderPolicy, Step, Track


def offsets(policy: LadderPolicy) -> dict[str, timedelta]:
    """Each step's delay from its clock's start: the case's opening for the Decree 49 steps, the moment the
    mismatch was known for the outgoing suspension."""
    reminder = timedelta(days=policy.reminder_days)
    one_way = reminder + timedelta(days=policy.one_way_block_days)
    two_way = one_way + timedelta(days=policy.two_way_block_days)
    return {
        Step.REMINDER: reminder,
        Step.SUSPEND_OUTGOING: timedelta(hours=policy.suspend_outgoing_hours),
        Step.ONE_WAY_BLOCK: one_way,
        Step.TWO_WAY_BLOCK: two_way,
        Step.TERMINATION: two_way + timedelta(days=policy.termination_days),
    }


def clock_field(step: str) -> str:
    return "mismatch_at" if step == Step.SUSPEND_OUTGOING else "opened_at"


def due_at(policy: LadderPolicy, step: str, *, opened_at: datetime, mismatch_at: datetime | None = None):
    """When `step` of a case opened at `opened_at` is due (None: a suspension without a known mismatch)."""
    start = mismatch_at if step == Step.SUSPEND_OUTGOING else opened_at
    return None if start is None else start + offsets(policy)[step]


def steps_of(track: str) -> tuple[str, ...]:
    return TRACK_STEPS[Track(track)]


def next_step(track: str, current: str) -> str:
    """The step after `current` on the track's ladder ("" at the end; the first step before any)."""
    steps = steps_of(track)
    if not current:
        return steps[0]
    later = [s for s in steps if STEP_POSITION[s] > STEP_POSITION[Step(current)]]
    return later[0] if later else ""


def due_expression(policy: LadderPolicy, step: str):
    """The step's due time as an expression over a RemediationCase row."""
    return ExpressionWrapper(F(clock_field(step)) + Value(offsets(policy)[step]), output_field=models.DateTimeField())


def next_due_expressions(policy: LadderPolicy):
    """(next_step, next_due_at) as expressions over a case's track and current_step."""
    step_whens, due_whens = [], []
    for track in Track.values:
        for current in ("", *steps_of(track)):
            nxt = next_step(track, current)
            condition = models.Q(track=track, current_step=current)
            step_whens.append(models.When(condition, then=Value(nxt)))
            if nxt:
                due_whens.append(models.When(condition, then=due_expression(policy, nxt)))
    step_case = models.Case(*step_whens, default=Value(""), output_field=models.CharField())
    due_case = models.Case(*due_whens, default=Value(None), output_field=models.DateTimeField())
    return step_case, due_case
