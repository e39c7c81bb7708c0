"""Benchmark: registration search at the table's current size, at the database and through the page.

Keys are sampled from the table itself (TABLESAMPLE), so it runs on the import bench's rows and on the
rules bench's 10 million alike (there at the database only: its encrypted columns are filler).
Database: EXPLAIN ANALYZE execution time of the lookup by MSISDN, ICCID and id_doc_hash (what a search by
ID number runs after hashing). Page: the search page with its first page of results, through Django's test
client as an officer (the POST, its redirect, middleware, scoping, masking, template), wall time.
"""

import statistics
import time

from django.db import connection
from django.test import Client

TARGET_MS = 50
SAMPLES = 30


def _explain_ms(sql: str, params: list) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return plan[0]["Execution Time"]


def _sample(n: int) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT msisdn, iccid, id_doc_hash FROM registrations_registration TABLESAMPLE SYSTEM (1) "
            "WHERE id_doc_hash IS NOT NULL LIMIT %s",
            [n],
        )
        return cursor.fetchall()


def run(pages: bool = True) -> list[str]:
    from core.roles import Role
    from tests.factories import UserFactory

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_registration")
        rows = cursor.fetchone()[0]
    keys = _sample(SAMPLES)
    if not keys:
        return ["search benchmark skipped: no registrations"]
    lines = [f"registration search on {rows:,} registrations (target at 10M: under {TARGET_MS} ms at the database)"]
    for position, column in enumerate(("msisdn", "iccid", "id_doc_hash")):
        times = [
            _explain_ms(f"SELECT * FROM registrations_registration WHERE {column} = %s", [key[position]])  # noqa: S608
            for key in keys
        ]
        lines.append(
            f"  database, by {column:<12} median {statistics.median(times):7.3f} ms, max {max(times):7.3f} ms "
            f"({len(times)} keys)"
        )
    if not pages:
        lines.append("  pages not timed here: these rows' encrypted columns are synthetic (no real ciphertext)")
        return lines
    client = Client()
    client.force_login(UserFactory(role=Role.OFFICER, username=f"bench-search-{time.time_ns()}"))
    for label, param, position in (("MSISDN", "msisdn", 0), ("ICCID", "iccid", 1)):
        times = []
        for key in keys[:10]:
            started = time.perf_counter()
            # as the page's form does it: POSTed (a phone number never goes in a URL), then the redirect
            response = client.post("/registrations/", {param: key[position]}, follow=True)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or not response.context["filter"].is_valid():
                raise RuntimeError(f"search by {param}={key[position]} answered {response.status_code}")
        lines.append(
            f"  page, search by {label:<9} median {statistics.median(times):7.1f} ms, max {max(times):7.1f} ms"
        )
    times = []
    for _ in range(5):
        started = time.perf_counter()
        client.get("/registrations/")
        times.append((time.perf_counter() - started) * 1000)
    lines.append(f"  page, newest first (no filter) median {statistics.median(times):7.1f} ms")
    return lines
