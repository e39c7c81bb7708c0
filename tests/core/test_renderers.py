"""The list filter forms' renderer writes what Django's templates write (issue 15: no template per <option>)."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.renderers import LIST_RENDERER, ListFilterForm


class Sample(forms.Form):
    kind = forms.ChoiceField(choices=[("", "any"), ("A", "Fixed <point>"), ("B", "Mobile & co")], required=False)
    grouped = forms.ChoiceField(
        choices=[("", "any"), ("North", [("001", "Hà Nội"), ("031", "Hải Phòng")]), ("079", "TP Hồ Chí Minh")],
        required=False,
    )
    code = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": 'code "x"'}))
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    ticked = forms.BooleanField(required=False)  # a checkbox: Django's own template, unchanged


def _squash(html: str) -> str:
    # the only difference allowed: whitespace between tags
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "A", "grouped": "031", "code": "<b>&", "day": "2026-12-07", "hidden": "x'y", "ticked": "on"},
        {"kind": "nonsense", "grouped": "079", "day": "not a day"},
    ],
)
def test_every_widget_renders_as_djangos_templates(data):
    # given the same bound form under Django's renderer and the list renderer
    django_form = Sample(data or None, renderer=DjangoTemplates())
    list_form = Sample(data or None, renderer=LIST_RENDERER)
    django_form.is_valid(), list_form.is_valid()
    # then each field's HTML is the same, escaping and selected option included
    for name in Sample.base_fields:
        assert _squash(list_form[name]) == _squash(django_form[name]), name


def test_select_is_written_without_option_templates(monkeypatch):
    # given the list renderer, with Django's template rendering made to fail
    form = ListFilterForm()
    form.fields["kind"] = forms.ChoiceField(choices=[("A", "a"), ("B", "b")], initial="B")

    def refuse(*args, **kwargs):
        raise AssertionError("a template was rendered")

    monkeypatch.setattr(DjangoTemplates, "render", refuse)
    # then the select renders anyway, B selected
    html = str(form["kind"])
    assert '<option value="B" selected>b</option>' in html
    assert html.startswith('<select name="kind" id="id_kind">')
