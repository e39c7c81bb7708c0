from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from core.crypto import EncryptedTextField, pii_digest
from core.models import ImportJob
from core.scoping import ScopedQuerySet

from . import validators


class Channel(models.TextChoices):
    POINT = "POINT", _("At a registration point")
    APP = "APP", _("Operator's app")


class PopulationCheck(models.TextChoices):
    MATCH = "MATCH", _("Matches the population database")
    MISMATCH = "MISMATCH", _("Does not match")
    PENDING = "PENDING", _("Pending")
    NOT_CHECKED = "NOT_CHECKED", _("Not checked")


class RegistrationStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    CANCELLED = "CANCELLED", _("Cancelled")


class Registration(models.Model):
    """One subscriber registration of one SIM, as the operator's systems report it.

    Stored as given, even when it breaks a rule: it is evidence. The ID number and the address are
    encrypted; lookups and grouping by ID document use `id_doc_hash` (HMAC of type + normalised number).

    The three digests (`id_doc_hash`, `portrait_sha256`, `row_fingerprint`) are 32-byte bytea, NULL when there
    is none (issue 15): half the width of 64 hexadecimal characters in the row and in reg_doc_idx and
    reg_portrait_idx, and NULL never equals NULL, which is what the rules need ("blank values never match
    each other") on PostgreSQL and SQLite alike. Pages, the API and exports show them as hex
    (core.crypto.digest_hex); registrations.csv still carries portrait_sha256 as 64 hexadecimal characters.
    """

    # Unique and indexed through Meta (constraints, indexes), not unique=True / db_index=True: on
    # PostgreSQL those add a second "_like" index per column for LIKE queries that nothing runs, and each
    # index costs every imported row (registrations.imports; measured in bench/registrations_import.py).
    external_id = models.CharField(_("external id"), max_length=64)
    msisdn = models.CharField(_("MSISDN"), max_length=16)
    iccid = models.CharField(_("ICCID"), max_length=20)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    # No index of their own: reg_point_time_idx and reg_agent_time_idx start with these columns.
    point = models.ForeignKey(
        RegistrationPoint,
        verbose_name=_("point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,
    )
    clerk_code = models.CharField(_("clerk code"), max_length=64, blank=True)
    subscriber_name = models.CharField(_("subscriber name"), max_length=200, blank=True)
    # NFC, casefolded, trimmed, whitespace collapsed: what CONFLICTING_IDENTITY compares
    name_key = models.CharField(_("normalised name"), max_length=200, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    id_doc_type = models.CharField(_("ID document type"), max_length=20, blank=True)
    id_doc_number = EncryptedTextField(_("ID document number"), blank=True)
    # core.crypto.pii_digest of type + normalised number; NULL for no document (blank type or number)
    id_doc_hash = models.BinaryField(_("ID document key"), max_length=32, null=True, blank=True, editable=False)
    # Found at import from the plaintext number (the database only holds it encrypted):
    # the reason code of validators.id_number_problem / cccd_dob_problem, blank when none.
    id_number_issue = models.CharField(_("ID number problem"), max_length=40, blank=True, editable=False)
    id_dob_issue = models.CharField(_("ID/birth date problem"), max_length=40, blank=True, editable=False)
    id_issue_date = models.DateField(_("ID issue date"), null=True, blank=True)
    id_issue_place = models.CharField(_("ID issue place"), max_length=200, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    has_portrait = models.BooleanField(_("portrait photo"), default=False)
    has_id_front = models.BooleanField(_("ID front photo"), default=False)
    has_id_back = models.BooleanField(_("ID back photo"), default=False)
    # the portrait's SHA-256 as given (registrations.csv: 64 hexadecimal characters), NULL when not given
    portrait_sha256 = models.BinaryField(_("portrait SHA-256"), max_length=32, null=True, blank=True)
    population_check = models.CharField(
        _("population database check"),
        max_length=11,
        choices=PopulationCheck.choices,
        default=PopulationCheck.NOT_CHECKED,
    )
    status = models.CharField(
        _("status"), max_length=9, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    # When the status became CANCELLED (registrations.imports: the import that saw it, or registered_at for
    # a registration first stored cancelled); what retention (reports.subjects) counts from.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    # Set when the subscriber's personal data was erased (DESIGN section 3): the rules leave it alone from
    # then on, its flags stay as they were, and an import never writes personal data back into it.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    # No index: nothing looks rows up by job (jobs are kept as evidence, never deleted), and on a table
    # of millions each index costs every imported row. No database constraint either: only the importer
    # writes it, with its own job's id, and the check cost a lookup per imported row at each commit (about
    # 5 s of a million-row load); deleting a job still empties it (Django's SET_NULL).
    import_job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    # Keyed hash of the row as last imported (registrations.imports): a re-import writes a row only
    # when it differs, which a comparison of the encrypted columns (fresh nonce each time) cannot tell.
    # NULL for a row that no import wrote (the ORM, the demo).
    row_fingerprint = models.BinaryField(_("import fingerprint"), max_length=32, null=True, blank=True, editable=False)
    # Set by the database (migration 0013_incremental_checks): a new row takes the next value of the
    # sequence registrations_change_seq, a changed row a new one (trigger), so the incremental checks
    # (registrations.checks.incremental) find what changed since a run by one index range.
    change_seq = models.BigIntegerField(_("change sequence"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        permissions = [
            ("import_registrations", _("Can import registrations and activations")),
        ]
        # Every index and the query that needs it (README "Bulk loads"): each one costs every imported row.
        constraints = [
            # imports.writers.PostgresWriter.upsert_from: ON CONFLICT (external_id); records.filters
            # RegistrationFilter.filter_external_id; the API's lookups by external id
            models.UniqueConstraint(fields=["external_id"], name="reg_external_id_uniq"),
        ]
        indexes = [
            # records.filters RegistrationFilter.filter_msisdn; reports.subjects.services Subscriber.registrations
            models.Index(fields=["msisdn"], name="reg_msisdn_idx"),
            # search by name (issue 13): the normalised name the rules compare, exact match
            # (records.filters RegistrationFilter.filter_subscriber_name)
            models.Index(fields=["name_key"], name="reg_name_idx", condition=~models.Q(name_key="")),
            # checks.rules.sims preactivated / activated_unregistered (r.iccid = a.iccid), incremental.scope_sql
            # (PREACTIVATED), records.filters filter_iccid, records.selectors.related_records (same SIM)
            models.Index(fields=["iccid"], name="reg_iccid_idx"),
            # the incremental checks: the rows changed since a run (checks.incremental.prepare: change_seq > W)
            models.Index(fields=["change_seq"], name="reg_change_idx"),
            # checks.rules.points _at_points / registration_burst (range scans per point), incremental.scope_sql
            # and scoped_query (REGISTRATION_BURST), records.filters filter_point / filter_province, a point's
            # registrations page; the foreign key's check when a point is deleted (PROTECT)
            models.Index(fields=["point", "registered_at"], name="reg_point_time_idx"),
            # records.selectors.registration_rows: the list's keyset pages (ORDER BY registered_at DESC, id DESC),
            # filter_registered_from / _to; reports.monthly: counts of a month by registered_at
            models.Index(fields=["registered_at", "id"], name="reg_time_idx"),
            # checks.rules.documents excess_sims_per_id / conflicting_identity (_repeated: GROUP BY id_doc_hash,
            # index only; then id_doc_hash = c.value ranked by registered_at), incremental.prepare (inc_doc_rows),
            # records.filters filter_id_number, reports.subjects.services Subscriber.registrations,
            # checks.selectors._same_document, records.selectors.related_records. Partial: a row without a
            # document (NULL) is looked up by none of them (each compares with =, which implies NOT NULL).
            models.Index(
                fields=["id_doc_hash", "registered_at"],
                name="reg_doc_idx",
                condition=models.Q(id_doc_hash__isnull=False),
            ),
            # checks.rules.documents reused_portrait (_repeated: GROUP BY portrait_sha256, index only; then
            # portrait_sha256 = c.value), incremental.prepare (inc_portrait_rows), checks.selectors._same_portrait,
            # records.selectors.related_records. Partial as reg_doc_idx.
            models.Index(
                fields=["portrait_sha256"],
                name="reg_portrait_idx",
                condition=models.Q(portrait_sha256__isnull=False),
            ),
            # records.filters RegistrationFilter.filter_agent (agent_id IN (...) ORDER BY registered_at DESC);
            # the foreign key's check when an agent is deleted (PROTECT)
            models.Index(fields=["agent", "registered_at"], name="reg_agent_time_idx"),
            # the few records whose population check is not a match: checks.rules.records population_mismatch
            # and unverified_identity, the list's population-check filter
            models.Index(
                fields=["population_check", "registered_at", "id"],
                name="reg_popcheck_idx",
                condition=~models.Q(population_check="MATCH"),
            ),
            # The few records that break a record rule: INCOMPLETE_RECORD, MISSING_PHOTOS, INVALID_ID_NUMBER
            # and ID_DOB_MISMATCH (checks.rules.records incomplete_record, missing_photos; checks.rules.documents
            # invalid_id_number, id_dob_mismatch) read these small partial indexes instead of the whole table;
            # their SQL repeats each condition so that the planner can use them.
            models.Index(
                fields=["id"],
                name="reg_incomplete_idx",
                condition=models.Q(subscriber_name="")
                | models.Q(date_of_birth__isnull=True)
                | models.Q(id_doc_type="")
                | models.Q(id_doc_number="")
                | models.Q(id_doc_hash__isnull=True)
                | models.Q(id_issue_date__isnull=True)
                | models.Q(address=""),
            ),
            models.Index(
                fields=["id"],
                name="reg_photos_idx",
                condition=models.Q(has_portrait=False)
                | models.Q(id_doc_type__in=["CCCD", "CMND"], has_id_front=False)
                | models.Q(id_doc_type__in=["CCCD", "CMND"], has_id_back=False)
                | models.Q(id_doc_type="PASSPORT", has_id_front=False),
            ),
            models.Index(fields=["id"], name="reg_id_issue_idx", condition=~models.Q(id_number_issue="")),
            models.Index(fields=["id"], name="reg_dob_issue_idx", condition=~models.Q(id_dob_issue="")),
            # the few anonymised registrations, which take no part in any rule: checks.recording drops them from
            # every rule's hits and keeps their flags as they are (`frozen`); without it each flag probed the
            # table by its key (61,124 probes, 0.69 s of an incremental run's 4.3 s of such counts at 10M rows)
            models.Index(fields=["id"], name="reg_anonymised_idx", condition=models.Q(anonymised_at__isnull=False)),
            # retention: the few cancelled registrations not yet anonymised (reports.subjects.retention_due)
            models.Index(
                fields=["cancelled_at"],
                name="reg_retention_idx",
                condition=models.Q(cancelled_at__isnull=False, anonymised_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.external_id

    def save(self, *args, **kwargs):
        # The importer and the demo compute the rule-facing columns in bulk; a registration created one
        # at a time (shell, admin, a test) gets them here, so the rules judge it the same way. Only on
        # creation: a later save (e.g. a subject's erasure request blanking the number) keeps the keyed
        # hash as evidence.
        if self._state.adding:
            self.fill_derived()
            if self.status == RegistrationStatus.CANCELLED and self.cancelled_at is None:
                self.cancelled_at = self.registered_at  # first stored cancelled: the earliest it could have been
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """Compute name_key, id_doc_hash, id_number_issue and id_dob_issue (and the point's agent) from the values."""
        if self.point_id and not self.agent_id:
            self.agent_id = self.point.agent_id
        self.name_key = validators.name_key(self.subscriber_name)[:200]
        self.id_doc_hash = pii_digest(self.id_doc_type, self.id_doc_number)
        doc_type = (self.id_doc_type or "").strip()
        self.id_number_issue = validators.id_number_problem(doc_type, self.id_doc_number, self.nationality) or ""
        self.id_dob_issue = (
            (validators.cccd_dob_problem(self.id_doc_number, self.date_of_birth, self.gender) or "")
            if doc_type == validators.CCCD
            else ""
        )


class Activation(models.Model):
    """First network use of a SIM, from the network side; per ICCID the earliest seen is kept."""

    # Unique and indexed through Meta, as on Registration (no unused "_like" indexes).
    iccid = models.CharField(_("ICCID"), max_length=20)
    msisdn = models.CharField(_("MSISDN"), max_length=16)
    activated_at = models.DateTimeField(_("activated at"), db_index=True)
    change_seq = models.BigIntegerField(_("change sequence"), default=0, editable=False)  # as on Registration
    # No index: nothing looks rows up by job (jobs are kept as evidence, never deleted), and on a table
    # of millions each index costs every imported row. No database constraint either: only the importer
    # writes it, with its own job's id, and the check cost a lookup per imported row at each commit (about
    # 5 s of a million-row load); deleting a job still empties it (Django's SET_NULL).
    import_job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-activated_at", "-id"]
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        constraints = [
            models.UniqueConstraint(fields=["iccid"], name="act_iccid_uniq"),
        ]
        indexes = [
            models.Index(fields=["msisdn"], name="act_msisdn_idx"),
            models.Index(fields=["change_seq"], name="act_change_idx"),
        ]

    def __str__(self):
        return self.iccid


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class SubjectType(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    ACTIVATION = "activation", _("Activation")
    POINT = "point", _("Registration point")
    AGENT = "agent", _("Agent")


class Rule(models.Model):
    """One check of DESIGN section 5; the code is a contract, the parameters are editable and versioned."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    description_en = models.TextField(_("description (English)"))
    description_vi = models.TextField(_("description (Vietnamese)"))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    subject_type = models.CharField(_("subject"), max_length=12, choices=SubjectType.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        "core.User", verbose_name=_("updated by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        permissions = [
            ("run_checks", _("Can run the checks now")),
            ("review_flag", _("Can confirm or dismiss flags")),
        ]

    def __str__(self):
        return self.code


class RuleVersion(models.Model):
    """One version of a rule as it was saved: switch, parameters, who, when and why (issue 13: governance).

    A change is a new version; a rollback is a new version with an earlier one's values. The reason is
    required for every change and kept here and on the audit row.
    """

    rule = models.ForeignKey(Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    enabled = models.BooleanField(_("enabled"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        "core.User", verbose_name=_("changed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"))
    rolled_back_from = models.PositiveIntegerField(_("restores version"), null=True, blank=True)

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="rule_version_unique")]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")

    def __str__(self):
        return f"{self.rule_id} v{self.version}"


class FlagStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    CONFIRMED = "CONFIRMED", _("Confirmed")
    DISMISSED = "DISMISSED", _("Dismissed")
    RESOLVED = "RESOLVED", _("Resolved")


class Flag(models.Model):
    """A rule's finding on one subject; unique per (rule, subject), so re-running never duplicates."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="flags", db_index=False
    )
    subject_type = models.CharField(_("subject type"), max_length=12, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject id"))
    # the subject and where it happened, for joins, scoping and the queue's filters
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    activation = models.ForeignKey(Activation, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    # No index of their own (flag_point_idx, flag_agent_idx and flag_rule_subject_uniq start with these
    # columns): every check run rewrites last_seen on its flags, and each index costs each of those writes.
    point = models.ForeignKey(
        RegistrationPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="flags", db_index=False
    )
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="flags", db_index=False
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=9, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    rule_version = models.PositiveIntegerField(_("rule version"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    reviewer = models.ForeignKey(
        "core.User", verbose_name=_("reviewer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        # subject_type too: BLACKLISTED_AGENT flags agents and points, whose ids may be equal
        constraints = [
            models.UniqueConstraint(fields=["rule", "subject_id", "subject_type"], name="flag_rule_subject_uniq")
        ]
        indexes = [
            models.Index(fields=["status", "severity", "last_seen"], name="flag_queue_idx"),
            # the queue's keyset pages: WHERE status = … ORDER BY last_seen DESC, id DESC (issue 15)
            models.Index(fields=["status", "last_seen", "id"], name="flag_status_seen_idx"),
            # the queue's capped counts per rule: WHERE rule_id = … AND status = … LIMIT cap + 1, index only;
            # the point is there for the province scope's join (a user limited to some provinces)
            models.Index(fields=["rule", "status", "point"], name="flag_rule_status_idx"),
            models.Index(fields=["point", "status"], name="flag_point_idx"),
            models.Index(fields=["agent", "status"], name="flag_agent_idx"),
        ]

    def __str__(self):
        return f"{self.rule_id} {self.subject_type} {self.subject_id}"


class FlagEvent(models.Model):
    """History of a flag: raised, seen again, confirmed, dismissed, resolved, reopened."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        "core.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(_("from"), max_length=9, choices=FlagStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=9, choices=FlagStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    check_run = models.ForeignKey("CheckRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("flag event")
        verbose_name_plural = _("flag events")

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"


class CheckRun(models.Model):
    """One run of the rules: who or what started it, per-rule counts and timings, progress."""

    class Trigger(models.TextChoices):
        COMMAND = "COMMAND", _("Command")
        PAGE = "PAGE", _("Run now")
        SCHEDULE = "SCHEDULE", _("Nightly schedule")

    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    trigger = models.CharField(_("started by"), max_length=8, choices=Trigger.choices)
    started_by = models.ForeignKey(
        "core.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.RUNNING)
    rule_codes = models.JSONField(_("rules"), default=list)
    # {code: {"status", "new", "still_open", "resolved", "seconds"}}
    results = models.JSONField(_("results per rule"), default=dict, blank=True)
    rows_scanned = models.PositiveBigIntegerField(_("rows scanned"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Where the next incremental run starts (registrations.checks.incremental): {"seq": the highest
    # change_seq when the run started, "status_change": the highest StatusChange id, "as_of": the
    # instant its rules judged against, "mode": "full" or "incremental"}.
    watermark = models.JSONField(_("watermark"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")

    def __str__(self):
        # no word of one language (audit rows keep it as written) and local time, as every page shows times
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class KeyChange(models.Model):
    """The keys a registration or an activation had before an update or a delete (written by the trigger
    of migration 0013_incremental_checks, PostgreSQL): the groups it left (its former document, portrait,
    point and time, ICCID), which the incremental checks judge again along with the groups it joined."""

    seq = models.BigIntegerField(_("change sequence"))
    # as on Registration (bytea, NULL for none): compared with the registrations' columns in SQL
    id_doc_hash = models.BinaryField(null=True, blank=True)
    portrait_sha256 = models.BinaryField(null=True, blank=True)
    point_id = models.BigIntegerField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    iccid = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("former keys of a changed row")
        indexes = [models.Index(fields=["seq"], name="keychange_seq_idx")]

    def __str__(self):
        return str(self.seq)
