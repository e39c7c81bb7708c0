"""The list pages of issues 11 and 15 (points, agents, registrations, registration search, flag queue): the
SQL a page runs does not grow with the rows on it nor with how deep the page is (no N+1, no COUNT over the
table, no OFFSET), for a user of every province and one limited to Hà Nội; and no page renders a template
per row or per <option>."""

import pytest
from django.db import connection
from django.template import loader_tags
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents import views as agent_views
from core.roles import Role
from registrations.checks.views import flags as flag_views
from registrations.records import views as record_views
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

PAGE = 5  # rows per page here: "many" is more than two pages
MAX_QUERIES = 12  # session, user, permissions, scope, the filter form's lists, the page's rows, the flag counts
PAGES = ["points", "agents", "registrations", "search", "flags"]


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(agent_views, "PAGE_SIZE", PAGE)
    monkeypatch.setattr(record_views, "PAGE_SIZE", PAGE)
    monkeypatch.setattr(flag_views, "PAGE_SIZE", PAGE)


def _make(n: int, points: list) -> None:
    """n of each listed thing, spread over the Hà Nội and TP Hồ Chí Minh points, agents with parents."""
    for i in range(n):
        point = points[i % len(points)]
        parent = AgentFactory(province_code=point.province_id)
        PointFactory(agent=AgentFactory(parent=parent, province_code=point.province_id))
        registration = RegistrationFactory(point=point, msisdn="+84912000001")
        make_flag("MISSING_PHOTOS", registration=registration)
        make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())


def _url(client, page: str, query: str = "") -> str:
    if page == "search":
        if query:
            return f"{reverse('registrations:registration_list')}?{query}"
        # as the page does it: POST the number; the answer's address has a token standing for it
        answer = client.post(reverse("registrations:registration_list"), {"msisdn": "0912000001"})
        assert answer.status_code == 302
        return answer["Location"]
    url = {
        "points": reverse("agents:point_list"),
        "agents": reverse("agents:agent_list"),
        "registrations": reverse("registrations:registration_list"),
        "flags": reverse("registrations:flag_list"),
    }[page]
    return f"{url}?{query}" if query else url


def _get(client, page: str, query: str = ""):
    return client.get(_url(client, page, query))


def _queries(client, page: str, query: str = ""):
    url = _url(client, page, query)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


@pytest.fixture(params=["all provinces", "Hà Nội only"])
def reader(request, make_user):
    if request.param == "all provinces":
        return make_user(Role.OFFICER, username="reader")
    return make_user(Role.OFFICER, username="reader", provinces=["001"])


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_queries_do_not_grow_with_rows_nor_depth(client, reader, page, hanoi_point, saigon_point):
    # given a few rows, and a reader signed in (its session and permissions warm)
    points = [hanoi_point, saigon_point]
    _make(2, points)
    client.force_login(reader)
    _get(client, page)
    _response, few = _queries(client, page)
    # when there are more than two pages of them
    _make(4 * PAGE, points)
    first, many = _queries(client, page)
    next_query = first.context["page"].next_query
    assert next_query, "more rows than one page: a next page"
    second, deeper = _queries(client, page, next_query)
    # then the first page is full, and the same SQL runs for 2 rows, a full page and page two
    assert len(first.context["page"].items) == PAGE
    assert len(second.context["page"].items) == PAGE
    assert len(few) == len(many) == len(deeper) <= MAX_QUERIES, (few, many, deeper)
    # and no query counts or skips over the listed table
    listed = " ".join(q.upper() for q in many if "SELECT" in q.upper())
    assert " OFFSET " not in listed


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_no_template_included_per_row_or_option(client, officer, page, hanoi_point, saigon_point, monkeypatch):
    # given more rows than a page, and {% include %} counted
    _make(2 * PAGE, [hanoi_point, saigon_point])
    client.force_login(officer)
    included = []
    original = loader_tags.IncludeNode.render

    def counting(self, context):
        included.append(self.template.var)
        return original(self, context)

    monkeypatch.setattr(loader_tags.IncludeNode, "render", counting)
    # when the page is asked for
    response = _get(client, page)
    # then it renders a handful of includes (form, table, pager), none once per row or per option
    assert response.status_code == 200
    assert len(included) <= 6, included
    assert len(included) == len(set(included)), included


# --- the flag queue's counts: what the page states is what it lists, and a capped count says so ---


def _walk_ids(client, params: dict) -> list[int]:
    """Every flag the queue lists under `params`, following its next-page links."""
    url, ids = reverse("registrations:flag_list"), []
    response = client.get(url, params)
    while True:
        ids += [f.pk for f in response.context["page"].items]
        if not response.context["page"].next_query:
            return ids
        response = client.get(f"{url}?{response.context['page'].next_query}")


@pytest.fixture(params=["union", "per rule"])
def count_path(request, monkeypatch):
    """Both ways the capped counts are read: one UNION ALL (PostgreSQL), one query per rule (SQLite)."""
    if request.param == "per rule":
        monkeypatch.setattr(connection.features, "supports_slicing_ordering_in_compound", False)
    return request.param


@pytest.mark.django_db
def test_flag_counts_match_the_rows_listed(client, reader, count_path, hanoi_point, saigon_point):
    # given open flags of two rules in two provinces, and a dismissed one
    _make(3, [hanoi_point, saigon_point])
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    client.force_login(reader)
    # when the queue states its counts per rule
    response = _get(client, "flags")
    counts = {row["code"]: row for row in response.context["counts"]}
    # then each count is the number of rows the queue lists under that rule, in the reader's provinces
    assert counts, "some flags are counted"
    for code, row in counts.items():
        assert not row["capped"]
        assert row["n"] == len(_walk_ids(client, {"rule": code})) > 0
    assert response.context["counts_total"] == len(_walk_ids(client, {})) == sum(r["n"] for r in counts.values())
    assert "UNDERAGE" not in counts  # dismissed: not in the open queue
    # and with every status, the dismissed one is counted
    everything = client.get(reverse("registrations:flag_list"), {"status": ""}).context["counts"]
    assert {row["code"]: row["n"] for row in everything}["UNDERAGE"] == 1


@pytest.mark.django_db
def test_a_count_past_the_cap_says_more_than(client, make_user, count_path, hanoi_point, monkeypatch):
    # given 5 open MISSING_PHOTOS flags and 2 of another rule, with counts capped at 3, and a Hà Nội officer (the
    # queue counts its flags itself: the dashboard's tally answers only for every province, see the next test)
    from registrations.checks import selectors

    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    for _ in range(5):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    for _ in range(2):
        make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=hanoi_point))
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # when the queue is shown
    response = client.get(reverse("registrations:flag_list"))
    counts = {row["code"]: row for row in response.context["counts"]}
    # then the capped rule says "more than 3" and lists more than 3; the other is exact; the total says "more than"
    assert counts["MISSING_PHOTOS"]["capped"]
    assert counts["MISSING_PHOTOS"]["n"] == 3
    assert len(_walk_ids(client, {"rule": "MISSING_PHOTOS"})) == 5
    assert not counts["POPULATION_MISMATCH"]["capped"]
    assert counts["POPULATION_MISMATCH"]["n"] == 2
    assert response.context["counts_capped"]
    html = response.content.decode()

    def chip(testid: str) -> str:
        start = html.index(f'data-testid="{testid}"')
        return html[start : html.index("</a>", start)]

    assert "<strong>more than 3</strong>" in chip("count-MISSING_PHOTOS")
    assert "<strong>2</strong>" in chip("count-POPULATION_MISMATCH")
    assert "<strong>more than 5</strong>" in chip("count-all")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the dashboard's tally is kept by PostgreSQL triggers")
def test_the_queue_of_every_province_is_counted_exactly_from_the_tally(client, officer, hanoi_point, monkeypatch):
    # given the same flags, counts capped at 3, and an officer with every province
    from registrations.checks import selectors

    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    for _ in range(5):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    client.force_login(officer)
    # when the queue is shown, then the count is exact, no "more than": the tally reads no flag
    with CaptureQueriesContext(connection) as queries:
        counts = {row["code"]: row for row in client.get(reverse("registrations:flag_list")).context["counts"]}
    sql = [q["sql"] for q in queries.captured_queries]  # read before the next request resets the log
    assert any("reports_flagtally" in statement for statement in sql)
    assert counts["MISSING_PHOTOS"]["n"] == 5 == len(_walk_ids(client, {"rule": "MISSING_PHOTOS"}))
    assert not counts["MISSING_PHOTOS"]["capped"]
