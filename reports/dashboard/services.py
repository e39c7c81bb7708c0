"""The dashboard's nightly step: per-province daily counts of registrations and flags raised."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.audit import audit_record
from registrations.models import Flag, Registration
from registrations.records.filters import local_day_start
from registrations.validators import LOCAL_TZ

from .models import AggregateMark, DailyCount, Metric

# the charts show 26 weeks and the 30-day figure 30 days: keep a margin so that a night or two without a
# run still leaves every day the page asks for pre-counted
DAYS_KEPT = 26 * 7 + 21


@dataclass(frozen=True)
class Source:
    """Where a metric's rows are and which of their columns give the day and the province."""

    model: type
    time_field: str
    province_field: str = "point__province"

    def rows(self) -> QuerySet:
        return self.model.objects.order_by()


SOURCES: dict[str, Source] = {
    Metric.REGISTRATIONS: Source(Registration, "registered_at"),
    Metric.FLAGS_RAISED: Source(Flag, "first_seen"),
}


def local_day(field: str):
    return TruncDate(field, tzinfo=LOCAL_TZ)


def dashboard_aggregate(*, now: datetime | None = None, actor=None) -> dict:
    """Recount every metric's days since `DAYS_KEPT` ago (local), up to the newest row id; the nightly step.

    One transaction per metric replaces its rows and its mark together, so a page never sees half of it.
    """
    now = now or timezone.now()
    first_day = timezone.localdate(now) - timedelta(days=DAYS_KEPT)
    summary: dict[str, int] = {}
    for metric, source in SOURCES.items():
        summary[metric.lower()] = _aggregate(metric, source, first_day=first_day, now=now)
    audit_record(
        action="dashboard.aggregate",
        actor=actor,
        object_type="reports.dailycount",
        fields={**summary, "first_day": first_day.isoformat()},
    )
    return summary


def _aggregate(metric: str, source: Source, *, first_day: date, now: datetime) -> int:
    with transaction.atomic():
        max_id = source.rows().aggregate(m=Max("id"))["m"] or 0
        counts = (
            source.rows()
            .filter(id__lte=max_id, **{f"{source.time_field}__gte": local_day_start(first_day)})
            .annotate(day=local_day(source.time_field), province_code=F(f"{source.province_field}_id"))
            .values("day", "province_code")
            .annotate(n=Count("id"))
            .values_list("day", "province_code", "n")
        )
        rows = [DailyCount(metric=metric, day=day, province_id=code, count=n) for day, code, n in counts]
        DailyCount.objects.filter(metric=metric).delete()
        DailyCount.objects.bulk_create(rows, batch_size=5000)
        AggregateMark.objects.update_or_create(
            metric=metric, defaults={"max_id": max_id, "first_day": first_day, "computed_at": now}
        )
    return sum(row.count for row in rows)
