"""The monthly report's remediation figures (issue 16): cases opened, steps due per step, handled on time or
late, by province (APP registrations' cases only in the all-provinces report)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from enforcement.remediation.models import CaseStep, Step
from enforcement.remediation.services import ladder_advance
from reports.monthly.figures import Month, compute_figures
from reports.monthly.render import metric_label
from tests.agents.factories import AgentFactory, PointFactory
from tests.enforcement.remediation.factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_remediation_figures_of_a_month():
    # given: in March, two cases at a Hà Nội point and one from the app; one opened in February
    hn = PointFactory(agent=AgentFactory(province_code="001"))
    flagged("INCOMPLETE_RECORD", point=hn, external_id="FEB")
    ladder_advance(now=dt.datetime(2026, 2, 20, 10, 0, tzinfo=HCM))  # one-way block due 7 March 10:00
    flagged("INCOMPLETE_RECORD", point=hn, external_id="MAR")
    flagged("POPULATION_MISMATCH", app=True, external_id="APP")
    march = dt.datetime(2026, 3, 31, 23, 0, tzinfo=HCM)  # suspension due 1 April 01:00: April's
    ladder_advance(now=march)
    ladder_advance(now=dt.datetime(2026, 4, 2, tzinfo=HCM))
    one_way = CaseStep.objects.get(step=Step.ONE_WAY_BLOCK)
    one_way.outcome, one_way.done_at = "DONE", one_way.due_at  # exactly at its due time: on time
    one_way.save()
    reminder = CaseStep.objects.get(step=Step.REMINDER, case__registration__external_id="MAR")
    reminder.outcome, reminder.done_at = "DONE", reminder.due_at + dt.timedelta(seconds=1)
    reminder.save()
    # when
    everywhere = compute_figures(Month.parse("2026-03"))
    hanoi = compute_figures(Month.parse("2026-03"), ["001"])
    # then
    assert everywhere["remediation_cases_opened"] == 2
    assert everywhere["remediation_cases.REMINDER"] == 2
    assert everywhere["remediation_cases.ONE_WAY_BLOCK"] == 1
    assert everywhere["remediation_cases.SUSPEND_OUTGOING"] == 0
    assert (everywhere["remediation_steps_on_time"], everywhere["remediation_steps_late"]) == (1, 1)
    assert hanoi["remediation_cases_opened"] == 1
    assert hanoi["remediation_cases.REMINDER"] == 1
    assert compute_figures(Month.parse("2026-04"))["remediation_cases.SUSPEND_OUTGOING"] == 1


def test_remediation_metrics_read_in_words():
    assert metric_label("remediation_cases.TERMINATION") == "Remediation step due: Termination"
    assert metric_label("remediation_steps_late") == "Remediation steps done by the operator late"
