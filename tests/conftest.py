import os

import pytest
from django.db.backends.signals import connection_created

from core.roles import Role
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def _allow_test_flush(sender, connection, **kwargs):
    """PostgreSQL refuses TRUNCATE of the audit trail (core migration 0006) unless the session says so;
    the test suite's sessions do, because Django empties the test database with TRUNCATE between
    transactional tests. tests/core/test_audit.py switches it off again to see the refusal."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET sim_agent_watch.allow_audit_truncate = 'on'")


connection_created.connect(_allow_test_flush, dispatch_uid="tests.allow_audit_truncate")


def require_or_skip(available: bool, what: str):
    """Skip a test whose tool is missing on a developer machine; under CI that is a failure."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required under CI=true but is missing.")
    pytest.skip(f"{what} is missing; these tests run under CI.")


@pytest.fixture
def make_user(db):
    def make(role: Role | str | None = None, provinces: list[str] | None = None, **kwargs):
        return UserFactory(role=role, provinces=provinces, **kwargs)

    return make


@pytest.fixture
def officer(make_user):
    return make_user(Role.OFFICER, username="officer")


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER, username="manager", is_staff=True)


@pytest.fixture
def inspector(make_user):
    return make_user(Role.INSPECTOR, username="inspector", provinces=["001"])


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def integration(make_user):
    return make_user(Role.INTEGRATION, username="integration")


@pytest.fixture
def users_by_role(officer, manager, inspector, auditor, integration):
    return {
        Role.OFFICER: officer,
        Role.MANAGER: manager,
        Role.INSPECTOR: inspector,
        Role.AUDITOR: auditor,
        Role.INTEGRATION: integration,
    }


@pytest.fixture(autouse=True)
def tasks_in_process(request):
    """Unit tests run Celery tasks in-process even when a broker is configured, so they are deterministic;
    tests marked `redis` or `worker` send tasks through a real broker to a real worker process."""
    if request.node.get_closest_marker("redis") or request.node.get_closest_marker("worker"):
        yield
        return
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
