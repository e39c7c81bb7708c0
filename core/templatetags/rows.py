"""What a list page writes once per row, at a fraction of Django's per-call cost (issue 15).

A list of 50 rows calls these hundreds of times a page: Django's `{% url %}` resolves the pattern on every
call, and `get_FOO_display` rebuilds a hashable copy of the field's choices on every call (its labels are lazy
translations, each hashed through gettext). These give the same strings from what they computed once:

{% load rows %}
{{ p.pk|pk_url:"agents:point_detail" }}   /agents/points/42/: the pattern reversed once per URLconf and prefix
{{ p|display:"kind" }}                    the choice's label in the reader's language (get_kind_display)
{{ tick|with_id:f.pk }}                   a message with %(id)s translated once by the view, filled per row
"""

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()

# An id no row has, reversed in its place: the URL around it is what every row's URL is made of.
_SENTINEL = "918273645546372819"
_URLS: dict[tuple, tuple[str, str]] = {}
_LABELS: dict[tuple, dict] = {}


def pk_url_parts(name: str) -> tuple[str, str]:
    """What comes before and after the pk in reverse(name, args=[pk]): `f"{head}{pk}{tail}"` is every row's URL
    (for a tag that writes many rows at once)."""
    key = (name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    parts = _URLS.get(key)
    if parts is None:
        head, _sep, tail = reverse(name, args=[int(_SENTINEL)]).partition(_SENTINEL)
        parts = _URLS[key] = (head, tail)
    return parts


@register.filter
def pk_url(pk, name: str) -> str:
    """reverse(name, args=[pk]) for a URL pattern whose one argument is an <int:pk>."""
    head, tail = pk_url_parts(name)
    return f"{head}{int(pk)}{tail}"


def choice_labels(model, field_name: str) -> dict:
    """{stored value: its label in the reader's language} of a model field's choices (kept per language)."""
    key = (model, field_name, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        field = model._meta.get_field(field_name)
        labels = _LABELS[key] = {choice: str(label) for choice, label in field.flatchoices}
    return labels


@register.filter
def display(obj, field_name: str) -> str:
    """obj.get_<field_name>_display(): the choice's label as the reader's language writes it; the stored value
    itself when it is none of the choices (as Django does)."""
    meta = getattr(obj, "_meta", None)
    if meta is None:  # not a model instance: whatever it says its label is
        return getattr(obj, f"get_{field_name}_display")()
    value = getattr(obj, field_name)
    labels = choice_labels(type(obj), field_name)
    try:
        return labels.get(value, value)
    except TypeError:  # an unhashable value: no choice is one
        return value


@register.filter
def with_id(text: str, value) -> str:
    """`{{ tick|with_id:f.pk }}`, tick being `_("Tick flag %(id)s")` translated once by the view: what
    `{% blocktranslate with id=f.pk %}Tick flag {{ id }}{% endblocktranslate %}` writes (the same message),
    without a translation lookup and a context per row. ({% translate %} cannot stand in: it escapes the %.)"""
    return text % {"id": value}


@register.filter
def uses_other_filters(filterset, primary) -> bool:
    """Whether a filter outside `primary` has a value in the request (includes/filter_form.html opens "More
    filters" then, so a filter in use is never hidden)."""
    data = getattr(filterset, "data", None) or {}
    return any(data.get(name) for name in filterset.filters if name not in primary)
