"""The ladder's demo data: a point at a proposed suspension, an agent terminated by the ladder, a fine
awaiting an officer, a dismissed suggestion; made once."""

import pytest

from agents.models import Status
from core.roles import Role
from enforcement.sanctions.demo import seed_sanction_ladder
from enforcement.sanctions.models import SanctionSuggestion, SuggestionStatus
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(make_user):
    make_user(Role.OFFICER, username="officer")
    make_user(Role.MANAGER, username="manager")
    agents = {code: AgentFactory(code=code, province_code=code[-3:]) for code in ("TGS-001", "DDV-031", "TGS-079")}
    for code, agent in agents.items():
        for n in range(5 if code == "DDV-031" else 8):
            PointFactory(code=f"{code}-{n:03d}", agent=agent)
    return agents


def test_the_demo_shows_every_state_of_the_ladder_once(demo_world):
    # when
    first = seed_sanction_ladder()
    again = seed_sanction_ladder()
    # then
    suggestions = SanctionSuggestion.objects.select_related("sanction_type", "sanction", "point")
    at_point = suggestions.filter(point__code="TGS-001-007").order_by("rung").last()
    assert (at_point.sanction_type.code, at_point.sanction.status) == ("suspend-point", "PROPOSED")
    top = suggestions.get(point__code="DDV-031-004")
    assert (top.ladder, top.rung, top.rung_count, top.sanction.status) == ("AGENT", 5, 5, "APPROVED")
    demo_world["DDV-031"].refresh_from_db()
    assert demo_world["DDV-031"].status == Status.TERMINATED
    statuses = set(suggestions.values_list("status", flat=True))
    assert {SuggestionStatus.SUGGESTED, SuggestionStatus.CONFIRMED, SuggestionStatus.DISMISSED} <= statuses
    assert "already" in again
    assert suggestions.count() == 11, first
