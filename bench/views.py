"""The bare keyset view (bench only, never in config.urls): the points list's first page of rows, the same
rows as /agents/points/ shows (the same scoping, keyset order and columns), written as a tiny HTML table
straight from the rows: no form, no filter, no template. The ceiling the list pages are measured against in
bench/wrk.py; it pays what every page pays (middleware, session, user, the keyset query) and nothing else."""

from django.http import HttpResponse, HttpResponseForbidden
from django.utils.html import escape

from agents import selectors

PAGE_SIZE = 50
COLUMNS = (
    "pk",
    "code",
    "name",
    "agent__code",
    "kind",
    "province__name",
    "address",
    "status",
    "risk_tier",
    "risk_score",
)


def bare_points(request):
    if not request.user.is_authenticated or not request.user.has_perm("agents.view_registrationpoint"):
        return HttpResponseForbidden()
    rows = selectors.point_list(user=request.user).values_list(*COLUMNS)
    # the first keyset page as core.pagination asks it: one row more than shown, to know there is a next
    rows = list(rows.order_by("code", "pk")[: PAGE_SIZE + 1])[:PAGE_SIZE]
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if value is None else value)}</td>" for value in row) + "</tr>"
        for row in rows
    )
    return HttpResponse(f"<!doctype html><table>{body}</table>")
