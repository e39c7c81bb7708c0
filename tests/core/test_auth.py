"""Sign-in: Argon2 hashes, lockout after repeated failures, safe session cookies."""

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import AuditEvent

PASSWORD = "correct-horse-battery"


def test_argon2_is_the_password_hasher_outside_tests():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_argon2_hashes_a_password(settings, make_user):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user()
    user.set_password("a-long-passphrase-here")
    assert user.password.startswith("argon2$")
    assert user.check_password("a-long-passphrase-here")


@pytest.mark.django_db
def test_sign_in_lands_on_home(client, officer):
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, officer):
    # given: as many wrong passwords as the limit allows
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    # when: the right password comes next
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    # then: still refused with the lockout page, and no session
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert b"locked" in response.content.lower()
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label="officer").count() >= 5


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(client, officer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


@pytest.mark.django_db
def test_lockout_of_one_user_does_not_lock_another(client, officer, manager):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_logout_needs_post(client, officer):
    client.force_login(officer)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_session_cookie_settings():
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
