import hashlib
import json

from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class Province(models.Model):
    """A province as CCCD numbers encode it (3-digit code); used for scoping and addresses."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "code"

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person or an integration account; its role is its group, its reach is its provinces."""

    all_provinces = models.BooleanField(
        _("all provinces"),
        default=False,
        help_text=_("Sees every province. Otherwise only the provinces listed below."),
    )
    provinces = models.ManyToManyField(Province, verbose_name=_("provinces"), blank=True, related_name="users")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_dashboard", _("Can view the dashboard")),
            ("reveal_personal_data", _("Can reveal one subscriber's personal data, with a reason")),
            ("use_integration_api", _("Can push data through the integration API")),
        ]


class AuditEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")

    def for_user(self, user):
        """Limited users see events of their provinces and their own events."""
        from .scoping import province_scope

        if not getattr(user, "is_authenticated", False):
            return self.none()
        scope = province_scope(user)
        if scope is None:
            return self
        return self.filter(models.Q(province_code__in=scope) | models.Q(actor=user))


class AuditEvent(models.Model):
    """One recorded action. Append-only; each row carries the hash of the row before it."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    province_code = models.CharField(_("province"), max_length=3, blank=True)
    fields = models.JSONField(_("fields"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def compute_hash(self) -> str:
        payload = {
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "province_code": self.province_code,
            "fields": self.fields,
            "reason": self.reason,
            "ip": self.ip,
            "prev_hash": self.prev_hash,
        }
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()
