"""The list filter forms' renderer writes what Django's templates write (issue 15: no template per <option>)."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.translation import gettext_lazy

from core import renderers
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


class Filters(ListFilterForm):
    kind = forms.ChoiceField(choices=[("", "any"), ("A", "Fixed <point>"), ("B", "Mobile & co")], required=False)
    other = forms.ChoiceField(choices=[("", "all"), ("A", "Other A")], required=False)


@pytest.mark.parametrize("data", [{}, {"kind": "A"}, {"kind": "B"}, {"kind": "<nonsense>"}])
def test_a_fixed_select_is_written_once_and_the_same_on_every_later_request(monkeypatch, data):
    # given: a first request writes it
    first = str(Filters(data or None)["kind"])
    # when: every later request takes it without writing it again
    monkeypatch.setattr(renderers, "_select", lambda widget: pytest.fail("written again"))
    later = [str(Filters(data or None)["kind"]) for _ in range(3)]
    # then: what Django's templates write
    assert later == [first] * 3
    assert _squash(first) == _squash(Sample(data or None, renderer=DjangoTemplates())["kind"])


def test_the_cache_tells_apart_fields_of_the_same_name_and_languages():
    # given: two forms with a "kind" field of other labels, and a label in two languages
    class Other(ListFilterForm):
        kind = forms.ChoiceField(choices=[("", "all"), ("A", "Something else")], required=False)

    class Translated(ListFilterForm):
        status = forms.ChoiceField(choices=[("S", gettext_lazy("Suspended"))], required=False)

    # then
    assert "Fixed &lt;point&gt;" in str(Filters()["kind"])
    assert "Something else" in str(Other()["kind"])
    with translation.override("en"):
        english = str(Translated()["status"])
    with translation.override("vi"):
        vietnamese = str(Translated()["status"])
    assert "Suspended" in english
    assert "Suspended" not in vietnamese


def test_the_cache_is_bounded_whatever_values_come_in(monkeypatch):
    monkeypatch.setattr(renderers, "SELECT_CACHE_SIZE", 10)
    for i in range(50):
        str(Filters({"kind": f"value-{i}"})["kind"])
    assert len(renderers._SELECTS) <= 10


def test_a_select_of_a_querysets_rows_is_not_cached(db):
    from core.models import Province

    class Provinces(ListFilterForm):
        province = forms.ModelChoiceField(queryset=Province.objects.order_by("code"), required=False)

    renderers._SELECTS.clear()
    html = str(Provinces()["province"])
    assert "Hà Nội" in html
    assert renderers._SELECTS == {}


@pytest.mark.parametrize("provinces", [None, ["001", "079"]])
@pytest.mark.parametrize("data", [{}, {"province": "079"}, {"province": "048"}, {"province": "<x>"}])
def test_the_province_select_is_what_a_model_choice_filter_writes_and_validates_the_same(make_user, provinces, data):
    import django_filters

    from agents.models import RegistrationPoint
    from core.models import Province
    from core.renderers import ProvinceChoiceFilter

    # given: the user's provinces (all, or Hà Nội and TP Hồ Chí Minh) behind both kinds of filter
    user = make_user(provinces=provinces)

    def scope(request):
        return Province.objects.for_user(user)

    class Before(django_filters.FilterSet):
        province = django_filters.ModelChoiceFilter(queryset=scope, empty_label="any")

        class Meta:
            model = RegistrationPoint
            fields = ["province"]

    class After(django_filters.FilterSet):
        province = ProvinceChoiceFilter(queryset=scope, empty_label="any")

        class Meta:
            model = RegistrationPoint
            form = ListFilterForm
            fields = ["province"]

    before, after = Before(data or None), After(data or None)
    # then: the same options, the same one selected, the same verdict on the value
    assert after.is_valid() == before.is_valid()
    assert after.form.errors == before.form.errors
    for _ in range(2):  # written, then taken from the cache
        assert _squash(After(data or None).form["province"]) == _squash(before.form["province"])


def test_a_yes_no_select_of_a_boolean_filter_is_cached_too(monkeypatch):
    # given: a boolean field whose Select carries its own choices (the planning page's "Overdue")
    class YesNo(ListFilterForm):
        overdue = forms.NullBooleanField(
            required=False, widget=forms.Select(choices=[("", "any"), ("true", "Yes"), ("false", "No")])
        )

    first = str(YesNo({"overdue": "true"})["overdue"])
    monkeypatch.setattr(renderers, "_select", lambda widget: pytest.fail("written again"))
    # then
    assert str(YesNo({"overdue": "true"})["overdue"]) == first
    assert '<option value="true" selected>Yes</option>' in first


def _choice_filterset():
    import django_filters

    from agents.models import RegistrationPoint

    class Kinds(django_filters.FilterSet):
        kind = django_filters.ChoiceFilter(
            choices=[("FIXED", gettext_lazy("Suspended")), ("MOBILE", "Mobile <van>")], empty_label="any"
        )

        class Meta:
            model = RegistrationPoint
            form = ListFilterForm
            fields = ["kind"]

    return Kinds


@pytest.mark.parametrize("data", [{}, {"kind": "MOBILE"}, {"kind": "<x>"}])
def test_a_choice_filters_select_is_written_once_and_the_same_on_every_later_request(monkeypatch, data):
    # given: a ChoiceFilter (a status, a kind: its list is in django-filter's iterator, after the empty label)
    Kinds = _choice_filterset()
    first = str(Kinds(data or None).form["kind"])
    # when: every later request takes it without writing it again
    monkeypatch.setattr(renderers, "_select", lambda widget: pytest.fail("written again"))
    later = [str(Kinds(data or None).form["kind"]) for _ in range(3)]
    # then: what Django's templates write
    assert later == [first] * 3
    django_form = Kinds(data or None).form
    django_form.renderer = DjangoTemplates()
    assert _squash(first) == _squash(django_form["kind"])
    assert "Mobile &lt;van&gt;" in first


def test_a_choice_filters_select_is_written_in_each_language():
    Kinds = _choice_filterset()
    with translation.override("en"):
        english = str(Kinds({}).form["kind"])
    with translation.override("vi"):
        vietnamese = str(Kinds({}).form["kind"])
    assert ">Suspended</option>" in english
    assert ">Suspended</option>" not in vietnamese


@pytest.mark.parametrize(
    "data", [{}, {"code": "<b>&", "day": "2026-12-07"}, {"code": "x'y", "day": "not a day"}, {"code": "A"}]
)
def test_a_plain_input_is_written_once_per_value_and_the_same_as_djangos(monkeypatch, data):
    # given: a list filter form with Sample's text and date inputs; a first request writes them
    class Inputs(ListFilterForm):
        code = Sample.base_fields["code"]
        day = Sample.base_fields["day"]

    first = {name: str(Inputs(data or None)[name]) for name in Inputs.base_fields}
    # when: every later request takes them without writing them again
    monkeypatch.setattr(renderers, "_input", lambda widget: pytest.fail("written again"))
    later = [{name: str(Inputs(data or None)[name]) for name in Inputs.base_fields} for _ in range(3)]
    # then: the same, and what Django's templates write
    assert later == [first] * 3
    django_form = Sample(data or None, renderer=DjangoTemplates())
    for name in Inputs.base_fields:
        assert _squash(first[name]) == _squash(django_form[name])


def test_inputs_of_other_attributes_are_other_entries():
    class Placeholders(ListFilterForm):
        code = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "code"}))
        name = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "name"}))

    class Dates(ListFilterForm):
        code = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    assert 'placeholder="code"' in str(Placeholders()["code"])
    assert 'placeholder="name"' in str(Placeholders()["name"])
    assert 'type="date"' in str(Dates()["code"])
    assert 'placeholder="code"' in str(Placeholders({"code": "1"})["code"])


def test_a_user_with_every_province_gets_the_province_select_without_a_query(make_user, django_assert_num_queries):
    import django_filters

    from agents.models import RegistrationPoint
    from core.models import Province
    from core.renderers import ProvinceChoiceFilter

    user = make_user()  # every province

    class Filter(django_filters.FilterSet):
        province = ProvinceChoiceFilter(queryset=lambda request: Province.objects.for_user(user), empty_label="any")

        class Meta:
            model = RegistrationPoint
            form = ListFilterForm
            fields = ["province"]

    str(Filter({}).form["province"])  # the province names, read once per process
    renderers._SELECTS.clear()
    # then: every province, no query
    with django_assert_num_queries(0):
        html = str(Filter({}).form["province"])
    assert html.count("<option") == Province.objects.count() + 1
    assert '<option value="079">' in html


def test_a_select_whose_choices_a_view_set_is_cached_by_cache_select(db, monkeypatch):
    from core.models import Province
    from core.renderers import cache_select

    class Inspectors(ListFilterForm):
        inspector = forms.ModelChoiceField(queryset=Province.objects.all(), required=False)

    def form(names):
        built = Inspectors({"inspector": "001"})
        built.fields["inspector"].widget.choices = [("", "any"), *((code, name) for code, name in names)]
        cache_select(built.fields["inspector"].widget)
        return built

    first = str(form([("001", "Lan"), ("079", "Minh")])["inspector"])
    monkeypatch.setattr(renderers, "_select", lambda widget: pytest.fail("written again"))
    assert str(form([("001", "Lan"), ("079", "Minh")])["inspector"]) == first
    assert '<option value="001" selected>Lan</option>' in first
    monkeypatch.undo()
    # other choices: another entry
    assert ">Hoa</option>" in str(form([("001", "Lan"), ("048", "Hoa")])["inspector"])
