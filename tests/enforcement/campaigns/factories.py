"""Campaigns made as the app makes them: through `campaign_create` (a manager's) over registrations."""

import datetime as dt

from django.utils import timezone

from core.roles import Role
from enforcement.campaigns.services import campaign_create
from tests.factories import UserFactory
from tests.registrations.factories import RegistrationFactory


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def a_campaign(*, point=None, agent=None, regs: int = 0, actor=None, days: int = 30, reason="Matrix: re-verify"):
    """A manager's campaign over the last `days` days of `point` (or `agent`), with `regs` registrations."""
    subject = point or agent
    for _ in range(regs):
        RegistrationFactory(point=point) if point else RegistrationFactory(point__agent=agent)
    actor = actor or UserFactory(role=Role.MANAGER)
    today = timezone.localdate()
    return campaign_create(
        actor=actor,
        subject_type="POINT" if point else "AGENT",
        code=subject.code,
        period_from=today - dt.timedelta(days=days),
        period_until=today + dt.timedelta(days=1),
        reason=reason,
    )
