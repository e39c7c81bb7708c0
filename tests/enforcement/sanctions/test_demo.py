"""The ladder's demo data: a point at a proposed suspension, an agent terminated by the ladder, a fine
awaiting an officer, a dismissed suggestion; made once."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from agents.models import Status
from core.roles import Role
from enforcement.sanctions.demo import MARK, seed_sanction_ladder
from enforcement.sanctions.models import SanctionSuggestion, SuggestionStatus
from inspections.models import Finding
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


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_demos_findings_show_their_checklist_question_in_the_readers_language(demo_world, language):
    # given: the demo made, read by its Vietnamese (or English) manager
    seed_sanction_ladder()
    manager = get_user_model().objects.get(username="manager")
    manager.language = language
    manager.save(update_fields=["language"])
    client = Client()
    client.force_login(manager)
    findings = Finding.objects.filter(task__reason=MARK).select_related("answer__item")
    # then: each a failed answer of an accepted report, as a review makes it
    assert findings.count() == 11
    assert all(f.answer is not None and f.answer.failed for f in findings)
    other = "en" if language == "vi" else "vi"
    for point in {f.point for f in findings}:
        # when
        with translation.override(language):  # a request leaves its language active: restored after
            html = client.get(reverse("inspections:point_section", args=[point.pk])).content.decode()
        # then
        for f in findings.filter(point=point):
            assert escape(f.answer.item.question(language)) in html
            assert escape(f.answer.item.question(other)) not in html
