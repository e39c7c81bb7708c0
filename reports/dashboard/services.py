"""The dashboard's nightly step: per-province daily counts of registrations and flags raised, and a rebuild of
the open-flag tally that PostgreSQL's triggers keep during the day."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.templatetags.display import count
from registrations.models import Flag, FlagStatus, Registration
from registrations.records.filters import local_day_start
from registrations.validators import LOCAL_TZ

from .models import AggregateMark, DailyCount, FlagTally, Metric

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
    drift = flag_tally_rebuild()
    if drift is not None:
        summary["flag_tally_drift"] = drift
    audit_record(
        action="dashboard.aggregate",
        actor=actor,
        object_type="reports.dailycount",
        fields={**summary, "first_day": first_day.isoformat()},
    )
    return summary


def step_lines(summary: dict) -> list[tuple[str, str]]:
    """The step's summary on the nightly run page, in the reader's words."""
    labels = {
        "registrations": _("registrations in the day counts"),
        "flags_raised": _("flags in the day counts"),
        "flag_tally_drift": _("open-flag counts corrected (should be 0)"),
    }
    return [(str(label), count(summary[key])) for key, label in labels.items() if key in summary]


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


TALLIED = (FlagStatus.OPEN, FlagStatus.CONFIRMED)


def flag_tally_rebuild() -> int | None:
    """Recount the open-flag tally from the flags (PostgreSQL; None elsewhere, where there is no tally).

    The triggers keep it exact, so this is a check as much as a rebuild: it returns how many (point, rule,
    severity, status) groups differed, which should be 0. The flags' writers wait for it (a SHARE lock, about
    a second at 10 million registrations); readers do not.
    """
    if connection.vendor != "postgresql":
        return None
    flags, tally = Flag._meta.db_table, FlagTally._meta.db_table
    group = "COALESCE(point_id, 0) AS point_id, rule_id, severity, status"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {flags} IN SHARE MODE")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.flag_tally_now")
        cursor.execute(
            f"CREATE TEMPORARY TABLE flag_tally_now AS SELECT {group}, COUNT(*) AS n "  # noqa: S608
            f"FROM {flags} WHERE status IN (%s, %s) GROUP BY 1, 2, 3, 4",
            TALLIED,
        )
        cursor.execute(
            f"SELECT COUNT(*) FROM flag_tally_now f FULL JOIN (SELECT * FROM {tally} WHERE n <> 0) t "  # noqa: S608
            "USING (point_id, rule_id, severity, status) WHERE f.n IS DISTINCT FROM t.n"
        )
        drift = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {tally}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {tally} (point_id, rule_id, severity, status, n) "  # noqa: S608
            "SELECT point_id, rule_id, severity, status, n FROM flag_tally_now"
        )
        cursor.execute("DROP TABLE flag_tally_now")
    return drift
