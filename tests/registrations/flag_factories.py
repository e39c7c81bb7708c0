"""Flags straight into the database, as a check run would leave them (no run, no event, no audit).

    flag = make_flag("MISSING_PHOTOS", registration=reg)             # OPEN, at the registration's point
    flag = make_flag("ACTIVATED_UNREGISTERED", activation=act)       # no point: every-province users only
    flag = make_flag("REGISTRATION_BURST", registration=reg, parameters={"max_in_window": 2, "window_minutes": 5})

The Rule rows come from the data migration that seeds the catalogue (created here if missing).
"""

import datetime as dt

from django.utils import timezone

from registrations.checks.rules.catalogue import BY_CODE
from registrations.models import Flag, FlagStatus, Rule, SubjectType


def rule(code: str) -> Rule:
    found = Rule.objects.filter(code=code).first()
    if found is None:
        found = Rule.objects.create(**BY_CODE[code])
    return found


def make_flag(
    code: str,
    *,
    registration=None,
    activation=None,
    subject_point=None,
    subject_agent=None,
    status=FlagStatus.OPEN,
    last_seen=None,
    **kwargs,
):
    the_rule = rule(code)
    now = timezone.now()
    if registration is not None:
        subject = {
            "subject_type": SubjectType.REGISTRATION,
            "subject_id": registration.pk,
            "registration": registration,
            "point": registration.point,
            "agent": registration.agent,
        }
    elif activation is not None:
        subject = {"subject_type": SubjectType.ACTIVATION, "subject_id": activation.pk, "activation": activation}
    elif subject_point is not None:
        subject = {
            "subject_type": SubjectType.POINT,
            "subject_id": subject_point.pk,
            "point": subject_point,
            "agent": subject_point.agent,
        }
    else:
        subject = {"subject_type": SubjectType.AGENT, "subject_id": subject_agent.pk, "agent": subject_agent}
    last_seen = last_seen or now
    values = {
        "severity": the_rule.severity,
        "status": status,
        "first_seen": last_seen - dt.timedelta(days=1),
        "last_seen": last_seen,
        "rule_version": the_rule.version,
        "parameters": dict(the_rule.parameters),
        "resolved_at": now if status == FlagStatus.RESOLVED else None,
        **subject,
        **kwargs,
    }
    return Flag.objects.create(rule=the_rule, **values)
