"""Issue 11 item 9: pages that only read refuse POST (and every other unsafe method) with 405.

The refusal comes first (`require_safe` is each read view's outermost decorator), so no object is needed:
an unknown pk answers 405 too. Writes keep their own pages (`..._create`, `..._edit`, reviews, field posts).
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

READ_ONLY = [
    ("home", []),
    ("reports:dashboard", []),
    ("core:audit_list", []),
    ("core:user_list", []),
    ("core:user_detail", [1]),
    ("agents:agent_list", []),
    ("agents:agent_detail", [1]),
    ("agents:agent_export", []),
    ("agents:point_list", []),
    ("agents:point_detail", [1]),
    ("agents:point_export", []),
    ("agents:import_result", []),
    ("agents:import_rejects", [1]),
    ("registrations:registration_detail", [1]),
    ("registrations:import_detail", [1]),
    ("registrations:import_progress", [1]),
    ("registrations:import_rejects", [1]),
    ("registrations:flag_list", []),
    ("registrations:flag_detail", [1]),
    ("registrations:flag_export", []),
    ("registrations:point_flags_section", [1]),
    ("registrations:agent_flags_section", [1]),
    ("registrations:rule_list", []),
    ("registrations:checkrun_list", []),
    ("registrations:checkrun_detail", [1]),
    ("registrations:checkrun_progress", [1]),
    ("inspections:task_list", []),
    ("inspections:task_detail", [1]),
    ("inspections:finding_list", []),
    ("inspections:finding_detail", [1]),
    ("inspections:sanction_list", []),
    ("inspections:sanction_detail", [1]),
    ("inspections:action_list", []),
    ("inspections:action_detail", [1]),
    ("inspections:action_evidence_file", [1]),
    ("inspections:checklist_list", []),
    ("inspections:checklist_detail", [1]),
    ("inspections:point_section", [1]),
    ("enforcement:point_ladder_section", [1]),
    ("enforcement:agent_ladder_section", [1]),
    ("inspections:agent_section", [1]),
    ("inspections:home_section", []),
    ("inspections:my_tasks", []),
    ("inspections:task_work", [1]),
    ("inspections:photo", [1]),
    ("inspections:nightly_list", []),
    ("inspections:nightly_detail", [1]),
    ("inspections:nightly_progress", [1]),
]


@pytest.mark.parametrize(("url_name", "args"), READ_ONLY, ids=[name for name, _ in READ_ONLY])
def test_read_only_page_refuses_post(client, manager, url_name, args):
    client.force_login(manager)
    response = client.post(reverse(url_name, args=args))
    assert response.status_code == 405
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_read_only_page_refuses_other_unsafe_methods(client, manager, method):
    client.force_login(manager)
    assert getattr(client, method)(reverse("registrations:flag_export")).status_code == 405


# "reports:dashboard": the home page of officers, managers and auditors ("home" sends them there)
@pytest.mark.parametrize("url_name", ["reports:dashboard", "agents:agent_list", "registrations:flag_list"])
def test_read_only_page_still_answers_get_and_head(client, manager, url_name):
    client.force_login(manager)
    assert client.get(reverse(url_name)).status_code == 200
    assert client.head(reverse(url_name)).status_code == 200
