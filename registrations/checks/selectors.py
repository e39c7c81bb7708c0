"""Reads for the flag queue, the flag page, the rules and check-run pages and the flags API.

Everything starts from `Flag.objects.for_user(user)` (scoped by the flag's point's province): a flag
on an activation has no point, so only users with every province see it. The evidence of a flag is
read through the registration selectors, so it is scoped too, and each list is bounded.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, Count, F, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from agents.blacklist import selectors as blacklist_selectors
from agents.models import Agent, RegistrationPoint
from core.scoping import access_object

from ..models import (
    Activation,
    CheckRun,
    Flag,
    FlagEvent,
    FlagStatus,
    Registration,
    RegistrationStatus,
    Rule,
    RuleVersion,
    SubjectType,
)
from ..records import selectors
from .rules.catalogue import BY_CODE
from .rules.params import parameter_schema

EVIDENCE_LIMIT = 50
FLAG_TABLE = Flag._meta.db_table
HISTORY_LIMIT = 100
QUEUE_SORTS = ("-last_seen", "last_seen")
# The queue counts each rule's flags up to this many and then says "more than" (issue 15): an exact count of
# half a million open flags cost the page most of a second, and a reader needs the order of magnitude.
QUEUE_COUNT_CAP = 10_000
# Default parameters of the rules whose evidence depends on one (DESIGN section 5).
BURST_WINDOW_MINUTES = 10


def _flags(user):
    return (
        Flag.objects.for_user(user)
        .select_related("rule", "point", "agent", "reviewer")
        # the registration's external id, the activation's ICCID or the agent's or point's code, without
        # loading (and decrypting) the subject
        .annotate(
            subject_key=Coalesce(
                F("registration__external_id"),
                F("activation__iccid"),
                Case(
                    When(subject_type=SubjectType.AGENT, then=F("agent__code")),
                    When(subject_type=SubjectType.POINT, then=F("point__code")),
                ),
            )
        )
    )


def blacklist_matches(*, user, flag: Flag) -> list:
    """BLACKLISTED_AGENT: what its agent or point matched (kind, masked value, the entry), as it is now."""
    if flag.rule.code != "BLACKLISTED_AGENT" or flag.agent_id is None:
        return []
    if flag.subject_type == SubjectType.POINT and flag.point_id:
        return blacklist_selectors.matches(user=user, point=flag.point)
    return blacklist_selectors.matches(user=user, agent=flag.agent)


def flag_list(*, user):
    """Flags in the user's provinces with what a queue row shows: rule, point, agent, subject key."""
    return _flags(user).defer("rule__description_en", "rule__description_vi", "rule__parameters")


def queue_rows(*, user):
    """The flag queue's rows: each flag's own columns and, as correlated subqueries, what a row shows of its
    rule, subject, point and agent (issue 15). Joining those five tables instead cost PostgreSQL 3-7 ms of
    planning on every page (join orders of six tables) for 0.5 ms of execution; single-row subqueries plan in
    0.2 ms. Written as SQL: seven Subquery expressions cost more to compile on every page than the query takes.
    Rows carry `rule_code`, `rule_name_en`, `rule_name_vi`, `subject_key`, `point_code`, `agent_code`."""

    def one(model, column: str, key: str) -> str:  # names from the models' metadata only
        return f'(SELECT t."{column}" FROM "{model._meta.db_table}" t WHERE t."id" = "{FLAG_TABLE}"."{key}")'  # noqa: S608

    columns = {
        "rule_code": one(Rule, "code", "rule_id"),
        "rule_name_en": one(Rule, "name_en", "rule_id"),
        "rule_name_vi": one(Rule, "name_vi", "rule_id"),
        "subject_key": (
            f"COALESCE({one(Registration, 'external_id', 'registration_id')}, "
            f"{one(Activation, 'iccid', 'activation_id')})"
        ),
        "point_code": one(RegistrationPoint, "code", "point_id"),
        "agent_code": one(Agent, "code", "agent_id"),
    }
    return (
        Flag.objects.for_user(user)
        .annotate(**{name: RawSQL(sql, ()) for name, sql in columns.items()})  # noqa: S611 - no value in the SQL
        .only("severity", "status", "subject_type", "subject_id", "point_id", "agent_id", "last_seen")
    )


def flag_get(*, user, pk) -> Flag:
    """One flag the user may see, with its subject; 404 for "not there" and "not yours" alike."""
    queryset = _flags(user).select_related("registration__point", "registration__agent", "activation")
    return access_object(queryset, user, pk=pk)


def rule_counts(queryset) -> list[dict]:
    """[{"code", "rule_severity", "name_en", "name_vi", "n"}] per rule for the flags of `queryset`, in one
    GROUP BY; pages show the name in the reader's language (flag_tags.rule_name), not the code."""
    return list(
        queryset.order_by()
        .values(
            code=F("rule__code"),
            rule_severity=F("rule__severity"),
            name_en=F("rule__name_en"),
            name_vi=F("rule__name_vi"),
        )
        .annotate(n=Count("pk"))
        .order_by("code")
    )


# Sources that count the queue's flags per rule exactly without reading the flags (reports.dashboard registers
# its trigger-kept tally, on PostgreSQL): each answers {rule id: count} or None when it cannot serve the user
# and filters asked. Registered by a later app, so that this one does not import it (DESIGN section 8).
_RULE_COUNT_SOURCES: list = []


def register_rule_count_source(source) -> None:
    """`source(user, filters)` -> {rule id: count} or None; `filters` are the queue's cleaned filters but the
    rule's (FlagFilter's form.cleaned_data)."""
    if source not in _RULE_COUNT_SOURCES:
        _RULE_COUNT_SOURCES.append(source)


def queue_rule_counts(queryset, *, user, filters: dict | None) -> list[dict]:
    """The queue's per-rule counts (rows as rule_counts_capped's) of `queryset`, the flags under every filter
    but the rule: from a registered exact source when one answers for these filters (`filters` None: none is
    asked), otherwise counted, each up to QUEUE_COUNT_CAP."""
    if filters is not None:
        for source in _RULE_COUNT_SOURCES:
            found = source(user, filters)
            if found is not None:
                return _count_rows(found, cap=None)
    return rule_counts_capped(queryset)


def _rules() -> list[dict]:
    return list(Rule.objects.order_by("code").values("id", "code", "name_en", "name_vi", rule_severity=F("severity")))


def _count_rows(found: dict[int, int], *, cap: int | None, rules: list[dict] | None = None) -> list[dict]:
    """Rows of the rules with flags, in code order; past `cap` (if any) a row says n = cap, capped = True."""
    rows = []
    for rule in _rules() if rules is None else rules:
        n = found.get(rule["id"], 0)
        if n:
            rule_id = rule.pop("id")
            capped = cap is not None and n > cap
            rows.append({**rule, "n": min(n, cap) if capped else n, "capped": capped, "rule_id": rule_id})
    return rows


def rule_counts_capped(queryset, *, cap: int | None = None) -> list[dict]:
    """As rule_counts, each count stopping at `cap`: a row whose rule has more flags than that says
    n = cap and capped = True ("more than 10,000"). Each rule reads at most cap + 1 index entries
    (flag_rule_status_idx), so the cost no longer grows with the table: one query on PostgreSQL (a UNION
    ALL of one LIMITed SELECT per rule, counted by rule), one per rule where a compound statement cannot
    hold a LIMIT (SQLite)."""
    cap = QUEUE_COUNT_CAP if cap is None else cap
    rules = _rules()
    rule_ids = [rule["id"] for rule in rules]
    base = queryset.order_by().values("rule_id")
    found: dict[int, int] = {}
    if rule_ids and connection.features.supports_slicing_ordering_in_compound:
        # Django's SQL of the filtered flags, compiled once (not once per rule: issue 15), its values kept as
        # parameters; one LIMITed SELECT of it per rule, which PostgreSQL flattens into an index scan
        sql, params = base.query.sql_with_params()
        part = f"(SELECT f.rule_id FROM ({sql}) f WHERE f.rule_id = %s LIMIT {int(cap) + 1})"  # noqa: S608
        union = " UNION ALL ".join([part] * len(rule_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rule_id, COUNT(*) FROM ({union}) capped GROUP BY rule_id",  # noqa: S608
                [value for rule_id in rule_ids for value in (*params, rule_id)],
            )
            found = dict(cursor.fetchall())
    else:
        found = {rule_id: base.filter(rule_id=rule_id)[: cap + 1].count() for rule_id in rule_ids}
    return _count_rows(found, cap=cap, rules=rules)


def flag_history(flag: Flag, limit: int = HISTORY_LIMIT) -> list[FlagEvent]:
    return list(flag.events.select_related("actor").order_by("-at", "-id")[:limit])


def open_flag_counts(*, user) -> dict[int, int]:
    """Open flags per rule id in the user's provinces (one GROUP BY)."""
    rows = (
        Flag.objects.for_user(user).filter(status=FlagStatus.OPEN).order_by().values("rule_id").annotate(n=Count("pk"))
    )
    return {row["rule_id"]: row["n"] for row in rows}


def rule_list():
    return Rule.objects.select_related("updated_by").order_by("code")


def rule_get(*, code: str) -> Rule:
    """Rules are not personal data nor in a province: every user with view_rule sees them all."""
    rule = Rule.objects.select_related("updated_by").filter(code=code).first()
    if rule is None:
        raise Http404
    return rule


@dataclass
class VersionRow:
    """One saved version of a rule and what the first check run after it did with that rule's flags."""

    version: RuleVersion
    run: CheckRun | None = None  # the first finished run that judged the rule with this version
    new: int = 0  # flags raised or reopened by that run, in the user's provinces
    resolved: int = 0
    is_current: bool = False
    values: list = field(default_factory=list)  # (label, value) per parameter, in words


def rule_versions(*, rule: Rule, user, limit: int = 20) -> list[VersionRow]:
    """The rule's versions, newest first, each with the effect of the next check run (issue 13): the flag
    events that run wrote for this rule, counted in the user's provinces (one query per version shown)."""
    versions = list(rule.versions.select_related("changed_by").order_by("-version")[:limit])
    if not versions:
        return []
    since = min(v.changed_at for v in versions)
    runs = list(
        CheckRun.objects.filter(status=CheckRun.Status.DONE, started_at__gte=since)
        .order_by("started_at", "id")
        .only("id", "started_at", "rule_codes")[:500]
    )
    flags = Flag.objects.for_user(user).filter(rule=rule)
    schema = parameter_schema(rule.code) if rule.code in BY_CODE else ()
    rows = []
    for version in versions:
        row = VersionRow(version=version, is_current=version.version == rule.version)
        row.values = [(p.label, version.parameters.get(p.name)) for p in schema if p.name in version.parameters]
        row.run = next(
            (r for r in runs if r.started_at >= version.changed_at and rule.code in (r.rule_codes or [])), None
        )
        if row.run is not None and (row.is_current or _before_next(version, versions, row.run)):
            counts = (
                FlagEvent.objects.filter(check_run=row.run, flag__in=flags)
                .order_by()
                .values("to_status")
                .annotate(n=Count("pk"))
            )
            by_status = {c["to_status"]: c["n"] for c in counts}
            row.new = by_status.get(FlagStatus.OPEN, 0)
            row.resolved = by_status.get(FlagStatus.RESOLVED, 0)
        else:
            row.run = None  # the next version came before any run used this one
        rows.append(row)
    return rows


def _before_next(version: RuleVersion, versions: list[RuleVersion], run: CheckRun) -> bool:
    later = [v for v in versions if v.version > version.version]
    return not later or run.started_at < min(v.changed_at for v in later)


def checkrun_list():
    return CheckRun.objects.select_related("started_by").order_by("-started_at", "-id")


def checkrun_get(*, pk) -> CheckRun:
    run = checkrun_list().filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


# --- evidence ---


@dataclass
class EvidenceSection:
    """One list of evidence on the flag page: registrations or activations, at most `limit` of them."""

    key: str
    title: str
    kind: str  # "registrations" or "activations"
    items: list
    more: bool
    total: int | None = None
    help: str = ""
    labels: dict = field(default_factory=dict)  # pk -> a label such as "identity A", shown next to the row
    label_title: str = ""


def _bounded(queryset, limit: int) -> tuple[list, bool]:
    items = list(queryset[: limit + 1])
    return items[:limit], len(items) > limit


def _letter_labels(items, key, prefix) -> dict:
    """Label rows by a value they share without showing the value: the first distinct value is A, then B…"""
    letters: dict = {}
    labels = {}
    for item in items:
        value = key(item)
        if value is None:
            continue
        if value not in letters:
            n = len(letters)
            letters[value] = chr(ord("A") + n) if n < 26 else str(n + 1)
        labels[item.pk] = f"{prefix} {letters[value]}"
    return labels


def _counted(user):
    """Registrations the group rules count (not cancelled), in the user's scope, in the rules' order."""
    return (
        selectors.registration_list(user=user)
        .exclude(status=RegistrationStatus.CANCELLED)
        .order_by("registered_at", "external_id")
    )


def _same_document(user, flag, limit) -> list[EvidenceSection]:
    reg = flag.registration
    if reg is None or not reg.id_doc_hash:
        return []
    group = _counted(user).filter(id_doc_hash=reg.id_doc_hash)
    items, more = _bounded(group, limit)
    labels = {}
    if flag.rule.code == "CONFLICTING_IDENTITY":
        labels = _letter_labels(
            items,
            lambda r: (r.name_key, r.date_of_birth) if r.name_key and r.date_of_birth else None,
            _("identity"),
        )
    return [
        EvidenceSection(
            key="same-document",
            title=_("Registrations on the same ID document (not cancelled), oldest first"),
            kind="registrations",
            items=items,
            more=more,
            total=group.count() if more else len(items),
            help=_(
                "Names and birth dates stay masked; rows with the same identity letter have the same name and date "
                "of birth."
            )
            if labels
            else "",
            labels=labels,
            label_title=_("Identity") if labels else "",
        )
    ]


def _same_portrait(user, flag, limit) -> list[EvidenceSection]:
    reg = flag.registration
    if reg is None or not reg.portrait_sha256:
        return []
    group = _counted(user).filter(portrait_sha256=reg.portrait_sha256)
    items, more = _bounded(group, limit)
    return [
        EvidenceSection(
            key="same-portrait",
            title=_("Registrations with the same portrait (not cancelled), oldest first"),
            kind="registrations",
            items=items,
            more=more,
            total=group.count() if more else len(items),
            help=_("Rows with the same document letter are on the same ID document."),
            labels=_letter_labels(items, lambda r: r.id_doc_hash or None, _("document")),
            label_title=_("Document"),
        )
    ]


def burst_window_minutes(flag: Flag) -> int:
    """The window of the run that raised the flag: its recorded parameters, else the rule's, else the default."""
    for params in (flag.parameters or {}, flag.rule.parameters or {}):
        value = params.get("window_minutes")
        if isinstance(value, int) and value > 0:
            return value
    return BURST_WINDOW_MINUTES


def _burst(user, flag, limit) -> list[EvidenceSection]:
    reg = flag.registration
    if reg is None or reg.point_id is None:
        return []
    minutes = burst_window_minutes(flag)
    window = _counted(user).filter(
        point_id=reg.point_id,
        registered_at__gt=reg.registered_at - dt.timedelta(minutes=minutes),
        registered_at__lte=reg.registered_at,
    )
    items, more = _bounded(window, limit)
    return [
        EvidenceSection(
            key="burst",
            title=_("Registrations at this point in the %(minutes)d minutes up to this one (not cancelled)")
            % {"minutes": minutes},
            kind="registrations",
            items=items,
            more=more,
            total=window.count() if more else len(items),
        )
    ]


def _sim(user, flag, limit) -> list[EvidenceSection]:
    iccid = flag.registration.iccid if flag.registration_id else flag.activation.iccid if flag.activation_id else ""
    if not iccid:
        return []
    activations, more_activations = _bounded(
        selectors.activation_list(user=user).filter(iccid=iccid).order_by("-activated_at", "-id"), limit
    )
    registrations = selectors.registration_list(user=user).filter(iccid=iccid).order_by("registered_at", "id")
    if flag.registration_id:
        registrations = registrations.exclude(pk=flag.registration_id)
    reg_items, more_regs = _bounded(registrations, limit)
    return [
        EvidenceSection(
            key="activations",
            title=_("Activations of this SIM"),
            kind="activations",
            items=activations,
            more=more_activations,
        ),
        EvidenceSection(
            key="sim-registrations",
            title=_("Other registrations of this SIM") if flag.registration_id else _("Registrations of this SIM"),
            kind="registrations",
            items=reg_items,
            more=more_regs,
            help=_("Cancelled registrations do not count as a registration of the SIM.") if flag.activation_id else "",
        ),
    ]


EVIDENCE = {
    "EXCESS_SIMS_PER_ID": _same_document,
    "CONFLICTING_IDENTITY": _same_document,
    "REUSED_PORTRAIT": _same_portrait,
    "REGISTRATION_BURST": _burst,
    "PREACTIVATED": _sim,
    "ACTIVATED_UNREGISTERED": _sim,
}
# Rules judged on the point and its agent: the page shows their authorisation, status and opening hours.
POINT_RULES = frozenset({"UNAUTHORISED_POINT", "OUTSIDE_HOURS"})


def flag_evidence(*, user, flag: Flag, limit: int | None = None) -> list[EvidenceSection]:
    """The other records a group rule judged together with the flag's subject (one or two queries each)."""
    build = EVIDENCE.get(flag.rule.code)
    return build(user, flag, limit or EVIDENCE_LIMIT) if build else []
