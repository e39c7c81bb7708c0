"""How a campaign case stands, defined once (services, pages, API, report and webhook all count with it):

- PENDING: the case is open (still on the ladder's clock);
- REVERIFIED: closed REVERIFIED: the population-database check became MATCH (it was not MATCH when the case
  opened, or a later import re-delivered the record with MATCH), identity fields unchanged;
- CORRECTED: closed CORRECTED: a later import changed the identity fields (normalised name, date of birth,
  gender, document type or number) and the check is MATCH;
- TERMINATED: closed for any other reason: the operator reported the subscription terminated, a later
  import cancelled it, or the subscriber's data were erased (the subscription is no longer live on record);
- WITHDRAWN: closed WITHDRAWN: a manager withdrew the campaign as started by mistake while the case was
  still open. Its own bucket, not TERMINATED (the subscription was not terminated: nobody re-verified it
  either, it was never meant to be on the ladder) and not PENDING (nothing more will happen to it). Cases
  the campaign had already settled keep their bucket; steps already sent stay on record with their list
  issue and any outcome the operator reports.

Every case is in exactly one of them, so the five add up to the campaign's cases; "done" (no longer
pending) counts the withdrawn ones, so a withdrawn campaign is 100 % done.
"""

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import pgettext_lazy


class Progress(models.TextChoices):
    REVERIFIED = "REVERIFIED", pgettext_lazy("campaign progress", "Re-verified")
    CORRECTED = "CORRECTED", pgettext_lazy("campaign progress", "Corrected")
    TERMINATED = "TERMINATED", pgettext_lazy("campaign progress", "Terminated")
    PENDING = "PENDING", pgettext_lazy("campaign progress", "Pending")
    WITHDRAWN = "WITHDRAWN", pgettext_lazy("campaign progress", "Withdrawn")


def progress_q(bucket: str, prefix: str = "") -> Q:
    """The cases of `bucket` (on RemediationCase; `prefix` e.g. "cases__" from Campaign)."""
    if bucket == Progress.PENDING:
        return Q(**{f"{prefix}status": "OPEN"})
    if bucket in (Progress.REVERIFIED, Progress.CORRECTED, Progress.WITHDRAWN):
        return Q(**{f"{prefix}status": "CLOSED", f"{prefix}close_reason": bucket})
    if bucket == Progress.TERMINATED:
        return Q(**{f"{prefix}status": "CLOSED"}) & ~Q(
            **{f"{prefix}close_reason__in": [Progress.REVERIFIED, Progress.CORRECTED, Progress.WITHDRAWN]}
        )
    raise ValueError(bucket)


def counts_by_campaign(cases) -> dict[int, dict[str, int]]:
    """{campaign id: {bucket: n, ..., "total": n}} for the given cases (one GROUP BY)."""
    rows = (
        cases.filter(campaign__isnull=False)
        .order_by()
        .values("campaign_id")
        .annotate(total=Count("id"), **{b: Count("id", filter=progress_q(b)) for b in Progress.values})
    )
    return {row.pop("campaign_id"): row for row in rows}


def empty_counts() -> dict[str, int]:
    return {**dict.fromkeys(Progress.values, 0), "total": 0}


def done_share(counts: dict) -> int:
    """Whole percent of the cases no longer pending."""
    total = counts.get("total") or 0
    return 0 if not total else round(100 * (total - counts.get(Progress.PENDING, 0)) / total)
