"""The planning page's "closed" filters (issue 12: the dashboard's inspections done per week link to them)."""

import datetime as dt

import pytest
from django.http import QueryDict

from inspections.filters import TaskFilter
from inspections.models import InspectionTask, TaskStatus
from registrations.validators import LOCAL_TZ
from tests.inspections.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_closed_from_and_to_are_local_days_of_closing():
    day = dt.date(2026, 12, 1)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ)
    inside = TaskFactory(status=TaskStatus.CLOSED, closed_at=start + dt.timedelta(minutes=1))
    TaskFactory(status=TaskStatus.CLOSED, closed_at=start - dt.timedelta(minutes=1))
    TaskFactory(status=TaskStatus.CLOSED, closed_at=start + dt.timedelta(days=1))
    TaskFactory(status=TaskStatus.CANCELLED, closed_at=start + dt.timedelta(hours=2))
    filterset = TaskFilter(
        QueryDict(f"status=CLOSED&closed_from={day}&closed_to={day}"), queryset=InspectionTask.objects.all()
    )
    assert filterset.is_valid()
    assert list(filterset.qs) == [inside]
