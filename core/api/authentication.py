"""Token authentication that also answers the caller in their language (registered in REST_FRAMEWORK).

core.middleware.LanguageMiddleware picks the language before any view runs, from the session's user, the
cookie or the default: a token's user is known only once DRF authenticates inside the view, so without this
every API message (validation errors, 404/409 details, choice labels) came back in Vietnamese to an English
integration. Authenticating is the one step every API view goes through before its messages are made, so the
language is switched here, once for all of them; the middleware then writes it as Content-Language.

Precedence for a token caller (README, API): an Accept-Language naming a language we serve wins (an
integration sends it on purpose), else the account's saved language, else Vietnamese. Session callers (the
pages' own requests) keep the middleware's choice: their browser's Accept-Language is never read (issue 13).
"""

from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import authentication

from core.middleware import language_for


def requested_language(request) -> str | None:
    """The language the Accept-Language header asks for, best first, if we serve one of those it names.

    "en-US" is served as "en"; "*", unknown languages and q=0 ask for nothing (the account's language then).
    """
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, quality in parse_accept_lang_header(header):  # highest q first; () when malformed or too long
        if code == "*" or quality <= 0:  # q=0 is "not this one"
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def use_language(request, code: str) -> None:
    """Answer this request in `code`: gettext from here on, and the Content-Language the middleware writes."""
    translation.activate(code)
    django_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    django_request.LANGUAGE_CODE = code


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication; a request with a token is answered in the caller's language (see above)."""

    def authenticate(self, request):
        asked = requested_language(request) if self._has_token_header(request) else None
        if asked:
            use_language(request, asked)  # a bad token's 401 too
        result = super().authenticate(request)
        if result is not None:
            use_language(request, asked or language_for(request, user=result[0]))
        return result

    def _has_token_header(self, request) -> bool:
        words = authentication.get_authorization_header(request).split()
        return bool(words) and words[0].lower() == self.keyword.lower().encode()
