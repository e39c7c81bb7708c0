"""Issue 11: schemathesis fuzzes every operation of /api/schema/ with every role's token (and a
province-limited officer): no 5xx, and every answer (status, content type, headers, body) matches the schema.

In-process through the WSGI application (same database transaction as the test), a fixed seed
(`derandomize`) and a bounded number of examples per operation and role, so it is repeatable and quick.
"""

import itertools

import pytest
from rest_framework.authtoken.models import Token

from core.roles import Role
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = 4
# Valid data (answers must match the schema) and invalid data (it must be refused, never a 5xx).
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# All checks. A schema-valid request may still be refused with 400: a string the schema cannot describe
# (a Vietnamese mobile number, an ICCID's Luhn digit, a date range the wrong way round) is not accepted.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409"]}}}
)

PRINCIPALS = {
    "officer": (Role.OFFICER, None),
    "manager": (Role.MANAGER, None),
    "auditor": (Role.AUDITOR, None),
    "inspector": (Role.INSPECTOR, ["001"]),
    "integration": (Role.INTEGRATION, None),
    "officer-hanoi": (Role.OFFICER, ["001"]),
}


@pytest.fixture
def world(db):
    """A little of everything in two provinces, so detail paths and filters find something."""
    for province in ("001", "079"):
        point = PointFactory(agent=AgentFactory(province_code=province), province_code=province)
        registration = RegistrationFactory(point=point)
        ActivationFactory(iccid=registration.iccid)
        make_flag("MISSING_PHOTOS", registration=registration)


@pytest.fixture
def schema():
    """The WSGI application, kept from closing the test's database connection after each request (as
    Django's test client does: otherwise the connection, in the test's transaction, looks unusable)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=CONFIG, headers=_auth(Role.MANAGER)
    )
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _auth(role, provinces=None) -> dict:
    from tests.factories import UserFactory

    user = UserFactory(role=role, provinces=provinces)
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _run(operation, headers, mode):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(headers=headers)

    check()


def test_every_operation_with_every_role(world, schema):
    principals = {name: _auth(role, provinces) for name, (role, provinces) in PRINCIPALS.items()}
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for (name, headers), mode in itertools.product(principals.items(), MODES):
            try:
                _run(operation, headers, mode)
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing to get wrong (no parameter, no body): /me/
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is listed
                failures.append(f"{operation.method.upper()} {operation.path} as {name}: {exc}")
    assert operations >= 20  # the schema was read whole
    for failure in failures:
        print(failure, end="\n\n")  # noqa: T201 - the whole report, shown when the test fails
    assert not failures, [failure.split(":", 1)[0] for failure in failures]
