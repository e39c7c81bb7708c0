"""View helpers every app shares: a service's ValidationError onto a form or into an API answer, and a
streamed, audited CSV export. Keyset pagination is `core.pagination` (one pager: includes/pager.html).

Views stay thin: they parse input, call one service or selector and render; what they have in common
lives here, once.
"""

import csv
from collections.abc import Callable, Iterable, Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.settings import api_settings

from .audit import audit_record


def add_errors(
    form: forms.Form,
    exc: DjangoValidationError,
    *,
    aliases: Mapping[str, str] | None = None,
    hidden: Iterable[str] = (),
) -> None:
    """A service's ValidationError onto `form`: errors of a field the form shows go on that field (after
    renaming by `aliases`, service name -> form field), every other error on top of the form. Fields in
    `hidden` are not shown to the user (e.g. a list of ticked ids), so their errors go on top too."""
    aliases = aliases or {}
    hidden = set(hidden)
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        target = aliases.get(field, field)
        form.add_error(target if target in form.fields and target not in hidden else None, errors)


def api_error(exc: DjangoValidationError, *, aliases: Mapping[str, str] | None = None) -> ApiValidationError:
    """A service's ValidationError as the API's 400: keyed by API field names (`aliases`: service name ->
    API name), errors that belong to no field under DRF's non-field key."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        return ApiValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    return ApiValidationError(
        {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else aliases.get(field, field): messages
            for field, messages in exc.message_dict.items()
        }
    )


def call_service(service: Callable, *, error_fields: Mapping[str, str] | None = None, **kwargs):
    """Run a service from an API view; its ValidationError becomes a 400 (see `api_error`)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise api_error(exc, aliases=error_fields) from exc


class _Echo:
    """csv.writer's file: writerow returns the line instead of storing it, so it can be streamed."""

    def write(self, value):
        return value


def csv_export(
    *,
    actor,
    name: str,
    object_type: str,
    filters: Mapping[str, str],
    columns: list[str],
    rows: Iterable[Iterable],
    action: str | None = None,
) -> StreamingHttpResponse:
    """A CSV download streamed row by row (memory stays flat whatever the size), recorded in the audit
    trail with the filters it was made with (the row count is not known before the stream ends).

    `rows` should be lazy (e.g. a generator over `queryset.iterator()`): nothing is read before the
    response starts. The file is named `<name>-<local date and time>.csv`.
    """
    audit_record(
        action=action or f"{name}.export",
        actor=actor,
        object_type=object_type,
        fields={"filters": {key: value for key, value in filters.items() if value}},
    )
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow(row)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
