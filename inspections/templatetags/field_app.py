"""`{% field_app_head %}`: what every page of a field inspector puts in its <head> (templates/base.html): the
web app manifest and icons, the offline styles, the settings and words of static/js/inspection/field-app.js
(the service worker, the sign-out warning, storage) and that script."""

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, json_script

from ..views.offline import offline_text

register = template.Library()


@register.simple_tag(takes_context=True)
def field_app_head(context):
    request = context["request"]
    config = {
        "worker": reverse("inspections:field_service_worker"),
        "scope": reverse("inspections:my_tasks"),
        "login": reverse("login"),
        "user": request.user.pk,
        "text": offline_text(),
    }
    return format_html(
        '<link rel="manifest" href="{}">\n<meta name="theme-color" content="#0f3d57">\n'
        '<link rel="apple-touch-icon" href="{}">\n<link rel="stylesheet" href="{}">\n{}\n'
        '<script type="module" src="{}"></script>',
        reverse("inspections:field_manifest"),
        static("icons/apple-touch-icon.png"),
        static("css/field-offline.css"),
        json_script(config, "field-app"),
        static("js/inspection/field-app.js"),
    )
