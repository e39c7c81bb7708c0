"""The demo's campaigns: DDV-031's half done (some re-verified, some corrected, a few terminated, the rest
pending), SIMVANG's closed with nothing to re-verify, a manager's at a TGS-001 point; made once."""

import pytest

from agents.services import agent_terminate
from core.roles import Role
from enforcement.campaigns.demo import seed_campaigns
from enforcement.campaigns.models import Campaign
from enforcement.campaigns.progress import counts_by_campaign
from enforcement.remediation.models import RemediationCase
from registrations.models import PopulationCheck
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(make_user):
    manager = make_user(Role.MANAGER, username="manager")
    ddv = AgentFactory(code="DDV-031", province_code="031")
    for n in range(2):
        point = PointFactory(code=f"DDV-031-00{n}", agent=ddv)
        for _ in range(12):
            RegistrationFactory(point=point, population_check=PopulationCheck.PENDING)
    agent_terminate(agent=ddv, reason="Sanction approved: termination", actor=manager, include_points=True)
    simvang = AgentFactory(code="SIMVANG")
    PointFactory(code="SIMVANG-001", agent=simvang)
    agent_terminate(agent=simvang, reason="Pre-activated SIMs", actor=manager, include_points=True)
    tgs = PointFactory(code="TGS-001-000", agent=AgentFactory(code="TGS-001"))
    RegistrationFactory(point=tgs)
    return manager


def test_the_demo_has_a_half_done_campaign_a_closed_one_and_a_manager_s(demo_world):
    # when
    seed_campaigns()
    again = seed_campaigns()
    # then
    ddv = Campaign.objects.get(agent__code="DDV-031")
    counts = counts_by_campaign(RemediationCase.objects.all())[ddv.pk]
    assert (ddv.trigger, ddv.status) == ("TERMINATION", "OPEN")
    assert all(counts[b] > 0 for b in ("REVERIFIED", "CORRECTED", "TERMINATED", "PENDING")), counts
    assert counts["PENDING"] < counts["total"]
    assert Campaign.objects.get(agent__code="SIMVANG").status == "CLOSED"
    assert Campaign.objects.get(point__code="TGS-001-000").trigger == "MANAGER"
    assert set(ddv.cases.filter(status="OPEN").values_list("current_step", flat=True)) == {"REMINDER"}
    assert again == "exists"
