"""Helpers of the sanction ladder's tests: findings at a local time, with or without a sanction."""

import datetime as dt

from django.utils import timezone

from core.models import User
from inspections.models import Finding
from tests.inspections.factories import make_finding, make_sanction


def local(*args) -> dt.datetime:
    """An aware datetime in local time (Asia/Ho_Chi_Minh): local(2026, 6, 15, 9, 0)."""
    return dt.datetime(*args, tzinfo=timezone.get_current_timezone())


def sanctioned(point, at: dt.datetime, *, actor: User, status: str = "APPROVED", code: str = "warning") -> Finding:
    """A finding at `point` found `at`, with a sanction in `status`."""
    finding = make_finding(point, created_at=at)
    make_sanction(point, code=code, status=status, proposed_by=actor, finding=finding)
    return finding
