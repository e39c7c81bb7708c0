import hashlib
import hmac
import json

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet, province_scope


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
    # The language the user last chose (the switch in the header); blank: the site's default (Vietnamese).
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, blank=True)

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
    # Which AUDIT_HMAC_KEY signed the hash; blank for events written before the chain was keyed (plain
    # SHA-256, which anyone with the database could recompute).
    key_id = models.CharField(_("key"), max_length=16, blank=True, default="")

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
        """HMAC-SHA256 of the event's content and the previous hash, with the audit key named by `key_id`
        (a secret the database does not hold); plain SHA-256 for events from before the chain was keyed."""
        from .audit import chain_key

        return self.hash_with(chain_key(self.key_id) if self.key_id else None)

    def hash_with(self, key: bytes | None) -> str:
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
        if key is None:
            return hashlib.sha256(raw.encode("utf-8")).hexdigest()
        return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditVerification(models.Model):
    """One check of the whole audit trail (what `manage.py verify_audit` does), asked for on the audit page
    and run by a worker: who asked and when, and what it found (intact, or the first broken event and why)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    requested_by = models.ForeignKey(
        User, verbose_name=_("started by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked at"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    checked = models.PositiveBigIntegerField(_("events checked"), default=0)
    anchors = models.PositiveIntegerField(_("anchors checked"), default=0)
    intact = models.BooleanField(_("intact"), null=True, blank=True)
    # the first broken event (an anchored event that was removed has no row left: only its id)
    broken_event_id = models.PositiveBigIntegerField(_("first broken event"), null=True, blank=True)
    broken_event_at = models.DateTimeField(_("time of the broken event"), null=True, blank=True)
    broken_action = models.CharField(_("action of the broken event"), max_length=64, blank=True)
    problem = models.CharField(_("problem"), max_length=16, blank=True)  # a key of core.audit.PROBLEMS
    problem_params = models.JSONField(_("problem details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit trail verification")
        verbose_name_plural = _("audit trail verifications")
        permissions = [("run_auditverification", _("Can start a verification of the audit trail"))]

    def __str__(self):
        return f"#{self.pk} {timezone.localtime(self.requested_at):%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportJobQuerySet(models.QuerySet):
    def for_user(self, user):
        """Import jobs are the team's records (issue 13), scoped by province like everything else: a job
        reaches as far as its uploader could write. A user with every province sees every job; a user
        limited to some provinces sees their own jobs and those of colleagues limited to provinces within
        theirs (a job uploaded by an account with every province, or by a command, may hold any province's
        rows, rejected ones included, so it stays with users who see every province). An integration account
        sees only its own jobs."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        from .roles import Role, role_of

        if role_of(user) == Role.INTEGRATION:  # write-only for personal data: never another's rejected rows
            return self.filter(created_by=user)
        scope = province_scope(user)
        if scope is None:
            return self
        outside = Province.objects.exclude(code__in=scope)
        colleagues = (
            User.objects.filter(all_provinces=False, provinces__isnull=False)
            .exclude(provinces__in=outside)
            .values("pk")
        )
        return self.filter(models.Q(created_by=user) | models.Q(created_by__in=colleagues))


class ImportJob(models.Model):
    """One uploaded or pushed file (or batch) and what became of its rows."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    kind = models.CharField(_("kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        User, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total_rows = models.PositiveBigIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveBigIntegerField(_("rows done"), default=0)
    created = models.PositiveBigIntegerField(_("created"), default=0)
    updated = models.PositiveBigIntegerField(_("updated"), default=0)
    unchanged = models.PositiveBigIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveBigIntegerField(_("rejected"), default=0)
    rejects_file = models.FileField(_("rejected rows"), upload_to="imports/rejects/", blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The file as uploaded, for a job that a worker runs (a command reads its own file instead).
    source_file = models.FileField(_("uploaded file"), upload_to="imports/", blank=True)
    # Batch imports commit batch by batch: a failed or killed run resumes after the last committed
    # batch, at this byte offset of the file and this line number.
    resume_offset = models.PositiveBigIntegerField(_("resume at byte"), default=0, editable=False)
    resume_line = models.PositiveBigIntegerField(_("resume after line"), default=0, editable=False)
    # processed_rows when the current run started (non-zero after a resume): the rate counts this run only.
    rows_at_start = models.PositiveBigIntegerField(_("rows done before this run"), default=0, editable=False)
    # Set by the running import after each batch; a RUNNING job whose heartbeat is old was abandoned.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.kind} {self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        """Rows done as a whole percentage of the rows counted before the start (0-100)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def elapsed_seconds(self) -> float:
        """Seconds the current run has taken so far (to its end once finished)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at and self.finished_at >= self.started_at else timezone.now()
        return max((end - self.started_at).total_seconds(), 0.0)

    @property
    def rate(self) -> float | None:
        """Rows per second in the current run; None before any row is done."""
        elapsed = self.elapsed_seconds
        rows = self.processed_rows - self.rows_at_start
        if elapsed <= 0 or rows <= 0:
            return None
        return rows / elapsed

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate while running; None when unknown or not running."""
        rate = self.rate
        if self.status != self.Status.RUNNING or not rate or not self.total_rows:
            return None
        return max(self.total_rows - self.processed_rows, 0) / rate

    KIND_LABELS = {
        "registrations": _("Registrations"),
        "activations": _("Activations"),
        "agents": _("Agents"),
        "points": _("Registration points"),
    }

    @property
    def kind_label(self) -> str:
        """The kind in words (issue 13: pages showed "registrations"); the code stays for machines."""
        return str(self.KIND_LABELS.get(self.kind, self.kind))


# The webhooks sub-package's models live with it (DESIGN section 8); imported here so they belong to core.
from .webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
