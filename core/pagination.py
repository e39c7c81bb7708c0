"""Keyset pagination for big tables: the page after a given row costs the same as the first page.

The cursor is the last row's (sort value, pk); the next page is everything after it in the
(sort field, pk) order, which an index on (field, id) answers without counting or offsets.
"""

import base64
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q


@dataclass
class KeysetPage:
    items: list
    next_query: str | None  # query string for the next page, or None on the last page
    first_query: str | None  # query string back to the first page, or None when on it
    sort: str = "-pk"


def _encode(value, pk) -> str:
    raw = json.dumps([None if value is None else str(value), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        return value, int(pk)
    except (ValueError, TypeError):
        return None


def keyset_paginate(queryset, params, *, size: int = 50, sort_options=("-pk",), default_sort="-pk") -> KeysetPage:
    """Page `queryset` by `?sort=` (one of sort_options, e.g. "name" or "-risk_score") and `?after=`."""
    sort = params.get("sort") or default_sort
    if sort not in sort_options:
        sort = default_sort
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    base = {k: v for k, v in params.items() if k != "after" and v not in ("", None)}

    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    qs = queryset.order_by(*dict.fromkeys(order))
    cursor = _cursor(queryset, field, params.get("after") or "")
    if cursor is not None:
        value, pk = cursor
        op = "lt" if descending else "gt"
        if field == "pk":
            qs = qs.filter(**{f"pk__{op}": pk})
        else:
            # written as a range plus a tie-break so the (field, id) index can start at the cursor
            qs = qs.filter(Q(**{f"{field}__{op}e": value}) & (Q(**{f"{field}__{op}": value}) | Q(**{f"pk__{op}": pk})))
    items = list(qs[: size + 1])
    next_query = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        value = last.pk if field == "pk" else _attr(last, field)
        next_query = urlencode({**base, "after": _encode(value, last.pk)})
    first_query = urlencode(base) if cursor is not None else None
    return KeysetPage(items=items, next_query=next_query, first_query=first_query, sort=sort)


def _cursor(queryset, field: str, text: str):
    """The decoded cursor, its value converted to the sort field's type; None for a cursor that is not
    one (tampered with, or from another sort), which then reads as the first page rather than an error."""
    cursor = _decode(text)
    if cursor is None or field == "pk" or "__" in field:
        return cursor
    value, pk = cursor
    try:
        value = queryset.model._meta.get_field(field).to_python(value)
    except (FieldDoesNotExist, ValidationError):
        return None
    return None if value is None else (value, pk)


def _attr(obj, path):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
