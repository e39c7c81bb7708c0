"""core.templatetags.rows writes what the Django tags and methods it stands in for write."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from agents.models import PointKind, RegistrationPoint, Status
from registrations.models import Flag, FlagStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("model", "field", "values"),
    [
        (RegistrationPoint, "kind", [*PointKind.values, "NOT_A_CHOICE", ""]),
        (RegistrationPoint, "status", Status.values),
        (Flag, "status", FlagStatus.values),
    ],
)
def test_display_is_get_field_display_in_the_readers_language(language, model, field, values):
    for value in values:
        obj = model(**{field: value})
        with translation.override(language):
            expected = getattr(obj, f"get_{field}_display")()
            shown = Template('{% load rows %}{{ obj|display:"' + field + '" }}').render(Context({"obj": obj}))
            expected_html = Template("{{ label }}").render(Context({"label": expected}))
        assert shown == expected_html, value


def test_display_switches_language_between_renders():
    # given: the same value shown in Vietnamese, then in English (the labels are cached per language)
    obj = RegistrationPoint(status=Status.SUSPENDED)
    template = Template('{% load rows %}{{ obj|display:"status" }}')
    # when
    with translation.override("vi"):
        vi = template.render(Context({"obj": obj}))
    with translation.override("en"):
        en = template.render(Context({"obj": obj}))
    # then
    assert en == "Suspended"
    assert vi != en


@pytest.mark.parametrize("name", ["agents:point_detail", "registrations:flag_detail", "inspections:task_detail"])
@pytest.mark.parametrize("pk", [1, 42, 918273645])
def test_pk_url_is_reverse(name, pk):
    shown = Template("{% load rows %}{{ pk|pk_url:name }}").render(Context({"pk": pk, "name": name}))
    assert shown == reverse(name, args=[pk])


@override_settings(ROOT_URLCONF="bench.urls")
def test_pk_url_follows_the_urlconf_in_use():
    assert Template("{% load rows %}{{ 7|pk_url:'agents:point_detail' }}").render(Context()) == reverse(
        "agents:point_detail", args=[7]
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_with_id_writes_what_blocktranslate_wrote(language):
    old = Template("{% load i18n %}{% blocktranslate with id=pk %}Tick flag {{ id }}{% endblocktranslate %}")
    new = Template("{% load rows %}{{ tick|with_id:pk }}")
    with translation.override(language):
        tick = gettext("Tick flag %(id)s")  # as the flag queue's view puts it in the context
        assert new.render(Context({"pk": 12345, "tick": tick})) == old.render(Context({"pk": 12345}))
