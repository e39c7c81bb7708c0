"""One filter backend for every API list: django-filter's, refusing a blank filter value.

The pages' forms send "" for "any"; an API caller leaves the filter out instead. django-filter would take
`?seen_from=` as no filter at all, so a request the schema calls invalid (a date that is not a date) was
answered 200: schemathesis's negative tests found it. A FilterSet lists in BLANK_ALLOWED the parameters
whose blank value means something (the flag queue's `status=`: every status).
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            allowed = set(getattr(filterset_class, "BLANK_ALLOWED", ()))
            blank = [
                name
                for name in filterset_class.base_filters
                if name in request.query_params and not request.query_params[name].strip() and name not in allowed
            ]
            if blank:
                raise ValidationError(dict.fromkeys(blank, [_("Leave the filter out for any value.")]))
        return super().filter_queryset(request, queryset, view)
