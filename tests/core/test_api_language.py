"""API answers in the caller's language (core.api.authentication): a token's user is known only inside DRF, after
the language middleware ran, so every API view switches to that user's saved language when it authenticates;
an explicit Accept-Language naming a language we serve wins for a token caller. Session callers keep the
pages' language (their account's; the browser's Accept-Language is never read). Content-Language says which."""

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import translation
from rest_framework import authentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.api.authentication import TokenAuthentication as LanguageTokenAuthentication
from tests.agents.factories import PointFactory

pytestmark = pytest.mark.django_db

POINTS = "/api/v1/points/?kind="  # a blank filter: core.api.filters.StrictFilterBackend refuses it
IMPORTS = "/api/v1/imports/registrations/"

LEAVE_THE_FILTER_OUT = {"en": "Leave the filter out for any value.", "vi": "Bỏ bộ lọc này đi để lấy mọi giá trị."}
NO_ROWS = {"en": "No rows.", "vi": "Không có dòng nào."}


def token_client(user, **headers) -> APIClient:
    client = APIClient(headers=headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def speaking(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def points_error(response) -> str:
    assert response.status_code == 400
    return response.json()["kind"][0]


def imports_error(response) -> str:
    assert response.status_code == 400
    return response.json()["rows"][0]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def language_restored():
    # a request leaves its language active in the thread (as Django's LocaleMiddleware does: a streamed CSV is
    # written after the view returned); the next test module expects the test default
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_token_user_gets_validation_errors_of_two_endpoints_in_their_saved_language(officer, integration, language):
    # given: an officer reading points and an integration account pushing rows, both by token
    other = "en" if language == "vi" else "vi"
    reader = token_client(speaking(officer, language))
    pusher = token_client(speaking(integration, language))
    # when
    filtered = reader.get(POINTS)
    pushed = pusher.post(IMPORTS, {"rows": []}, format="json")
    # then
    assert points_error(filtered) == LEAVE_THE_FILTER_OUT[language]
    assert imports_error(pushed) == NO_ROWS[language]
    assert LEAVE_THE_FILTER_OUT[other] not in filtered.content.decode()
    assert NO_ROWS[other] not in pushed.content.decode()
    assert filtered["Content-Language"] == pushed["Content-Language"] == language


def test_a_vietnamese_token_user_is_answered_in_vietnamese_over_an_english_cookie(officer):
    # a cookie is the switch before signing in; the token names the account, whose choice it is
    client = token_client(speaking(officer, "vi"))
    client.cookies["django_language"] = "en"
    response = client.get(POINTS)
    assert points_error(response) == LEAVE_THE_FILTER_OUT["vi"]
    assert response["Content-Language"] == "vi"


def test_a_token_user_without_a_saved_language_is_answered_in_the_sites_default(officer, settings):
    settings.LANGUAGE_CODE = "vi"
    response = token_client(speaking(officer, "")).get(POINTS)
    assert points_error(response) == LEAVE_THE_FILTER_OUT["vi"]
    assert response["Content-Language"] == "vi"


def test_a_success_carries_content_language_too(officer):
    PointFactory(province_code="001")
    response = token_client(speaking(officer, "vi")).get("/api/v1/points/")
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"


# --- Accept-Language: a token caller's explicit choice wins ---------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),  # a regional variant is served as its language
        ("fr-FR, en;q=0.5", "en"),  # the best we serve
        ("fr", "vi"),  # nothing we serve: the account's
        ("*", "vi"),  # no preference: the account's
        ("en;q=0", "vi"),  # "not English"
    ],
)
def test_a_token_callers_accept_language_wins_over_the_saved_one_when_it_names_a_language_we_serve(
    integration, header, expected
):
    client = token_client(speaking(integration, "vi"), **{"Accept-Language": header})
    response = client.post(IMPORTS, {"rows": []}, format="json")
    assert imports_error(response) == NO_ROWS[expected]
    assert response["Content-Language"] == expected


def test_accept_language_can_ask_for_vietnamese_from_an_english_account(integration):
    client = token_client(speaking(integration, "en"), **{"Accept-Language": "vi-VN"})
    response = client.post(IMPORTS, {"rows": []}, format="json")
    assert imports_error(response) == NO_ROWS["vi"]
    assert response["Content-Language"] == "vi"


def test_a_bad_token_is_refused_in_the_language_asked_for(settings):
    # given: nobody is known, so the header is all there is (the default otherwise)
    settings.LANGUAGE_CODE = "vi"
    client = APIClient(headers={"Accept-Language": "en"})
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    # when
    response = client.get("/api/v1/points/")
    # then
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert response["Content-Language"] == "en"


# --- session callers: unchanged ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_session_user_is_answered_in_their_saved_language_whatever_the_browser_asks(officer, language):
    # given: a browser that asks for the other language, as every browser sends its own
    other = "en" if language == "vi" else "vi"
    client = Client(headers={"Accept-Language": other})
    client.force_login(speaking(officer, language))
    # when
    response = client.get(POINTS)
    # then
    assert points_error(response) == LEAVE_THE_FILTER_OUT[language]
    assert response["Content-Language"] == language


def test_a_session_user_gets_pages_in_their_saved_language_as_before(officer):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(speaking(officer, "vi"))
    response = client.get("/")
    assert response["Content-Language"] == "vi"


# --- one place for every view ----------------------------------------------------------------------------------


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        else:
            yield getattr(pattern.callback, "cls", None)


def test_every_api_view_authenticates_tokens_through_the_class_that_sets_the_language():
    # a view listing its own authentication_classes with DRF's TokenAuthentication would answer in the wrong one
    api_views = {view for view in _views(get_resolver().url_patterns) if view and issubclass(view, APIView)}
    assert len(api_views) > 30
    for view in api_views:
        tokens = [kind for kind in view.authentication_classes if issubclass(kind, authentication.TokenAuthentication)]
        assert tokens == [LanguageTokenAuthentication], view
