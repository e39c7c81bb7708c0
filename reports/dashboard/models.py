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


__all__ = ["AggregateMark", "DailyCount", "Metric"]
