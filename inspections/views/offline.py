"""The field app that works with no network (issue 14): the service worker, the web app manifest, the page shown
offline when a page was never saved on the phone, and the words the phone's offline scripts show.

The service worker's code is static/js/inspection/sw.js (a classic script: every browser runs those as service
workers). It is served from /inspections/my-tasks/sw.js, so that its scope is the inspector's pages and
nothing else, with its settings written in front of it: the version (a digest of the code and of every file it
caches, so any change deploys a new worker) and the static files to keep on the phone, under their
production (hashed) names. None of the three public answers holds personal data; the pages the worker keeps
are the inspector's own, on the phone that opened them, and the sign-out clears them
(static/js/inspection/offline.js).
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.headers import cacheable

SW_SOURCE = "js/inspection/sw.js"
# What the field pages load (templates/base.html and templates/inspections/field/*), kept on the phone.
ASSETS = (
    "vendor/pico/pico-2.1.1.min.css",
    "css/app.css",
    "css/field.css",
    "css/field-offline.css",
    "vendor/htmx/htmx-2.0.11.min.js",
    "js/nav.js",
    "favicon.svg",
    "icons/field-192.png",
    "icons/apple-touch-icon.png",
)
MODULES = "js/inspection"


def _modules() -> list[str]:
    """Every module of the field pages (static/js/inspection/*.js) but the worker itself."""
    found = finders.find(MODULES)
    folder = Path(found if isinstance(found, str) else found[0])
    return sorted(f"{MODULES}/{file.name}" for file in folder.glob("*.js") if file.name != "sw.js")


def _read(name: str) -> bytes:
    found = finders.find(name)
    return Path(found).read_bytes() if found else b""


def app_settings() -> dict:
    """The worker's settings: its version and the URLs it keeps."""
    names = [*ASSETS, *_modules()]
    digest = hashlib.sha256(_read(SW_SOURCE))
    for name in names:
        digest.update(name.encode() + b"\0" + _read(name))
    # A release name (setting FIELD_APP_RELEASE) forces a new worker without a file change.
    digest.update(str(getattr(settings, "FIELD_APP_RELEASE", "")).encode())
    return {
        "version": digest.hexdigest()[:16],
        "scope": reverse("inspections:my_tasks"),
        "offline": reverse("inspections:field_offline"),
        "photos": reverse("inspections:photo", args=[0]).rsplit("0/", 1)[0],
        "assets": [static(name) for name in names],
    }


@lru_cache(maxsize=1)
def _cached_settings() -> dict:
    return app_settings()


def worker_settings() -> dict:
    """Read once per process in production (the files do not change under it), afresh in development."""
    return app_settings() if settings.DEBUG or getattr(settings, "FIELD_APP_RELEASE", "") else _cached_settings()


def offline_text() -> dict:
    """The words of static/js/inspection/{offline,outbox-view,tasks}.js (main.js has its own: field._script_config)."""
    return {
        "unsent_leave": _(
            "Some changes are not sent yet. They stay on this phone and are sent when you open the task again "
            "with a network."
        ),
        "unsent_signout": _(
            "Changes not sent yet: %(n)s. They stay on this phone and are sent after you sign in again "
            "and open the task. Sign out anyway?"
        ),
        "outbox_title": _("On this phone"),
        "sign_in_again": _("Sign in again"),
        "state_waiting": _("waiting"),
        "state_sending": _("sending"),
        "state_sent": _("sent"),
        "state_refused": _("refused"),
        "kind_checkin": _("Check-in"),
        "kind_answer": _("Answer to item %(n)s"),
        "kind_remarks": _("Remarks"),
        "kind_sim": _("SIM %(iccid)s"),
        "kind_sim_remove": _("Removal of SIM %(iccid)s"),
        "kind_photo": _("Photo"),
        "kind_photo_item": _("Photo for item %(n)s"),
        "kind_photo_remove": _("Removal of a photo"),
        "kind_checkout": _("Check-out"),
        "kind_submit": _("Submit the report"),
        "offline_ready": _("Saved for use offline"),
        "offline_saving": _("Saving for use offline…"),
        "offline_failed": _("Not saved for use offline"),
        "offline_missing": _("Not on this phone: open it once with a network"),
        "offline_now": _("No network: you are working from what is saved on this phone."),
        "waiting_here": _("Waiting to be sent: %(n)s"),
        "storage_low": _(
            "This phone's storage for the app is almost full (%(used)s MB of %(quota)s MB used): "
            "send your changes or free space, or new photos may not be kept."
        ),
        "photo_not_stored": _(
            "This photo could not be kept on the phone (storage full?): keep this page open until it is sent, "
            "or free space and take it again."
        ),
        "no_storage": _(
            "This browser cannot keep changes on the phone (private mode?): keep this page open until all is sent."
        ),
    }


# --- views ----------------------------------------------------------------------------------------


@require_safe
@cacheable
def service_worker(request):
    """The worker, with its settings in front. Public (no personal data): the browser checks it for updates
    also when the inspector is signed out."""
    config = worker_settings()
    body = f"self.FIELD_APP = {json.dumps(config)};\n" + _read(SW_SOURCE).decode()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = config["scope"]
    return response


@require_safe
@cacheable
def manifest(request):
    """The web app manifest, in the language of the page that links it (the cookie or the account's)."""
    data = {
        "name": _("SIM Agent Watch: inspections"),
        "short_name": _("Inspections"),
        "description": _("The field inspector's tasks, usable with no network."),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("inspections:my_tasks"),
        "scope": reverse("inspections:my_tasks"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0f3d57",
        "icons": [
            {"src": static("icons/field-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/field-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/field-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
@cacheable
def offline(request):
    """What the worker shows for a field page it never saved, with no network. Public (no personal data): the
    worker keeps it whether or not the inspector is still signed in."""
    response = render(request, "inspections/field/offline.html", {})
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("my-tasks/sw.js", service_worker, name="field_service_worker"),
    path("my-tasks/manifest.webmanifest", manifest, name="field_manifest"),
    path("my-tasks/offline/", offline, name="field_offline"),
]
