"""The read-replica router (config/db_router.py): pages' and exports' reads on the replica; sessions, users,
writes, transactions, reads after a write, other requests and background work on the primary. The replica
here is a second alias on the test database itself, so every query is real and which alias ran it is seen."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import RegistrationPoint
from config.db_router import REPLICA, STICKY_COOKIE, ReplicaRouter, replica_reads
from core.audit import audit_record
from core.models import Province
from core.provinces import load_provinces
from core.roles import Role
from tests.agents.factories import PointFactory

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "config.db_router.ReplicaRouter"
MIDDLEWARE = "config.db_router.ReplicaReadsMiddleware"


@pytest.fixture
def replica(transactional_db):
    """A `replica` connection to the test database, the router and its middleware, as DATABASE_REPLICA_URL sets.

    The connection is made here, not configured in settings: Django's test case refuses an alias it was not
    told of, and a configured alias would be there for every other test too. Transactional tests empty every
    table at their end, the provinces a migration loads included: loaded here."""
    load_provinces(Province)
    default = connections["default"]
    wrapper = load_backend(default.settings_dict["ENGINE"]).DatabaseWrapper(dict(default.settings_dict), REPLICA)
    setattr(connections._connections, REPLICA, wrapper)
    try:
        with override_settings(DATABASE_ROUTERS=[ROUTER], MIDDLEWARE=[MIDDLEWARE, *settings.MIDDLEWARE]):
            yield wrapper
    finally:
        wrapper.close()
        delattr(connections._connections, REPLICA)


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def _on_each(fn):
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[REPLICA]) as rep:
        result = fn()
    return result, _tables(primary.captured_queries), _tables(rep.captured_queries)


def test_a_list_page_reads_its_rows_on_the_replica_and_the_session_and_user_on_the_primary(replica, client, make_user):
    # given
    PointFactory(code="PT-REPLICA")
    client.force_login(make_user(Role.OFFICER))
    # when
    response, primary, rep = _on_each(lambda: client.get(reverse("agents:point_list")))
    # then
    assert response.status_code == 200
    assert b"PT-REPLICA" in response.content
    assert "agents_registrationpoint" in rep
    assert "agents_registrationpoint" not in primary
    assert "django_session" in primary
    assert "django_session" not in rep
    assert '"core_user"' in primary
    assert "auth_permission" in primary
    assert '"core_user"' not in rep
    assert "auth_permission" not in rep


def test_a_streamed_export_reads_its_rows_on_the_replica_and_writes_its_audit_row_on_the_primary(
    replica, client, make_user
):
    # given
    PointFactory(code="PT-EXPORT")
    client.force_login(make_user(Role.OFFICER))

    # when: the rows are read as the response is streamed, after the view returned
    def export():
        response = client.get(reverse("agents:point_export"))
        return b"".join(response.streaming_content)

    body, primary, rep = _on_each(export)
    # then
    assert b"PT-EXPORT" in body
    assert "agents_registrationpoint" in rep
    assert "agents_registrationpoint" not in primary
    assert "INSERT INTO" in primary
    assert "core_auditevent" in primary
    assert "INSERT" not in rep


def test_a_post_request_reads_and_writes_on_the_primary_only(replica, client, make_user):
    # given
    point = PointFactory()
    client.force_login(make_user(Role.OFFICER))
    url = reverse("agents:point_status", args=[point.pk, "suspend"])
    # when
    response, primary, rep = _on_each(lambda: client.post(url, {"action": "suspend", "reason": "Replica test."}))
    # then
    assert response.status_code == 302
    assert rep == ""
    assert "agents_registrationpoint" in primary


def test_reads_after_a_write_in_the_same_request_go_to_the_primary(replica):
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(RegistrationPoint) == REPLICA
        router.db_for_write(RegistrationPoint)
        assert router.db_for_read(RegistrationPoint) == "default"


def test_an_audit_row_written_does_not_send_later_reads_to_the_primary(replica, make_user):
    # given: an export writes its audit row first
    officer = make_user(Role.OFFICER)
    with replica_reads():
        audit_record(action="points.export", actor=officer, object_type="agents.points")
        # when
        _result, primary, rep = _on_each(lambda: list(RegistrationPoint.objects.all()))
    # then
    assert "agents_registrationpoint" in rep
    assert "agents_registrationpoint" not in primary


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    with replica_reads(), transaction.atomic():
        _result, primary, rep = _on_each(lambda: list(Province.objects.all()[:1]))
    assert "core_province" in primary
    assert rep == ""


def test_reads_outside_a_request_go_to_the_primary(replica):
    # a Celery task, a management command: no mark
    _result, primary, rep = _on_each(lambda: list(Province.objects.all()[:1]))
    assert "core_province" in primary
    assert rep == ""


def test_the_replica_is_never_migrated():
    assert ReplicaRouter().allow_migrate(REPLICA, "agents") is False
    assert ReplicaRouter().allow_migrate("default", "agents") is True


@pytest.mark.parametrize("replica_url", ["", "postgres://reader@replica.example:5432/saw"])
def test_settings_add_the_replica_alias_router_and_middleware_only_with_database_replica_url(replica_url):
    script = (
        "from config.settings import base as s; "
        "print('replica' in s.DATABASES, s.DATABASES.get('replica', {}).get('HOST'), "
        "getattr(s, 'DATABASE_ROUTERS', []), s.MIDDLEWARE[0])"
    )
    env = {**os.environ, "DATABASE_REPLICA_URL": replica_url}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    if replica_url:
        assert out.stdout.split() == ["True", "replica.example", f"['{ROUTER}']", MIDDLEWARE]
    else:
        assert out.stdout.split()[:2] == ["False", "None"]
        assert ROUTER not in out.stdout
        assert MIDDLEWARE not in out.stdout


def test_after_a_post_the_same_browser_reads_the_primary_until_the_cookie_expires(replica, client, make_user):
    # given: a POST (a status change) and the page it redirects to
    point = PointFactory()
    client.force_login(make_user(Role.OFFICER))
    url = reverse("agents:point_status", args=[point.pk, "suspend"])
    answer = client.post(url, {"action": "suspend", "reason": "Replica test."})
    assert STICKY_COOKIE in answer.cookies
    # when: the redirect's page is asked within the cookie's life
    _response, primary, rep = _on_each(lambda: client.get(answer["Location"]))
    # then: it reads the primary, which has the change
    assert "agents_registrationpoint" in primary
    assert rep == ""
    # when: the cookie has expired
    client.cookies[STICKY_COOKIE] = str(int(time.time()) - 1)
    _response, primary, rep = _on_each(lambda: client.get(answer["Location"]))
    # then: the replica again
    assert "agents_registrationpoint" in rep


def test_a_forged_or_bad_sticky_cookie_only_sends_reads_to_the_primary(replica, client, make_user):
    client.force_login(make_user(Role.OFFICER))
    client.cookies[STICKY_COOKIE] = "not a time"
    _response, primary, rep = _on_each(lambda: client.get(reverse("agents:point_list")))
    assert "agents_registrationpoint" in rep
