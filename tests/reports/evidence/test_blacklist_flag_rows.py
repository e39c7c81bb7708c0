"""An evidence pack's flags.csv keys a BLACKLISTED_AGENT flag by the agent's or the point's code (issue 16)."""

import pytest

from reports.evidence.packing import _flag_row
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


def test_a_blacklist_flag_on_an_agent_or_a_point_is_keyed_by_its_code():
    # given
    agent = AgentFactory(code="BACK-1")
    point = PointFactory(code="BACK-1-P", agent=agent)
    on_agent = make_flag("BLACKLISTED_AGENT", subject_agent=agent)
    on_point = make_flag("BLACKLISTED_AGENT", subject_point=point)
    # when
    agent_row, point_row = _flag_row(on_agent), _flag_row(on_point)
    # then: (subject_type, subject_key, point_code, agent_code)
    assert agent_row[4:8] == ["agent", "BACK-1", "", "BACK-1"]
    assert point_row[4:8] == ["point", "BACK-1-P", "BACK-1-P", "BACK-1"]
