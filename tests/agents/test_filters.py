"""The point and agent lists' filters that the dashboard's counters link to (issue 12)."""

import datetime as dt

import pytest
from django.http import QueryDict

from agents.filters import AgentFilter, PointFilter
from agents.models import Agent, RegistrationPoint, RiskTier
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


def codes(filter_class, model, query: str) -> set[str]:
    filterset = filter_class(QueryDict(query), queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    return {obj.code for obj in filterset.qs}


def test_risk_tier_none_lists_what_is_not_scored_yet():
    AgentFactory(code="HIGH", risk_tier=RiskTier.HIGH)
    AgentFactory(code="NEW", risk_tier="")
    assert codes(AgentFilter, Agent, "risk_tier=NONE") == {"NEW"}
    assert codes(AgentFilter, Agent, "risk_tier=HIGH") == {"HIGH"}
    assert codes(AgentFilter, Agent, "") == {"HIGH", "NEW"}


def test_inspected_from_and_before_split_the_points_at_a_day():
    PointFactory(code="RECENT", last_inspection_on=TODAY - dt.timedelta(days=29))
    PointFactory(code="ON_THE_DAY", last_inspection_on=TODAY - dt.timedelta(days=30))
    PointFactory(code="OLD", last_inspection_on=TODAY - dt.timedelta(days=31))
    PointFactory(code="NEVER", last_inspection_on=None)
    cutoff = (TODAY - dt.timedelta(days=30)).isoformat()
    assert codes(PointFilter, RegistrationPoint, f"inspected_from={cutoff}") == {"RECENT", "ON_THE_DAY"}
    # the complement, never-inspected points included
    assert codes(PointFilter, RegistrationPoint, f"inspected_before={cutoff}") == {"OLD", "NEVER"}


def test_a_bad_day_is_an_error_not_everything():
    filterset = PointFilter(QueryDict("inspected_from=yesterday"), queryset=RegistrationPoint.objects.all())
    assert not filterset.is_valid()
    assert "inspected_from" in filterset.errors
