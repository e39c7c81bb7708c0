import os
from dataclasses import dataclass

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


@pytest.fixture(autouse=True)
def language_restored():
    """A request leaves its language active in the thread (streamed CSV exports rely on it): each test starts
    from the language the one before it found, whatever that test's requests chose."""
    from django.utils import translation

    language = translation.get_language()
    yield
    translation.activate(language)


# --- each role, in scope and out of scope ---------------------------------------------------------
# One parametrised fixture that role tests of every app use (as CISO Assistant's
# backend/app_tests/conftest.py does). The object under test lives in Hà Nội ("001"); an "in" user
# is limited to Hà Nội, an "out" user to TP Hồ Chí Minh ("079"), an "all" user sees every province.

HANOI, SAIGON = "001", "079"
SCOPES = {"in": [HANOI], "out": [SAIGON], "all": None}


@dataclass(frozen=True)
class Principal:
    """A signed-in user of one role and one province scope, relative to a Hà Nội object."""

    role: Role
    scope: str  # "in", "out" or "all"
    user: object

    @property
    def in_scope(self) -> bool:
        return self.scope != "out"

    def allowed(self, roles) -> bool:
        return self.role in roles

    def expect(self, roles, ok: int = 200, refused: int = 403, hidden: int = 404) -> int:
        """The status a request for a Hà Nội object should get: `refused` for a role outside `roles`,
        `hidden` (404, DESIGN section 2) for an allowed role limited to another province, else `ok`."""
        if not self.allowed(roles):
            return refused
        return ok if self.in_scope else hidden

    def __str__(self) -> str:
        return f"{self.role.value}-{self.scope}"


def principal_params(scopes=("in", "out")):
    return [pytest.param((role, scope), id=f"{role.value}-{scope}") for role in Role for scope in scopes]


def _make_principal(make_user, role_scope) -> Principal:
    role, scope = role_scope
    user = make_user(role, provinces=SCOPES[scope], username=f"{role.value}-{scope}", is_staff=role == Role.MANAGER)
    return Principal(role=role, scope=scope, user=user)


@pytest.fixture(params=principal_params())
def principal(request, make_user) -> Principal:
    """Every role, limited to the object's province ("in", Hà Nội) or to another ("out", TP HCM)."""
    return _make_principal(make_user, request.param)


@pytest.fixture(params=principal_params(("in", "out", "all")))
def any_principal(request, make_user) -> Principal:
    """As `principal`, plus each role with every province ("all")."""
    return _make_principal(make_user, request.param)


@pytest.fixture
def hanoi_point(db):
    """A point of a Hà Nội agent: the usual in-scope object."""
    from tests.agents.factories import AgentFactory, PointFactory

    return PointFactory(code="HN-1", agent=AgentFactory(code="AG-HN", province_code=HANOI))


@pytest.fixture
def saigon_point(db):
    """A point of a TP Hồ Chí Minh agent: the usual out-of-scope object."""
    from tests.agents.factories import AgentFactory, PointFactory

    return PointFactory(code="SG-1", agent=AgentFactory(code="AG-SG", province_code=SAIGON))


@pytest.fixture
def hanoi_officer(make_user):
    return make_user(Role.OFFICER, provinces=[HANOI], username="hanoi-officer")


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def provinces_loaded(transactional_db):
    """A transactional test may find the tables emptied by an earlier one (they flush at their end), the
    provinces a migration loads included: ask for this fixture before any user or point."""
    from core.models import Province
    from core.provinces import load_provinces

    load_provinces(Province)
