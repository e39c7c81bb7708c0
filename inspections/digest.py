"""The daily digest e-mail to compliance staff (DESIGN section 6, last step of the nightly chain).

One plain-text e-mail per active officer or manager with an e-mail address, bounded by that user's
provinces: overdue tasks, overdue corrective actions, critical flags nobody has reviewed in time,
sanctions awaiting their approval (managers), the flags raised in the last 24 hours, and the sections
higher apps register (core.registry.DIGEST_SECTIONS, e.g. overdue subscriber requests). Nobody is
mailed an empty digest. Written in the site's language (settings.LANGUAGE_CODE).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.registry import DIGEST_SECTIONS, DigestSection
from core.roles import Role
from core.scoping import province_scope
from registrations.models import Flag, Severity

from .escalation import overdue_actions, overdue_tasks, unreviewed_critical_flags
from .models import RiskPolicy, Sanction, SanctionStatus

logger = logging.getLogger(__name__)

# items listed per section; the rest are counted ("and 12 more")
LIST_LIMIT = 20
APPROVE_PERMISSION = "inspections.approve_sanction"


@dataclass
class Section:
    count: int = 0
    items: list = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.items), 0)


@dataclass
class Digest:
    user: object
    day: date
    tasks: Section
    actions: Section
    flags: Section
    sanctions: Section | None  # None: the user does not approve sanctions
    new_flags: dict[str, int]  # severity -> count, last 24 hours
    site_url: str = ""
    extra: list[DigestSection] = field(default_factory=list)  # registered by higher apps, non-empty only

    @property
    def new_flags_total(self) -> int:
        return sum(self.new_flags.values())

    @property
    def new_flags_labelled(self) -> list[tuple[str, int]]:
        return [(Severity(severity).label, n) for severity, n in self.new_flags.items()]

    @property
    def is_empty(self) -> bool:
        sanctions = self.sanctions.count if self.sanctions else 0
        return not (
            self.tasks.count
            or self.actions.count
            or self.flags.count
            or sanctions
            or self.new_flags_total
            or any(section.count for section in self.extra)
        )

    @property
    def extra_sections(self) -> list[dict]:
        """The registered sections with their link and how many are not listed."""
        return [
            {
                "title": section.title,
                "count": section.count,
                "items": section.items,
                "more": max(section.count - len(section.items), 0),
                "link": self.link(section.url_name) if section.url_name else "",
            }
            for section in self.extra
        ]

    def link(self, name: str) -> str:
        """An absolute link into the app, when settings.SITE_URL says where it lives."""
        if not self.site_url:
            return ""
        try:
            return f"{self.site_url}{reverse(name)}"
        except NoReverseMatch:
            return ""


def _section(queryset) -> Section:
    items = list(queryset[:LIST_LIMIT])
    count = len(items) if len(items) < LIST_LIMIT else queryset.count()
    return Section(count=count, items=items)


def recipients(exclude_user_ids=()):
    """Active officers and managers with an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=(Role.OFFICER, Role.MANAGER))
        .exclude(email="")
        .exclude(pk__in=list(exclude_user_ids))
        .distinct()
        .order_by("pk")
    )


def _new_flags_by_province(since: datetime) -> dict[str | None, dict[str, int]]:
    """Flags first seen since `since`: province code (None: no point) -> severity -> count (one query for
    everyone, then summed per user's provinces)."""
    counts: dict[str | None, dict[str, int]] = defaultdict(dict)
    rows = (
        Flag.objects.filter(first_seen__gte=since)
        .values("point__province_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["point__province_id"]][row["severity"]] = row["n"]
    return counts


def registered_sections(user, *, now: datetime) -> list[DigestSection]:
    """What the higher apps' sources say to this user (core.registry.DIGEST_SECTIONS), empty ones left out; a
    source that fails is logged and skipped, so the rest of the digest still goes out."""
    sections = []
    for _order, source in DIGEST_SECTIONS:
        try:
            section = source(user=user, now=now)
        except Exception:
            logger.exception("Digest section %r failed for user %s", source, user.pk)
            continue
        if section is not None and section.count:
            sections.append(section)
    return sections


def build_digest(user, *, now: datetime, policy: RiskPolicy, new_flags_by_province=None) -> Digest:
    """What one user's digest holds (bounded by the user's provinces)."""
    today = timezone.localdate(now)
    if new_flags_by_province is None:
        new_flags_by_province = _new_flags_by_province(now - timedelta(hours=24))
    scope = province_scope(user)
    new_flags: dict[str, int] = {}
    for province, by_severity in new_flags_by_province.items():
        if scope is None or province in scope:
            for severity, n in by_severity.items():
                new_flags[severity] = new_flags.get(severity, 0) + n
    sanctions = None
    if user.has_perm(APPROVE_PERMISSION):
        # the proposer may not decide on their own proposal
        sanctions = _section(
            Sanction.objects.for_user(user)
            .filter(status=SanctionStatus.PROPOSED)
            .exclude(proposed_by=user)
            .select_related("sanction_type", "point", "proposed_by")
            .order_by("proposed_at", "id")
        )
    return Digest(
        user=user,
        day=today,
        tasks=_section(overdue_tasks(user, today=today)),
        actions=_section(overdue_actions(user, today=today)),
        flags=_section(unreviewed_critical_flags(user, now=now, policy=policy)),
        sanctions=sanctions,
        new_flags={s.value: new_flags[s.value] for s in Severity if new_flags.get(s.value)},
        site_url=getattr(settings, "SITE_URL", "").rstrip("/"),
        extra=registered_sections(user, now=now),
    )


def render_digest(digest: Digest) -> tuple[str, str]:
    """(subject, body) in the active language."""
    subject = _("SIM Agent Watch: daily digest for %(day)s") % {"day": digest.day.isoformat()}
    body = render_to_string(
        "inspections/risk/digest_email.txt",
        {
            "d": digest,
            "links": {
                "tasks": digest.link("inspections:task_list"),
                "actions": digest.link("inspections:action_list"),
                "flags": digest.link("registrations:flag_list"),
                "sanctions": digest.link("inspections:sanction_list"),
            },
        },
    )
    return subject, body


def send_digest(*, now: datetime | None = None, exclude_user_ids=()) -> dict:
    """Mail each recipient their digest; the counts and the ids mailed.

    `exclude_user_ids`: users already mailed (a re-run of the same night passes the ones its first run
    mailed, so nobody gets it twice). A failure to send to one user is logged and counted; the others
    are still mailed.
    """
    now = now or timezone.now()
    policy = RiskPolicy.current()
    new_flags = _new_flags_by_province(now - timedelta(hours=24))
    sent, failed, empty = [], [], 0
    with translation.override(settings.LANGUAGE_CODE):
        for user in recipients(exclude_user_ids):
            digest = build_digest(user, now=now, policy=policy, new_flags_by_province=new_flags)
            if digest.is_empty:
                empty += 1
                continue
            subject, body = render_digest(digest)
            try:
                send_mail(subject, body, None, [user.email])
            except Exception:
                logger.exception("Digest e-mail to user %s failed", user.pk)
                failed.append(user.pk)
                continue
            sent.append(user.pk)
    return {"sent": len(sent), "empty": empty, "failed": len(failed), "sent_to": sent, "failed_to": failed}
