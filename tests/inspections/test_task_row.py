"""The planning page's row tag (inspections_tags.task_row) writes what task_list_rows.html's row wrote (issue 15)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext

from inspections import selectors
from inspections.models import TaskKind, TaskStatus
from tests.inspections.factories import TaskFactory

pytestmark = pytest.mark.django_db

# the row as task_list_rows.html wrote it before the tag (one template variable at a time)
OLD_ROW = (
    "{% load i18n display rows inspections_tags %}{% for t in rows %}\n"
    '  <tr data-testid="task-row"{% if not t.inspector_id %} class="unassigned"{% endif %}>\n'
    '    {% if can_assign %}<td class="tick">{% if t.status == "PLANNED" or t.status == "ASSIGN'
    'ED" %}<input type="checkbox" name="ids" value="{{ t.pk }}" form="bulk-review" aria-label="'
    '{{ tick_label|with_id:t.pk }}">{% endif %}</td>{% endif %}\n'
    "    <td><a href=\"{{ t.pk|pk_url:'inspections:task_detail' }}\">{{ t.pk }}</a></td>\n"
    '    <td class="nowrap">{{ t.due_date|day }}</td>\n'
    '    <td class="nowrap"><a href="{{ t.pk|pk_url:\'inspections:task_detail\' }}">{{ t.point.co'
    'de }}</a> <small class="muted">{{ t.point.name }}</small></td>\n'
    "    <td>{{ t.point.province.name }}</td>\n"
    '    <td>{{ t|display:"kind" }}</td>\n'
    "    <td>{% task_status t today %}</td>\n"
    "    <td>{% if t.inspector %}{{ t.inspector.get_full_name|default:t.inspector.get_username "
    '}}{% else %}<em class="muted">{% translate "unassigned" %}</em>{% endif %}</td>\n'
    "  </tr>"
    "\n{% endfor %}"
)
NEW_ROW = "{% load inspections_tags %}{% for t in rows %}\n  {% task_row t can_assign tick_label today %}\n{% endfor %}"


@pytest.fixture
def tasks(officer, make_user):
    today = timezone.localdate()
    named = make_user(first_name="Lan", last_name="Trần <Thị>", username="lan")
    TaskFactory(due_date=today - dt.timedelta(days=3))  # planned, overdue, unassigned
    TaskFactory(inspector=named, kind=TaskKind.FOLLOW_UP)
    TaskFactory(inspector=make_user(username="no-name"), status=TaskStatus.IN_PROGRESS)
    TaskFactory(status=TaskStatus.SUBMITTED, inspector=named, due_date=today - dt.timedelta(days=1))
    return list(selectors.planning_rows(user=officer).order_by("pk"))


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("can_assign", [True, False])
def test_the_row_tag_writes_what_the_template_wrote(tasks, language, can_assign):
    with translation.override(language):
        context = {
            "rows": tasks,
            "can_assign": can_assign,
            "tick_label": gettext("Tick task %(id)s"),
            "today": timezone.localdate(),
        }
        old = Template(OLD_ROW).render(Context(context))
        new = Template(NEW_ROW).render(Context(context))
    assert new == old
    assert "Trần &lt;Thị&gt;" in new
