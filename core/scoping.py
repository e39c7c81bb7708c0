"""Province scoping: every list, detail, API view, export and report starts here.

A user limited to some provinces sees only objects in them; a direct URL to any other object
answers 404, exactly like an object that does not exist (no hint that it does).
"""

from django.db import models
from django.http import Http404


def province_scope(user) -> frozenset[str] | None:
    """Province codes the user may see; None means every province."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser or user.all_provinces:
        return None
    if not hasattr(user, "_province_scope_cache"):
        user._province_scope_cache = frozenset(user.provinces.values_list("code", flat=True))
    return user._province_scope_cache


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the path to its object's province (`Model.scope_province_field`)."""

    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        scope = province_scope(user)
        if scope is None:
            return self
        return self.filter(**{f"{self.model.scope_province_field}__in": scope})


def access_object(queryset, user, **lookups):
    """One object the user may see, or 404 for "not there" and "not yours" alike."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset.objects.all()
    try:
        return queryset.for_user(user).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def user_can_see_province(user, province_code: str | None) -> bool:
    scope = province_scope(user)
    return scope is None or (province_code is not None and province_code in scope)
