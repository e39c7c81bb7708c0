"""Reads of accounts for the user pages, always within the reader's reach (core.services.may_manage)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Province, User
from .scoping import province_scope


def user_list(*, actor: User) -> QuerySet:
    """The accounts `actor` may see: every one but superusers for a manager of all provinces; otherwise
    those limited to some of the actor's own provinces (or to none). Ordered by user name."""
    users = User.objects.filter(is_superuser=False)
    scope = province_scope(actor)
    if scope is not None:
        outside = Province.objects.exclude(code__in=scope).values("code")
        users = users.filter(all_provinces=False).exclude(provinces__code__in=outside)
    return users.prefetch_related("groups", Prefetch("provinces", queryset=Province.objects.order_by("code"))).order_by(
        "username"
    )


def user_get(*, actor: User, pk) -> User:
    """One account the actor may see; 404 for one that is not there and one outside its reach alike."""
    try:
        return user_list(actor=actor).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
