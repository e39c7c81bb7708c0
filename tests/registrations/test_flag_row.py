"""The flag queue's row tag (flag_tags.flag_row) writes what flag_list_rows.html's row wrote (issue 15)."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext

from registrations.checks import selectors
from registrations.models import FlagStatus
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

# the row as flag_list_rows.html wrote it before the tag (one template variable at a time)
OLD_ROW = (
    "{% load flag_tags display badges registration_tags rows %}{% for f in rows %}\n"
    '  <tr data-testid="flag-row">\n'
    '    {% if can_review %}<td class="tick"><input type="checkbox" name="ids" value="{{ f.pk }'
    '}" form="bulk-review"{% if f.pk in selected_ids %} checked{% endif %} aria-label="{{ tick_'
    'label|with_id:f.pk }}"></td>{% endif %}\n'
    '    <td class="rule-cell"><a href="{{ f.pk|pk_url:\'registrations:flag_detail\' }}" title="{'
    '{ f.rule.code }}">{{ f.rule|rule_name }}</a></td>\n'
    '    <td class="nowrap">{% severity_badge f.severity %}</td>\n'
    '    <td class="nowrap">{% status_badge f.status f|display:"status" %}</td>\n'
    '    <td class="subject">{{ f.subject_key|default:f.subject_id }}{% if f.subject_type != "r'
    'egistration" %} <span class="badge">{{ f|display:"subject_type" }}</span>{% endif %}</td>\n'
    '    <td class="nowrap">{{ f.point.code|default:"—" }}</td>\n'
    '    <td class="nowrap">{{ f.agent.code|default:"—" }}</td>\n'
    '    <td class="nowrap">{{ f.last_seen|when }}</td>\n'
    "  </tr>"
    "\n{% endfor %}"
)
NEW_ROW = "{% load flag_tags %}{% for f in rows %}\n  {% flag_row f can_review selected_ids tick_label %}\n{% endfor %}"


@pytest.fixture
def flags(officer):
    made = [
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory()),
        make_flag("REUSED_PORTRAIT", registration=RegistrationFactory(), status=FlagStatus.CONFIRMED),
        make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory()),
        make_flag("INCOMPLETE_RECORD", registration=RegistrationFactory(point=None, channel="APP")),
    ]
    rows = list(selectors.queue_rows(user=officer).order_by("pk"))
    assert len(rows) == len(made)
    return rows


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("can_review", [True, False])
def test_the_row_tag_writes_what_the_template_wrote(flags, language, can_review):
    with translation.override(language):
        context = {
            "rows": flags,
            "can_review": can_review,
            "selected_ids": {flags[1].pk},
            "tick_label": gettext("Tick flag %(id)s"),
        }
        old = Template(OLD_ROW).render(Context(context))
        new = Template(NEW_ROW).render(Context(context))
    assert new == old
    assert "—" in new  # a flag without a point: the dash
