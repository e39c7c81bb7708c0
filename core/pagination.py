"""Keyset pagination for big tables: the page after id X costs the same as the first page."""

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class KeysetPage:
    items: list
    next_query: str | None  # query string for the next page, or None on the last page
    first_query: str | None  # query string back to the first page, or None when on it


def keyset_paginate(queryset, params, *, size: int = 50) -> KeysetPage:
    """Page a queryset ordered by descending primary key, `?after=<id>` giving the next page."""
    after = params.get("after")
    base = {k: v for k, v in params.items() if k != "after" and v not in ("", None)}
    qs = queryset.order_by("-pk")
    if after and after.isdigit():
        qs = qs.filter(pk__lt=int(after))
    items = list(qs[: size + 1])
    next_query = None
    if len(items) > size:
        items = items[:size]
        next_query = urlencode({**base, "after": items[-1].pk})
    first_query = urlencode(base) if after else None
    return KeysetPage(items=items, next_query=next_query, first_query=first_query)
