"""The demo blacklist: a terminated dealer whose owner comes back is flagged by the next check run; the near
miss, the lifted and the expired entries flag nothing; seeding twice changes nothing."""

import pytest

from agents.blacklist.demo import seed_blacklist
from agents.blacklist.models import BlacklistEntry
from agents.demo import seed_agents
from core.demo import ensure_demo_users
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_terminated_dealer_coming_back_and_every_state_of_an_entry():
    # given
    ensure_demo_users()
    seed_agents()
    # when
    seed_blacklist()
    again = seed_blacklist()
    run_checks(codes=["BLACKLISTED_AGENT"], trigger=CheckRun.Trigger.COMMAND)
    # then
    assert again == "already seeded"
    flagged = set(Flag.objects.filter(rule__code="BLACKLISTED_AGENT").values_list("subject_type", "agent__code"))
    assert flagged == {("agent", "HOANGKIM"), ("point", "HOANGKIM"), ("point", "DDV-001")}
    states = {entry.agent_code: entry.state for entry in BlacklistEntry.objects.all()}
    assert states["SIMVANG"] == BlacklistEntry.State.ACTIVE
    assert states["NHATTAN"] == BlacklistEntry.State.LIFTED
    assert states["CUUPHONG"] == BlacklistEntry.State.EXPIRED
    assert states["THANHDAT"] == BlacklistEntry.State.ACTIVE
    assert states["KHO79"] == BlacklistEntry.State.ACTIVE  # the agents demo's terminated dealer, listed on import
    assert BlacklistEntry.objects.get(agent_code="THANHDAT").source == BlacklistEntry.Source.MANUAL
