"""What the nightly chain pre-aggregates for the dashboard: counts per local day and province.

The weekly charts and "registrations in the last 30 days" would otherwise count millions of rows on each
page view. The nightly step (reports.dashboard.services.dashboard_aggregate) recomputes these rows up to an
id watermark per metric; the page adds the rows above the watermark live, so a figure is exact as soon as a
row exists (a later change of an old row's date or point shows after the next night).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Province


class Metric(models.TextChoices):
    REGISTRATIONS = "REGISTRATIONS", _("Registrations")
    FLAGS_RAISED = "FLAGS_RAISED", _("Flags raised")


class DailyCount(models.Model):
    """How many rows of one metric fall on one local day in one province (none: APP registrations, flags
    without a point)."""

    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    day = models.DateField(_("day"))
    province = models.ForeignKey(
        Province, verbose_name=_("province"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        ordering = ["metric", "day"]
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(fields=["metric", "day", "province"], name="dashboard_daily_uniq"),
        ]
        indexes = [models.Index(fields=["metric", "day"], name="dashboard_daily_idx")]

    def __str__(self):
        return f"{self.metric} {self.day:%Y-%m-%d} {self.province_id or '-'}: {self.count}"


class AggregateMark(models.Model):
    """Up to which row id one metric's DailyCount rows are computed, and from which local day."""

    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices, unique=True)
    max_id = models.BigIntegerField(_("last row counted"))
    first_day = models.DateField(_("first day counted"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("aggregation mark")
        verbose_name_plural = _("aggregation marks")

    def __str__(self):
        return f"{self.metric} <= {self.max_id}"


class FlagTally(models.Model):
    """Open and confirmed flags per point, rule, severity and status, kept exact by PostgreSQL triggers.

    The dashboard's flag figures would otherwise group every open flag on each page view (153 ms of a 253 ms
    page at 10 million registrations). Statement-level triggers on the flags table (migration
    reports.0005_flag_tally) add each INSERT, UPDATE and DELETE's change to these rows in the same
    transaction, so a figure is exact at once, whatever wrote the flag (check runs, reviews, a re-imported
    registration moving its flags to another point, retention's cascade). The nightly step rebuilds them
    from the flags and reports any drift. On SQLite (the demo) there are no triggers: the page groups the
    flags live, which is fast at that size.

    `point_id` is the flag's point, 0 for a flag without one (APP registrations, activations); no foreign
    key, so that 0 can stand for "none" in the unique key the triggers upsert on.
    """

    point_id = models.BigIntegerField(_("point"))
    rule = models.ForeignKey(
        "registrations.Rule",
        verbose_name=_("rule"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    severity = models.CharField(_("severity"), max_length=8)
    status = models.CharField(_("status"), max_length=9)
    n = models.BigIntegerField(_("count"))

    class Meta:
        verbose_name = _("flag tally")
        verbose_name_plural = _("flag tallies")
        constraints = [
            models.UniqueConstraint(fields=["point_id", "rule", "severity", "status"], name="dashboard_flag_tally_key")
        ]

    def __str__(self):
        return f"{self.point_id} {self.rule_id} {self.severity} {self.status}: {self.n}"


__all__ = ["AggregateMark", "DailyCount", "FlagTally", "Metric"]
