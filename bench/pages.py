"""Benchmark: the list pages of issues 11 and 15 (points, agents, registrations, registration search, flag
queue, inspection tasks) through Django's test client, on whatever the bench database holds (`make bench`: the
points and registrations benches' rows, with the flags of a check run and the inspection tasks the scheduler
plans from them: see prepare(); `make load`'s data works too). The dataset is printed first.

For an officer with every province and one limited to Hà Nội, each page is asked once to warm up, then
RUNS times; printed: the median wall time, the CPU time of this process (the figure a machine shared
with other work distorts least), the SQL queries and the time they took, the time in template
rendering (the outermost Template.render minus the SQL run inside it, i.e. lazy querysets), how many
`{% include %}` renders the page did, and the rest (view, middleware, forms, filters). A "floor" line per
page gives the SQL of the page's rows alone (the keyset query, no Django around it): what a bare keyset view
pays.

`python bench/pages.py --profile NAME` (NAME: a page label's first word, e.g. points) prints the top of a
cProfile of one warm request instead.
"""

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

RUNS = 7
HANOI = "001"


@contextmanager
def _instrumented():
    """Count template time (outermost render) and {% include %} renders while the block runs."""
    from django.template import loader_tags
    from django.template.backends.django import Template

    stats = {"render_s": 0.0, "render_queries": [], "includes": 0, "depth": 0}
    original_render = Template.render
    original_include = loader_tags.IncludeNode.render

    def render(self, context=None, request=None):
        from django.db import connection

        stats["depth"] += 1
        outer = stats["depth"] == 1
        before = len(connection.queries_log)
        started = time.perf_counter()
        try:
            return original_render(self, context, request)
        finally:
            stats["depth"] -= 1
            if outer:
                stats["render_s"] += time.perf_counter() - started
                stats["render_queries"].extend(list(connection.queries_log)[before:])

    def include(self, context):
        stats["includes"] += 1
        return original_include(self, context)

    Template.render = render
    loader_tags.IncludeNode.render = include
    try:
        yield stats
    finally:
        Template.render = original_render
        loader_tags.IncludeNode.render = original_include


@contextmanager
def _plain_templates():
    """Without the test client's per-render hook (setup_test_environment wraps Template._render to copy
    the context for every template and include rendered): timed pages render as under gunicorn."""
    from django.template.base import Template
    from django.test.utils import _TestState

    saved = getattr(_TestState, "saved_data", None)
    instrumented = Template._render
    if saved is not None:
        Template._render = saved.template_render
    try:
        yield
    finally:
        Template._render = instrumented


def _sql_ms(queries) -> float:
    return sum(float(q["time"]) for q in queries) * 1000


def _measure(fetch, runs: int = RUNS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with _plain_templates():
        response = fetch()  # warm: session, permissions, template cache
    if response.status_code != 200:
        raise RuntimeError(f"answered {response.status_code}")
    samples = []
    for _ in range(runs):
        with _plain_templates(), CaptureQueriesContext(connection) as queries, _instrumented() as stats:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = fetch()
            total = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu_started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}")
        sql = _sql_ms(queries.captured_queries)
        template = stats["render_s"] * 1000 - _sql_ms(stats["render_queries"])
        samples.append(
            {
                "total": total,
                "cpu": cpu,
                "sql": sql,
                "template": template,
                "queries": len(queries.captured_queries),
                "includes": stats["includes"],
                "slowest": max((float(q["time"]) * 1000 for q in queries.captured_queries), default=0.0),
                "bytes": len(response.content),
            }
        )
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def _users():
    from core.roles import Role
    from tests.factories import UserFactory

    stamp = time.time_ns()
    return {
        "all provinces": UserFactory(role=Role.OFFICER, username=f"bench-pages-all-{stamp}"),
        "Hà Nội only": UserFactory(role=Role.OFFICER, provinces=[HANOI], username=f"bench-pages-hn-{stamp}"),
    }


def _search_fetcher(client, msisdn: str):
    """The registration search as the page does it: POST the number, follow the redirect to the token URL."""
    response = client.post("/registrations/", {"msisdn": msisdn})
    if response.status_code != 302:
        raise RuntimeError(f"search POST answered {response.status_code}")
    url = response["Location"]
    return lambda: client.get(url)


def _floor_ms(queryset, order, runs: int = RUNS) -> float:
    """The page's rows alone: the keyset query, evaluated, no view, no template."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        list(queryset.order_by(*order)[:51])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def pages(client, user) -> list[tuple[str, object, object]]:
    """(label, fetch, floor queryset and order) per page, for this client and user."""
    from agents import selectors as agent_selectors
    from inspections import selectors as task_selectors
    from inspections.models import OPEN_TASK_STATUSES
    from registrations.checks import selectors as flag_selectors
    from registrations.models import Registration
    from registrations.records import selectors as record_selectors

    msisdn = (
        record_selectors.registration_list(user=user).order_by("-registered_at").values_list("msisdn", flat=True)[:1]
    )
    msisdn = msisdn[0] if msisdn else "+84912345678"
    second = client.get("/agents/points/")
    deep = "/agents/points/?" + (second.context["page"].next_query or "") if second.status_code == 200 else ""
    points = agent_selectors.point_list(user=user)
    agents = agent_selectors.agent_list(user=user)
    registrations = record_selectors.registration_list(user=user)
    flags = flag_selectors.flag_list(user=user).filter(status="OPEN")
    tasks = task_selectors.task_list(user=user).filter(status__in=OPEN_TASK_STATUSES)
    htmx = {"HTTP_HX_REQUEST": "true"}
    return [
        ("points list", lambda: client.get("/agents/points/"), (points, ("code", "pk"))),
        ("points list, page 2", lambda: client.get(deep), (points, ("code", "pk"))),
        ("points list, htmx rows", lambda: client.get("/agents/points/", **htmx), (points, ("code", "pk"))),
        ("points search 'Lê Lợi'", lambda: client.get("/agents/points/?q=L%C3%AA+L%E1%BB%A3i"), None),
        ("agents list", lambda: client.get("/agents/"), (agents, ("code", "pk"))),
        ("registrations list", lambda: client.get("/registrations/"), (registrations, ("-registered_at", "-pk"))),
        ("registration search", _search_fetcher(client, msisdn), (Registration.objects.filter(msisdn=msisdn), ())),
        ("flag queue", lambda: client.get("/registrations/flags/"), (flags, ("-last_seen", "-pk"))),
        ("inspection tasks list", lambda: client.get("/inspections/"), (tasks, ("due_date", "pk"))),
    ]


BENCH_INSPECTORS = 4


def dataset() -> dict:
    """What the pages read: points, registrations, flags (open ones), inspection tasks (open ones)."""
    from django.db import connection

    from inspections.models import OPEN_TASK_STATUSES

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM agents_registrationpoint),
                   (SELECT count(*) FROM registrations_registration),
                   (SELECT count(*) FROM registrations_flag),
                   (SELECT count(*) FROM registrations_flag WHERE status = 'OPEN'),
                   (SELECT count(*) FROM inspections_inspectiontask),
                   (SELECT count(*) FROM inspections_inspectiontask WHERE status = ANY(%s))
            """,
            [[str(status) for status in OPEN_TASK_STATUSES]],
        )
        keys = ("points", "registrations", "flags", "open_flags", "tasks", "open_tasks")
        return dict(zip(keys, cursor.fetchone(), strict=True))


def prepare() -> list[str]:
    """The registrations as an import leaves them made into what the list pages show in production: a full
    check run (flags), the risk scores, and the inspection scheduler's tasks (RISK tasks for the points with
    critical flags, given to a few bench inspectors with every province); then the tables vacuumed and
    analysed, as autovacuum leaves them. The cheapest way to flags and tasks on the import's own rows: no second
    import, no demo data (which would make the next import bench delete row by row instead of truncating)."""
    from django.db import connection

    from core.models import User
    from core.roles import Role
    from inspections.risk import rescore
    from inspections.scheduling import schedule_inspections
    from registrations.checks.runner import run_checks
    from registrations.models import CheckRun
    from tests.factories import UserFactory

    lines = []
    started = time.perf_counter()
    checkrun = run_checks(trigger=CheckRun.Trigger.COMMAND)
    new = sum(r.get("new", 0) for r in checkrun.results.values())
    lines.append(
        f"  check run            {time.perf_counter() - started:7.1f} s  status {checkrun.status}, {new:,} new flags"
    )
    started = time.perf_counter()
    rescore()
    lines.append(f"  risk scores          {time.perf_counter() - started:7.1f} s")
    for k in range(BENCH_INSPECTORS):
        if not User.objects.filter(username=f"bench-inspector-{k}").exists():
            UserFactory(role=Role.INSPECTOR, username=f"bench-inspector-{k}")
    started = time.perf_counter()
    planned = schedule_inspections()
    lines.append(
        f"  inspection planning  {time.perf_counter() - started:7.1f} s  {planned.get('risk_tasks_created', 0):,} "
        f"RISK, {planned.get('routine_tasks_created', 0):,} ROUTINE tasks created; "
        f"{planned.get('risk_flags_linked', 0):,} critical flags linked"
    )
    from bench.wrk import TABLES

    with connection.cursor() as cursor:
        for table in (*TABLES, "registrations_flagevent", "inspections_inspectiontask_flags"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return lines


def run() -> list[str]:
    from django.test import Client

    from bench.summary import describe_dataset
    from registrations.models import Registration

    lines = [
        f"list pages on {describe_dataset(dataset())}; median of {RUNS} warm runs (ms)",
        f"  {'page':<26} {'user':<14} {'total':>7} {'cpu':>6} {'SQL':>7} {'tmpl':>7} {'other':>7} {'queries':>7} "
        f"{'incl':>5} {'slowest q':>9} {'floor':>7}",
    ]
    del Registration
    for user_label, user in _users().items():
        client = Client()
        client.force_login(user)
        for label, fetch, floor in pages(client, user):
            m = _measure(fetch)
            floor_ms = _floor_ms(*floor) if floor else float("nan")
            other = m["total"] - m["sql"] - m["template"]
            lines.append(
                f"  {label:<26} {user_label:<14} {m['total']:7.1f} {m['cpu']:6.1f} {m['sql']:7.1f} "
                f"{m['template']:7.1f} {other:7.1f} "
                f"{m['queries']:7.0f} {m['includes']:5.0f} {m['slowest']:9.1f} {floor_ms:7.1f}"
            )
    return lines


def profile(name: str, *, top: int = 30) -> str:
    from django.test import Client

    user = _users()["all provinces"]
    client = Client()
    client.force_login(user)
    for label, fetch, _floor in pages(client, user):
        if label.split()[0].startswith(name):
            with _plain_templates():
                fetch()
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(5):
                    fetch()
                profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(top)
            out.write("\n--- by own time ---\n")
            stats.sort_stats("tottime").print_stats(top)
            return f"profile of 5 requests: {label}\n{out.getvalue()}"
    raise SystemExit(f"no page starts with {name!r}")


def main():
    import argparse

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", help="profile one page (first word of its label) instead")
    args = parser.parse_args()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if args.profile:
        print(profile(args.profile))
    else:
        for line in run():
            print(line, flush=True)


if __name__ == "__main__":
    main()
