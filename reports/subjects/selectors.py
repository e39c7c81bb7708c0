"""Reads of subscriber requests; every one starts from the user's province scope.

A request covers all the subscriber's registrations. A user limited to some provinces sees (and may act
on) a request only when every one of its registrations lies in those provinces; a request with a
registration elsewhere, in no province (APP channel) or with none found is for users with every province,
and answers 404 to the others exactly like a request that does not exist (SubjectRequestQuerySet.for_user).
"""

from datetime import date

from django.db.models import Q
from django.utils import timezone

from core.scoping import access_object

from .models import SubjectRequest

CLOSED = (SubjectRequest.Status.DONE, SubjectRequest.Status.REJECTED)
LIST_SORTS = ("-received_at", "due")


def subject_request_list(*, user):
    return SubjectRequest.objects.for_user(user).select_related("created_by", "verified_by", "completed_by")


def subject_request_get(*, user, pk) -> SubjectRequest:
    return access_object(subject_request_list(user=user), user, pk=pk)


def overdue_q(today: date) -> Q:
    """Not DONE or REJECTED, and past its completion date or (not yet acknowledged) its acknowledgement date."""
    return ~Q(status__in=CLOSED) & (Q(due__lt=today) | Q(ack_due__lt=today, acknowledged_at__isnull=True))


def overdue(queryset, today: date | None = None):
    return queryset.filter(overdue_q(today or timezone.localdate()))
