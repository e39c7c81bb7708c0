"""A parent agent's page rolls up its whole dealer tree (issue 13): points and flags of its sub-agents at
any depth, each figure linking to the list that counts the same rows, scoped by province."""

import re

import pytest
from django.urls import reverse

from agents.selectors import agent_tree_ids
from core.roles import Role
from registrations.checks.rules.catalogue import BY_CODE
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """A dealer (no points of its own) -> two sub-agents in Hà Nội -> one sub-sub-agent in Sài Gòn."""
    dealer = AgentFactory(code="DEALER", province_code="001")
    left = AgentFactory(code="SUB-L", parent=dealer, province_code="001")
    right = AgentFactory(code="SUB-R", parent=dealer, province_code="001")
    deep = AgentFactory(code="SUB-DEEP", parent=right, province_code="079")
    points = {
        "left": [PointFactory(agent=left, province_code="001") for _ in range(2)],
        "right": [PointFactory(agent=right, province_code="001")],
        "deep": [PointFactory(agent=deep, province_code="079") for _ in range(3)],
    }
    other = PointFactory(agent=AgentFactory(code="STRANGER"), province_code="001")  # not in the tree
    for point in (points["left"][0], points["deep"][0], other):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point))
    return dealer, points


def count_on(html, testid_pattern):
    match = re.search(testid_pattern, html, re.S)
    assert match, testid_pattern
    return int(match.group(1).replace(",", "").replace(".", ""))


def test_the_tree_holds_every_descendant_and_nothing_else(tree):
    dealer, _points = tree
    codes = {a.code for a in AgentFactory._meta.model.objects.filter(pk__in=agent_tree_ids([dealer.pk]))}
    assert codes == {"DEALER", "SUB-L", "SUB-R", "SUB-DEEP"}


def test_a_loop_in_bad_data_does_not_hang(tree):
    dealer, _points = tree
    left = AgentFactory._meta.model.objects.get(code="SUB-L")
    AgentFactory._meta.model.objects.filter(pk=dealer.pk).update(parent=left)  # DEALER <-> SUB-L
    assert set(agent_tree_ids([dealer.pk])) >= {dealer.pk, left.pk}


@pytest.mark.parametrize(("provinces", "expected_points"), [(None, 6), (["001"], 3)])
def test_parent_page_counts_the_trees_points_as_its_list_does(client, make_user, tree, provinces, expected_points):
    # given: an officer of every province, or of Hà Nội only
    dealer, _points = tree
    client.force_login(make_user(Role.OFFICER, provinces=provinces))
    # when
    html = client.get(reverse("agents:agent_detail", args=[dealer.pk])).content.decode()
    # then: the page's figure and the list behind its link agree
    shown = count_on(html, r'data-testid="tree-points".*?agent_tree=DEALER">(\d[\d.,]*) registration point')
    listed = client.get(reverse("agents:point_list"), {"agent_tree": "DEALER"}).context["page"]
    assert shown == expected_points
    assert len(listed.items) == expected_points


@pytest.mark.parametrize(("provinces", "expected_flags"), [(None, 2), (["001"], 1)])
def test_parent_flags_section_rolls_up_the_tree(client, make_user, tree, provinces, expected_flags):
    dealer, _points = tree
    client.force_login(make_user(Role.OFFICER, provinces=provinces))
    html = client.get(reverse("registrations:agent_flags_section", args=[dealer.pk])).content.decode()
    shown = count_on(html, r"(\d+) open or confirmed flag")
    queue = client.get(reverse("registrations:flag_list"), {"agent_tree": "DEALER", "status": ""})
    assert shown == expected_flags
    assert len(queue.context["page"].items) == expected_flags
    # and the chips read the rule's name, not its code
    visible = re.sub(r"<[^>]+>", " ", html)
    assert BY_CODE["MISSING_PHOTOS"]["name_en"] in visible
    assert "MISSING_PHOTOS" not in visible


def test_an_agent_without_sub_agents_shows_no_roll_up(client, officer):
    lonely = AgentFactory(code="LONELY")
    PointFactory(agent=lonely)
    client.force_login(officer)
    html = client.get(reverse("agents:agent_detail", args=[lonely.pk])).content.decode()
    assert 'data-testid="tree-points"' not in html
