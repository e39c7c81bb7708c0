"""Flags of BLACKLISTED_AGENT, whose subject is an agent or a point (issue 16), wherever flags go: export_flags,
the flag queue and its CSV, the flag page (with the match, masked), the monthly report's flagged.<RULE>."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agents import services as agent_services
from core.roles import Role
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag, SubjectType
from reports.monthly.figures import Month, compute_figures
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

CODE = "BLACKLISTED_AGENT"
TAX = "0100109106"


@pytest.fixture
def scene(officer):
    """A dealer terminated in Hà Nội; its owner back with a new agent (same tax code) and a point of it."""
    dealer = AgentFactory(code="OLD-1", tax_code=TAX, phone="+84912345678", province_code="001")
    agent_services.agent_terminate(agent=dealer, reason="Pre-activated SIMs", actor=officer)
    comeback = AgentFactory(code="NEW-1", tax_code=TAX, phone="+84987000001", province_code="001")
    point = PointFactory(code="NEW-P1", agent=comeback)
    run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    return {
        "dealer": dealer,
        "agent": comeback,
        "point": point,
        "agent_flag": Flag.objects.get(rule__code=CODE, subject_type=SubjectType.AGENT),
        "point_flag": Flag.objects.get(rule__code=CODE, subject_type=SubjectType.POINT),
    }


def test_export_flags_keys_an_agent_flag_by_the_agents_code_and_a_point_flag_by_the_points(scene):
    # when
    out = io.StringIO()
    call_command("export_flags", "--rule", CODE, stdout=out)
    # then
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted((r["subject_type"], r["subject_key"], r["point_code"], r["agent_code"]) for r in rows) == [
        ("agent", "NEW-1", "", "NEW-1"),
        ("point", "NEW-P1", "NEW-P1", "NEW-1"),
    ]
    assert {r["severity"] for r in rows} == {"critical"}


def test_the_queue_lists_both_flags_with_the_codes_as_subject_keys(client, scene):
    # given
    client.force_login(_user(Role.OFFICER))
    # when
    response = client.get(reverse("registrations:flag_list"), {"rule": CODE})
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "NEW-1" in body
    assert "NEW-P1" in body
    export = client.get(reverse("registrations:flag_export"), {"rule": CODE})
    text = b"".join(export.streaming_content).decode()
    assert ",agent,NEW-1,," in text
    assert ",point,NEW-P1,NEW-P1,NEW-1," in text


def _user(role, **kwargs):
    from tests.factories import UserFactory

    return UserFactory(role=role, username=f"{role}-reader", **kwargs)


@pytest.mark.parametrize("which", ["agent_flag", "point_flag"])
def test_the_flag_page_shows_what_matched_masked_and_whose_entry(client, scene, which):
    # given
    client.force_login(_user(Role.AUDITOR))
    # when
    response = client.get(reverse("registrations:flag_detail", args=[scene[which].pk]))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="blacklist-matches"' in body
    assert "OLD-1" in body  # the entry: the terminated dealer's code
    assert TAX not in body  # never the value in clear
    assert "010*****06" in body  # its masked form


def test_a_reader_of_another_province_sees_neither_flag(client, scene):
    client.force_login(_user(Role.OFFICER, provinces=["079"]))
    for flag in (scene["agent_flag"], scene["point_flag"]):
        assert client.get(reverse("registrations:flag_detail", args=[flag.pk])).status_code == 404


def test_a_reader_of_the_points_province_sees_the_point_flag(client, scene):
    client.force_login(_user(Role.OFFICER, provinces=["001"]))
    response = client.get(reverse("registrations:flag_detail", args=[scene["point_flag"].pk]))
    assert response.status_code == 200


def test_the_monthly_report_counts_the_agents_and_points_flagged_that_month(scene):
    # when
    month = Month.parse(timezone.localtime(scene["agent_flag"].first_seen).strftime("%Y-%m"))
    figures = compute_figures(month)
    in_hanoi = compute_figures(month, ["001"])
    in_saigon = compute_figures(month, ["079"])
    # then
    assert figures[f"flagged.{CODE}"] == 2
    assert in_hanoi[f"flagged.{CODE}"] == 2
    assert in_saigon[f"flagged.{CODE}"] == 0
    assert compute_figures(month.previous)[f"flagged.{CODE}"] == 0


def test_the_rule_page_shows_the_rule_and_its_backtest_says_why_it_has_none(client, manager):
    # given
    client.force_login(manager)
    # when
    page = client.get(reverse("registrations:rule_detail", args=[CODE]))
    backtest = client.post(reverse("registrations:rule_backtest", args=[CODE]), {"reason": "try"})
    # then
    assert page.status_code == 200
    assert "Agent or point matches the blacklist" in page.content.decode()
    assert backtest.status_code == 200
    assert "this rule judges agents and points" in backtest.content.decode()
