"""Keyset pages (core.pagination): every row once, in (sort value, id) order, whatever the ties."""

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.http import QueryDict

from agents.models import Agent, RegistrationPoint
from agents.views import POINT_SORTS
from core.pagination import keyset_paginate


@pytest.fixture
def points_with_ties(db):
    agent = Agent.objects.create(code="AGT", name="Agent", kind="AUTHORISED", province_id="001")
    points = []
    for i in range(23):
        points.append(
            RegistrationPoint.objects.create(
                code=f"T{i:03d}",
                agent=agent,
                name=["Lê Lợi", "An", "Bình"][i % 3],  # three names for 23 rows: long runs of ties
                kind="AUTHORISED_FIXED",
                province_id="001",
                risk_score=Decimal([0, 12, 40][i % 3]),
            )
        )
    # every row changed at one instant: ties on updated_at too
    RegistrationPoint.objects.filter(agent=agent).update(updated_at=points[0].updated_at)
    return list(RegistrationPoint.objects.filter(agent=agent))


def _walk(queryset, sort, size):
    params, seen, pages = QueryDict(mutable=True), [], 0
    params["sort"] = sort
    while True:
        page = keyset_paginate(queryset, params, size=size, sort_options=POINT_SORTS, default_sort="code")
        assert len(page.items) <= size
        seen += [p.pk for p in page.items]
        pages += 1
        if page.next_query is None:
            return seen, pages
        params = QueryDict(mutable=True)
        for key, value in parse_qsl(page.next_query):
            params[key] = value


def _expected(rows, sort):
    field = sort.lstrip("-")

    def key(row):
        return (getattr(row, field), row.pk)

    return [r.pk for r in sorted(rows, key=key, reverse=sort.startswith("-"))]


@pytest.mark.parametrize("sort", POINT_SORTS)
@pytest.mark.parametrize("size", [1, 4, 7, 23, 50])
def test_every_row_once_in_order_whatever_the_ties(points_with_ties, sort, size):
    # when walking the pages of 23 points with long runs of equal names, scores and times
    seen, pages = _walk(RegistrationPoint.objects.all(), sort, size)
    # then each point comes once, in (value, id) order, ties broken by id in the sort's direction
    assert seen == _expected(points_with_ties, sort)
    assert pages == max(1, -(-len(points_with_ties) // size))


def test_a_row_added_behind_the_cursor_is_not_repeated_nor_one_ahead_skipped(points_with_ties):
    # given the first page by name
    params = QueryDict("sort=name")
    first = keyset_paginate(RegistrationPoint.objects.all(), params, size=5, sort_options=POINT_SORTS)
    # when a row sorting before the cursor and one after it appear before the next page is asked for
    agent = points_with_ties[0].agent
    before = RegistrationPoint.objects.create(code="T900", agent=agent, name="A", kind="MOBILE", province_id="001")
    after = RegistrationPoint.objects.create(code="T901", agent=agent, name="Zz", kind="MOBILE", province_id="001")
    second = keyset_paginate(
        RegistrationPoint.objects.all(), QueryDict(first.next_query), size=100, sort_options=POINT_SORTS
    )
    # then the next pages hold the newcomer after the cursor, not the one before, and none of page one
    ids = {p.pk for p in second.items}
    assert after.pk in ids
    assert before.pk not in ids
    assert not ids & {p.pk for p in first.items}
