"""A form renderer for the list pages' filter forms: selects and text/date inputs written in Python.

Django renders a <select> through a template that includes one sub-template per <option> and another for
each element's attributes: the province list alone is 64 template renders, and a filter form was about a
quarter of a list page's time (issue 15's profile). This renderer writes the same HTML (Django's own
`select.html`, `select_option.html`, `input.html` and `attrs.html`, byte for byte but for whitespace
between options) with format_html and hands every other template to Django's renderer, so a widget with
a template of its own is rendered as before.

Used by the list filter forms (`ListFilterForm`, set as `Meta.form` on a FilterSet). A select whose choices are
a fixed list (a status, a kind; not a queryset's rows), the province select (ProvinceChoiceFilter, below), a
select whose list a view set (cache_select) and a plain text or date input are written once per process for
each value and language (and set of choices), and taken from there on every later request: the same form
widgets are not written again for each page. A user who has every province gets the province select without
a query (the province names are read once per process).
"""

from collections import OrderedDict
from functools import partial

import django_filters
from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "date", "search", "number", "email", "url", "tel", "hidden", "datetime", "time")
)
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """Django's attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # an option with a template of its own: Django renders the whole select
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class ListFormRenderer(DjangoTemplates):
    """Django's renderer, with the plain inputs and selects written in Python (see the module's doc)."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in INPUT_TEMPLATES:
                return mark_safe(_input(widget))  # noqa: S308 - every value escaped above
            if template_name == SELECT_TEMPLATE:
                html = _select(widget)
                if html is not None:
                    return mark_safe(html)  # noqa: S308 - every value escaped above
        return super().render(template_name, context, request=request)


LIST_RENDERER = ListFormRenderer()


# (field name, value, attrs, the choices as shown) -> the select's HTML, and (the input's kind and own
# attributes, name, value, attrs, language) -> the input's HTML; bounded: values come from query strings
_SELECTS: OrderedDict[tuple, str] = OrderedDict()
SELECT_CACHE_SIZE = 512


def _shown(choices) -> tuple:
    """The choices as the reader sees them (labels translated): a part of the cache key, so a label in
    another language, or another form's field of the same name, is another entry."""
    return tuple(
        (str(value), _shown(label) if isinstance(label, (list, tuple)) else str(label)) for value, label in choices
    )


def _cache(key, render, name, value, attrs, renderer):
    html = _SELECTS.get(key)
    if html is None:
        html = render(name, value, attrs=attrs, renderer=renderer)
        _SELECTS[key] = html
        while len(_SELECTS) > SELECT_CACHE_SIZE:
            _SELECTS.popitem(last=False)
    else:
        _SELECTS.move_to_end(key)
    return html


def _cached_select(render, widget, name, value, attrs=None, renderer=None):
    key = (name, str(value), tuple(sorted((attrs or {}).items())), _shown(widget.choices))
    return _cache(key, render, name, value, attrs, renderer)


def _cached_input(render, widget, name, value, attrs=None, renderer=None):
    own = tuple(sorted((k, str(v)) for k, v in widget.attrs.items()))
    key = (type(widget), widget.input_type, own, name, str(value), tuple(sorted((attrs or {}).items())), get_language())
    return _cache(key, render, name, value, attrs, renderer)


def cache_select(widget) -> None:
    """Have a select whose choices a view set (a list, not a queryset's iterator) written once per process for
    each value, set of choices and language, as the fixed selects of a ListFilterForm are."""
    if type(widget) is forms.Select and _fixed_choices(widget) and not isinstance(widget.render, partial):
        widget.render = partial(_cached_select, widget.render, widget)


def _fixed_choices(widget) -> bool:
    """A list written in the code (a ChoiceField's, or a Select's own as for a yes/no filter), not rows. A
    ChoiceFilter's field (a status, a kind) holds its list in django-filter's iterator, which adds the empty
    label before it."""
    choices = widget.choices
    if isinstance(choices, django_filters.fields.ChoiceIterator):
        choices = choices.choices
    return isinstance(choices, (list, tuple)) and not isinstance(choices, ModelChoiceIterator)


class ListFilterForm(forms.Form):
    """The form class of the list pages' FilterSets (`class Meta: form = ListFilterForm`). The same widget is not
    written again on every page: a select of fixed choices (or the provinces) and a plain text or date input are
    written once per process for each value (and language, and set of provinces), then taken from there."""

    default_renderer = LIST_RENDERER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if type(widget) is forms.Select and (_fixed_choices(widget) or isinstance(field, ProvinceChoiceField)):
                widget.render = partial(_cached_select, widget.render, widget)
            elif isinstance(widget, Input) and widget.template_name in INPUT_TEMPLATES:
                widget.render = partial(_cached_input, widget.render, widget)


# --- the province select of the list filter forms ---------------------------------------------------------
# Every list's filter form offers the user's provinces: 63 model instances read through a server-side cursor
# and written as 63 options on every page. The provinces are reference data (loaded by a migration, never
# edited at runtime): their names are read once per process, each page asks only which codes the user has
# (one light query) and the select is written once per process for each such set, value and language.

_PROVINCE_LABELS: dict[str, str] = {}


def _province_labels() -> dict[str, str]:
    if not _PROVINCE_LABELS:
        from core.models import Province

        _PROVINCE_LABELS.update((province.code, str(province)) for province in Province.objects.all())
    return _PROVINCE_LABELS


class _ProvinceIterator(django_filters.fields.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        labels = _province_labels()
        if labels and not self.queryset.query.where:
            codes = sorted(labels)  # every province (a user who has them all): known already, no query
        else:
            codes = self.queryset.order_by("code").values_list("pk", flat=True)
        for code in codes:
            yield (ModelChoiceIteratorValue(code, None), labels.get(code) or code)


class ProvinceChoiceField(django_filters.fields.ModelChoiceField):
    """A ModelChoiceField of provinces whose options come from the codes alone (see above); it validates
    a chosen province against its queryset as any ModelChoiceField does."""

    iterator = _ProvinceIterator


class ProvinceChoiceFilter(django_filters.ModelChoiceFilter):
    """`province = ProvinceChoiceFilter(queryset=<the user's provinces>, ...)` in a list's FilterSet."""

    field_class = ProvinceChoiceField


def user_provinces(request):
    """A ProvinceChoiceFilter's queryset: the requesting user's provinces (none without a request)."""
    from core.models import Province

    return Province.objects.none() if request is None else Province.objects.for_user(request.user)


# --- short choice lists read from the database ------------------------------------------------------------


class ShortListIterator(django_filters.fields.ModelChoiceIterator):
    """Options of a list of a few dozen rows (the rules, the inspectors) in one plain query. Django's iterator
    reads through QuerySet.iterator(), a server-side cursor on PostgreSQL: DECLARE, FETCH and CLOSE, three
    round trips on every page, meant for lists too long to hold in memory."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if getattr(self.field, "null_label", None) is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ShortListChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ShortListIterator


class ShortListChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter over a short list (see ShortListIterator)."""

    field_class = ShortListChoiceField
