"""View helpers every app shares: a service's ValidationError onto a form or into an API answer, a
streamed, audited CSV export, and searches by personal values that keep them out of URLs. Keyset
pagination is `core.pagination` (one pager: includes/pager.html).

Views stay thin: they parse input, call one service or selector and render; what they have in common
lives here, once.
"""

import csv
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict, StreamingHttpResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.settings import api_settings

from .audit import audit_record
from .crypto import DecryptionError, decrypt_text, encrypt_text


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


# --- searches by personal values, never in a URL ---------------------------------------------------

SEARCH_SESSION_KEY = "personal_searches"
SEARCH_TTL_SECONDS = 30 * 60
SEARCH_KEEP = 20  # a session keeps its newest searches only
SEARCH_TOKEN = "search"  # noqa: S105 - the query parameter that stands for the personal values, not a secret


def search_stash(request, data: QueryDict, *, personal: Iterable[str], namespace: str) -> QueryDict:
    """The search's parameters for a URL: `data` (a POSTed search form) without its personal values, which
    stay in the session, encrypted, for SEARCH_TTL_SECONDS, under a random token put in their place. So
    phone and ID numbers reach neither the address bar, the browser's history nor any access log."""
    personal = set(personal)
    clean = QueryDict(mutable=True)
    values = {}
    for key in data:
        if key == "csrfmiddlewaretoken" or key == SEARCH_TOKEN:
            continue
        if key in personal:
            if data.get(key, "").strip():
                values[key] = data.get(key)
            continue
        for value in data.getlist(key):
            if value != "":
                clean.appendlist(key, value)
    if values:
        now = time.time()
        stored = {
            token: entry
            for token, entry in request.session.get(SEARCH_SESSION_KEY, {}).items()
            if entry.get("expires", 0) > now
        }
        token = secrets.token_urlsafe(12)
        stored[token] = {
            "ns": namespace,
            "values": encrypt_text(json.dumps(values)),
            "expires": now + SEARCH_TTL_SECONDS,
        }
        newest = sorted(stored.items(), key=lambda item: item[1]["expires"])[-SEARCH_KEEP:]
        request.session[SEARCH_SESSION_KEY] = dict(newest)
        clean[SEARCH_TOKEN] = token
    return clean


def search_recall(request, params: QueryDict, *, namespace: str) -> tuple[QueryDict, bool]:
    """`params` (a URL's query) with the personal values its search token stands for put back: (the data
    to filter with, whether the token had expired or is unknown, in which case nothing is put back)."""
    data = params.copy()
    token = data.pop(SEARCH_TOKEN, [""])[-1]
    if not token:
        return data, False
    entry = request.session.get(SEARCH_SESSION_KEY, {}).get(token)
    if entry is None or entry.get("ns") != namespace or entry.get("expires", 0) < time.time():
        return data, True
    try:
        values = json.loads(decrypt_text(entry["values"]) or "{}")
    except (DecryptionError, ValueError):
        return data, True
    for key, value in values.items():
        data[key] = value
    return data, False


def search_stash_purge() -> int:
    """Drop the stashed searches of every stored session; how many sessions held some.

    Called when a subscriber's data is erased (registrations.records.services.registration_anonymise): a
    stash may hold the erased ID number or name (encrypted, but still there). The searches simply count as
    expired afterwards. Only database-backed sessions are stored here; other engines' stashes expire with
    SEARCH_TTL_SECONDS and the session itself.
    """
    from importlib import import_module

    from django.conf import settings

    from .middleware import current_request

    request = current_request.get()
    if request is not None and hasattr(request, "session"):
        # the session of the request doing the erasure is saved again after this: drop its copy too
        request.session.pop(SEARCH_SESSION_KEY, None)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    store, purged = store_class(), 0
    model = store_class.get_model_class()
    for session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store.decode(session.session_data)
        if SEARCH_SESSION_KEY not in data:
            continue
        del data[SEARCH_SESSION_KEY]
        model.objects.filter(pk=session.pk).update(session_data=store.encode(data))
        purged += 1
    return purged
