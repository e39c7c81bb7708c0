"""`{% page_sections "agents.registrationpoint" point %}`: the sections other apps add to a page, loaded by htmx."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from core.registry import PAGE_SECTIONS

register = template.Library()


@register.simple_tag(takes_context=True)
def page_sections(context, target: str, obj=None):
    user = context["request"].user
    rows = []
    for section in PAGE_SECTIONS:
        if section.target != target or (section.permission and not user.has_perm(section.permission)):
            continue
        try:
            url = reverse(section.url_name, args=[obj.pk] if obj is not None else [])
        except NoReverseMatch:
            continue
        rows.append((url, section.url_name.replace(":", "-"), _("Loading…")))
    return format_html_join(
        "\n",
        '<section class="page-section" hx-get="{}" hx-trigger="load" hx-swap="innerHTML" data-section="{}">'
        '<p aria-busy="true" class="muted">{}</p></section>',
        rows,
    ) or format_html("")
