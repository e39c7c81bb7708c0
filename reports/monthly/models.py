"""Monthly reports as issued to the regulator (DESIGN section 3: ReportIssue)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import province_scope


class ReportIssueQuerySet(models.QuerySet):
    def for_user(self, user):
        """Every issue for a user of every province; for a user limited to some provinces, the issues whose
        scope is within theirs (never an all-provinces one). The scope is a JSON list, which SQLite cannot
        compare as a set: the few issues (one per month and scope) are sifted by id."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        scope = province_scope(user)
        if scope is None:
            return self
        ids = [pk for pk, provinces in self.values_list("pk", "provinces") if provinces and set(provinces) <= scope]
        return self.filter(pk__in=ids)


class ReportIssue(models.Model):
    """A monthly report frozen as issued: the figures as computed, the PDF and CSV with their SHA-256.

    Re-issuing a month (same scope and language) adds a row with the next `version`; the earlier one is
    kept, and the page shows what changed between them. `provinces` is the scope: a sorted list of province
    codes, empty for all provinces. `audit_head` anchors the audit chain's head at the moment of issue.
    """

    class Status(models.TextChoices):
        PREPARED = "PREPARED", _("Prepared")  # by the nightly chain on the 1st, for a manager to issue
        ISSUED = "ISSUED", _("Issued")

    month = models.DateField(_("month"))  # the first day of the local calendar month
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=5)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ISSUED)
    version = models.PositiveIntegerField(_("version"), default=1)
    figures = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed"))
    pdf = models.FileField(_("PDF"), upload_to="reports/monthly/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    csv = models.FileField(_("CSV"), upload_to="reports/monthly/", blank=True)
    csv_sha256 = models.CharField(_("CSV SHA-256"), max_length=64, blank=True)
    audit_head = models.JSONField(_("audit chain head"), default=dict, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)

    objects = ReportIssueQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-version"]
        verbose_name = _("issued monthly report")
        verbose_name_plural = _("issued monthly reports")

    def __str__(self):
        return f"{self.month:%Y-%m} v{self.version}"
