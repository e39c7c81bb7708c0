"""The flags section on point and agent pages: live flags per rule, linked to the queue; scoped like the queue."""

import re

import pytest
from django.urls import reverse

from core.roles import Role
from registrations.models import FlagStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi_point():
    return PointFactory(code="HN-9", agent=AgentFactory(code="AG-HN9", province_code="001"))


@pytest.fixture
def saigon_point():
    return PointFactory(code="SG-9", agent=AgentFactory(code="AG-SG9", province_code="079"))


def point_url(point):
    return reverse("registrations:point_flags_section", args=[point.pk])


def agent_url(agent):
    return reverse("registrations:agent_flags_section", args=[agent.pk])


def test_point_section_counts_open_and_confirmed_flags_per_rule(client, officer, hanoi_point):
    # given: two open and one confirmed MISSING_PHOTOS, one dismissed and one resolved flag of another rule
    for status in (FlagStatus.OPEN, FlagStatus.OPEN, FlagStatus.CONFIRMED):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), status=status)
    for status in (FlagStatus.DISMISSED, FlagStatus.RESOLVED):
        make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status=status)
    client.force_login(officer)

    # when
    response = client.get(point_url(hanoi_point))

    # then
    assert response.status_code == 200
    counts = {row["code"]: row["n"] for row in response.context["counts"]}
    assert counts == {"MISSING_PHOTOS": 3}
    html = response.content.decode()
    assert "point=HN-9" in html
    assert "rule=MISSING_PHOTOS" in html


def test_agent_section_counts_the_flags_of_all_its_points(client, officer, hanoi_point):
    # given
    other_point = PointFactory(agent=hanoi_point.agent)
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=other_point))
    client.force_login(officer)

    # when
    response = client.get(agent_url(hanoi_point.agent))

    # then
    assert response.context["total"] == 2


def test_a_point_without_flags_says_so(client, auditor, hanoi_point):
    client.force_login(auditor)

    response = client.get(point_url(hanoi_point))

    assert response.status_code == 200
    assert "No open or confirmed flags." in response.content.decode()


def test_other_provinces_points_answer_404(client, make_user, saigon_point):
    # given
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=saigon_point))
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))

    # then
    assert client.get(point_url(saigon_point)).status_code == 404
    assert client.get(agent_url(saigon_point.agent)).status_code == 404


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.INTEGRATION])
def test_roles_without_the_flag_queue_are_refused(client, users_by_role, hanoi_point, role):
    client.force_login(users_by_role[role])

    assert client.get(point_url(hanoi_point)).status_code == 403


def test_the_point_page_loads_the_section(client, officer, hanoi_point):
    client.force_login(officer)

    html = client.get(reverse("agents:point_detail", args=[hanoi_point.pk])).content.decode()

    assert f'hx-get="{point_url(hanoi_point)}"' in html


# --- a registration's own flags on its record page (issue 13) ---


def test_a_registration_page_lists_its_own_flags_in_words(client, officer, hanoi_point):
    # given: a registration with two flags, and another registration's flag
    registration = RegistrationFactory(point=hanoi_point, external_id="EXT-OWN-1")
    make_flag("MISSING_PHOTOS", registration=registration)
    make_flag("UNDERAGE", registration=registration)
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    client.force_login(officer)
    # when: the record page loads its flags section
    page = client.get(reverse("registrations:registration_detail", args=[registration.pk])).content.decode()
    section_url = reverse("registrations:registration_flags_section", args=[registration.pk])
    section = client.get(section_url).content.decode()
    # then: the page asks for the section, which lists exactly its two flags, by rule name
    assert section_url in page
    assert section.count('data-testid="registration-flag"') == 2
    assert "Portrait or ID document photos missing" in section
    assert "MISSING_PHOTOS" not in re.sub(r"<[^>]+>", " ", section)


def test_a_registration_without_flags_says_so(client, officer, hanoi_point):
    registration = RegistrationFactory(point=hanoi_point)
    client.force_login(officer)
    section = client.get(reverse("registrations:registration_flags_section", args=[registration.pk]))
    assert "No flag has been raised on this registration." in section.content.decode()
