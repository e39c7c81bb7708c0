"""Benchmark: the dashboard page (issue 12, target under 300 ms at 10 million registrations).

Runs on whatever the current database holds (`make bench`: the import bench's registrations; with
`--rules-rows N`: the rules bench's N synthetic registrations and the flags of its check runs). Figures:
- the nightly step that pre-counts registrations and flags raised per province and day (seconds);
- the page through Django's test client (middleware, scoping, template), median of warm runs, for a manager
  with every province and an officer limited to Hà Nội, with the night's counts fresh and with the newest
  1% of registrations (and flags) above the watermark, i.e. counted live as rows that came after the night;
- its SQL queries and the slowest one.
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

TARGET_MS = 300
RUNS = 5


def _page_ms(client: Client) -> tuple[float, int, float]:
    client.get("/reports/dashboard/")  # warm: session, role, permissions
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/reports/dashboard/")
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the dashboard answered {response.status_code}")
    slowest = max(float(q["time"]) for q in queries.captured_queries) * 1000
    return statistics.median(times), len(queries.captured_queries), slowest


def run() -> list[str]:
    from core.roles import Role
    from registrations.models import Flag, Registration
    from reports.dashboard.models import AggregateMark, Metric
    from reports.dashboard.services import dashboard_aggregate
    from tests.factories import UserFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_registration")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registrations_flag")
        flags = cursor.fetchone()[0]
    if not rows:
        return ["dashboard benchmark skipped: no registrations"]
    lines = [f"dashboard on {rows:,} registrations and {flags:,} flags (target at 10M: under {TARGET_MS} ms)"]
    started = time.perf_counter()
    summary = dashboard_aggregate()
    lines.append(f"  nightly step (day counts)       {time.perf_counter() - started:8.1f} s   {summary}")

    stamp = time.time_ns()
    users = {
        "manager, every province": UserFactory(role=Role.MANAGER, username=f"bench-dash-m-{stamp}"),
        "officer, Hà Nội only": UserFactory(role=Role.OFFICER, provinces=["001"], username=f"bench-dash-o-{stamp}"),
    }
    clients = {}
    for label, user in users.items():
        clients[label] = Client()
        clients[label].force_login(user)

    def measure(state: str) -> None:
        for label, client in clients.items():
            median, count, slowest = _page_ms(client)
            mark = "" if median <= TARGET_MS else "  OVER"
            lines.append(
                f"  page, {label:<24} {state:<22} median {median:7.1f} ms, {count} queries, "
                f"slowest {slowest:6.1f} ms{mark}"
            )

    measure("fresh night")
    # the newest 1% of the rows as if they came after the night: counted live above the watermark
    for metric, model in ((Metric.REGISTRATIONS, Registration), (Metric.FLAGS_RAISED, Flag)):
        ids = model.objects.order_by("-id").values_list("id", flat=True)
        total = model.objects.count()
        if total:
            below = ids[max(total // 100, 1) - 1 : max(total // 100, 1)]
            AggregateMark.objects.filter(metric=metric).update(max_id=below[0] - 1)
    measure("1% newer than night")
    dashboard_aggregate()  # leave the counts as a night would
    return lines
