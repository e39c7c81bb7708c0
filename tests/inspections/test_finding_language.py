"""A finding's and an answer's checklist question in the reader's language on every page that shows it (the
point and agent sections, the task, the findings list and page, a sanction, the ladder's standing), the other
language's only when the item lacks a translation. Findings are made as a review makes them: from the failed
answers of an accepted report; their stored description (an English summary) is never what a page shows."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from inspections.models import ChecklistItem
from inspections.services import review
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import make_sanction, submitted_task

pytestmark = pytest.mark.django_db

OTHER = {"vi": "en", "en": "vi"}


@pytest.fixture(autouse=True)
def language_restored():
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.fixture
def point():
    return PointFactory(code="HN-LANG", agent=AgentFactory(code="AG-LANG", province_code="001"))


@pytest.fixture
def finding(point, officer, inspector):
    """The camera item failed at an accepted visit: one finding, with a sanction proposed on it."""
    task = submitted_task(inspector=inspector, point=point, failing=("camera",))
    [made] = review.report_accept(task=task, actor=officer)
    make_sanction(point, proposed_by=officer, finding=made, status="PROPOSED")
    return made


def reader(user, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def pages(finding) -> dict[str, str]:
    sanction = finding.sanctions.get()
    return {
        "point section": reverse("inspections:point_section", args=[finding.point_id]),
        "agent section": reverse("inspections:agent_section", args=[finding.point.agent_id]),
        "task": reverse("inspections:task_detail", args=[finding.task_id]),
        "findings": reverse("inspections:finding_list"),
        "finding": reverse("inspections:finding_detail", args=[finding.pk]),
        "sanction": reverse("inspections:sanction_detail", args=[sanction.pk]),
        "ladder standing": reverse("enforcement:point_ladder_section", args=[finding.point_id]),
    }


def question(item: ChecklistItem, language: str) -> str:
    return item.question_vi if language == "vi" else item.question_en


def shown(item: ChecklistItem, language: str) -> str:
    """The question as a page writes it (HTML-escaped: "subscriber&#x27;s")."""
    return escape(question(item, language))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_showing_a_finding_shows_its_question_in_the_readers_language_only(officer, finding, language):
    # given
    item = finding.answer.item
    client = reader(officer, language)
    for name, url in pages(finding).items():
        # when
        response = client.get(url)
        # then
        assert response.status_code == 200, name
        html = response.content.decode()
        assert shown(item, language) in html, name
        assert shown(item, OTHER[language]) not in html, name


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_task_page_lists_every_answer_in_the_readers_language(officer, finding, language):
    html = reader(officer, language).get(reverse("inspections:task_detail", args=[finding.task_id])).content.decode()
    for item in finding.answer.report.template.items.all():
        assert shown(item, language) in html
        assert shown(item, OTHER[language]) not in html


def test_a_missing_translation_falls_back_to_the_other_language(officer, finding):
    # given: an item written with its English question only
    item = finding.answer.item
    ChecklistItem.objects.filter(pk=item.pk).update(question_vi="")
    # when
    html = reader(officer, "vi").get(reverse("inspections:finding_detail", args=[finding.pk])).content.decode()
    # then: the English question rather than nothing
    assert escape(item.question_en) in html


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_item_asks_in_the_language_given_or_the_active_one(language):
    item = ChecklistItem(question_en="Is the sign up?", question_vi="Biển hiệu có treo không?")
    with translation.override(language):
        assert item.question() == question(item, language)
    assert item.question(OTHER[language]) == question(item, OTHER[language])
    assert ChecklistItem(question_en="Is the sign up?", question_vi=" ").question("vi") == "Is the sign up?"
    assert ChecklistItem(question_en="", question_vi="Biển hiệu?").question("en") == "Biển hiệu?"
