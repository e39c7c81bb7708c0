"""A case from a real import and check run to its closing by a later import (issue 16's "done when")."""

import datetime as dt

import pytest

from enforcement.remediation.models import RemediationCase
from enforcement.remediation.services import ladder_advance
from registrations.checks.runner import run_checks
from registrations.models import Flag, FlagStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.test_importers import import_regs, reg

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("provinces_loaded")]


def test_a_case_closes_when_a_later_import_completes_the_record():
    # given: a registration imported without its address: INCOMPLETE_RECORD, and a case on the ladder
    PointFactory(code="P1", agent=AgentFactory(province_code="079"))
    import_regs(reg(address=""))
    run_checks(codes=["INCOMPLETE_RECORD"], trigger="COMMAND")
    ladder_advance()
    case = RemediationCase.objects.get(registration__external_id="R1")
    assert case.status == "OPEN"
    # when: a later import brings the address, the checks run and the clock moves on
    import_regs(reg())
    run_checks(codes=["INCOMPLETE_RECORD"], trigger="COMMAND")
    ladder_advance(now=case.opened_at + dt.timedelta(hours=1))
    # then
    case.refresh_from_db()
    assert Flag.objects.get(registration__external_id="R1").status == FlagStatus.RESOLVED
    assert (case.status, case.close_reason) == ("CLOSED", "RECORD_FIXED")
