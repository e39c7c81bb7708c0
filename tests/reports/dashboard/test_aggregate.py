"""The nightly step: per-province day counts, and the live rows above its watermark."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Max
from django.urls import reverse

from core.registry import NIGHTLY_STEPS
from core.roles import Role
from inspections.nightly import all_steps
from registrations.models import Registration
from reports.dashboard.models import AggregateMark, DailyCount, Metric
from reports.dashboard.selectors import day_counts
from reports.dashboard.services import DAYS_KEPT, dashboard_aggregate
from tests.agents.factories import PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

from .scene import HANOI, SAIGON, local_noon


def test_the_step_is_in_the_nightly_chain():
    assert "dashboard" in all_steps()
    step = next(s for s in NIGHTLY_STEPS if s.name == "dashboard")
    assert step.run is dashboard_aggregate
    assert all_steps().index("dashboard") < all_steps().index("digest")


@pytest.mark.django_db
def test_the_step_counts_per_province_and_day(make_user):
    # given two registrations in Hà Nội yesterday, one in TP HCM, one in the app
    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    hanoi, saigon = PointFactory(province_code=HANOI), PointFactory(province_code=SAIGON)
    regs = [RegistrationFactory(point=hanoi, registered_at=local_noon(yesterday)) for _ in range(2)]
    RegistrationFactory(point=saigon, registered_at=local_noon(yesterday))
    RegistrationFactory(app=True, registered_at=local_noon(yesterday))
    make_flag("MISSING_PHOTOS", registration=regs[0], first_seen=local_noon(yesterday))
    # when
    summary = dashboard_aggregate()
    # then
    tally = {"flag_tally_drift": 0} if connection.vendor == "postgresql" else {}  # no tally on SQLite
    assert summary == {"registrations": 4, "flags_raised": 1, **tally}
    rows = {(r.province_id, r.day): r.count for r in DailyCount.objects.filter(metric=Metric.REGISTRATIONS)}
    assert rows == {(HANOI, yesterday): 2, (SAIGON, yesterday): 1, (None, yesterday): 1}
    mark = AggregateMark.objects.get(metric=Metric.REGISTRATIONS)
    assert mark.max_id == Registration.objects.aggregate(m=Max("id"))["m"]
    assert mark.first_day == timezone.localdate() - dt.timedelta(days=DAYS_KEPT)
    # and running it again replaces, never adds
    dashboard_aggregate()
    assert DailyCount.objects.filter(metric=Metric.REGISTRATIONS).count() == 3


@pytest.mark.django_db
def test_rows_after_the_night_are_counted_live(make_user):
    # given last night's counts
    from django.utils import timezone

    today = timezone.localdate()
    point = PointFactory(province_code=HANOI)
    RegistrationFactory(point=point, registered_at=local_noon(today - dt.timedelta(days=3)))
    dashboard_aggregate()
    user = make_user(Role.OFFICER, provinces=[HANOI])
    # when registrations arrive after it, one of them dated days back (a late import)
    RegistrationFactory(point=point, registered_at=local_noon(today))
    RegistrationFactory(point=point, registered_at=local_noon(today - dt.timedelta(days=3)))
    RegistrationFactory(point=PointFactory(province_code=SAIGON), registered_at=local_noon(today))
    # then each is counted once, in its own day, in its own province only
    counts = day_counts(Metric.REGISTRATIONS, user=user, first=today - dt.timedelta(days=6), last=today)
    assert dict(counts) == {today - dt.timedelta(days=3): 2, today: 1}


@pytest.mark.django_db
def test_days_before_the_nights_window_are_counted_live(make_user):
    # given counts made with a window that starts later than the days asked for (a night long ago)
    from django.utils import timezone

    today = timezone.localdate()
    point = PointFactory(province_code=HANOI)
    RegistrationFactory(point=point, registered_at=local_noon(today - dt.timedelta(days=20)))
    RegistrationFactory(point=point, registered_at=local_noon(today - dt.timedelta(days=2)))
    dashboard_aggregate()
    AggregateMark.objects.filter(metric=Metric.REGISTRATIONS).update(first_day=today - dt.timedelta(days=5))
    DailyCount.objects.filter(day__lt=today - dt.timedelta(days=5)).delete()
    user = make_user(Role.AUDITOR)
    # when / then
    counts = day_counts(Metric.REGISTRATIONS, user=user, first=today - dt.timedelta(days=30), last=today)
    assert sum(counts.values()) == 2


@pytest.mark.django_db
def test_the_nightly_step_is_audited_with_its_label(make_user):
    from core.models import AuditEvent
    from core.registry import AUDIT_ACTION_LABELS

    dashboard_aggregate()
    assert AuditEvent.objects.filter(action="dashboard.aggregate").count() == 1
    assert "dashboard.aggregate" in AUDIT_ACTION_LABELS


@pytest.mark.django_db
def test_the_dashboard_reads_the_same_after_the_night(client, make_user):
    # given registrations; the page before and after the nightly step
    from django.utils import timezone

    today = timezone.localdate()
    point = PointFactory(province_code=HANOI)
    for days in (0, 1, 8, 40, 100):
        RegistrationFactory(point=point, registered_at=local_noon(today - dt.timedelta(days=days)))
    client.force_login(make_user(Role.OFFICER, provinces=[HANOI]))
    url = reverse("reports:dashboard")
    before = client.get(url).context
    before = (before["registrations_recent"].value, [b.value for b in before["charts"][0]["bars"]])
    dashboard_aggregate()
    after = client.get(url).context
    assert (after["registrations_recent"].value, [b.value for b in after["charts"][0]["bars"]]) == before
    assert before[0] == 3
