"""The dashboard: every figure against the hand-counted scene, and every figure's link opens a list that
counts the same rows for the same user (issue 12: a counter and its list must agree)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.roles import Role
from reports.dashboard.services import dashboard_aggregate

from .scene import EXPECTED, HANOI, build

DASHBOARD = reverse("reports:dashboard")


def grant_subject_requests(user):
    # the subscriber-request list (reports.subjects) registers who reads it; the scene's users may
    user.user_permissions.add(Permission.objects.get(codename="view_subjectrequest"))
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


@pytest.fixture
def scene(db, make_user):
    return build(proposer=make_user(Role.OFFICER, username="proposer"))


@pytest.fixture(params=["hanoi", "all"])
def who(request, make_user):
    provinces = [HANOI] if request.param == "hanoi" else None
    user = grant_subject_requests(make_user(Role.AUDITOR, provinces=provinces, username=f"auditor-{request.param}"))
    return request.param, user


@pytest.fixture(params=[False, True], ids=["live", "aggregated"])
def aggregated(request, scene):
    """Each figure both before any night (all live) and after the nightly step (counts + live delta)."""
    if request.param:
        dashboard_aggregate()
    return request.param


def open_dashboard(client, user):
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.context


def rows_behind(client, url: str) -> int:
    """How many rows the list at `url` shows (every page of it), its filters checked as valid and used."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    form = context["filter"].form
    assert context["filter"].is_valid(), (url, form.errors)
    # every parameter of the link is a filter of that list (django-filter ignores unknown ones silently)
    assert set(query) <= set(context["filter"].filters), (url, set(query) - set(context["filter"].filters))
    if "count" in context:  # the planning page counts its rows itself
        return context["count"]
    page = context["page"]
    assert page.next_query is None, "the scene fits on one page"
    return len(page.items)


# --- every figure, as counted by hand ------------------------------------------------------------


def test_figures_match_the_hand_count(client, scene, who, aggregated):
    # given the scene, for a Hà Nội auditor and an every-province auditor
    scope, user = who
    expected = EXPECTED[scope]
    # when
    c = open_dashboard(client, user)
    # then
    assert c["agents"].total.value == expected["agents_total"]
    assert c["points"].total.value == expected["points_total"]
    assert c["registrations_recent"].value == expected["registrations_recent"]
    assert c["flags_open"].value == expected["flags_open"]
    assert {r["rule"].code: r["figure"].value for r in c["flags_by_rule"]} == expected["flags_by_rule"]
    assert {r["severity"]: r["figure"].value for r in c["flags_by_severity"]} == expected["flags_by_severity"]
    assert {(r["code"], cell["state"]): cell["figure"].value for r in c["cases"] for cell in r["cells"]} == expected[
        "cases"
    ]
    assert (c["coverage"]["covered"], c["coverage"]["total"]) == expected["coverage"]
    for key in ("tasks_due", "tasks_overdue", "sanctions_proposed", "actions_open", "actions_overdue"):
        assert c[key].value == expected[key], key
    assert (c["subjects_open"].value, c["subjects_overdue"].value) == (
        expected["subjects_open"],
        expected["subjects_overdue"],
    )
    charts = {chart["key"]: chart for chart in c["charts"]}
    for key in ("registrations", "flags", "inspections"):
        assert sum(bar.value for bar in charts[key]["bars"]) == expected[f"{key}_chart"], key


def test_the_grids_split_by_status_and_tier(client, scene, make_user):
    # given a Hà Nội auditor
    user = make_user(Role.AUDITOR, provinces=[HANOI])
    # when
    c = open_dashboard(client, user)
    # then: agents A1 ACTIVE/HIGH, A2 SUSPENDED/LOW, A3 ACTIVE/not scored; points P1 P2 HIGH, P3 MEDIUM,
    # P4 SUSPENDED/LOW, P5 not scored (all active but P4)
    agents = {row["label"]: [cell.value for cell in row["cells"]] for row in c["agents"].rows}
    assert agents == {"Active": [1, 0, 0, 1], "Suspended": [0, 0, 1, 0], "Terminated": [0, 0, 0, 0]}
    points = {row["label"]: [cell.value for cell in row["cells"]] for row in c["points"].rows}
    assert points == {"Active": [2, 1, 0, 1], "Suspended": [0, 0, 1, 0], "Terminated": [0, 0, 0, 0]}
    coverage = {row["label"]: (row["covered"].value, row["total"].value) for row in c["coverage"]["rows"]}
    assert coverage == {"High": (1, 2), "Medium": (0, 1), "Low": (0, 0), "Not scored yet": (1, 1)}


def test_the_page_shows_the_figures_with_rule_names_not_codes(client, scene, make_user):
    user = make_user(Role.OFFICER, provinces=[HANOI])
    client.force_login(user)
    html = client.get(DASHBOARD).content.decode()
    assert 'data-testid="count-flags-open"' in html
    assert "Missing photos" in html or "photos" in html.lower()
    assert ">MISSING_PHOTOS<" not in html
    assert "PREACTIVATED<" not in html


# --- each counter follows its link to a list that counts the same rows ----------------------------


def _figures(context, counter: str):
    """(name, Figure) pairs of one counter of the dashboard's context."""
    if counter in ("agents", "points"):
        grid = context[counter]
        for row in grid.rows:
            yield from ((f"{row['label']}/{i}", cell) for i, cell in enumerate(row["cells"]))
            yield row["label"], row["total"]
        yield from ((f"total/{i}", cell) for i, cell in enumerate(grid.totals))
        yield "total", grid.total
    elif counter == "flags_by_rule":
        yield from ((r["rule"].code, r["figure"]) for r in context["flags_by_rule"])
    elif counter == "flags_by_severity":
        yield from ((r["severity"], r["figure"]) for r in context["flags_by_severity"])
    elif counter == "cases":
        yield from ((f"{r['code']}/{c['state']}", c["figure"]) for r in context["cases"] for c in r["cells"])
    elif counter == "coverage":
        for row in context["coverage"]["rows"]:
            yield from ((f"{row['label']}/{k}", row[k]) for k in ("total", "covered", "late"))
        yield "active", context["coverage"]["active"]
    elif counter.startswith("chart_"):
        chart = next(ch for ch in context["charts"] if ch["key"] == counter.removeprefix("chart_"))
        # the weeks with rows, and the first and last (empty or not)
        bars = [b for i, b in enumerate(chart["bars"]) if b.value or i in (0, len(chart["bars"]) - 1)]
        yield from ((str(b.start), b) for b in bars)
    else:
        yield counter, context[counter]


COUNTERS = [
    "agents",
    "points",
    "registrations_recent",
    "flags_open",
    "flags_by_rule",
    "flags_by_severity",
    "cases",
    "coverage",
    "tasks_due",
    "tasks_overdue",
    "sanctions_proposed",
    "actions_open",
    "actions_overdue",
    "chart_registrations",
    "chart_flags",
    "chart_inspections",
]


@pytest.mark.parametrize("counter", COUNTERS)
def test_each_counter_links_to_a_list_of_as_many_rows(client, scene, who, aggregated, counter):
    # given
    scope, user = who
    context = open_dashboard(client, user)
    # when / then: every figure of the counter links, and its list shows that many rows
    checked = 0
    for name, figure in _figures(context, counter):
        assert figure.url, f"{counter} {name} has no link"
        assert rows_behind(client, figure.url) == figure.value, f"{counter} {name} ({scope}): {figure.url}"
        checked += 1
    assert checked


def test_subscriber_request_counters_link_to_their_list_once_it_exists(client, scene, who):
    # given
    scope, user = who
    context = open_dashboard(client, user)
    html = client.get(DASHBOARD).content.decode()
    try:
        reverse("reports:subject_request_list")
    except Exception:  # the list (reports.subjects) is not there yet: the figures show, without a link
        assert context["subjects_overdue"].url is None
        assert 'data-testid="count-subjects-overdue"' in html
        return
    # once the list exists: "?due=overdue" lists exactly the overdue requests
    for figure in (context["subjects_open"], context["subjects_overdue"]):
        assert rows_behind(client, figure.url) == figure.value
    assert "due=overdue" in context["subjects_overdue"].url
