"""The flag queue's "raised" filters (issue 12: the dashboard's flags raised per week link to them)."""

import datetime as dt

import pytest
from django.http import QueryDict

from registrations.checks.filters import FlagFilter
from registrations.models import Flag, FlagStatus
from registrations.validators import LOCAL_TZ
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ)


def test_raised_from_and_to_are_local_days_of_first_seen():
    day = dt.date(2026, 12, 1)
    inside = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(), first_seen=at(day, 0, 5))
    late = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(), first_seen=at(day, 23, 59))
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(), first_seen=at(day - dt.timedelta(days=1), 23, 59))
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(), first_seen=at(day + dt.timedelta(days=1), 0, 0))
    dismissed = make_flag(
        "INCOMPLETE_RECORD", registration=RegistrationFactory(), first_seen=at(day, 12), status=FlagStatus.DISMISSED
    )
    query = QueryDict(f"status=&raised_from={day}&raised_to={day}")
    filterset = FlagFilter(query, queryset=Flag.objects.all())
    assert filterset.is_valid()
    assert set(filterset.qs) == {inside, late, dismissed}
