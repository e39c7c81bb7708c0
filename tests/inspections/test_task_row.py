"""The planning page's rows tag (inspections_tags.task_rows, over selectors.planning_rows' named tuples) writes what
task_list_rows.html's loop of rows wrote from the tasks' model instances (issue 15)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext

from inspections import selectors
from inspections.models import TaskKind, TaskStatus
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory

pytestmark = pytest.mark.django_db

# the rows as task_list_rows.html wrote them before the tag (one template variable at a time, on model instances);
# the task's id as a reference, #1045 (a bare 1045 reads as an ungrouped number in Vietnamese)
OLD_ROW = (
    "{% load i18n display rows inspections_tags %}{% for t in rows %}\n"
    '  <tr data-testid="task-row"{% if not t.inspector_id %} class="unassigned"{% endif %}>\n'
    '    {% if can_assign %}<td class="tick">{% if t.status == "PLANNED" or t.status == "ASSIGN'
    'ED" %}<input type="checkbox" name="ids" value="{{ t.pk }}" form="bulk-review" aria-label="'
    '{{ tick_label|with_id:t.pk }}">{% endif %}</td>{% endif %}\n'
    "    <td><a href=\"{{ t.pk|pk_url:'inspections:task_detail' }}\">#{{ t.pk }}</a></td>\n"
    '    <td class="nowrap">{{ t.due_date|day }}</td>\n'
    '    <td class="nowrap"><a href="{{ t.pk|pk_url:\'inspections:task_detail\' }}">{{ t.point.co'
    'de }}</a> <small class="muted">{{ t.point.name }}</small></td>\n'
    "    <td>{{ t.point.province.name }}</td>\n"
    '    <td>{{ t|display:"kind" }}</td>\n'
    "    <td>{% task_status t today %}</td>\n"
    "    <td>{% if t.inspector %}{{ t.inspector.get_full_name|default:t.inspector.get_username "
    '}}{% else %}<em class="muted">{% translate "unassigned" %}</em>{% endif %}</td>\n'
    "  </tr>"
    "\n  {% endfor %}"
)
NEW_ROW = "{% load inspections_tags %}{% task_rows rows can_assign tick_label today %}"


@pytest.fixture
def tasks(officer, make_user):
    today = timezone.localdate()
    named = make_user(first_name="Lan", last_name="Trần <Thị>", username="lan")
    TaskFactory(due_date=today - dt.timedelta(days=3))  # planned, overdue, unassigned
    TaskFactory(inspector=named, kind=TaskKind.FOLLOW_UP)
    TaskFactory(inspector=make_user(username="no-name"), status=TaskStatus.IN_PROGRESS)
    TaskFactory(status=TaskStatus.SUBMITTED, inspector=named, due_date=today - dt.timedelta(days=1))
    # returned and late, its inspector with a first name only, its point's code and name to be escaped
    TaskFactory(
        pk=1045,
        point=PointFactory(code="HN<&>1", name='Quầy "Số 1" & <b>'),
        status=TaskStatus.RETURNED,
        inspector=make_user(first_name=" Minh ", username="minh"),
        due_date=today - dt.timedelta(days=2),
    )
    TaskFactory(status=TaskStatus.CANCELLED, kind=TaskKind.COMPLAINT, due_date=today - dt.timedelta(days=9))
    return (
        list(selectors.task_list(user=officer).order_by("pk")),  # model instances, as the template read them
        list(selectors.planning_rows(user=officer).order_by("pk")),  # the page's rows
    )


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("can_assign", [True, False])
def test_the_rows_tag_writes_what_the_template_wrote(tasks, language, can_assign):
    instances, rows = tasks
    assert [row.pk for row in rows] == [task.pk for task in instances]
    with translation.override(language):
        context = {
            "can_assign": can_assign,
            "tick_label": gettext("Tick task %(id)s"),
            "today": timezone.localdate(),
        }
        old = Template(OLD_ROW).render(Context({**context, "rows": instances}))
        new = Template(NEW_ROW).render(Context({**context, "rows": rows}))
    assert new == old
    assert new.count('data-testid="task-row"') == 6
    assert "Trần &lt;Thị&gt;" in new
    assert "HN&lt;&amp;&gt;1" in new
    assert "Quầy &quot;Số 1&quot; &amp; &lt;b&gt;" in new
    assert ">#1045</a>" in new
    assert new.count('data-testid="overdue"') == 2  # the planned one and the returned one; not submitted, cancelled
