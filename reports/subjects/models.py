"""A subscriber's request to see, correct or delete their data (DESIGN section 3: SubjectRequest)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.scoping import province_scope


class SubjectRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """Province scope (reports.subjects.selectors explains the rule): a user limited to some provinces
        sees the requests whose registrations all lie in them; the others need a user with every province."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        scope = province_scope(user)
        if scope is None:
            return self
        return self.filter(registrations_matched__gt=0, outside_provinces=False).exclude(
            provinces__in=Province.objects.exclude(code__in=scope)
        )


class SubjectRequest(models.Model):
    """One request from one subscriber (IT Law 2006 art. 22, Decree 13/2023, Personal Data Protection Law).

    The subscriber is found by MSISDN or by ID document; the document is kept only as its type and keyed
    hash (the same HMAC the registrations carry), never in clear. Acknowledge within 2 working days,
    complete within 15 (`ack_due`, `due`). No personal value is written to this row's free text.
    """

    class Kind(models.TextChoices):
        SEE = "SEE", _("See their data")
        CORRECT = "CORRECT", _("Correct their data")
        DELETE = "DELETE", _("Delete their data")

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", _("Received")
        ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
        VERIFIED = "VERIFIED", _("Identity checked")
        DONE = "DONE", _("Completed")
        REJECTED = "REJECTED", _("Rejected")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    msisdn = models.CharField(_("MSISDN"), max_length=16, blank=True)
    id_doc_type = models.CharField(_("ID document type"), max_length=20, blank=True)
    id_doc_hash = models.CharField(_("ID document key"), max_length=64, blank=True, editable=False)
    received_at = models.DateTimeField(_("received"))
    ack_due = models.DateField(_("acknowledge by"))
    due = models.DateField(_("complete by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    verified_at = models.DateTimeField(_("identity checked"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("identity checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identity_method = models.CharField(_("how the identity was checked"), max_length=200, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    # the names of the fields a correction set (never their values)
    changed_fields = models.JSONField(_("fields changed"), default=list, blank=True)
    registrations_matched = models.PositiveIntegerField(_("registrations"), default=0)
    # some of the subscriber's registrations are in no province (APP channel): only a user with every
    # province may see or handle the request
    outside_provinces = models.BooleanField(_("registrations in no province"), default=False)
    # the provinces of the subscriber's registrations' points (none: APP only): who may see the request
    provinces = models.ManyToManyField(Province, verbose_name=_("provinces"), blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("subscriber request")
        verbose_name_plural = _("subscriber requests")
        indexes = [models.Index(fields=["status", "due"], name="subject_request_due_idx")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"
