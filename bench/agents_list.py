"""Benchmark: the points list (page and API) on 100,000 points, first page and deep keyset pages.

Run by `make bench` against the database in DATABASE_URL (use PostgreSQL; the data stays for reruns).
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agents.models import Agent, RegistrationPoint
from core.roles import Role


def ensure_points(n: int) -> None:
    have = RegistrationPoint.objects.filter(code__startswith="BP").count()
    if have >= n:
        return
    agent, _ = Agent.objects.get_or_create(
        code="BENCH", defaults={"name": "Bench agent", "kind": "AUTHORISED", "province_id": "001"}
    )
    provinces = ["001", "079", "048", "031", "092"]
    batch = []
    for i in range(have, n):
        batch.append(
            RegistrationPoint(
                code=f"BP{i:07d}",
                agent=agent,
                name=f"Điểm {i % 997} {i}",
                kind="AUTHORISED_FIXED",
                address=f"{i % 400} Lê Lợi",
                province_id=provinces[i % len(provinces)],
            )
        )
        if len(batch) == 5000:
            RegistrationPoint.objects.bulk_create(batch)
            batch = []
    RegistrationPoint.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE agents_registrationpoint")


def _time(client, url, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return statistics.median(samples), response


def run(n: int = 100_000) -> list[str]:
    from tests.factories import UserFactory

    ensure_points(n)
    user = UserFactory(role=Role.OFFICER, username=f"bench-{time.time_ns()}")
    client = Client()
    client.force_login(user)
    lines = [f"points list on {RegistrationPoint.objects.count():,} points ({connection.vendor})"]
    url = "/agents/points/?sort=name"
    # walk 200 keyset pages deep (or to the last page) to show the cost does not grow with depth
    _ms, response = _time(client, url, repeat=1)
    depth = 1
    while depth < 201 and response.context["page"].next_query:
        deep = "/agents/points/?" + response.context["page"].next_query
        response = client.get(deep)
        depth += 1
    if depth == 1:
        deep = url
    for label, target in [
        ("first page, by name", url),
        (f"page {depth}, by name", deep),
        ("search 'Lê Lợi 12'", "/agents/points/?q=12+L%C3%AA+L%E1%BB%A3i"),
        ("province 079, suspended", "/agents/points/?province=079&status=SUSPENDED"),
        ("API first page", "/api/v1/points/"),
        ("API province filter", "/api/v1/points/?province=079"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            ms, _ = _time(client, target)
        lines.append(f"  {label:<28} {ms:7.1f} ms median of 5, {len(queries) // 5} queries")
    return lines
