import ipaddress
import json
import re
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

current_request: ContextVar = ContextVar("current_request", default=None)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_ip(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or, only when that is one of our own reverse proxies
    (settings.TRUSTED_PROXIES), the nearest address in X-Forwarded-For that is not one of them.

    A client reaching the app directly can write any X-Forwarded-For it likes, so the header is never read
    then; behind a proxy the right-most entries are the ones our proxies appended, the left ones the client's.
    django-axes keys its lockout on this too (AXES_CLIENT_IP_CALLABLE).
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if not remote or not _trusted(remote):
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: trust nothing in it
        if not _trusted(hop):
            return hop
    return forwarded[0] if forwarded else remote


class RequestContextMiddleware:
    """Keeps the current request at hand so services can audit the caller's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


# C0 control characters except tab, line feed and carriage return: no field of ours may hold one, and a NUL
# makes PostgreSQL refuse the statement (a 500 when it reaches the database).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _has_control(value) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(_has_control(key) or _has_control(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_control(item) for item in value)
    return False


def _is_json(request) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_form_or_json(request) -> bool:
    try:
        return _bad_body(request)
    except RequestDataTooBig:
        return False  # too large to read here: the view answers that (413 with the limit, or Django's 400)


def _bad_body(request) -> bool:
    if request.method == "POST" and request.content_type in FORM_TYPES:
        if any(_has_control(key) or _has_control(request.POST.getlist(key)) for key in request.POST):
            return True
        return any(_has_control(upload.name) or _has_control(key) for key, upload in request.FILES.items())
    if _is_json(request) and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return False  # not text at all: the view's own parser answers that
        try:
            return _has_control(json.loads(text))
        except ValueError:
            return CONTROL_CHARACTERS.search(text) is not None  # raw bytes in a malformed body
    return False


class InputCleaningMiddleware:
    """One gate for every request: a C0 control character (NUL and the like; tab, CR and LF are fine) in the
    query string, a form field, an uploaded file's name or a JSON body answers 400 before any view runs.

    Per-field validation would have to be remembered on every new field; here a view never sees such a value.
    API callers (and JSON senders) get `{"detail": ...}` as DRF answers; pages get a short HTML page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._refused(request):
            return self._bad_request(request)
        return self.get_response(request)

    @staticmethod
    def _refused(request) -> bool:
        if any(_has_control(key) or _has_control(request.GET.getlist(key)) for key in request.GET):
            return True
        return _bad_form_or_json(request)

    @staticmethod
    def _bad_request(request):
        message = _(
            "The request contains a control character (such as a NUL byte) that no field may hold. "
            "Remove it and try again."
        )
        accept = request.headers.get("Accept", "")
        if request.path.startswith("/api/") or _is_json(request) or "json" in accept:
            return JsonResponse({"detail": message}, status=400)
        html = render_to_string("core/bad_input.html", {"message": message}, request=request)
        return HttpResponse(html, status=400)


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every answer to a signed-in user and on every API answer:
    pages and API results may show personal data, which no browser or shared cache may keep.

    A view opts out by setting its own Cache-Control (the inspection photos do) or with
    `core.headers.cacheable`. Static files never reach here (whitenoise answers them first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control") or getattr(response, "cacheable", False):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


class LanguageMiddleware:
    """The page's language: the signed-in user's choice, else the language cookie (the switch before signing
    in), else settings.LANGUAGE_CODE (Vietnamese). Never the browser's Accept-Language (issue 13): an
    operator's staff with English browsers work in Vietnamese unless they choose otherwise. Sits after
    AuthenticationMiddleware, in place of Django's LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = language_for(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        # the language the answer was made in: an API view may have switched to its token's user's
        # (core.api.authentication), which it records on the request
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def language_for(request, user=None) -> str:
    """`user`'s saved language (the request's user when not given), else the cookie's, else the default."""
    known = {code for code, _name in settings.LANGUAGES}
    user = user if user is not None else getattr(request, "user", None)
    if getattr(user, "is_authenticated", False) and getattr(user, "language", "") in known:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in known else settings.LANGUAGE_CODE
