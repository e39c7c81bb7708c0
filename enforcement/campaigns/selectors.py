"""Reads of the campaign pages and API, scoped by the user's provinces (a campaign's province is its
point's or agent's). A campaign's figures count its cases the user may see, exactly as the remediation
case list filtered by that campaign shows them (a case's province is its registration's point's)."""

from django.db.models import Count, Q

from core.scoping import access_object

from ..remediation.models import RemediationCase
from .models import Campaign
from .progress import Progress, counts_by_campaign, done_share, empty_counts, progress_q

LIST_SORTS = ("-created_at", "created_at")


def campaign_list(*, user):
    return Campaign.objects.for_user(user).select_related("point", "agent", "province", "created_by")


def campaign_get(*, user, pk) -> Campaign:
    return access_object(
        Campaign.objects.select_related(
            "point", "agent", "province", "created_by", "closed_by", "termination", "termination__actor"
        ),
        user,
        pk=pk,
    )


def progress_for(*, user, campaigns) -> dict[int, dict]:
    """{campaign id: counts} of the user's cases of these campaigns (one query), with the done share."""
    ids = [c.pk for c in campaigns]
    counts = counts_by_campaign(RemediationCase.objects.for_user(user).filter(campaign_id__in=ids))
    result = {}
    for pk in ids:
        row = counts.get(pk, empty_counts())
        row["done"] = done_share(row)
        # (bucket, count, share of the total in %, where its bar segment starts in %)
        row["figures"], start = [], 0.0
        for bucket in Progress:
            share = _share(row.get(bucket.value, 0), row["total"])
            row["figures"].append((bucket, row.get(bucket.value, 0), share, round(start, 2)))
            start += share
        result[pk] = row
    return result


def _share(n: int, total: int) -> float:
    return 0 if not total else round(100 * n / total, 2)


def status_counts(queryset) -> dict[str, int]:
    """The filtered list's campaigns per status (one GROUP BY)."""
    rows = queryset.order_by().values("status").annotate(n=Count("id"))
    by_status = {row["status"]: row["n"] for row in rows}
    return {
        "open": by_status.get(Campaign.Status.OPEN, 0),
        "closed": by_status.get(Campaign.Status.CLOSED, 0),
        "total": sum(by_status.values()),
    }


def month_figures(*, provinces, first, last) -> dict:
    """The monthly report's campaign figures for the local days first..last, for every province (None) or the
    given codes (a campaign's province is its point's or agent's):

    - `open`: campaigns open at the month's end (created before it, not closed or withdrawn before it), by
      the campaign's province (as the campaign list counts them: `?open_on=<last day>`);
    - `by_progress`: the cases of the campaigns that were open at some time in the month (created before its
      end, not closed or withdrawn before its start), by how they stand when the report is computed
      (progress.py), by the case's province (its registration's point's), as the case list and the
      campaign page count a campaign's cases (`?campaign_open_from=&campaign_open_to=&progress=`).
    """
    from datetime import timedelta

    from .services import day_start

    start, end = day_start(first), day_start(last + timedelta(days=1))
    campaigns = Campaign.objects.filter(created_at__lt=end)
    cases = RemediationCase.objects.all()
    if provinces is not None:
        cases = cases.filter(registration__point__province__in=provinces)
    active = campaigns.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    if provinces is not None:
        campaigns = campaigns.filter(province__in=provinces)
    still_open = campaigns.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    counts = cases.filter(campaign__in=active).aggregate(
        **{bucket: Count("id", filter=progress_q(bucket)) for bucket in Progress.values}
    )
    return {"open": still_open.count(), "by_progress": {bucket: counts[bucket] for bucket in Progress.values}}
